"""The Idempotency-Key store: the first answer to a keyed write, kept with a hash of the request."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select

from setia.adapters.db.tables import idempotency_keys
from setia.domain.errors import IdempotencyKeyReused

_STORED = (  # built once: building a Core statement costs more than executing it
    select(idempotency_keys.c.request_hash, idempotency_keys.c.status_code, idempotency_keys.c.response)
    .where(idempotency_keys.c.merchant_id == bindparam("merchant_id"), idempotency_keys.c.key == bindparam("key"))
)
_INSERT = idempotency_keys.insert()


def stored_answer(connection: Connection, merchant_id: int, key: str, fingerprint: str) -> tuple[int, Any] | None:
    """(status, body) first given for this key; a different request with the same key is refused."""
    row = connection.execute(_STORED, {"merchant_id": merchant_id, "key": key}).first()
    if row is None:
        return None
    if row.request_hash != fingerprint:
        raise IdempotencyKeyReused("This Idempotency-Key was used with a different request.")
    return row.status_code, row.response


def store_answer(connection: Connection, merchant_id: int, key: str, fingerprint: str, status_code: int,
                 response: Any, now: datetime) -> None:
    connection.execute(_INSERT, {"merchant_id": merchant_id, "key": key, "request_hash": fingerprint,
                                 "status_code": status_code, "response": response, "created_at": now})
