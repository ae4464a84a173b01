"""`setia jobs daily`: expiry, birthday bonuses, tier reviews and stamp card expiry, once per business day.

Idempotent and catching up: each merchant's days are recorded in job_runs; a run does the days from the
one after the last recorded up to its as-of date (each merchant's today by default), and a day already
recorded is not done again. Every part is idempotent on its own as well (points expiry and stamp card
expiry act on what is past its day; a birthday bonus is unique per member and year), so a run that stops
half-way is finished by the next one. Members are handled in batches, one transaction per batch.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import extract, func, select

from setia.adapters.db.engine import Database
from setia.adapters.db.ledger_store import LedgerStore
from setia.adapters.db.tables import bonus_grants, job_runs, members, memberships, merchants
from setia.domain import bonuses as bonus_rules
from setia.domain.clock import business_date
from setia.services import bonuses, stamps
from setia.services.expiry import expire_points
from setia.services.member_ledger import MemberLedger, Movement
from setia.services.programs import load_program

JOB = "daily"
BATCH_MEMBERS = 500
MAX_CATCH_UP_DAYS = 366  # a job that was off for longer catches up the last year


def run_daily(database: Database, now: datetime, as_of: date | None = None, actor: str = "job:daily",
              progress: Callable[[str], None] | None = None, merchant_ids: list[int] | None = None) -> dict[str, Any]:
    """Run the daily job for every merchant (or those named) up to `as_of` (default: each merchant's today).

    Points expiry and tier reviews act on every merchant whatever `merchant_ids` says (they are idempotent).
    """
    say = progress or (lambda _message: None)
    totals: dict[str, Any] = {"merchants": 0, "days": 0, "birthday_bonuses": 0, "birthday_points": 0,
                              "stamp_cards_expired": 0, "stamps_expired": 0}
    with database.read() as connection:
        query = select(merchants.c.id, merchants.c.timezone).order_by(merchants.c.id)
        if merchant_ids is not None:
            query = query.where(merchants.c.id.in_(merchant_ids))
        merchant_rows = connection.execute(query).all()
    for merchant_id, timezone_name in merchant_rows:
        today = as_of or business_date(now, timezone_name)
        days = days_to_run(database, merchant_id, today)
        if not days:
            continue
        summary = run_days(database, merchant_id, timezone_name, days, now, actor)
        totals["merchants"] += 1
        totals["days"] += len(days)
        for key, value in summary.items():
            totals[key] += value
    # After the bonuses: a bonus dated on a missed day may already be past its expiry day.
    expired = expire_points(database, now, as_of, actor=actor)
    totals["points_expired"], totals["members_with_points_expired"] = expired["points"], expired["members"]
    say(f"points expired: {expired['points']} of {expired['members']} members")
    totals["tiers"] = _review_tiers(database, now, as_of)
    say(f"tiers: {totals['tiers']}")
    return totals


def days_to_run(database: Database, merchant_id: int, today: date) -> list[date]:
    """The days after the last one recorded, up to `today`; only `today` on a first run."""
    with database.read() as connection:
        last = connection.execute(select(func.max(job_runs.c.business_date)).where(
            job_runs.c.merchant_id == merchant_id, job_runs.c.job == JOB)).scalar()
    if last is not None and last >= today:
        return []
    first = today if last is None else max(last + timedelta(days=1), today - timedelta(days=MAX_CATCH_UP_DAYS - 1))
    return [first + timedelta(days=offset) for offset in range((today - first).days + 1)]


def run_days(database: Database, merchant_id: int, timezone_name: str, days: list[date], now: datetime,
             actor: str) -> dict[str, int]:
    """One merchant's days: birthday bonuses falling due in them, stamp cards past their last day; recorded."""
    with database.read() as connection:
        program = load_program(connection, merchant_id)
    summary = {"birthday_bonuses": 0, "birthday_points": 0, "stamp_cards_expired": 0, "stamps_expired": 0}
    if program.bonuses.birthday_points:
        given = give_birthday_bonuses(database, merchant_id, timezone_name, days[0], days[-1], now, actor)
        summary["birthday_bonuses"] = given
        summary["birthday_points"] = given * program.bonuses.birthday_points
    cards, stamps_lost = expire_stamp_cards(database, merchant_id, days[-1], now, actor)
    summary["stamp_cards_expired"], summary["stamps_expired"] = cards, stamps_lost
    with database.write() as connection:
        connection.execute(job_runs.insert(), [
            {"merchant_id": merchant_id, "job": JOB, "business_date": day,
             "summary": summary if day == days[-1] else {}, "started_at": now, "finished_at": now}
            for day in days])
    return summary


def birthday_bonuses_due(database: Database, merchant_id: int, timezone_name: str, window: str, first_day: date,
                         last_day: date, exclude_pending: bool = True) -> list[tuple[int, int, date]]:
    """(member id, birthday year, day given) of every birthday bonus falling due from `first_day` to
    `last_day` and not given yet; pending members (membership by purchase) have none."""
    candidates = bonus_rules.birthday_candidates(first_day, last_day, window)
    query = (select(members.c.id, members.c.birthday, members.c.created_at)
             .select_from(members.outerjoin(memberships, memberships.c.member_id == members.c.id))
             .where(members.c.merchant_id == merchant_id, members.c.birthday.is_not(None)))
    if exclude_pending:
        query = query.where(func.coalesce(memberships.c.status, "active") == "active")
    if candidates is not None:  # only members born in the months that can fall due: a twelfth of them a day
        query = query.where(extract("month", members.c.birthday).in_(sorted({month for month, _ in candidates})))
    with database.read() as connection:
        rows = connection.execute(query).all()
        years = [str(year) for year in range(first_day.year - 1, last_day.year + 2)]
        given = {tuple(row) for row in connection.execute(
            select(bonus_grants.c.member_id, bonus_grants.c.grant_key).where(
                bonus_grants.c.merchant_id == merchant_id, bonus_grants.c.kind == bonus_rules.BIRTHDAY,
                bonus_grants.c.grant_key.in_(years))).all()}
    due = []
    for member_id, birthday, created_at in rows:
        if candidates is not None and (birthday.month, birthday.day) not in candidates:
            continue
        member_since = business_date(created_at, timezone_name)
        for year, day in bonus_rules.birthday_grants_due(birthday, member_since, first_day, last_day, window):
            if (member_id, str(year)) not in given:
                due.append((member_id, year, day))
    return due


def give_birthday_bonuses(database: Database, merchant_id: int, timezone_name: str, first_day: date, last_day: date,
                          now: datetime, actor: str) -> int:
    """Give the birthday bonuses due from `first_day` to `last_day`; returns how many were given."""
    with database.read() as connection:
        program = load_program(connection, merchant_id)
    due = birthday_bonuses_due(database, merchant_id, timezone_name, program.bonuses.birthday_window, first_day,
                               last_day, exclude_pending=program.membership.mode == "minimum_purchase")
    given = 0
    for start in range(0, len(due), BATCH_MEMBERS):
        with database.write() as connection:
            store = LedgerStore(connection, merchant_id, now)
            for member_id, year, day in due[start:start + BATCH_MEMBERS]:
                member_ledger = MemberLedger.open(store, member_id, last_day, actor)
                # Checked again under the member's lock: a second job running at once gives nothing twice.
                if bonuses.already_given(connection, member_id, bonus_rules.BIRTHDAY, str(year)):
                    continue
                bonuses.give(connection, member_ledger, program, bonuses.Grant(
                    bonus_rules.BIRTHDAY, str(year), program.bonuses.birthday_points, actor, now, day,
                    note=f"birthday {year}"))
                member_ledger.expire_due(Movement(actor=actor, occurred_at=now))  # a missed day's may be past
                given += 1
    return given


def expire_stamp_cards(database: Database, merchant_id: int, as_of: date, now: datetime,
                       actor: str) -> tuple[int, int]:
    """Expire the stamp cards in progress whose last day is before `as_of`: (cards, stamps)."""
    with database.read() as connection:
        member_ids = stamps.cards_due(connection, merchant_id, as_of)
    cards = lost = 0
    for start in range(0, len(member_ids), BATCH_MEMBERS):
        batch = member_ids[start:start + BATCH_MEMBERS]
        with database.write() as connection:
            store = LedgerStore(connection, merchant_id, now)
            if connection.dialect.name == "postgresql":  # SQLite serialises writers already
                for member_id in batch:
                    store.member(member_id, lock=True)  # the lock a sale of this member takes first
            expired_cards, expired_stamps = stamps.expire_due_cards(connection, merchant_id, as_of, actor, now,
                                                                    member_ids=batch)
            cards += expired_cards
            lost += expired_stamps
    return cards, lost


def _review_tiers(database: Database, now: datetime, as_of: date | None) -> Any:
    try:
        from setia.services.tiers import review_tiers
    except ImportError:
        return "skipped: tier reviews are not available in this version"
    return review_tiers(database, now, as_of)
