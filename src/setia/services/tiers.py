"""Tier changes: upgrade at the crossing sale, re-evaluation at a refund, reviews, manual floors."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, bindparam, case, func, select, update

from setia.adapters.db.engine import Database
from setia.adapters.db.tables import members, merchants, sales, tier_history, transfers
from setia.domain import ledger
from setia.domain.clock import business_date
from setia.domain.errors import NotFound, ValidationFailed
from setia.domain.tiers import Tier, TierPolicy
from setia.services.context import Caller
from setia.services.programs import load_program

BATCH_MEMBERS = 1000


def _start_instant(day: date | None, timezone_name: str) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(timezone_name))


def _qualifying_statement(basis: str, has_start: bool, end_inclusive: bool) -> Any:
    """The window's sum, built once per shape: building a Core statement costs more than running it."""
    key = (basis, has_start, end_inclusive)
    if key not in _QUALIFYING:
        if basis == "spend":
            column = sales.c.occurred_at
            query = select(func.coalesce(func.sum(
                sales.c.total_due - sales.c.points_tender_value - sales.c.money_refunded), 0)
            ).where(sales.c.member_id == bindparam("member_id"))
        else:
            column = transfers.c.occurred_at
            signed = func.sum(case((transfers.c.reason == ledger.REFUND_TAKE_BACK, -transfers.c.amount),
                                   else_=transfers.c.amount))
            query = select(func.coalesce(signed, 0)).where(
                transfers.c.member_id == bindparam("member_id"),
                transfers.c.reason.in_((ledger.EARN, ledger.REFUND_TAKE_BACK)))
        if has_start:
            query = query.where(column >= bindparam("start", type_=column.type))
        end = bindparam("end", type_=column.type)
        _QUALIFYING[key] = query.where(column <= end if end_inclusive else column < end)
    return _QUALIFYING[key]


_QUALIFYING: dict[tuple[str, bool, bool], Any] = {}


def qualifying_amount(connection: Connection, member_id: int, policy: TierPolicy, start: datetime | None,
                      end: datetime, end_inclusive: bool = True) -> int:
    """Money paid (not points, net of refunds) or points earned (net of take-backs) in the window."""
    statement = _qualifying_statement(policy.basis, start is not None, end_inclusive)
    return int(connection.execute(statement, {"member_id": member_id, "start": start, "end": end}).scalar_one())


def _record_change(connection: Connection, merchant_id: int, member_id: int, old: str | None, new: Tier | None,
                   reason: str, qualifying: int, day: date, actor: str, now: datetime, policy: TierPolicy,
                   sale_id: int | None = None, keep_review: date | None = None) -> None:
    review_on = None
    if new is not None:
        review_on = keep_review if keep_review is not None else policy.review_date(day)
    connection.execute(
        update(members).where(members.c.id == member_id).values(
            tier_code=new.code if new else None, tier_since=day if new else None, tier_review_on=review_on,
            updated_at=now))
    connection.execute(tier_history.insert(), {
        "merchant_id": merchant_id, "member_id": member_id, "from_tier": old, "to_tier": new.code if new else None,
        "reason": reason, "qualifying": qualifying, "sale_id": sale_id, "changed_on": day, "actor": actor,
        "created_at": now})


def _member_tier_row(connection: Connection, merchant_id: int, member_id: int) -> Any:
    row = connection.execute(
        select(members.c.id, members.c.tier_code, members.c.tier_since, members.c.tier_review_on,
               members.c.tier_floor).where(members.c.id == member_id, members.c.merchant_id == merchant_id)
    ).first()
    if row is None:
        raise NotFound("Member not found.", member_id=str(member_id))
    return row


def after_sale(connection: Connection, caller: Caller, policy: TierPolicy, timezone_name: str, member_id: int,
               sale_id: int, occurred_at: datetime, now: datetime, member_row: Any = None) -> dict[str, Any] | None:
    """Upgrade at once when the sale crosses a threshold; the new benefits apply from the next sale.

    `member_row` (with tier_code and tier_floor), when the sale has it locked already, saves a read."""
    if not policy.enabled:
        return None
    row = member_row if member_row is not None else _member_tier_row(connection, caller.merchant_id, member_id)
    sale_day = business_date(occurred_at, timezone_name)
    start = _start_instant(policy.window_start(sale_day), timezone_name)
    qualifying = qualifying_amount(connection, member_id, policy, start, max(occurred_at, now))
    target = policy.at_least(policy.supported(qualifying), row.tier_floor)
    if policy.rank(target.code if target else None) <= policy.rank(row.tier_code):
        return {"tier": row.tier_code, "upgraded": False, "qualifying": qualifying}
    _record_change(connection, caller.merchant_id, member_id, row.tier_code, target, "sale", qualifying,
                   business_date(now, timezone_name), caller.actor, now, policy, sale_id=sale_id)
    return {"tier": target.code, "upgraded": True, "qualifying": qualifying}


def after_refund(connection: Connection, caller: Caller, policy: TierPolicy, timezone_name: str, member_id: int,
                 now: datetime) -> dict[str, Any] | None:
    """A refund that takes qualifying spend below the current tier's threshold re-evaluates at once."""
    if not policy.enabled:
        return None
    row = _member_tier_row(connection, caller.merchant_id, member_id)
    current = policy.tier(row.tier_code)
    if current is None:
        return None
    today = business_date(now, timezone_name)
    qualifying = qualifying_amount(connection, member_id, policy,
                                   _start_instant(policy.window_start(today), timezone_name), now)
    if qualifying >= current.threshold:
        return {"tier": current.code, "downgraded": False, "qualifying": qualifying}
    target = policy.at_least(policy.supported(qualifying), row.tier_floor)
    if policy.rank(target.code if target else None) >= policy.rank(current.code):
        return {"tier": current.code, "downgraded": False, "qualifying": qualifying}
    _record_change(connection, caller.merchant_id, member_id, current.code, target, "refund", qualifying, today,
                   caller.actor, now, policy, keep_review=row.tier_review_on)
    return {"tier": target.code if target else None, "downgraded": True, "qualifying": qualifying}


def set_tier_floor(connection: Connection, caller: Caller, member_id: int, tier_code: str | None,
                   now: datetime) -> None:
    """A manual tier: the member holds at least this tier until it is removed (None)."""
    program = load_program(connection, caller.merchant_id)
    policy = program.tiers
    if tier_code is not None and policy.tier(tier_code) is None:
        raise ValidationFailed(f"No tier '{tier_code}' in this program.", field="tier_code")
    row = _member_tier_row(connection, caller.merchant_id, member_id)
    connection.execute(update(members).where(members.c.id == member_id).values(tier_floor=tier_code,
                                                                              updated_at=now))
    if tier_code is not None and policy.rank(tier_code) > policy.rank(row.tier_code):
        timezone_name = connection.execute(select(merchants.c.timezone)
                                           .where(merchants.c.id == caller.merchant_id)).scalar_one()
        _record_change(connection, caller.merchant_id, member_id, row.tier_code, policy.tier(tier_code), "manual",
                       0, business_date(now, timezone_name), caller.actor, now, policy)


def review_member(connection: Connection, merchant_id: int, member_id: int, policy: TierPolicy,
                  timezone_name: str, as_of: date, actor: str, now: datetime) -> int:
    """Every review due by `as_of`, each on its own day R with the window [R − window, R); returns changes."""
    changes = 0
    row = _member_tier_row(connection, merchant_id, member_id)
    tier_code, review_on = row.tier_code, row.tier_review_on
    while review_on is not None and review_on <= as_of:
        end = _start_instant(review_on, timezone_name)
        start = _start_instant(policy.window_start(review_on), timezone_name)
        qualifying = qualifying_amount(connection, member_id, policy, start, end, end_inclusive=False)
        target = policy.at_least(policy.supported(qualifying), row.tier_floor)
        target_code = target.code if target else None
        next_review = policy.review_date(review_on) if target else None
        if target_code != tier_code:
            _record_change(connection, merchant_id, member_id, tier_code, target, "review", qualifying, review_on,
                           actor, now, policy, keep_review=next_review)
            changes += 1
        else:
            connection.execute(update(members).where(members.c.id == member_id)
                               .values(tier_review_on=next_review, updated_at=now))
        tier_code, review_on = target_code, next_review
    return changes


def review_tiers(database: Database, now: datetime, as_of: date | None = None, actor: str = "job:tiers",
                 merchant_id: int | None = None) -> dict[str, int]:
    """The tier review of every member (of one merchant, or all) whose review date has come (idempotent;
    catches up)."""
    totals = {"reviewed": 0, "changed": 0}
    query = select(merchants.c.id, merchants.c.timezone)
    if merchant_id is not None:
        query = query.where(merchants.c.id == merchant_id)
    with database.read() as connection:
        merchant_rows = connection.execute(query).all()
    for merchant_id, timezone_name in merchant_rows:  # noqa: B020 - one merchant at a time
        with database.read() as connection:
            policy = load_program(connection, merchant_id).tiers
            if not policy.enabled:
                continue
            day = as_of or business_date(now, timezone_name)
            due = list(connection.execute(
                select(members.c.id).where(members.c.merchant_id == merchant_id,
                                           and_(members.c.tier_review_on.is_not(None),
                                                members.c.tier_review_on <= day))
                .order_by(members.c.id)).scalars())
        for start in range(0, len(due), BATCH_MEMBERS):
            with database.write() as connection:
                for member_id in due[start:start + BATCH_MEMBERS]:
                    totals["changed"] += review_member(connection, merchant_id, member_id, policy, timezone_name,
                                                       day, actor, now)
                    totals["reviewed"] += 1
    return totals


def tier_document(connection: Connection, merchant_id: int, member_id: int, now: datetime) -> dict[str, Any]:
    """A member's tier, benefits, progress to the next tier, review date and history."""
    program = load_program(connection, merchant_id)
    policy = program.tiers
    row = _member_tier_row(connection, merchant_id, member_id)
    timezone_name = connection.execute(select(merchants.c.timezone).where(merchants.c.id == merchant_id)).scalar_one()
    today = business_date(now, timezone_name)
    qualifying = qualifying_amount(connection, member_id, policy,
                                   _start_instant(policy.window_start(today), timezone_name), now) \
        if policy.enabled else 0
    current = policy.tier(row.tier_code)
    upcoming = policy.next_tier(row.tier_code)
    by = None
    if upcoming is not None:
        if policy.window == "calendar_year":
            by = date(today.year, 12, 31)
        elif row.tier_review_on is not None:
            by = row.tier_review_on - timedelta(days=1)
    history = connection.execute(
        select(tier_history).where(tier_history.c.member_id == member_id, tier_history.c.merchant_id == merchant_id)
        .order_by(tier_history.c.id.desc()).limit(50)).all()
    return {
        "member_id": str(member_id),
        "basis": policy.basis,
        "tier": _tier_view(current),
        "since": row.tier_since.isoformat() if row.tier_since else None,
        "review_on": row.tier_review_on.isoformat() if row.tier_review_on else None,
        "floor": row.tier_floor,
        "qualifying": qualifying,
        "window_start": (policy.window_start(today).isoformat() if policy.window_start(today) else None),
        "next_tier": _tier_view(upcoming),
        "missing": max(0, upcoming.threshold - qualifying) if upcoming else None,
        "missing_by": by.isoformat() if by else None,
        "history": [
            {"from_tier": h.from_tier, "to_tier": h.to_tier, "reason": h.reason, "qualifying": h.qualifying,
             "sale_id": str(h.sale_id) if h.sale_id else None, "changed_on": h.changed_on.isoformat(),
             "actor": h.actor}
            for h in history
        ],
    }


def _tier_view(tier: Tier | None) -> dict[str, Any] | None:
    if tier is None:
        return None
    return {"code": tier.code, "name": tier.name, "threshold": tier.threshold,
            "discount_percent": tier.discount_percent, "earn_multiplier": str(tier.earn_multiplier)}
