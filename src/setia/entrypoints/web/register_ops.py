"""The register's changes to the cart, one small function per op: scan, add, remove, find or register a
member, toggle a reward, pay with points, start over. Each returns the field to focus next and extra state
for the screen; a refusal is raised (a SetiaError) and shown next to its field."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from setia.adapters.db.engine import Database
from setia.domain.errors import SetiaError, ValidationFailed
from setia.domain.staff import REGISTER_MEMBER
from setia.entrypoints.web.deps import Posted
from setia.queries.catalogue import find_by_code, search_products
from setia.domain.vouchers import code_key
from setia.queries.register import find_member_for_till, redeemable_full_cards
from setia.queries.stamps import member_stamp_cards
from setia.services.context import Caller, utc_now
from setia.services.members import MemberDetails, register_member
from setia.services.register import Cart, CartLine, points_payment_limit, quote_cart

Outcome = tuple[str, dict[str, Any]]


@dataclass
class OpContext:
    database: Database
    post: Posted
    cart: Cart
    argument: str  # what follows the colon: "add:12" → "12"

    @property
    def staff(self):  # type: ignore[no-untyped-def]
        return self.post.session.staff


def add_product(cart: Cart, product_id: int) -> None:
    """One more of a product: the same line if it has no price change or discount, else a new line."""
    for line in cart.lines:
        if line.product_id == product_id and line.unit_price is None and not line.line_discount:
            line.quantity += 1
            return
    cart.lines.append(CartLine(product_id=product_id))


def _scan(context: OpContext) -> Outcome:
    code = context.post.text("code")
    with context.database.read() as connection:
        product = find_by_code(connection, context.staff.merchant_id, code)
        matches = [] if product else search_products(connection, context.staff.merchant_id, code)
    if product is None and len(matches) == 1:
        product = matches[0]
    if product is None and matches:
        return "q", {"results": matches, "q": code}
    if product is None:
        raise ValidationFailed("No product with this barcode, SKU or name.", field="q")
    add_product(context.cart, product["id"])
    return "q", {}


def _add(context: OpContext) -> Outcome:
    if context.argument.isdigit():
        add_product(context.cart, int(context.argument))
    return "q", {}


def _remove(context: OpContext) -> Outcome:
    if context.argument.isdigit() and int(context.argument) < len(context.cart.lines):
        del context.cart.lines[int(context.argument)]
    return "q", {}


def _find_member(context: OpContext) -> Outcome:
    text = context.post.text("member_q")
    with context.database.read() as connection:
        found = find_member_for_till(connection, context.staff.merchant_id, text, utc_now())
    if len(found) == 1:
        context.cart.member_id = int(found[0]["id"])
        return "q", {}
    if found:
        return "member_q", {"candidates": found}
    typed_a_number = text.replace("+", "").replace("-", "").replace(" ", "").isdigit()
    return "new_name", {"show_new_member": True, "new_phone": text if typed_a_number else "",
                        "member_notice": "No member found. Register them?"}


def _choose_member(context: OpContext) -> Outcome:
    if context.argument.isdigit():
        context.cart.member_id = int(context.argument)
    return "q", {}


def _clear_member(context: OpContext) -> Outcome:
    context.cart.member_id, context.cart.reward_ids, context.cart.points = None, [], 0
    context.cart.stamp_card_ids = []
    return "q", {}


def _new_member(context: OpContext) -> Outcome:
    return "new_name", {"show_new_member": True}


def _register_member(context: OpContext) -> Outcome:
    context.staff.require(REGISTER_MEMBER)
    details = MemberDetails(name=context.post.text("new_name"), phone=context.post.text("new_phone"),
                            consents={"whatsapp": bool(context.post.form.get("new_consent"))})
    with context.database.write() as connection:
        context.cart.member_id = register_member(connection, Caller(context.staff.merchant_id, context.staff.actor),
                                                 details, utc_now())
    return "q", {}


def _check_or_undo(context: OpContext, undo: Callable[[], None]) -> None:
    """Price the cart with the change; if it is refused, take the change back and raise the refusal."""
    try:
        with context.database.read() as connection:
            quote_cart(connection, context.staff, context.cart, utc_now())
    except SetiaError:
        undo()
        raise


def _toggle_reward(context: OpContext) -> Outcome:
    reward_id, cart = context.argument, context.cart
    if reward_id in cart.reward_ids:
        cart.reward_ids.remove(reward_id)
    elif reward_id.isdigit():
        cart.reward_ids.append(reward_id)
        _check_or_undo(context, lambda: cart.reward_ids.remove(reward_id))
    return "q", {}


def _toggle_stamp_card(context: OpContext) -> Outcome:
    """Redeem a full stamp card on this sale (the quote prices its reward), or take it off again."""
    card_id, cart = context.argument, context.cart
    if card_id in cart.stamp_card_ids:
        cart.stamp_card_ids.remove(card_id)
    elif card_id.isdigit():
        cart.stamp_card_ids.append(card_id)
        _check_or_undo(context, lambda: cart.stamp_card_ids.remove(card_id))
    return "q", {}


def _redeem_first_card(context: OpContext) -> Outcome:
    """The shortcut: redeem the first full card not yet on this sale."""
    if context.cart.member_id is None:
        return "q", {}
    with context.database.read() as connection:
        cards = member_stamp_cards(connection, context.staff.merchant_id, context.cart.member_id)
    for card in redeemable_full_cards(cards):  # oldest first, as the panel lists them
        if card["card_id"] not in context.cart.stamp_card_ids:
            return _toggle_stamp_card(replace(context, argument=card["card_id"]))
    return "q", {}


def _apply_voucher(context: OpContext) -> Outcome:
    """Add the typed code; a code that can't be used is refused (`voucher_invalid`) and the cart is unchanged."""
    code, cart = context.post.text("voucher_entry").strip()[:64], context.cart
    if not code:
        return "voucher_entry", {}
    if code_key(code) in (code_key(known) for known in cart.voucher_codes):
        return "voucher_entry", {}
    cart.voucher_codes.append(code)
    _check_or_undo(context, lambda: cart.voucher_codes.remove(code))
    return "cash", {}


def _remove_voucher(context: OpContext) -> Outcome:
    context.cart.voucher_codes = [code for code in context.cart.voucher_codes
                                  if code_key(code) != code_key(context.argument)]
    return "voucher_entry", {}


def _pay_with_points(context: OpContext) -> Outcome:
    _check_or_undo(context, lambda: setattr(context.cart, "points", 0))
    return "cash", {}


def _most_points(context: OpContext) -> Outcome:
    with context.database.read() as connection:
        context.cart.points = points_payment_limit(connection, context.staff, context.cart, utc_now())
    return "cash", {}


def _exact(context: OpContext) -> Outcome:
    """What is still to pay goes on the card or QRIS; the reference field is next, Enter there finishes."""
    kind = context.argument if context.argument in ("card", "qris") else "card"
    with context.database.read() as connection:
        quote = quote_cart(connection, context.staff, context.cart, utc_now())
    context.cart.tenders[kind] = context.cart.tenders.get(kind, 0) + quote.get("to_pay", 0)
    return f"{kind}_ref", {}


def _new_sale(context: OpContext) -> Outcome:
    cart = context.cart
    cart.lines, cart.member_id, cart.reward_ids, cart.points = [], None, [], 0
    cart.voucher_codes, cart.stamp_card_ids = [], []
    cart.tenders, cart.references, cart.order_discount, cart.external_id = {}, {}, 0, ""
    return "q", {}


def _update(context: OpContext) -> Outcome:
    return "q", {}  # quantities, prices and tenders are already in the posted form


OPS: dict[str, Callable[[OpContext], Outcome]] = {
    "scan": _scan, "add": _add, "remove": _remove, "find_member": _find_member, "member": _choose_member,
    "clear_member": _clear_member, "new_member": _new_member, "register_member": _register_member,
    "reward": _toggle_reward, "stamp_card": _toggle_stamp_card, "stamp_card_first": _redeem_first_card,
    "voucher": _apply_voucher, "remove_voucher": _remove_voucher, "points": _pay_with_points,
    "points_max": _most_points, "exact": _exact, "new_sale": _new_sale, "update": _update,
}


def apply_op(database: Database, post: Posted, cart: Cart, op: str) -> Outcome:
    """Change the cart as `op` ("name" or "name:argument") says."""
    name, _, argument = op.partition(":")
    handler = OPS.get(name, _update)
    return handler(OpContext(database=database, post=post, cart=cart, argument=argument))
