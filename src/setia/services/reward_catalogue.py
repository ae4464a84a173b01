"""The rewards catalogue: adding and changing rewards with their terms, and redeeming the ones taken on their
own (a voucher for later, merchandise handed over). Limits, dates and tiers apply to every kind; the ones used
in a sale are checked by services/sale_vouchers.py.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from setia.adapters.db.ledger_store import LedgerStore
from setia.adapters.db.tables import members, reward_redemptions, reward_usage, rewards
from setia.domain import ledger
from setia.domain.catalogue import TOTAL, check_available, limit_reached, period_key, usage_counters
from setia.domain.errors import NotFound, RewardNotApplicable, RewardUnavailable, ValidationFailed
from setia.domain.rewards import REDEEMED_ALONE_KINDS, Reward
from setia.services.context import Caller, business_date
from setia.services.member_ledger import MemberLedger, Movement

# What the API and the CLI may set on a reward, besides active.
REWARD_FIELDS = ("name", "kind", "points_cost", "discount_amount", "percent", "cap_amount", "product_sku",
                 "available_from", "available_to", "tier_codes", "member_limit", "total_limit", "limit_period",
                 "voucher", "voucher_valid_days")


def _as_date(value: Any, field_name: str) -> date | None:
    if value is None or value == "" or isinstance(value, date):
        return value or None
    try:
        return date.fromisoformat(str(value))
    except ValueError as error:
        raise ValidationFailed("Dates are YYYY-MM-DD.", field=field_name) from error


def _optional_int(value: Any) -> int | None:
    """None for a value left out (None, or an empty form field), else the integer."""
    return None if value is None or value == "" else int(value)


def reward_from_data(data: dict[str, Any], reward_id: str = "new", active: bool = True) -> Reward:
    """A validated reward from plain data (API body, CLI options, a stored row merged with changes)."""
    try:
        return Reward(
            id=reward_id, name=str(data.get("name") or ""), kind=str(data.get("kind") or ""),
            points_cost=int(data.get("points_cost") or 0), discount_amount=int(data.get("discount_amount") or 0),
            percent=int(data.get("percent") or 0),
            cap_amount=_optional_int(data.get("cap_amount")),
            product_sku=data.get("product_sku") or None, active=active,
            available_from=_as_date(data.get("available_from"), "available_from"),
            available_to=_as_date(data.get("available_to"), "available_to"),
            tier_codes=tuple(data.get("tier_codes") or ()),
            member_limit=_optional_int(data.get("member_limit")), total_limit=_optional_int(data.get("total_limit")),
            limit_period=data.get("limit_period") or "lifetime", voucher=data.get("voucher") or None,
            voucher_valid_days=_optional_int(data.get("voucher_valid_days")),
        )
    except (TypeError, ValueError) as error:
        raise ValidationFailed(f"Invalid reward: {error}.") from error


def _stock(data: dict[str, Any]) -> int | None:
    try:
        stock = _optional_int(data.get("stock"))
    except (TypeError, ValueError) as error:
        raise ValidationFailed("Stock is a whole number.", field="stock") from error
    if stock is None:
        return None
    if stock < 0:
        raise ValidationFailed("Stock can't be negative.", field="stock")
    if data.get("kind") != "merchandise":
        raise ValidationFailed("Only merchandise keeps stock.", field="stock")
    return stock


def _row_values(reward: Reward) -> dict[str, Any]:
    values = {name: getattr(reward, name) for name in REWARD_FIELDS}
    values["tier_codes"] = list(reward.tier_codes) or None
    values["voucher"] = reward.voucher.as_dict() if reward.voucher else None
    return values


def add_reward(connection: Connection, merchant_id: int, program_id: int, data: dict[str, Any],
               now: datetime) -> Reward:
    """Add a reward to the program's catalogue; every error names its field."""
    reward = reward_from_data(data)
    stock = _stock(data)
    reward_id = connection.execute(
        rewards.insert().returning(rewards.c.id),
        {**_row_values(reward), "merchant_id": merchant_id, "program_id": program_id, "active": True,
         "stock": stock, "created_at": now},
    ).scalar_one()
    return Reward(**{**reward.__dict__, "id": str(reward_id)})


def update_reward(connection: Connection, merchant_id: int, reward_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    """Change a reward's terms, stock or active flag; the whole is validated again. Returns its document."""
    row = connection.execute(select(rewards).where(rewards.c.id == reward_id, rewards.c.merchant_id == merchant_id)
                             ).mappings().first()
    if row is None:
        raise NotFound("Reward not found.", reward_id=str(reward_id))
    merged = {**dict(row), **{k: v for k, v in changes.items() if k in REWARD_FIELDS}}
    active = changes["active"] if changes.get("active") is not None else row["active"]
    reward = reward_from_data(merged, str(reward_id), active)
    values = {**_row_values(reward), "active": active}
    if "stock" in changes:
        values["stock"] = _stock({**merged, "stock": changes["stock"]})
    connection.execute(update(rewards).where(rewards.c.id == reward_id).values(**values))
    return reward_document(reward, values.get("stock", row["stock"]))


def reward_document(reward: Reward, stock: int | None = None) -> dict[str, Any]:
    return {"id": reward.id, "name": reward.name, "kind": reward.kind, "points_cost": reward.points_cost,
            "discount_amount": reward.discount_amount, "percent": reward.percent, "cap_amount": reward.cap_amount,
            "product_sku": reward.product_sku, "active": reward.active,
            "available_from": reward.available_from.isoformat() if reward.available_from else None,
            "available_to": reward.available_to.isoformat() if reward.available_to else None,
            "tier_codes": list(reward.tier_codes), "member_limit": reward.member_limit,
            "total_limit": reward.total_limit, "limit_period": reward.limit_period,
            "voucher": reward.voucher.as_dict() if reward.voucher else None,
            "voucher_valid_days": reward.voucher_valid_days, "stock": stock}


# Built once: building a statement per sale costs more CPU than running it (see adapters/db/ledger_store.py).
_TIER_CODE_COLUMN = members.c.get("tier_code")
_MEMBER_TIER_CODE = (select(_TIER_CODE_COLUMN).where(members.c.id == bindparam("member_id"),
                                                     members.c.merchant_id == bindparam("merchant_id"))
                     if _TIER_CODE_COLUMN is not None else None)
_USAGE_UPSERTS: dict[tuple[str, bool], Any] = {}  # (dialect, limited) → statement


def member_tier_code(connection: Connection, merchant_id: int, member_id: int | None) -> str | None:
    """The member's tier code, when tiers are in the schema (members.tier_code); None otherwise."""
    if member_id is None or _MEMBER_TIER_CODE is None:
        return None
    return connection.execute(_MEMBER_TIER_CODE, {"member_id": member_id,
                                                  "merchant_id": merchant_id}).scalar_one_or_none()


def _upsert(connection: Connection):  # type: ignore[no-untyped-def]
    return (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(reward_usage)


def _usage_upsert(connection: Connection, limited: bool) -> Any:
    """Insert the counter at 1 or add 1 to it, only while below `usage_limit` when `limited`; built once."""
    key = (connection.dialect.name, limited)
    statement = _USAGE_UPSERTS.get(key)
    if statement is None:
        statement = _upsert(connection).values(
            **{column: bindparam(f"usage_{column}", type_=reward_usage.c[column].type)
               for column in ("merchant_id", "reward_id", "scope", "period")}, used=1)
        statement = statement.on_conflict_do_update(
            index_elements=[reward_usage.c.reward_id, reward_usage.c.scope, reward_usage.c.period],
            set_={"used": reward_usage.c.used + 1},
            where=(reward_usage.c.used < bindparam("usage_limit")) if limited else None,
        ).returning(reward_usage.c.used)
        _USAGE_UPSERTS[key] = statement
    return statement


def take_usage(connection: Connection, merchant_id: int, reward: Reward, member_id: int, day: date) -> str:
    """Count one redemption against the reward's limits; refuses when a limit is used up. Returns the period.

    Never check-then-act: `used = used + 1 WHERE used < limit` in one upsert, so two tills can't both take the
    last one (PostgreSQL re-checks the condition after waiting for the other's row lock).
    """
    for counter in usage_counters(reward, member_id, day):
        parameters = {"usage_merchant_id": merchant_id, "usage_reward_id": int(reward.id),
                      "usage_scope": counter.scope, "usage_period": counter.period}
        if counter.limit is not None:
            parameters["usage_limit"] = counter.limit
        if connection.execute(_usage_upsert(connection, counter.limit is not None), parameters).first() is None:
            raise limit_reached(reward, counter)
    return period_key(reward.limit_period, day)


def release_usage(connection: Connection, reward_id: int, member_id: int, period: str) -> None:
    """An undone redemption no longer counts against the limits."""
    for scope in (f"member:{member_id}", TOTAL):
        connection.execute(update(reward_usage).where(
            reward_usage.c.reward_id == reward_id, reward_usage.c.scope == scope, reward_usage.c.period == period,
            reward_usage.c.used > 0).values(used=reward_usage.c.used - 1))


def rewards_open_to(connection: Connection, merchant_id: int, member_id: int, candidates: list[Reward],
                    balance: int, today: date) -> list[Reward]:
    """The candidates this member may redeem now: points enough, and within the reward's dates, tiers, limits
    and stock, checked as a redemption checks them (without taking anything)."""
    affordable = [reward for reward in candidates if reward.active and reward.points_cost <= balance]
    if not affordable:
        return []
    tier_code = member_tier_code(connection, merchant_id, member_id)
    ids = [int(reward.id) for reward in affordable if str(reward.id).isdigit()]
    used = {(row.reward_id, row.scope, row.period): row.used for row in connection.execute(
        select(reward_usage.c.reward_id, reward_usage.c.scope, reward_usage.c.period, reward_usage.c.used)
        .where(reward_usage.c.reward_id.in_(ids)))} if ids else {}
    stock = dict(connection.execute(select(rewards.c.id, rewards.c.stock).where(rewards.c.id.in_(ids))).all()) \
        if ids else {}
    open_to = []
    for reward in affordable:
        try:
            check_available(reward, today, tier_code)
        except RewardUnavailable:
            continue
        reward_id = int(reward.id) if str(reward.id).isdigit() else None
        if any(counter.limit is not None and used.get((reward_id, counter.scope, counter.period), 0) >= counter.limit
               for counter in usage_counters(reward, member_id, today)):
            continue
        if stock.get(reward_id) is not None and stock[reward_id] <= 0:
            continue
        open_to.append(reward)
    return open_to


def _take_stock(connection: Connection, reward: Reward) -> int | None:
    """One item out of stock, atomically; refused when none is left. None: no stock kept."""
    row = connection.execute(
        update(rewards).where(rewards.c.id == int(reward.id), (rewards.c.stock.is_(None)) | (rewards.c.stock > 0))
        .values(stock=rewards.c.stock - 1).returning(rewards.c.stock)
    ).first()
    if row is None:
        raise RewardUnavailable(f"Reward '{reward.name}' is out of stock.", reason="out_of_stock",
                                reward_id=reward.id)
    return row.stock


def redeem_reward(connection: Connection, caller: Caller, member_id: int, reward_id: str,
                  now: datetime) -> dict[str, Any]:
    """A member spends points on a voucher (a code to use later) or merchandise (an item handed over now)."""
    from setia.services.programs import load_program_for_sale
    from setia.services.vouchers import IssueTerms, issue_vouchers, voucher_document

    program, timezone_name = load_program_for_sale(connection, caller.merchant_id)
    today = business_date(now, timezone_name)
    member_ledger = MemberLedger.open(LedgerStore(connection, caller.merchant_id, now), member_id, today,
                                      caller.actor)
    reward = program.reward(reward_id)
    if reward.kind not in REDEEMED_ALONE_KINDS:
        raise RewardNotApplicable(f"Reward '{reward.name}' is taken off a sale: name it in the sale's reward_ids.",
                                  reward_id=reward.id)
    check_available(reward, today, member_tier_code(connection, caller.merchant_id, member_id))
    period = take_usage(connection, caller.merchant_id, reward, member_id, today)
    stock_left = _take_stock(connection, reward)
    movement = Movement(actor=caller.actor, occurred_at=now, note=reward.name, program_version=program.version)
    transfer_id = member_ledger.debit(movement, reward.points_cost, ledger.REDEMPTION, ledger.REDEEM_REWARD)
    redemption = {"merchant_id": caller.merchant_id, "reward_id": int(reward.id), "member_id": member_id,
                  "transfer_id": transfer_id, "kind": reward.kind, "name": reward.name,
                  "points_cost": reward.points_cost, "usage_period": period, "status": "redeemed",
                  "actor": caller.actor, "created_at": now}
    redemption_id = connection.execute(reward_redemptions.insert().returning(reward_redemptions.c.id),
                                       redemption).scalar_one()
    voucher = None
    if reward.kind == "voucher":
        assert reward.voucher is not None  # validated with the reward
        expires_on = today + timedelta(days=reward.voucher_valid_days) if reward.voucher_valid_days else None
        rows = issue_vouchers(connection, caller, IssueTerms(terms=reward.voucher, expires_on=expires_on), 1, now,
                              member_id=member_id, reward_id=int(reward.id), redemption_id=redemption_id,
                              points_cost=reward.points_cost)
        voucher = voucher_document(rows[0])
    return {"redemption": {"id": str(redemption_id), "reward_id": reward.id, "member_id": str(member_id),
                           "kind": reward.kind, "name": reward.name, "points_cost": reward.points_cost,
                           "status": "redeemed", "created_at": now.isoformat()},
            "voucher": voucher, "stock_left": stock_left, "balance_after": member_ledger.balance}

