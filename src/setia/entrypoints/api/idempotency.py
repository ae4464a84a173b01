"""Safe retries: the same Idempotency-Key with the same body returns the first answer; a different body is
a 409; a refused request does not consume its key. The key is stored in the write's own transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.exc import IntegrityError

from setia.adapters.db.engine import Database
from setia.adapters.db.tables import idempotency_keys
from setia.domain.errors import IdempotencyKeyReused, ValidationFailed
from setia.services.context import utc_now

_STORED = (  # built once: building a Core statement costs more than executing it
    select(idempotency_keys.c.request_hash, idempotency_keys.c.status_code, idempotency_keys.c.response)
    .where(idempotency_keys.c.merchant_id == bindparam("merchant_id"), idempotency_keys.c.key == bindparam("key"))
)
_INSERT = idempotency_keys.insert()


def _stored(connection: Connection, merchant_id: int, key: str, fingerprint: str) -> tuple[int, Any] | None:
    row = connection.execute(_STORED, {"merchant_id": merchant_id, "key": key}).first()
    if row is None:
        return None
    if row.request_hash != fingerprint:
        raise IdempotencyKeyReused("This Idempotency-Key was used with a different request.")
    return row.status_code, row.response


def run_idempotent(database: Database, merchant_id: int, key: str | None, fingerprint: str, status_code: int,
                   action: Callable[[Connection], Any]) -> tuple[int, Any]:
    if key is not None and not 1 <= len(key) <= 200:
        raise ValidationFailed("Idempotency-Key is 1 to 200 characters.", field="Idempotency-Key")
    try:
        with database.write() as connection:
            if key is not None:
                stored = _stored(connection, merchant_id, key, fingerprint)
                if stored is not None:
                    return stored
            payload = action(connection)
            if key is not None:
                connection.execute(_INSERT, {
                    "merchant_id": merchant_id, "key": key, "request_hash": fingerprint,
                    "status_code": status_code, "response": payload, "created_at": utc_now()})
            return status_code, payload
    except IntegrityError:
        if key is None:
            raise
        # A concurrent request with the same key committed first (PostgreSQL): answer as it did.
        with database.read() as connection:
            stored = _stored(connection, merchant_id, key, fingerprint)
        if stored is None:
            raise
        return stored
