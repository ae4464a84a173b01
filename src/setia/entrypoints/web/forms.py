"""Reading the register's form into a Cart (the cart lives in the page, the server prices it) and
turning service errors into messages next to the field at fault."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from starlette.datastructures import FormData

from setia.domain.errors import SetiaError, ValidationFailed
from setia.domain.vouchers import code_key
from setia.services.register import MONEY_TENDERS, Cart, CartLine
from setia.services.shifts import parse_rupiah

MAX_QUANTITY = 9999


def _whole(value: str | None, field: str, message: str, minimum: int = 0, maximum: int = 10**12) -> int:
    text = (value or "").strip().replace(".", "")
    if not text:
        return 0 if minimum <= 0 else minimum
    if not text.isdigit() or not minimum <= int(text) <= maximum:
        raise ValidationFailed(message, field=field)
    return int(text)


def cart_from_form(form: FormData) -> tuple[Cart, dict[str, str]]:
    """The cart the page sent, and messages (in English, to translate) for fields that could not be read."""
    errors: dict[str, str] = {}
    cart = Cart(external_id=(form.get("external_id") or "").strip()[:80] or f"till-{uuid.uuid4().hex}")
    products, quantities = form.getlist("line_product"), form.getlist("line_qty")
    prices, reasons, discounts = form.getlist("line_price"), form.getlist("line_reason"), form.getlist("line_discount")
    for index, product in enumerate(products):
        if not str(product).isdigit():
            continue
        line = CartLine(product_id=int(product))
        try:
            line.quantity = _whole(_at(quantities, index), f"lines[{index}].quantity",
                                   "Enter a quantity from 1 to 9999.", 1, MAX_QUANTITY)
        except ValidationFailed as error:
            errors[error.details["field"]] = error.message
        price = _at(prices, index).strip()
        if price:
            try:
                line.unit_price = parse_rupiah(price, f"lines[{index}].unit_price")
            except ValidationFailed as error:
                errors[error.details["field"]] = error.message
        line.price_reason = _at(reasons, index)[:200]
        try:
            line.line_discount = parse_rupiah(_at(discounts, index), f"lines[{index}].line_discount", required=False)
        except ValidationFailed as error:
            errors[error.details["field"]] = error.message
        cart.lines.append(line)
    member = (form.get("member_id") or "").strip()
    cart.member_id = int(member) if member.isdigit() else None
    cart.reward_ids = [str(r) for r in form.getlist("reward_id") if str(r).isdigit()]
    cart.stamp_card_ids = [str(c) for c in form.getlist("stamp_card_id") if str(c).isdigit()][:10]
    for code in form.getlist("voucher_code")[:10]:
        code = str(code).strip()[:64]
        if code and code_key(code) not in (code_key(known) for known in cart.voucher_codes):
            cart.voucher_codes.append(code)
    for name, target in (("order_discount", "order_discount"), *((kind, kind) for kind in MONEY_TENDERS)):
        try:
            amount = parse_rupiah(form.get(name), target, required=False)
        except ValidationFailed as error:
            errors[target] = error.message
            continue
        if name == "order_discount":
            cart.order_discount = amount
        elif amount:
            cart.tenders[name] = amount
    for kind in ("card", "qris", "ewallet"):
        reference = (form.get(f"{kind}_ref") or "").strip()[:200]
        if reference:
            cart.references[kind] = reference
    try:
        cart.points = _whole(form.get("points"), "points", "Enter a whole number of points.", 0, 10**9)
    except ValidationFailed as error:
        errors["points"] = error.message
    return cart, errors


def _at(values: list[Any], index: int) -> str:
    return str(values[index]) if index < len(values) else ""


# Where on the register screen an error belongs when the service does not name a field.
FIELD_BY_CODE = {
    "reward_not_applicable": "rewards",
    "insufficient_points": "member",
    "points_debt_open": "member",
    "points_payment_not_allowed": "points",
    "tender_invalid": "cash",
    "duplicate_member": "new_phone",
    "invalid_phone": "new_phone",
    "voucher_invalid": "voucher",
    "rate_limited": "voucher",
    "stamp_card_not_redeemable": "stamp_cards",
}


def error_field(error: SetiaError, default: str = "general") -> str:
    field = error.details.get("field")
    if isinstance(field, str) and field:
        if field.startswith("tenders"):
            return "cash"
        if field.startswith("voucher_codes"):
            return "voucher"
        if field.startswith("stamp_card_ids"):
            return "stamp_cards"
        return field
    return FIELD_BY_CODE.get(error.code, default)


def error_message(error: SetiaError, gettext: Callable[[str], str]) -> str:
    """The error in the page's language: fixed messages through the catalogue, numbers put back in."""
    details = error.details
    if error.code == "insufficient_points":
        return gettext("Not enough points: balance %(balance)s, requested %(requested)s.") % details
    if error.code == "points_debt_open":
        return gettext("The member owes %(debt)s points from a refund; rewards wait until it is repaid.") % details
    if error.code == "tender_invalid" and "due" in details:
        return gettext("The payment does not cover the amount due.")
    if error.code == "points_payment_not_allowed" and "maximum_amount" in details:
        return gettext("Points can pay at most part of the bill (Rp%(maximum_amount)s).") % details
    if error.code == "points_payment_not_allowed" and "minimum_points" in details:
        return gettext("Paying with points takes at least %(minimum_points)s points.") % details
    if error.code == "refund_invalid" and "quantity_left" in details:
        return gettext("Only %(quantity_left)s left to refund on this line.") % details
    if error.code == "reward_not_applicable":
        return gettext("This reward can't be used on this sale.")
    if error.code == "voucher_invalid":
        return gettext("This voucher code can't be used.")
    if error.code == "rate_limited" and "retry_after_seconds" in details:
        return gettext("Too many wrong voucher codes; please wait a minute and try again.")
    if error.code == "stamp_card_not_redeemable":
        return gettext("This stamp card can't be redeemed on this sale.")
    if error.code == "duplicate_member":
        return gettext("A member with this phone number already exists.")
    if error.code == "invalid_phone":
        return gettext("This is not a valid phone number.")
    if error.code == "invalid_member_number":
        return gettext("This is not a valid member number.")
    return gettext(error.message)
