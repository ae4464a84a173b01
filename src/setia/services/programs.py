"""Reading and changing a merchant's program and its rewards catalogue; every change is a new version."""

from __future__ import annotations

from collections import namedtuple
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, select, update

from setia.adapters.db.tables import merchants, program_versions, programs, rewards
from setia.domain.errors import NotFound, ValidationFailed
from setia.domain.program import Program, program_settings_from_dict
from setia.domain.rewards import Reward

DEFAULT_SETTINGS: dict[str, Any] = {
    "spend_rule": {"step_amount": 10000, "points_per_step": 1, "minimum_spend": 0},
    "expiry": {"kind": "never", "length": 0, "to_end_of_month": False},
    "points_payment": {"enabled": False, "rupiah_per_point": 0, "minimum_points": 0, "maximum_share_percent": 100},
    "excluded_skus": [],
    "excluded_categories": [],
    "debt_policy": "debt",
    "earn_rules": [],
    "tiers": {},
    "stamp_cards": [],
    "bonuses": {},
    "membership": {"mode": "free", "minimum_spend": 0},
}


def create_default_program(connection: Connection, merchant_id: int, now: datetime) -> int:
    program_id = connection.execute(
        programs.insert().returning(programs.c.id),
        {"merchant_id": merchant_id, "name": "Member", "version": 1, "settings": DEFAULT_SETTINGS,
         "created_at": now, "updated_at": now},
    ).scalar_one()
    connection.execute(program_versions.insert(), {"merchant_id": merchant_id, "program_id": program_id,
                                                   "version": 1, "settings": DEFAULT_SETTINGS, "actor": "system",
                                                   "created_at": now})
    return program_id


# Built once: building a Core statement costs more than executing it.
_PROGRAM = select(programs).where(programs.c.merchant_id == bindparam("merchant_id")).order_by(programs.c.id).limit(1)
_REWARDS = (select(rewards).where(rewards.c.program_id == bindparam("program_id"),
                                  rewards.c.merchant_id == bindparam("merchant_id")).order_by(rewards.c.id))
_REWARD_COLUMNS = ("id", "name", "kind", "points_cost", "discount_amount", "percent", "cap_amount", "product_sku",
                   "active", "available_from", "available_to", "tier_codes", "member_limit", "total_limit",
                   "limit_period", "voucher", "voucher_valid_days")  # stock is not here: it changes, see reward_catalogue
# merchant id -> (what the Program was built from, the Program). Programs are immutable; an entry is used only
# when the rows read in this transaction are equal to the ones it was built from, so it is never stale.
_loaded: dict[int, tuple[tuple[Any, ...], Program]] = {}
_LOADED_MAX = 4096


def _program_row(connection: Connection, merchant_id: int):  # type: ignore[no-untyped-def]
    row = connection.execute(_PROGRAM, {"merchant_id": merchant_id}).first()
    if row is None:
        raise NotFound("This merchant has no program.")
    return row


def reward_from_row(row: Any) -> Reward:
    return Reward(**{column: getattr(row, column) for column in _REWARD_COLUMNS if column != "id"}, id=str(row.id))


def load_program(connection: Connection, merchant_id: int) -> Program:
    """The merchant's program as the domain sees it, rewards included."""
    row = _program_row(connection, merchant_id)
    reward_rows = connection.execute(_REWARDS, {"program_id": row.id, "merchant_id": merchant_id}).all()
    return _cached_program(merchant_id, row, reward_rows)


def _build_program(row: Any, reward_rows: Any) -> Program:
    """The one place a Program is built from its row and its rewards' rows."""
    return Program(
        id=str(row.id), version=row.version, name=row.name,
        rewards=tuple(reward_from_row(r) for r in reward_rows),
        **program_settings_from_dict(row.settings),
    )


def _cached_program(merchant_id: int, row: Any, reward_rows: Any) -> Program:
    """The Program built from these rows; built again only when a row differs from the last ones seen."""
    source = (row.id, row.version, row.name, row.settings, tuple(tuple(r) for r in reward_rows))
    cached = _loaded.get(merchant_id)
    if cached is not None and cached[0] == source:
        return cached[1]
    program = _build_program(row, reward_rows)
    if len(_loaded) >= _LOADED_MAX:
        _loaded.clear()
    _loaded[merchant_id] = (source, program)
    return program


_first_program = programs.alias("first_program")
_RewardRow = namedtuple("_RewardRow", [column.key for column in rewards.c])  # type: ignore[misc]
_PROGRAM_FOR_SALE = (  # the merchant's (first) program, its time zone and every reward: one round trip
    select(*programs.c, merchants.c.timezone.label("merchant_timezone"),
           *(column.label(f"reward_{column.key}") for column in rewards.c))
    .select_from(programs.join(merchants, merchants.c.id == programs.c.merchant_id)
                 .outerjoin(rewards, and_(rewards.c.program_id == programs.c.id,
                                          rewards.c.merchant_id == programs.c.merchant_id)))
    .where(programs.c.id == select(func.min(_first_program.c.id))
           .where(_first_program.c.merchant_id == bindparam("merchant_id")).scalar_subquery())
    .order_by(rewards.c.id)
)


def load_program_for_sale(connection: Connection, merchant_id: int) -> tuple[Program, str]:
    """(the program exactly as `load_program` gives it, the merchant's time zone) in one query: the checkout's."""
    rows = connection.execute(_PROGRAM_FOR_SALE, {"merchant_id": merchant_id}).all()
    if not rows:
        from setia.services.merchants import merchant_timezone

        merchant_timezone(connection, merchant_id)  # raises for an unknown merchant
        raise NotFound("This merchant has no program.")
    first = len(programs.c) + 1  # the reward columns follow the program's and the time zone
    reward_rows = [_RewardRow(*row[first:]) for row in rows if row.reward_id is not None]
    return _cached_program(merchant_id, rows[0], reward_rows), rows[0].merchant_timezone


def program_settings(connection: Connection, merchant_id: int) -> tuple[int, dict[str, Any], int, str]:
    row = _program_row(connection, merchant_id)
    return row.id, row.settings, row.version, row.name


def update_program(connection: Connection, merchant_id: int, changes: dict[str, Any], actor: str,
                   now: datetime) -> int:
    """Merge `changes` into the settings, validate the whole, and store it as the next version."""
    row = _program_row(connection, merchant_id)
    settings = {**row.settings}
    for key, value in changes.items():
        if key not in DEFAULT_SETTINGS and key != "name":
            raise ValidationFailed(f"Unknown program setting '{key}'.", field=key)
        if isinstance(value, dict) and isinstance(settings.get(key), dict):
            settings[key] = {**settings[key], **value}
        elif key != "name":
            settings[key] = value
    try:
        program_settings_from_dict(settings)  # raises ValidationFailed naming the field
    except (TypeError, ValueError) as error:
        raise ValidationFailed(f"Invalid program settings: {error}.") from error
    name = changes.get("name") or row.name
    version = row.version + 1
    connection.execute(update(programs).where(programs.c.id == row.id)
                       .values(settings=settings, version=version, name=name, updated_at=now))
    connection.execute(program_versions.insert(), {"merchant_id": merchant_id, "program_id": row.id,
                                                   "version": version, "settings": settings, "actor": actor,
                                                   "created_at": now})
    return version


def create_reward(connection: Connection, merchant_id: int, data: dict[str, Any], now: datetime) -> Reward:
    from setia.services.reward_catalogue import add_reward  # the catalogue's terms: limits, dates, vouchers, stock

    return add_reward(connection, merchant_id, _program_row(connection, merchant_id).id, data, now)


def set_reward_active(connection: Connection, merchant_id: int, reward_id: int, active: bool) -> None:
    result = connection.execute(update(rewards).where(rewards.c.id == reward_id, rewards.c.merchant_id == merchant_id)
                                .values(active=active))
    if result.rowcount == 0:
        raise NotFound("Reward not found.", reward_id=str(reward_id))


def list_program_versions(connection: Connection, merchant_id: int) -> list[dict[str, Any]]:
    """The program's history: which settings were in force from when, and who changed them."""
    rows = connection.execute(
        select(program_versions).where(program_versions.c.merchant_id == merchant_id)
        .order_by(program_versions.c.version.desc())
    ).all()
    return [{"version": row.version, "settings": row.settings, "actor": row.actor,
             "created_at": row.created_at.isoformat()} for row in rows]
