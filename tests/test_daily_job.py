"""`setia jobs daily`: idempotent, late runs catch up, twice equals once; on SQLite and PostgreSQL.

Runs on a database of this module alone (`own_database`): the job acts on every merchant.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from setia.adapters.db.tables import bonus_grants, job_runs, lots, members, stamp_cards
from setia.entrypoints.cli import main
from setia.queries.ledger_verify import verify_ledger
from setia.services.daily_job import days_to_run, run_daily
from setia.services.members import MemberDetails, register_member

from tests.shop import Shop, new_phone

START = date(2026, 3, 10)  # the `now` fixture's business day in Jakarta


@pytest.fixture
def shop(own_shop: Shop) -> Shop:
    return own_shop


def open_cafe(shop: Shop) -> dict[str, int]:
    """A café with birthday bonuses, points that expire after 15 days, a coffee card that lasts 10 days, and
    members whose birthdays, points and cards fall due over the next weeks."""
    shop.configure(bonuses={"birthday": {"points": 100, "window": "day"}}, expiry={"kind": "days", "length": 15},
                   stamp_cards=[{"id": "kopi", "name": "Kartu Kopi", "per": "item", "categories": ["coffee"],
                                 "card_size": 9, "expiry_days": 10,
                                 "reward": {"kind": "free_product", "product_sku": "KOPI"}}])
    people = {}
    for name, birthday in (("Ayu", date(1990, 3, 15)), ("Bayu", date(1991, 3, 30)), ("Cici", date(1992, 4, 20)),
                           ("Dodi", None)):
        with shop.database.write() as connection:
            people[name] = register_member(connection, shop.caller,
                                           MemberDetails(name=name, phone=new_phone(), birthday=birthday), shop.now)
    shop.sell(people["Dodi"], ("Es Kopi Susu", 3, 25000, "KOPI", "coffee"))  # 7 points, 3 stamps
    return people


def state(shop: Shop, people: dict[str, int]) -> dict[str, Any]:
    """What the job decides, per member: balances, bonuses with their dates, lots, cards."""
    ids = list(people.values())
    with shop.database.read() as connection:
        balances = dict(connection.execute(select(members.c.id, members.c.points_balance)
                                           .where(members.c.id.in_(ids))).all())
        grants = sorted(tuple(row) for row in connection.execute(
            select(bonus_grants.c.member_id, bonus_grants.c.kind, bonus_grants.c.grant_key,
                   bonus_grants.c.business_date, bonus_grants.c.points).where(bonus_grants.c.member_id.in_(ids))))
        lot_rows = sorted(tuple(row) for row in connection.execute(
            select(lots.c.member_id, lots.c.amount, lots.c.remaining, lots.c.expired_amount, lots.c.earned_on)
            .where(lots.c.member_id.in_(ids))))
        cards = sorted(tuple(row) for row in connection.execute(
            select(stamp_cards.c.member_id, stamp_cards.c.status, stamp_cards.c.stamps)
            .where(stamp_cards.c.member_id.in_(ids))))
    by_id = {member_id: name for name, member_id in people.items()}
    return {"balances": {by_id[k]: v for k, v in balances.items()},
            "grants": [(by_id[g[0]], *g[1:]) for g in grants],
            "lots": [(by_id[lot[0]], *lot[1:]) for lot in lot_rows],
            "cards": [(by_id[c[0]], *c[1:]) for c in cards]}


def test_the_daily_job_does_each_day_once(shop):
    people = open_cafe(shop)
    run_daily(shop.database, shop.now, as_of=START, merchant_ids=[shop.merchant_id])

    # Ten days later (the job was off in between): Ayu's birthday on the 15th is caught up, dated that day
    summary = run_daily(shop.database, shop.now, as_of=START + timedelta(days=10), merchant_ids=[shop.merchant_id])
    assert (summary["days"], summary["birthday_bonuses"]) == (10, 1)
    assert state(shop, people)["grants"] == [("Ayu", "birthday", "2026", date(2026, 3, 15), 100)]

    # Dodi's card (first stamp 10 March, last day 20 March) and points (last day 25 March) lapse in time
    run_daily(shop.database, shop.now, as_of=date(2026, 3, 21), merchant_ids=[shop.merchant_id])
    assert ("Dodi", "expired", 0) in state(shop, people)["cards"]
    run_daily(shop.database, shop.now, as_of=date(2026, 3, 26), merchant_ids=[shop.merchant_id])
    assert state(shop, people)["balances"]["Dodi"] == 0

    # Running a recorded day again does nothing
    before = state(shop, people)
    again = run_daily(shop.database, shop.now, as_of=date(2026, 3, 26), merchant_ids=[shop.merchant_id])
    assert (again["days"], again["birthday_bonuses"], again["stamp_cards_expired"]) == (0, 0, 0)
    assert state(shop, people) == before
    with shop.database.read() as connection:
        recorded = connection.execute(select(job_runs.c.business_date).where(
            job_runs.c.merchant_id == shop.merchant_id).order_by(job_runs.c.business_date)).scalars().all()
    assert recorded == [START + timedelta(days=offset) for offset in range(17)]


def test_a_first_run_does_only_its_day_and_a_long_break_catches_up_a_year(shop):
    assert days_to_run(shop.database, shop.merchant_id, START) == [START]
    run_daily(shop.database, shop.now, as_of=START, merchant_ids=[shop.merchant_id])
    assert days_to_run(shop.database, shop.merchant_id, START) == []
    assert days_to_run(shop.database, shop.merchant_id, START - timedelta(days=3)) == []
    later = days_to_run(shop.database, shop.merchant_id, START + timedelta(days=800))
    assert (len(later), later[-1]) == (366, START + timedelta(days=800))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(offsets=st.lists(st.integers(min_value=0, max_value=45), min_size=1, max_size=6))
def test_any_sequence_of_runs_equals_one_late_run(own_database, now, offsets):
    # Two identical cafés: one runs the job on every date of a random sequence (repeats, out of order, late),
    # the other on the first day and then once on the last date reached
    every_time, once = Shop.open(own_database, now), Shop.open(own_database, now)
    people_every_time, people_once = open_cafe(every_time), open_cafe(once)
    run_daily(own_database, now, as_of=START, merchant_ids=[every_time.merchant_id, once.merchant_id])
    for offset in offsets:
        run_daily(own_database, now, as_of=START + timedelta(days=offset), merchant_ids=[every_time.merchant_id])
    run_daily(own_database, now, as_of=START + timedelta(days=max(offsets)), merchant_ids=[once.merchant_id])
    assert state(every_time, people_every_time) == state(once, people_once)
    with own_database.read() as connection:
        assert verify_ledger(connection) == []


def test_the_command_runs_the_job_and_twice_is_once(own_database, now):
    shop = Shop.open(own_database, now)
    shop.configure(bonuses={"birthday": {"points": 10, "window": "month"}})
    with own_database.write() as connection:
        member = register_member(connection, shop.caller, MemberDetails(name="Eka", phone=new_phone(),
                                                                        birthday=date(1990, 3, 28)), now)
    runner = CliRunner()
    first = runner.invoke(main, ["--database-url", own_database.url, "jobs", "daily", "--as-of", "2026-03-11"])
    assert first.exit_code == 0, first.output
    assert "birthday bonuses" in first.output
    second = runner.invoke(main, ["--database-url", own_database.url, "jobs", "daily", "--as-of", "2026-03-11"])
    assert second.exit_code == 0, second.output
    assert "0 day(s) for 0 merchant(s)" in second.output
    assert shop.balance(member) == 10
