"""The daily job (`setia jobs daily`) for one merchant with 100,000 members, on a fresh SQLite file.

Seeds, in bulk (`adapters/db/bulk.py`, its BulkWriter): 100,000 members with birthdays spread over
the year, 20,000 of them with points (1,000 lots past their last day), 10,000 with a coffee card in progress
(1,000 past their last day); the program gives a birthday bonus (day window by default) and points and cards
that expire. Then times: the first run (one day), a rerun of that day (a no-op), and a run after 30 missed
days (catching up), and checks the ledger. Measured and printed, never asserted.

    .venv/bin/python -m bench.daily                       # 100,000 members, birthday on the day
    .venv/bin/python -m bench.daily --window month        # the 1st of a month: a month of birthdays at once
    .venv/bin/python -m bench.daily --members 10000       # a smaller run
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import update

from setia.adapters.db.bulk import BulkWriter
from setia.adapters.db.engine import Database
from setia.adapters.db.migrate import upgrade
from setia.adapters.db.tables import lot_movements, lots, members, merchants, stamp_cards, stamp_movements, transfers
from setia.queries.ledger_verify import verify_ledger
from setia.services.daily_job import run_daily
from setia.services.identifiers import member_number_for
from setia.services.merchants import create_merchant
from setia.services.programs import update_program

OUT = Path(__file__).resolve().parent / "out"
AS_OF = date(2026, 12, 2)
NOW = datetime(2026, 12, 2, 1, 0, tzinfo=timezone.utc)  # 08:00 in Jakarta


def seed(database: Database, member_count: int, window: str, rng: random.Random) -> int:
    with database.write() as connection:
        merchant_id = create_merchant(connection, "Kopi Bench", NOW - timedelta(days=400))
        update_program(connection, merchant_id, {
            "bonuses": {"birthday": {"points": 100, "window": window}},
            "expiry": {"kind": "days", "length": 365},
            "stamp_cards": [{"id": "kopi", "name": "Kartu Kopi", "per": "item", "categories": ["coffee"],
                             "card_size": 9, "expiry_days": 30,
                             "reward": {"kind": "free_product", "product_sku": "KOPI"}}]},
            "bench", NOW - timedelta(days=400))
    joined = NOW - timedelta(days=400)
    member_rows = [
        {"id": index + 1, "merchant_id": merchant_id, "member_number": member_number_for(index + 1),
         "name": f"Member {index + 1}", "phone": f"+62812{index + 1:08d}",
         "birthday": date(1970, 1, 1) + timedelta(days=rng.randrange(0, 365 * 30)),
         "points_balance": 0, "points_debt": 0, "created_at": joined, "updated_at": joined}
        for index in range(member_count)]
    with_points = member_count // 5
    due_lots = member_count // 100
    transfer_rows, lot_rows, movement_rows = [], [], []
    for index in range(with_points):
        member_id = index + 1
        earned_on = AS_OF - timedelta(days=370 if index < due_lots else rng.randrange(1, 300))
        transfer_rows.append({"id": member_id, "merchant_id": merchant_id, "member_id": member_id,
                              "from_account": "issuance", "to_account": "member", "amount": 50, "reason": "earn",
                              "actor": "bench", "occurred_at": joined, "created_at": joined})
        lot_rows.append({"id": member_id, "merchant_id": merchant_id, "member_id": member_id,
                         "transfer_id": member_id, "amount": 50, "remaining": 50, "expired_amount": 0,
                         "earned_on": earned_on, "expires_on": earned_on + timedelta(days=365), "created_at": joined})
        movement_rows.append({"merchant_id": merchant_id, "lot_id": member_id, "transfer_id": member_id, "delta": 50,
                              "kind": "earn"})
        member_rows[index]["points_balance"] = 50
    with_cards = member_count // 10
    card_rows, stamp_rows = [], []
    for index in range(with_cards):
        member_id = member_count - index
        started_on = AS_OF - timedelta(days=40 if index < member_count // 100 else rng.randrange(0, 25))
        card_rows.append({"id": index + 1, "merchant_id": merchant_id, "member_id": member_id, "definition_id": "kopi",
                          "name": "Kartu Kopi", "status": "in_progress", "card_size": 9, "stamps": 3,
                          "stamps_owed": 0, "reward": {"kind": "free_product", "product_sku": "KOPI",
                                                       "discount_amount": 0, "points": 0},
                          "started_on": started_on, "expires_on": started_on + timedelta(days=30),
                          "created_at": joined, "updated_at": joined})
        stamp_rows.append({"merchant_id": merchant_id, "member_id": member_id, "card_id": index + 1, "kind": "earn",
                           "stamps": 3, "owed": 0, "actor": "bench", "occurred_at": joined, "created_at": joined})
    with database.write() as connection:
        insert_many = BulkWriter(connection).insert
        insert_many(members, member_rows)
        connection.execute(update(merchants).where(merchants.c.id == merchant_id)
                           .values(member_sequence=member_count))
        insert_many(transfers, transfer_rows)
        insert_many(lots, lot_rows)
        insert_many(lot_movements, movement_rows)
        insert_many(stamp_cards, card_rows)
        insert_many(stamp_movements, stamp_rows)
    return merchant_id


def timed(label: str, action):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    print(f"{label:<44} {seconds:7.2f} s  {result}", flush=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--window", choices=("day", "week", "month"), default="day")
    parser.add_argument("--database", default=str(OUT / "daily.db"))
    arguments = parser.parse_args()
    path = Path(arguments.database)
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    upgrade(url)
    database = Database(url)
    as_of = AS_OF if arguments.window != "month" else AS_OF.replace(day=1)
    timed(f"seed {arguments.members:,} members", lambda: seed(database, arguments.members, arguments.window,
                                                              random.Random(7)))
    summary = lambda totals: {key: totals[key] for key in ("days", "birthday_bonuses", "points_expired",  # noqa: E731
                                                          "stamp_cards_expired")}
    first = timed(f"daily job, first run ({as_of})", lambda: summary(run_daily(database, NOW, as_of)))
    timed("daily job, the same day again (no-op)", lambda: summary(run_daily(database, NOW, as_of)))
    timed("daily job, 30 missed days caught up", lambda: summary(run_daily(database, NOW, as_of + timedelta(days=30))))
    with database.read() as connection:
        problems = verify_ledger(connection)
    print(f"ledger verify: {'clean' if not problems else problems[:5]}")
    print(f"daily job for {arguments.members:,} members: {first:.2f} s (target: under 30 s)")
    database.dispose()


if __name__ == "__main__":
    main()
