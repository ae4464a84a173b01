"""Safe retries: the same Idempotency-Key with the same body returns the first answer; a different body is
a 409; a refused request does not consume its key. The key is stored in the write's own transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError

from setia.adapters.db.engine import Database
from setia.adapters.db.idempotency_store import store_answer, stored_answer
from setia.domain.errors import ValidationFailed
from setia.services.context import utc_now


def run_idempotent(database: Database, merchant_id: int, key: str | None, fingerprint: str, status_code: int,
                   action: Callable[[Any], Any]) -> tuple[int, Any]:
    if key is not None and not 1 <= len(key) <= 200:
        raise ValidationFailed("Idempotency-Key is 1 to 200 characters.", field="Idempotency-Key")
    try:
        with database.write() as connection:
            if key is not None:
                stored = stored_answer(connection, merchant_id, key, fingerprint)
                if stored is not None:
                    return stored
            payload = action(connection)
            if key is not None:
                store_answer(connection, merchant_id, key, fingerprint, status_code, payload, utc_now())
            return status_code, payload
    except IntegrityError:
        if key is None:
            raise
        # A concurrent request with the same key committed first (PostgreSQL): answer as it did.
        with database.read() as connection:
            stored = stored_answer(connection, merchant_id, key, fingerprint)
        if stored is None:
            raise
        return stored
