"""What earn rules need beyond the basket: local time, outlet, the member's tier, capped rules' usage."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, func, select

from setia.adapters.db.tables import earn_rule_usage, members
from setia.domain.expiry import end_of_month
from setia.domain.program import Program
from setia.domain.sale import EarnCircumstances, PricedSale

_TIER_CODE = select(members.c.tier_code).where(members.c.id == bindparam("member_id"))
# Built once: building a statement per sale costs more CPU than running it (see adapters/db/ledger_store.py).
_USAGE = (select(earn_rule_usage.c.rule_id, earn_rule_usage.c.earned_on, func.sum(earn_rule_usage.c.points))
          .where(earn_rule_usage.c.member_id == bindparam("member_id"),
                 earn_rule_usage.c.rule_id.in_(bindparam("rule_ids", expanding=True)),
                 earn_rule_usage.c.earned_on >= bindparam("month_start"),
                 earn_rule_usage.c.earned_on <= bindparam("month_end"))
          .group_by(earn_rule_usage.c.rule_id, earn_rule_usage.c.earned_on))
_INSERT_USAGE = earn_rule_usage.insert()


def member_tier_code(connection: Connection, member_id: int) -> str | None:
    return connection.execute(_TIER_CODE, {"member_id": member_id}).scalar_one_or_none()


def earn_circumstances(connection: Connection, program: Program, timezone_name: str, request: Any,
                       occurred_at: datetime, tier_code: str | None) -> EarnCircumstances:
    local_time = occurred_at.astimezone(ZoneInfo(timezone_name)).replace(tzinfo=None)
    tier = program.tiers.tier(tier_code)
    usage: dict[tuple[str, str], int] = {}
    capped = [rule for rule in program.earn_rules if rule.cap is not None and rule.active]
    if capped and request.member_id is not None:
        usage = _usage(connection, request.member_id, [rule.id for rule in capped], local_time.date())
    return EarnCircumstances(
        local_time=local_time,
        outlet_id=str(request.outlet_id) if request.outlet_id is not None else None,
        tier=tier.code if tier else None,
        tier_multiplier=tier.earn_multiplier if tier else EarnCircumstances().tier_multiplier,
        usage=usage,
    )


def _usage(connection: Connection, member_id: int, rule_ids: list[str], day: date) -> dict[tuple[str, str], int]:
    """Points each capped rule gave the member on `day` and in its month (what its cap counts against)."""
    month_start = day.replace(day=1)
    rows = connection.execute(_USAGE, {"member_id": member_id, "rule_ids": rule_ids, "month_start": month_start,
                                       "month_end": end_of_month(day)}).all()
    usage: dict[tuple[str, str], int] = {}
    for rule_id, earned_on, points in rows:
        usage[(rule_id, "month")] = usage.get((rule_id, "month"), 0) + int(points)
        if earned_on == day:
            usage[(rule_id, "day")] = int(points)
    return usage


def record_capped_usage(connection: Connection, merchant_id: int, member_id: int, sale_id: int, program: Program,
                        priced: PricedSale, earned_on: date) -> None:
    capped = {rule.id for rule in program.earn_rules if rule.cap is not None}
    rows = [{"merchant_id": merchant_id, "member_id": member_id, "sale_id": sale_id, "rule_id": c.rule_id,
             "points": c.points, "earned_on": earned_on}
            for c in priced.contributions if c.rule_id in capped]
    if rows:
        connection.execute(_INSERT_USAGE, rows)
