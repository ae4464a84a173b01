"""Registering and updating members; adjusting a member's points by hand."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Connection, select, update

from setia.adapters.db.ledger_store import LedgerStore
from setia.adapters.db.tables import members, merchants
from setia.domain import ledger
from setia.domain.errors import DuplicateMember, NotFound, ValidationFailed
from setia.services.context import Caller, business_date
from setia.services.identifiers import member_number_for, normalize_phone
from setia.services.member_ledger import MemberLedger, Movement
from setia.services.merchants import merchant_timezone
from setia.services.programs import load_program
from setia.services.bonuses import on_member_registered

CHANNELS = ("whatsapp", "sms", "email")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class MemberDetails:
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    birthday: date | None = None
    consents: dict[str, bool] = field(default_factory=dict)
    referred_by: str | None = None  # registering: the member number of the member who brought them


def _validated(details: MemberDetails, registering: bool) -> dict:
    values: dict = {}
    if details.name is not None or registering:
        name = (details.name or "").strip()
        if not name:
            raise ValidationFailed("A member needs a name.", field="name")
        values["name"] = name
    if details.phone is not None or registering:
        values["phone"] = normalize_phone(details.phone or "")
    if details.email is not None:
        email = details.email.strip()
        if email and not EMAIL_PATTERN.match(email):
            raise ValidationFailed(f"'{details.email}' is not an email address.", field="email")
        values["email"] = email or None
    if details.birthday is not None:
        values["birthday"] = details.birthday
    for channel in details.consents:
        if channel not in CHANNELS:
            raise ValidationFailed(f"Consent channels are {', '.join(CHANNELS)}.", field=f"consents.{channel}")
    return values


def _check_phone_free(connection: Connection, merchant_id: int, phone: str, member_id: int | None = None) -> None:
    existing = connection.execute(
        select(members.c.id).where(members.c.merchant_id == merchant_id, members.c.phone == phone)
    ).scalar_one_or_none()
    if existing is not None and existing != member_id:
        raise DuplicateMember("A member with this phone number already exists.", member_id=str(existing))


def register_member(connection: Connection, caller: Caller, details: MemberDetails, now: datetime) -> int:
    values = _validated(details, registering=True)
    _check_phone_free(connection, caller.merchant_id, values["phone"])
    sequence = connection.execute(
        update(merchants).where(merchants.c.id == caller.merchant_id)
        .values(member_sequence=merchants.c.member_sequence + 1).returning(merchants.c.member_sequence)
    ).scalar_one()
    consents = {f"consent_{channel}_at": now if details.consents.get(channel) else None for channel in CHANNELS}
    member_id = connection.execute(
        members.insert().returning(members.c.id),
        {**values, **consents, "merchant_id": caller.merchant_id, "member_number": member_number_for(sequence),
         "points_balance": 0, "points_debt": 0, "created_at": now, "updated_at": now},
    ).scalar_one()
    on_member_registered(connection, caller, member_id, details.referred_by, now)  # membership, referral, bonus
    return member_id


def update_member(connection: Connection, caller: Caller, member_id: int, details: MemberDetails,
                  now: datetime) -> None:
    row = connection.execute(
        select(members).where(members.c.id == member_id, members.c.merchant_id == caller.merchant_id)
    ).first()
    if row is None:
        raise NotFound("Member not found.", member_id=str(member_id))
    values = _validated(details, registering=False)
    if "phone" in values:
        _check_phone_free(connection, caller.merchant_id, values["phone"], member_id)
    for channel, given in details.consents.items():
        current = getattr(row, f"consent_{channel}_at")
        # Keep the original time of consent while it stands; withdrawing clears it.
        values[f"consent_{channel}_at"] = (current or now) if given else None
    if values:
        connection.execute(update(members).where(members.c.id == member_id).values(**values, updated_at=now))


def adjust_points(connection: Connection, caller: Caller, member_id: int, points: int, reason: str,
                  now: datetime) -> int:
    """A manual correction with a reason and the actor recorded; returns the balance after.

    A positive adjustment makes a lot under the program's expiry policy (repaying debt first); a negative
    one can't take more than the member can spend.
    """
    if not reason or not reason.strip():
        raise ValidationFailed("An adjustment needs a reason.", field="reason")
    if points == 0:
        raise ValidationFailed("An adjustment moves at least 1 point.", field="points")
    timezone_name = merchant_timezone(connection, caller.merchant_id)
    today = business_date(now, timezone_name)
    member_ledger = MemberLedger.open(LedgerStore(connection, caller.merchant_id, now), member_id, today,
                                      caller.actor)
    program = load_program(connection, caller.merchant_id)
    movement = Movement(actor=caller.actor, occurred_at=now, note=reason.strip(), program_version=program.version)
    if points > 0:
        member_ledger.credit(movement, points, ledger.ADJUSTMENT, ledger.ADJUST, today,
                             program.expiry.expiry_day(today))
    else:
        member_ledger.debit(movement, -points, ledger.ADJUSTMENT, ledger.ADJUST)
    return member_ledger.balance
