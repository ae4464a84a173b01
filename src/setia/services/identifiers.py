"""Phone numbers and member numbers as people type them."""

from __future__ import annotations

import phonenumbers
from stdnum import verhoeff

from setia.domain.errors import InvalidMemberNumber, InvalidPhone

MEMBER_NUMBER_BASE = 1_000_000


def normalize_phone(raw: str, region: str = "ID") -> str:
    """E.164 for any common form: '0812-3456-7890', '+62 812 3456 7890' and '6281234567890' are one number."""
    text = (raw or "").strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    if not text.startswith("+") and region == "ID" and digits.startswith("62") and len(digits) >= 10:
        text = "+" + digits  # '62812…' written without the plus
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhone(f"'{raw}' is not a phone number.", field="phone") from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"'{raw}' is not a valid phone number.", field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def member_number_for(sequence: int) -> str:
    """The member number for the n-th member: digits plus a Verhoeff check digit, which catches every
    single mistyped digit and every swap of two neighbours (Luhn misses 09 ↔ 90)."""
    base = str(MEMBER_NUMBER_BASE + sequence)
    return base + verhoeff.calc_check_digit(base)


def check_member_number(raw: str) -> str:
    """The number without spaces or dashes; a mistyped number is refused, never matched to someone else."""
    number = "".join(ch for ch in (raw or "") if ch not in " -")
    if not number.isdigit() or len(number) < 2 or not verhoeff.is_valid(number):
        raise InvalidMemberNumber(f"'{raw}' is not a valid member number (check digit).", field="member_number")
    return number
