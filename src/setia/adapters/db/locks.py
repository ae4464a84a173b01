"""Locks on things that have no row yet, for races a unique constraint would only report after the fact."""

from __future__ import annotations

from sqlalchemy import Connection, text

_LOCK_KEY = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


def lock_sale_external_id(connection: Connection, merchant_id: int, external_id: str) -> None:
    """Serialise the requests recording one external_id until this transaction ends.

    Two retries of a walk-in sale lock no member row, so without this both would pass the "already
    recorded?" check and the second would fail on the unique constraint instead of answering with the
    first sale. PostgreSQL only: SQLite serialises writers already. A hash collision only serialises two
    unrelated sales a little, never wrongly.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(_LOCK_KEY, {"key": f"sale:{merchant_id}:{external_id}"})
