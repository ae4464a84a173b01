"""The till: a cart priced by the quote service, a sale recorded with its stock in one transaction,
and refunds that put stock back, with a manager's approval where the cashier's role needs one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from setia.adapters.db.tables import categories, products, register_events, sale_lines, sales
from setia.domain.errors import NotFound, ValidationFailed
from setia.domain.sale import LineInput, TenderInput
from setia.domain.staff import OVERRIDE_PRICE, REFUND, REFUND_ANY, SELL, VOID, StaffMember, refund_needs_approval
from setia.queries.refunds import preview_refund
from setia.services.context import Caller
from setia.services.programs import load_program_for_sale
from setia.services.refunds import RefundRequest, refund_sale
from setia.services.sales import SaleRequest, quote_sale, record_sale
from setia.services.shifts import outlet_for, require_open_shift
from setia.services.staff import approve
from setia.services.stock import REFUND as STOCK_REFUND
from setia.services.stock import SALE as STOCK_SALE
from setia.services.stock import move_stock, tracked_product_ids

MONEY_TENDERS = ("cash", "card", "qris", "ewallet")


@dataclass
class CartLine:
    product_id: int
    quantity: int = 1
    unit_price: int | None = None  # a price override (manager); None: the catalogue price
    price_reason: str = ""
    line_discount: int = 0


@dataclass
class Cart:
    """What the register screen holds; the server prices it from the catalogue on every change."""

    external_id: str
    lines: list[CartLine] = field(default_factory=list)
    member_id: int | None = None
    reward_ids: list[str] = field(default_factory=list)
    order_discount: int = 0
    tenders: dict[str, int] = field(default_factory=dict)  # cash, card, qris, ewallet: rupiah
    references: dict[str, str] = field(default_factory=dict)  # card, qris, ewallet: approval / reference
    points: int = 0  # points as payment
    voucher_codes: list[str] = field(default_factory=list)  # applied after the rewards, in this order
    stamp_card_ids: list[str] = field(default_factory=list)  # the member's full stamp cards redeemed on this sale


def _catalogue_rows(connection: Connection, merchant_id: int, product_ids: list[int]) -> dict[int, Any]:
    rows = connection.execute(
        select(products.c.id, products.c.sku, products.c.name, products.c.price, categories.c.code)
        .select_from(products.outerjoin(categories, categories.c.id == products.c.category_id))
        .where(products.c.merchant_id == merchant_id, products.c.id.in_(product_ids),
               products.c.active.is_(True))).all()
    return {row.id: row for row in rows}


def sale_lines_for(connection: Connection, staff: StaffMember, cart: Cart) -> list[LineInput]:
    """Sale lines at catalogue prices; an override needs the permission and a reason."""
    found = _catalogue_rows(connection, staff.merchant_id, [line.product_id for line in cart.lines])
    lines = []
    for index, line in enumerate(cart.lines):
        row = found.get(line.product_id)
        if row is None:
            raise NotFound("This product is not in the catalogue.", field="lines", line=index)
        price = row.price
        if line.unit_price is not None and line.unit_price != row.price:
            staff.require(OVERRIDE_PRICE)
            if not line.price_reason.strip():
                raise ValidationFailed("A price change needs a reason.", field=f"lines[{index}].price_reason")
            price = line.unit_price
        lines.append(LineInput(name=row.name, quantity=line.quantity, unit_price=price, sku=row.sku,
                               product_id=str(row.id), category=row.code, line_discount=line.line_discount))
    return lines


def _tenders(cart: Cart, with_points: bool = True) -> list[TenderInput]:
    tenders = [TenderInput(kind=kind, amount=cart.tenders[kind], reference=cart.references.get(kind) or None)
               for kind in MONEY_TENDERS if cart.tenders.get(kind)]
    if with_points and cart.points:
        tenders.append(TenderInput(kind="points", points=cart.points))
    return tenders


def _request(connection: Connection, staff: StaffMember, cart: Cart, tenders: list[TenderInput]) -> SaleRequest:
    return SaleRequest(lines=sale_lines_for(connection, staff, cart), member_id=cart.member_id,
                       order_discount=cart.order_discount, reward_ids=list(cart.reward_ids), tenders=tenders,
                       outlet_id=outlet_for(connection, staff), external_id=cart.external_id,
                       voucher_codes=list(cart.voucher_codes), stamp_card_ids=list(cart.stamp_card_ids))


def _settled_tenders(connection: Connection, staff: StaffMember, cart: Cart, now: datetime) -> tuple[list[TenderInput], int, int]:
    """The cart's tenders with what is still to pay added as cash, the total due and that remainder."""
    caller = Caller(staff.merchant_id, staff.actor)
    total_due = quote_sale(connection, caller, _request(connection, staff, cart, []), now)["totals"]["total_due"]
    program, _ = load_program_for_sale(connection, staff.merchant_id)
    points_value = cart.points * program.points_payment.rupiah_per_point
    entered = sum(cart.tenders.get(kind, 0) for kind in MONEY_TENDERS) + points_value
    remainder = max(total_due - entered, 0)
    tenders = _tenders(cart)
    if remainder:
        cash = next((t for t in tenders if t.kind == "cash"), None)
        tenders = [t for t in tenders if t.kind != "cash"]
        tenders.insert(0, TenderInput(kind="cash", amount=remainder + (cash.amount if cash else 0)))
    return tenders, total_due, remainder


def quote_cart(connection: Connection, staff: StaffMember, cart: Cart, now: datetime) -> dict[str, Any]:
    """The cart priced as it would be recorded now, with what is left to pay; writes nothing."""
    staff.require(SELL)
    caller = Caller(staff.merchant_id, staff.actor)
    if not cart.lines:
        return {"empty": True}
    tenders, total_due, remainder = _settled_tenders(connection, staff, cart, now)
    quote = quote_sale(connection, caller, _request(connection, staff, cart, tenders), now)
    quote["to_pay"] = remainder
    return quote


def finish_sale(connection: Connection, staff: StaffMember, cart: Cart, now: datetime) -> dict[str, Any]:
    """Record the sale and take its stock down, in the caller's one transaction. Whatever the tenders
    leave unpaid is taken as exact cash, so Enter alone finishes a cash sale. A retry (same cart) returns
    the first sale and moves no stock twice."""
    staff.require(SELL)
    shift_id = require_open_shift(connection, staff)
    if not cart.lines:
        raise ValidationFailed("The cart is empty.", field="lines")
    tenders, _, _ = _settled_tenders(connection, staff, cart, now)
    request = _request(connection, staff, cart, tenders)
    sale = record_sale(connection, Caller(staff.merchant_id, staff.actor), request, now)
    sale_id = int(sale["id"])
    already = connection.execute(select(register_events.c.id).where(
        register_events.c.sale_id == sale_id, register_events.c.refund_id.is_(None))).first()
    if already is not None:
        return sale
    connection.execute(register_events.insert(), {"merchant_id": staff.merchant_id, "shift_id": shift_id,
                                                  "sale_id": sale_id, "created_at": now})
    outlet_id = _outlet_of_sale(connection, staff, sale_id)
    tracked = tracked_product_ids(connection, staff.merchant_id, [int(line["product_id"]) for line in sale["lines"]])
    for line in sale["lines"]:
        if int(line["product_id"]) in tracked:
            move_stock(connection, staff.merchant_id, outlet_id, int(line["product_id"]), -line["quantity"],
                       STOCK_SALE, staff.actor, now, sale_id=sale_id)
    return sale


def _outlet_of_sale(connection: Connection, staff: StaffMember, sale_id: int) -> int:
    outlet_id = connection.execute(select(sales.c.outlet_id).where(sales.c.id == sale_id)).scalar()
    return outlet_id if outlet_id is not None else outlet_for(connection, staff)


@dataclass
class RegisterRefund:
    sale_id: int
    lines: list[tuple[str, int]] = field(default_factory=list)  # (line id, quantity)
    reason: str = ""
    void: bool = False
    approver_username: str = ""
    approver_password: str = ""


def refund_at_register(connection: Connection, staff: StaffMember, request: RegisterRefund,
                       now: datetime) -> dict[str, Any]:
    """Refund lines (or void the sale) with the loyalty reversal, and put the stock back.

    A cashier refunds up to a limit alone; beyond it, and for a void, a manager approves with their password."""
    staff.require(REFUND)
    shift_id = require_open_shift(connection, staff)
    if not request.reason.strip():
        raise ValidationFailed("A refund needs a reason.", field="reason")
    if not request.void and not request.lines:
        raise ValidationFailed("Choose at least one item to refund.", field="lines")
    preview = preview_refund(connection, staff.merchant_id, request.sale_id, request.lines, now)
    approver = None
    needs = (request.void and not staff.may(VOID)) or refund_needs_approval(staff, preview["money_refunded_total"])
    if needs:
        approver = approve(connection, staff.merchant_id, request.approver_username, request.approver_password,
                           VOID if request.void else REFUND_ANY, now)
    actor = staff.actor if approver is None else f"{staff.actor} approved_by:staff:{approver.id}"
    document = refund_sale(connection, Caller(staff.merchant_id, actor), RefundRequest(
        sale_id=request.sale_id, lines=[] if request.void else request.lines, reason=request.reason,
        void=request.void), now)
    refund_id = int(document["id"])
    connection.execute(register_events.insert(), {
        "merchant_id": staff.merchant_id, "shift_id": shift_id, "sale_id": request.sale_id, "refund_id": refund_id,
        "approved_by": approver.id if approver else None, "created_at": now})
    _restock(connection, staff, request.sale_id, refund_id, document["lines"], now)
    return document


def _restock(connection: Connection, staff: StaffMember, sale_id: int, refund_id: int,
             refunded: list[dict[str, Any]], now: datetime) -> None:
    quantities = {int(item["line_id"]): item["quantity"] for item in refunded}
    rows = connection.execute(select(sale_lines.c.id, sale_lines.c.product_id).where(
        sale_lines.c.sale_id == sale_id, sale_lines.c.id.in_(list(quantities)))).all()
    product_of = {row.id: int(row.product_id) for row in rows if row.product_id and row.product_id.isdigit()}
    tracked = tracked_product_ids(connection, staff.merchant_id, list(product_of.values()))
    outlet_id = _outlet_of_sale(connection, staff, sale_id)
    for line_id, product_id in product_of.items():
        if product_id in tracked:
            move_stock(connection, staff.merchant_id, outlet_id, product_id, quantities[line_id], STOCK_REFUND,
                       staff.actor, now, sale_id=sale_id, refund_id=refund_id)


def points_payment_limit(connection: Connection, staff: StaffMember, cart: Cart, now: datetime) -> int:
    """The most points this cart can take as payment: within the member's spendable points (after the
    chosen rewards) and the program's share of the bill; 0 if points don't pay or fall below the minimum."""
    if cart.member_id is None or not cart.lines:
        return 0
    program, _ = load_program_for_sale(connection, staff.merchant_id)
    payment = program.points_payment
    if not payment.enabled:
        return 0
    without_points = Cart(**{**cart.__dict__, "points": 0, "tenders": {}})
    quote = quote_sale(connection, Caller(staff.merchant_id, staff.actor),
                       _request(connection, staff, without_points, []), now)
    spendable = (quote["points"]["balance_after"] or 0) - quote["points"]["earned"]
    by_share = quote["totals"]["total_due"] * payment.maximum_share_percent // 100 // payment.rupiah_per_point
    points = max(min(spendable, by_share), 0)
    return points if points >= payment.minimum_points else 0
