"""A shift's report: sales by tender, expected against counted cash, refunds, points issued and redeemed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from setia.adapters.db.tables import outlets, refunds, register_events, sale_tenders, sales, shifts, staff
from setia.domain.errors import NotFound


def shift_report(connection: Connection, merchant_id: int, shift_id: int, now: datetime) -> dict[str, Any]:
    row = connection.execute(
        select(shifts, staff.c.name.label("staff_name"), outlets.c.name.label("outlet_name"))
        .join(staff, staff.c.id == shifts.c.staff_id).join(outlets, outlets.c.id == shifts.c.outlet_id)
        .where(shifts.c.id == shift_id, shifts.c.merchant_id == merchant_id)).first()
    if row is None:
        raise NotFound("Shift not found.")
    sale_ids = select(register_events.c.sale_id).where(register_events.c.shift_id == shift_id,
                                                       register_events.c.refund_id.is_(None))
    refund_ids = select(register_events.c.refund_id).where(register_events.c.shift_id == shift_id,
                                                           register_events.c.refund_id.is_not(None))
    by_tender = {kind: amount for kind, amount in connection.execute(
        select(sale_tenders.c.kind, func.sum(sale_tenders.c.amount)).where(sale_tenders.c.sale_id.in_(sale_ids))
        .group_by(sale_tenders.c.kind)).all()}
    totals = connection.execute(select(
        func.count(), func.coalesce(func.sum(sales.c.total_due), 0), func.coalesce(func.sum(sales.c.change_due), 0),
        func.coalesce(func.sum(sales.c.points_earned), 0), func.coalesce(func.sum(sales.c.points_spent), 0),
    ).where(sales.c.id.in_(sale_ids))).one()
    refunded = connection.execute(select(
        func.count(), func.coalesce(func.sum(refunds.c.money_refunded), 0),
        func.coalesce(func.sum(refunds.c.points_returned), 0), func.coalesce(func.sum(refunds.c.points_taken_back), 0),
    ).where(refunds.c.id.in_(refund_ids))).one()
    cash_in = int(by_tender.get("cash", 0)) - int(totals[2])
    # Refunds are paid out in cash from the drawer.
    expected_cash = row.opening_cash + cash_in - int(refunded[1])
    return {
        "id": row.id, "staff_id": row.staff_id, "staff_name": row.staff_name, "outlet_name": row.outlet_name, "opened_at": row.opened_at,
        "closed_at": row.closed_at, "opening_cash": row.opening_cash,
        "sales_count": int(totals[0]), "sales_total": int(totals[1]),
        "tenders": {kind: int(amount) for kind, amount in sorted(by_tender.items())},
        "cash_sales": cash_in, "refund_count": int(refunded[0]), "refunds_total": int(refunded[1]),
        "expected_cash": row.expected_cash if row.closed_at else expected_cash,
        "counted_cash": row.counted_cash,
        "difference": (row.counted_cash - row.expected_cash) if row.closed_at else None,
        "points_issued": int(totals[3]) - int(refunded[3]),
        "points_redeemed": int(totals[4]) - int(refunded[2]),
        "note": row.note, "as_of": now,
    }


def recent_shifts(connection: Connection, merchant_id: int, limit: int = 30) -> list[dict[str, Any]]:
    rows = connection.execute(
        select(shifts.c.id, shifts.c.opened_at, shifts.c.closed_at, shifts.c.expected_cash, shifts.c.counted_cash,
               staff.c.name).join(staff, staff.c.id == shifts.c.staff_id)
        .where(shifts.c.merchant_id == merchant_id).order_by(shifts.c.id.desc()).limit(limit)).all()
    return [dict(row._mapping) for row in rows]
