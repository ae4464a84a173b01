"""Sales as the API and screens show them: one document shape for recorded, quoted and fetched sales."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select

from setia.adapters.db.ledger_store import LedgerStore
from setia.adapters.db.tables import members, merchants, refunds, sale_lines, sale_rewards, sale_tenders, sales
from setia.adapters.db.tables import voucher_uses
from setia.domain.clock import business_date
from setia.domain.errors import NotFound


def upcoming_expiries(lots: Iterable[Any], today: date, limit: int = 3) -> list[dict[str, Any]]:
    """The next expiry days with the points that lapse on each."""
    by_day: dict[date, int] = defaultdict(int)
    for lot in lots:
        if lot.remaining and lot.expires_on is not None and lot.expires_on >= today:
            by_day[lot.expires_on] += lot.remaining
    return [{"expires_on": day.isoformat(), "points": points} for day, points in sorted(by_day.items())[:limit]]


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (datetime, date)) else value


def sale_document(sale: dict[str, Any], lines: list[dict[str, Any]], rewards: list[dict[str, Any]],
                  tenders: list[dict[str, Any]], balance_after: int | None,
                  expiring: list[dict[str, Any]], refund_list: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "id": str(sale["id"]) if sale.get("id") is not None else None,
        "external_id": sale["external_id"],
        "status": sale["status"],
        "occurred_at": _iso(sale["occurred_at"]),
        "outlet_id": str(sale["outlet_id"]) if sale["outlet_id"] is not None else None,
        "member_id": str(sale["member_id"]) if sale["member_id"] is not None else None,
        "lines": [
            {"id": str(line["id"]) if line.get("id") is not None else None, "position": line["position"],
             "product_id": line["product_id"], "sku": line["sku"], "name": line["name"],
             "category": line["category"], "quantity": line["quantity"], "unit_price": line["unit_price"],
             "line_discount": line["line_discount"], "reward_discount": line["reward_discount"],
             "order_level_share": line["order_level_share"], "net_amount": line["net_amount"],
             "earn_base": line["earn_base"], "refunded_quantity": line["refunded_quantity"]}
            for line in lines
        ],
        "totals": {
            "subtotal": sale["subtotal"], "order_discount": sale["order_discount"],
            "tier_discount": sale["tier_discount"], "reward_discount": sale["reward_discount"],
            "voucher_discount": sum(v["discount_amount"] for v in sale.get("vouchers") or []),
            "total_due": sale["total_due"], "amount_tendered": sale["amount_tendered"],
            "change_due": sale["change_due"], "points_tender_value": sale["points_tender_value"],
        },
        "tier": sale.get("tier"),  # after a recorded sale: the member's tier and whether this sale upgraded it
        "vouchers": sale.get("vouchers") or [],  # codes applied after the rewards: [{code, discount_amount}]
        "rewards": [{"reward_id": str(r["reward_id"]), "name": r["name"], "points_cost": r["points_cost"],
                     "discount_amount": r["discount_amount"]} for r in rewards],
        "tenders": [{"kind": t["kind"], "amount": t["amount"], "points": t["points"], "reference": t["reference"]}
                    for t in tenders],
        "points": {
            "earned": sale["points_earned"],
            "earn_base": sale["earn_base"],
            "rules": sale["earn_breakdown"],
            "spent": sale["points_spent"],
            "balance_after": balance_after,
            "expiring": expiring,
            "program_version": sale["program_version"],
        },
        "refunds": {
            "refunded_value": sale["refunded_value"], "money_refunded": sale["money_refunded"],
            "points_returned": sale["points_returned"], "points_taken_back": sale["points_taken_back"],
            "points_not_taken_back_expired": sale["points_forgiven"], "points_let_go": sale["points_let_go"],
            "list": refund_list or [],
        },
    }


def get_sale(connection: Connection, merchant_id: int, sale_id: int, now: datetime) -> dict[str, Any]:
    sale = connection.execute(
        select(sales).where(sales.c.id == sale_id, sales.c.merchant_id == merchant_id)
    ).mappings().first()
    if sale is None:
        raise NotFound("Sale not found.", sale_id=str(sale_id))
    lines = connection.execute(select(sale_lines).where(sale_lines.c.sale_id == sale_id)
                               .order_by(sale_lines.c.position)).mappings().all()
    rewards = connection.execute(select(sale_rewards).where(sale_rewards.c.sale_id == sale_id)
                                 .order_by(sale_rewards.c.id)).mappings().all()
    tenders = connection.execute(select(sale_tenders).where(sale_tenders.c.sale_id == sale_id)
                                 .order_by(sale_tenders.c.id)).mappings().all()
    refund_rows = connection.execute(select(refunds).where(refunds.c.sale_id == sale_id)
                                     .order_by(refunds.c.id)).mappings().all()
    balance, expiring = None, []
    if sale["member_id"] is not None:
        timezone_name = connection.execute(select(merchants.c.timezone).where(merchants.c.id == merchant_id)).scalar_one()
        today = business_date(now, timezone_name)
        balance = connection.execute(select(members.c.points_balance)
                                     .where(members.c.id == sale["member_id"])).scalar_one()
        expiring = upcoming_expiries(LedgerStore(connection, merchant_id, now).open_lots(sale["member_id"]), today)
    sale = {**sale, "vouchers": [dict(row) for row in connection.execute(
        select(voucher_uses.c.code, voucher_uses.c.discount_amount).where(voucher_uses.c.sale_id == sale_id)
        .order_by(voucher_uses.c.id)).mappings()]}
    return sale_document(dict(sale), [dict(x) for x in lines], [dict(x) for x in rewards],
                         [dict(x) for x in tenders], balance_after=balance, expiring=expiring,
                         refund_list=[refund_document(dict(r)) for r in refund_rows])


def refund_document(refund: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(refund["id"]), "sale_id": str(refund["sale_id"]), "lines": refund["lines"],
        "value": refund["value"], "money_refunded": refund["money_refunded"],
        "points_returned": refund["points_returned"], "points_taken_back": refund["points_taken_back"],
        "points_not_taken_back_expired": refund["points_forgiven"], "points_let_go": refund["points_let_go"],
        "reason": refund["reason"], "created_at": _iso(refund["created_at"]),
    }


def list_sales(connection: Connection, merchant_id: int, member_id: int | None = None, before_id: int | None = None,
               limit: int = 50) -> tuple[list[dict[str, Any]], int | None]:
    """Recent sales, newest first, optionally of one member: the summary a list screen shows."""
    query = select(sales.c.id, sales.c.external_id, sales.c.occurred_at, sales.c.member_id, sales.c.outlet_id,
                   sales.c.total_due, sales.c.points_earned, sales.c.points_spent, sales.c.status,
                   sales.c.refunded_value).where(sales.c.merchant_id == merchant_id)
    if member_id is not None:
        query = query.where(sales.c.member_id == member_id)
    if before_id is not None:
        query = query.where(sales.c.id < before_id)
    rows = connection.execute(query.order_by(sales.c.id.desc()).limit(limit + 1)).all()
    page = [
        {"id": str(row.id), "external_id": row.external_id, "occurred_at": _iso(row.occurred_at),
         "member_id": str(row.member_id) if row.member_id else None,
         "outlet_id": str(row.outlet_id) if row.outlet_id else None, "total_due": row.total_due,
         "points_earned": row.points_earned, "points_spent": row.points_spent, "status": row.status,
         "refunded_value": row.refunded_value}
        for row in rows[:limit]
    ]
    return page, (rows[limit - 1].id if len(rows) > limit else None)
