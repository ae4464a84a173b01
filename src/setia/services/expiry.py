"""The expiry job: expire every lot past its last day. Idempotent, and it catches up on missed days."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from setia.adapters.db.engine import Database
from setia.adapters.db.ledger_store import LedgerStore
from setia.adapters.db.tables import lots, merchants
from setia.domain.clock import business_date
from setia.services.member_ledger import MemberLedger

BATCH_MEMBERS = 500


def members_with_lots_due(database: Database, merchant_id: int, as_of: date) -> list[int]:
    with database.read() as connection:
        return list(connection.execute(
            select(lots.c.member_id).distinct()
            .where(lots.c.merchant_id == merchant_id, lots.c.remaining > 0, lots.c.expires_on < as_of)
            .order_by(lots.c.member_id)
        ).scalars())


def expire_points(database: Database, now: datetime, as_of: date | None = None, actor: str = "job:expire",
                  progress=None, merchant_id: int | None = None) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Expire what is due for every merchant (or one) on `as_of` (default: each merchant's today)."""
    query = select(merchants.c.id, merchants.c.timezone)
    if merchant_id is not None:
        query = query.where(merchants.c.id == merchant_id)
    with database.read() as connection:
        merchant_rows = connection.execute(query).all()
    totals = {"members": 0, "points": 0}
    for merchant_id, timezone_name in merchant_rows:  # noqa: B020 - one merchant at a time
        today = as_of or business_date(now, timezone_name)
        member_ids = members_with_lots_due(database, merchant_id, today)
        for start in range(0, len(member_ids), BATCH_MEMBERS):
            batch = member_ids[start:start + BATCH_MEMBERS]
            with database.write() as connection:
                store = LedgerStore(connection, merchant_id, now)
                for member_id in batch:
                    # open() locks the member and expires what is due: the whole job for this member.
                    points = MemberLedger.open(store, member_id, today, actor).expired_on_open
                    totals["points"] += points
                    totals["members"] += 1 if points else 0
            if progress is not None:
                progress(len(batch))
    return totals
