"""Refunds and voids, by line and quantity or whole, with cumulative pro-rata loyalty reversal."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from setia.adapters.db.ledger_store import LedgerStore
from setia.adapters.db.tables import refunds, sale_lines, sales
from setia.domain.errors import NotFound, RefundInvalid, ValidationFailed
from setia.domain.ledger import refund_target
from setia.services.context import Caller, business_date
from setia.services import tiers
from setia.services.member_ledger import MemberLedger, Movement
from setia.services.merchants import merchant_timezone
from setia.services.programs import load_program
from setia.services import sale_vouchers
from setia.services.sale_effects import apply_refund_effects
from setia.queries.sales import refund_document


@dataclass
class RefundRequest:
    sale_id: int
    lines: list[tuple[str, int]] = field(default_factory=list)  # (line id, quantity); empty: everything left
    reason: str | None = None
    void: bool = False


def _locked_sale(connection: Connection, merchant_id: int, sale_id: int):  # type: ignore[no-untyped-def]
    query = select(sales).where(sales.c.id == sale_id, sales.c.merchant_id == merchant_id)
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    return connection.execute(query).mappings().first()


def _refunded_quantities(lines: list[dict[str, Any]], request: RefundRequest) -> dict[int, int]:
    """Quantity refunded now per line id, checked against what is left to refund."""
    by_id = {str(line["id"]): line for line in lines}
    if not request.lines:
        wanted = {line["id"]: line["quantity"] - line["refunded_quantity"] for line in lines}
        if not any(wanted.values()):
            raise RefundInvalid("This sale has been refunded in full already.")
        return wanted
    wanted: dict[int, int] = {}
    for index, (line_id, quantity) in enumerate(request.lines):
        line = by_id.get(str(line_id))
        if line is None:
            raise ValidationFailed(f"Line {line_id} is not on this sale.", field=f"lines[{index}].line_id")
        left = line["quantity"] - line["refunded_quantity"] - wanted.get(line["id"], 0)
        if quantity <= 0 or quantity > left:
            raise RefundInvalid(f"Line {line_id} has {left} left to refund; asked for {quantity}.",
                                field=f"lines[{index}].quantity", line_id=str(line_id), quantity_left=left)
        wanted[line["id"]] = wanted.get(line["id"], 0) + quantity
    return wanted


def refund_sale(connection: Connection, caller: Caller, request: RefundRequest, now: datetime) -> dict[str, Any]:
    """Refund part or all of a sale. The loyalty effects move to cumulative targets: refunding every part
    equals a full refund, to the point. Spent points are returned first, then earned points taken back."""
    merchant_id = caller.merchant_id
    peek = connection.execute(select(sales.c.member_id).where(sales.c.id == request.sale_id,
                                                              sales.c.merchant_id == merchant_id)).first()
    if peek is None:
        raise NotFound("Sale not found.", sale_id=str(request.sale_id))
    today = business_date(now, merchant_timezone(connection, merchant_id))
    store = LedgerStore(connection, merchant_id, now)
    # Lock order: the member, then the sale (as a sale does), so refunds and sales never deadlock.
    member_ledger = MemberLedger.open(store, peek.member_id, today, caller.actor) if peek.member_id else None
    sale = _locked_sale(connection, merchant_id, request.sale_id)
    if request.void and sale["refunded_value"]:
        raise RefundInvalid("A sale that was partly refunded can't be voided; refund the rest.")
    lines = [dict(row) for row in connection.execute(
        select(sale_lines).where(sale_lines.c.sale_id == sale["id"]).order_by(sale_lines.c.position)).mappings()]
    refunding = _refunded_quantities(lines, request)
    for line in lines:
        line["refunded_quantity"] += refunding.get(line["id"], 0)
    refunded_value = sum(line["net_amount"] * line["refunded_quantity"] // line["quantity"] for line in lines)
    fully = all(line["refunded_quantity"] == line["quantity"] for line in lines)
    money_paid = sale["total_due"] - sale["points_tender_value"]
    targets = {
        "money": refund_target(money_paid, refunded_value, sale["total_due"], fully),
        "spent": refund_target(sale["points_spent"], refunded_value, sale["total_due"], fully),
        "earned": refund_target(sale["points_earned"], refunded_value, sale["total_due"], fully),
    }
    to_return = targets["spent"] - sale["points_returned"]
    to_take = targets["earned"] - (sale["points_taken_back"] + sale["points_forgiven"] + sale["points_let_go"])
    refund_row = {
        "merchant_id": merchant_id, "sale_id": sale["id"],
        "lines": [{"line_id": str(line_id), "quantity": quantity} for line_id, quantity in refunding.items()],
        "value": refunded_value - sale["refunded_value"], "money_refunded": targets["money"] - sale["money_refunded"],
        "points_returned": to_return, "points_taken_back": 0, "points_forgiven": 0, "points_let_go": 0,
        "reason": (request.reason or "").strip() or None, "actor": caller.actor, "created_at": now,
    }
    refund_id = connection.execute(refunds.insert().returning(refunds.c.id), refund_row).scalar_one()
    refund_row["id"] = refund_id
    effects: dict[str, Any] = {}
    if member_ledger is not None:
        program = load_program(connection, merchant_id)
        movement = Movement(actor=caller.actor, occurred_at=now, sale_id=sale["id"], refund_id=refund_id,
                            note=refund_row["reason"], program_version=program.version)
        member_ledger.return_spent(movement, sale["id"], sale["points_returned"], to_return)
        forgivable = _expired_points_of_sale(store, sale["id"]) - sale["points_forgiven"]
        taken, forgiven, let_go = member_ledger.take_back(movement, sale["id"], to_take, forgivable,
                                                          clamp_at_zero=program.debt_policy == "clamp")
        refund_row.update(points_taken_back=taken, points_forgiven=forgiven, points_let_go=let_go)
        connection.execute(update(refunds).where(refunds.c.id == refund_id)
                           .values(points_taken_back=taken, points_forgiven=forgiven, points_let_go=let_go))
        effects = apply_refund_effects(connection, caller, sale, lines, refund_id, fully, money_paid - targets["money"],
                                       member_ledger, program, now)
    status = ("voided" if request.void else "refunded") if fully else "partially_refunded"
    if fully:  # the whole sale undone: its voucher uses and reward limits are given back
        sale_vouchers.release(connection, merchant_id, sale["id"], now)
    connection.execute(
        update(sales).where(sales.c.id == sale["id"]).values(
            refunded_value=refunded_value, money_refunded=targets["money"], points_returned=targets["spent"],
            points_taken_back=sale["points_taken_back"] + refund_row["points_taken_back"],
            points_forgiven=sale["points_forgiven"] + refund_row["points_forgiven"],
            points_let_go=sale["points_let_go"] + refund_row["points_let_go"], status=status)
    )
    connection.execute(
        update(sale_lines).where(sale_lines.c.id == bindparam("line_id")).values(refunded_quantity=bindparam("qty")),
        [{"line_id": line["id"], "qty": line["refunded_quantity"]} for line in lines if line["id"] in refunding],
    )
    document = refund_document(refund_row)
    document["sale_status"] = status
    document["balance_after"] = member_ledger.balance if member_ledger else None
    document.update(effects)
    if member_ledger is not None:  # a refunded purchase buys no tier
        program = load_program(connection, merchant_id)
        document["tier"] = tiers.after_refund(connection, caller, program.tiers,
                                              merchant_timezone(connection, merchant_id), peek.member_id, now)
    return document


def _expired_points_of_sale(store: LedgerStore, sale_id: int) -> int:
    return sum(lot.expired_amount for lot in store.lots_of_sale(sale_id))
