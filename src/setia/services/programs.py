"""Reading and changing a merchant's program and its rewards catalogue; every change is a new version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from setia.adapters.db.tables import program_versions, programs, rewards
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


def _program_row(connection: Connection, merchant_id: int):  # type: ignore[no-untyped-def]
    row = connection.execute(
        select(programs).where(programs.c.merchant_id == merchant_id).order_by(programs.c.id).limit(1)
    ).first()
    if row is None:
        raise NotFound("This merchant has no program.")
    return row


def reward_from_row(row: Any) -> Reward:
    return Reward(
        id=str(row.id), name=row.name, kind=row.kind, points_cost=row.points_cost,
        discount_amount=row.discount_amount, percent=row.percent, cap_amount=row.cap_amount,
        product_sku=row.product_sku, active=row.active,
    )


def load_program(connection: Connection, merchant_id: int) -> Program:
    """The merchant's program as the domain sees it, rewards included."""
    row = _program_row(connection, merchant_id)
    reward_rows = connection.execute(
        select(rewards).where(rewards.c.program_id == row.id, rewards.c.merchant_id == merchant_id)
        .order_by(rewards.c.id)
    ).all()
    return Program(
        id=str(row.id), version=row.version, name=row.name,
        rewards=tuple(reward_from_row(r) for r in reward_rows),
        **program_settings_from_dict(row.settings),
    )


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
    row = _program_row(connection, merchant_id)
    reward = Reward(id="new", name=data.get("name", ""), kind=data.get("kind", ""),
                    points_cost=int(data.get("points_cost", 0)),
                    discount_amount=int(data.get("discount_amount") or 0), percent=int(data.get("percent") or 0),
                    cap_amount=data.get("cap_amount"), product_sku=data.get("product_sku"))
    reward_id = connection.execute(
        rewards.insert().returning(rewards.c.id),
        {"merchant_id": merchant_id, "program_id": row.id, "name": reward.name, "kind": reward.kind,
         "points_cost": reward.points_cost, "discount_amount": reward.discount_amount, "percent": reward.percent,
         "cap_amount": reward.cap_amount, "product_sku": reward.product_sku, "active": True, "created_at": now},
    ).scalar_one()
    return Reward(**{**reward.__dict__, "id": str(reward_id)})


def set_reward_active(connection: Connection, merchant_id: int, reward_id: int, active: bool) -> None:
    result = connection.execute(update(rewards).where(rewards.c.id == reward_id, rewards.c.merchant_id == merchant_id)
                                .values(active=active))
    if result.rowcount == 0:
        raise NotFound("Reward not found.", reward_id=str(reward_id))
