"""Merchants, outlets and API keys (per merchant, stored hashed, shown once)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, bindparam, select

from setia.adapters.db.tables import api_keys, merchants, outlets
from setia.domain.errors import NotFound, Unauthorized, ValidationFailed
from setia.services import programs

KEY_PREFIX = "setia"


@dataclass(frozen=True)
class NewApiKey:
    id: int
    merchant_id: int
    key: str  # shown once; only its hash is stored


def create_merchant(connection: Connection, name: str, now: datetime, timezone_name: str = "Asia/Jakarta",
                    outlet_name: str | None = None) -> int:
    """A merchant with its first outlet and a default program (1 point per Rp10.000, no expiry)."""
    if not name.strip():
        raise ValidationFailed("A merchant needs a name.", field="name")
    try:
        ZoneInfo(timezone_name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationFailed(f"Unknown time zone '{timezone_name}'.", field="timezone") from error
    merchant_id = connection.execute(
        merchants.insert().returning(merchants.c.id),
        {"name": name.strip(), "timezone": timezone_name, "member_sequence": 0, "created_at": now},
    ).scalar_one()
    connection.execute(outlets.insert(), {"merchant_id": merchant_id, "name": outlet_name or name.strip(),
                                          "created_at": now})
    programs.create_default_program(connection, merchant_id, now)
    return merchant_id


_TIMEZONE = select(merchants.c.timezone).where(merchants.c.id == bindparam("merchant_id"))  # built once (hot path)
_OUTLET = select(outlets.c.id).where(outlets.c.id == bindparam("outlet_id"),
                                     outlets.c.merchant_id == bindparam("merchant_id"))


def merchant_timezone(connection: Connection, merchant_id: int) -> str:
    timezone_name = connection.execute(_TIMEZONE, {"merchant_id": merchant_id}).scalar_one_or_none()
    if timezone_name is None:
        raise NotFound("Merchant not found.")
    return timezone_name


def outlet_belongs(connection: Connection, merchant_id: int, outlet_id: int) -> bool:
    return connection.execute(_OUTLET, {"outlet_id": outlet_id, "merchant_id": merchant_id}).first() is not None


def _hash_secret(secret: str) -> str:
    # API keys are 256-bit random secrets: a fast hash is safe for them (unlike passwords).
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(connection: Connection, merchant_id: int, name: str, now: datetime) -> NewApiKey:
    if connection.execute(select(merchants.c.id).where(merchants.c.id == merchant_id)).first() is None:
        raise NotFound("Merchant not found.")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key_id = connection.execute(
        api_keys.insert().returning(api_keys.c.id),
        {"merchant_id": merchant_id, "name": name, "prefix": prefix, "secret_hash": _hash_secret(secret),
         "created_at": now},
    ).scalar_one()
    return NewApiKey(key_id, merchant_id, f"{KEY_PREFIX}_{prefix}_{secret}")


def authenticate_api_key(connection: Connection, key: str) -> tuple[int, int]:
    """(merchant id, key id) for a valid, unrevoked key; one answer for every kind of failure."""
    parts = (key or "").split("_", 2)
    failure = Unauthorized("Invalid API key.")
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        raise failure
    row = connection.execute(
        select(api_keys.c.id, api_keys.c.merchant_id, api_keys.c.secret_hash, api_keys.c.revoked_at)
        .where(api_keys.c.prefix == parts[1])
    ).first()
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.secret_hash, _hash_secret(parts[2])):
        raise failure
    return row.merchant_id, row.id


def create_outlet(connection: Connection, merchant_id: int, name: str, now: datetime) -> int:
    if not name.strip():
        raise ValidationFailed("An outlet needs a name.", field="name")
    return connection.execute(outlets.insert().returning(outlets.c.id),
                              {"merchant_id": merchant_id, "name": name.strip(), "created_at": now}).scalar_one()


def list_outlets(connection: Connection, merchant_id: int) -> list[dict[str, str]]:
    rows = connection.execute(select(outlets.c.id, outlets.c.name).where(outlets.c.merchant_id == merchant_id)
                              .order_by(outlets.c.id)).all()
    return [{"id": str(row.id), "name": row.name} for row in rows]
