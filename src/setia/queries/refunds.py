"""What a refund would do, before anyone confirms it: money back and the loyalty reversal; writes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from setia.adapters.db.ledger_store import LedgerStore
from setia.adapters.db.tables import sale_lines, sales
from setia.domain.errors import NotFound
from setia.domain.ledger import refund_target
from setia.services.refunds import RefundRequest, _refunded_quantities


def preview_refund(connection: Connection, merchant_id: int, sale_id: int, lines: list[tuple[str, int]],
                   now: datetime) -> dict[str, Any]:
    """The same arithmetic refund_sale does (cumulative targets), read-only. Empty `lines`: the rest."""
    sale = connection.execute(select(sales).where(sales.c.id == sale_id, sales.c.merchant_id == merchant_id)
                              ).mappings().first()
    if sale is None:
        raise NotFound("Sale not found.", sale_id=str(sale_id))
    rows = [dict(row) for row in connection.execute(
        select(sale_lines).where(sale_lines.c.sale_id == sale_id).order_by(sale_lines.c.position)).mappings()]
    refunding = _refunded_quantities(rows, RefundRequest(sale_id=sale_id, lines=lines))
    for row in rows:
        row["refunded_quantity"] += refunding.get(row["id"], 0)
    refunded_value = sum(row["net_amount"] * row["refunded_quantity"] // row["quantity"] for row in rows)
    fully = all(row["refunded_quantity"] == row["quantity"] for row in rows)
    money_paid = sale["total_due"] - sale["points_tender_value"]
    money = refund_target(money_paid, refunded_value, sale["total_due"], fully)
    spent = refund_target(sale["points_spent"], refunded_value, sale["total_due"], fully)
    earned = refund_target(sale["points_earned"], refunded_value, sale["total_due"], fully)
    to_take = earned - sale["points_taken_back"]
    expired = sum(lot.expired_amount for lot in LedgerStore(connection, merchant_id, now).lots_of_sale(sale_id))
    forgiven = min(max(expired - sale["points_forgiven"], 0), to_take) if sale["member_id"] else 0
    return {
        "sale_id": str(sale_id),
        "value": refunded_value - sale["refunded_value"],
        "money_refunded": money - sale["money_refunded"],
        "money_refunded_total": money,
        "points_returned": spent - sale["points_returned"] if sale["member_id"] else 0,
        "points_taken_back": to_take - forgiven if sale["member_id"] else 0,
        "points_not_taken_back_expired": forgiven,
        "fully_refunded": fully,
        "lines": [{"line_id": str(line_id), "quantity": quantity} for line_id, quantity in refunding.items()],
    }
