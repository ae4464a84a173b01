"""Bonuses (sign-up, birthday, activities, referral) and membership criteria, as worked stories.

Each story runs on a database of its own module (`own_database`): the daily job acts on every merchant.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from setia.adapters.db.tables import bonus_grants, memberships, referrals
from setia.domain.errors import (
    BonusAlreadyGiven,
    BonusLimitReached,
    InvalidMemberNumber,
    MembershipPending,
    ReferralRefused,
    ValidationFailed,
)
from setia.entrypoints.api.app import create_app
from setia.queries.members import get_member, member_history
from setia.services import bonuses
from setia.services.daily_job import run_daily
from setia.services.members import MemberDetails, register_member
from setia.services.identifiers import member_number_for
from setia.services.merchants import create_api_key

from tests.shop import Shop, new_phone


@pytest.fixture
def shop(own_shop: Shop) -> Shop:
    return own_shop


def register(shop: Shop, name: str = "Siti", birthday: date | None = None, referred_by: str | None = None,
             phone: str | None = None) -> int:
    with shop.database.write() as connection:
        return register_member(connection, shop.caller, MemberDetails(name=name, phone=phone or new_phone(),
                                                                      birthday=birthday, referred_by=referred_by),
                               shop.now)


def number(shop: Shop, member_id: int) -> str:
    return shop.view(member_id)["member_number"]


def reasons(shop: Shop, member_id: int) -> list[tuple[str, int]]:
    """(reason, points) of the member's transfers, oldest first."""
    with shop.database.read() as connection:
        page, _ = member_history(connection, shop.merchant_id, member_id, limit=200)
    return [(item["reason"], item["points"]) for item in reversed(page)]


def activity(shop: Shop, member_id: int, kind: str, reference: str) -> dict:
    with shop.database.write() as connection:
        return bonuses.record_activity(connection, shop.caller, member_id, kind, reference, shop.now)


def grants(shop: Shop, member_id: int) -> int:
    with shop.database.read() as connection:
        return connection.execute(select(func.count()).select_from(bonus_grants)
                                  .where(bonus_grants.c.member_id == member_id)).scalar_one()


# Sign-up ---------------------------------------------------------------------------------------------------

def test_a_new_member_gets_the_signup_bonus_once(shop):
    shop.configure(bonuses={"signup": {"points": 50}})
    siti = register(shop, "Siti")
    assert shop.balance(siti) == 50
    assert reasons(shop, siti) == [("bonus_signup", 50)]

    # Giving it again (a retried hook, a second path) gives nothing
    with shop.database.write() as connection:
        program = bonuses.load_program_for_sale(connection, shop.merchant_id)[0]
        assert bonuses.give_signup_bonus(connection, "test", program, siti, shop.now, date(2026, 3, 10)) == []
    assert shop.balance(siti) == 50
    assert grants(shop, siti) == 1


def test_without_a_signup_bonus_registering_moves_no_points(shop):
    budi = register(shop, "Budi")
    assert shop.ledger_rows(budi) == (0, 0)


def test_the_signup_bonus_repays_nothing_and_expires_like_earned_points(shop):
    shop.configure(bonuses={"signup": {"points": 20}}, expiry={"kind": "days", "length": 30})
    dewi = register(shop, "Dewi")
    assert shop.view(dewi)["points"]["expiring"] == [{"expires_on": "2026-04-09", "points": 20}]


# Birthday --------------------------------------------------------------------------------------------------

def test_birthday_bonus_on_the_day_once_a_year(shop):
    shop.configure(bonuses={"birthday": {"points": 100, "window": "day"}})
    agus = register(shop, "Agus", birthday=date(1990, 3, 15))

    run_daily(shop.database, shop.now, as_of=date(2026, 3, 14))
    assert shop.balance(agus) == 0
    run_daily(shop.database, shop.now, as_of=date(2026, 3, 15))
    assert shop.balance(agus) == 100
    # Running again, or the next day, gives nothing more
    run_daily(shop.database, shop.now, as_of=date(2026, 3, 15))
    run_daily(shop.database, shop.now, as_of=date(2026, 3, 16))
    assert reasons(shop, agus) == [("bonus_birthday", 100)]
    # Next year, again once
    run_daily(shop.database, shop.now, as_of=date(2027, 3, 15))
    assert reasons(shop, agus) == [("bonus_birthday", 100), ("bonus_birthday", 100)]


def test_birthday_bonus_in_the_birthday_week(shop):
    shop.configure(bonuses={"birthday": {"points": 40, "window": "week"}})
    eko = register(shop, "Eko", birthday=date(1988, 3, 19))  # Thursday 19 March 2026: week of Monday 16 March
    run_daily(shop.database, shop.now, as_of=date(2026, 3, 15))
    assert shop.balance(eko) == 0
    run_daily(shop.database, shop.now, as_of=date(2026, 3, 16))
    assert shop.balance(eko) == 40
    run_daily(shop.database, shop.now, as_of=date(2026, 3, 19))
    assert shop.balance(eko) == 40


def test_birthday_bonus_in_the_birthday_month(shop):
    shop.configure(bonuses={"birthday": {"points": 60, "window": "month"}})
    fajar = register(shop, "Fajar", birthday=date(1985, 4, 20))
    run_daily(shop.database, shop.now, as_of=date(2026, 3, 31))
    assert shop.balance(fajar) == 0
    run_daily(shop.database, shop.now, as_of=date(2026, 4, 1))
    assert shop.balance(fajar) == 60
    run_daily(shop.database, shop.now, as_of=date(2026, 4, 30))
    assert shop.balance(fajar) == 60


def test_a_late_job_catches_up_missed_birthdays_dated_on_their_day(shop):
    shop.configure(bonuses={"birthday": {"points": 100, "window": "day"}}, expiry={"kind": "days", "length": 30})
    gita = register(shop, "Gita", birthday=date(2000, 3, 12))
    hadi = register(shop, "Hadi", birthday=date(2000, 3, 14))
    run_daily(shop.database, shop.now, as_of=date(2026, 3, 10))
    # The job doesn't run on the 11th to the 14th; on the 15th it does the missed days
    run_daily(shop.database, shop.now, as_of=date(2026, 3, 15))
    assert (shop.balance(gita), shop.balance(hadi)) == (100, 100)
    assert shop.view(gita)["points"]["expiring"] == [{"expires_on": "2026-04-11", "points": 100}]
    run_daily(shop.database, shop.now, as_of=date(2026, 3, 15))
    assert (shop.balance(gita), shop.balance(hadi)) == (100, 100)


def test_no_birthday_bonus_for_a_birthday_before_joining(shop):
    shop.configure(bonuses={"birthday": {"points": 100, "window": "day"}})
    indah = register(shop, "Indah", birthday=date(1995, 3, 1))  # joined 10 March
    run_daily(shop.database, shop.now, as_of=date(2026, 3, 20))
    assert shop.balance(indah) == 0


def test_the_birthday_follows_the_merchant_time_zone(shop):
    shop.configure(bonuses={"birthday": {"points": 100, "window": "day"}})
    joko = register(shop, "Joko", birthday=date(1993, 3, 15))
    run_daily(shop.database, datetime(2026, 3, 14, 16, 30, tzinfo=timezone.utc))  # 23:30 on the 14th in Jakarta
    assert shop.balance(joko) == 0
    run_daily(shop.database, datetime(2026, 3, 14, 17, 30, tzinfo=timezone.utc))  # 00:30 on the 15th in Jakarta
    assert shop.balance(joko) == 100


def test_29_february_birthdays_are_celebrated_on_28_february(shop):
    shop.configure(bonuses={"birthday": {"points": 10, "window": "day"}})
    shop.now = datetime(2027, 2, 1, 5, 0, tzinfo=timezone.utc)
    kiki = register(shop, "Kiki", birthday=date(2000, 2, 29))
    run_daily(shop.database, shop.now, as_of=date(2027, 2, 28))
    assert shop.balance(kiki) == 10


# Activities ------------------------------------------------------------------------------------------------

ACTIVITIES = {"activities": {"survey": {"points": 10, "limit": {"per": "month", "count": 1}},
                             "event": {"points": 25, "limit": {"per": "week", "count": 2}},
                             "review": {"points": 5, "limit": {"per": "day", "count": 1}},
                             "custom": {"points": 3}}}


def test_an_answered_survey_earns_once_a_month(shop):
    shop.configure(bonuses=ACTIVITIES)
    lina = register(shop, "Lina")
    assert activity(shop, lina, "survey", "march-answer-1")["points"] == 10

    before = (shop.ledger_rows(lina), grants(shop, lina))
    with pytest.raises(BonusLimitReached) as refused:
        activity(shop, lina, "survey", "march-answer-2")
    assert refused.value.details == {"limit": 1, "per": "month", "period_start": "2026-03-01"}
    assert (shop.ledger_rows(lina), grants(shop, lina)) == before

    shop.now = datetime(2026, 4, 1, 5, 0, tzinfo=timezone.utc)
    assert activity(shop, lina, "survey", "april-answer")["balance_after"] == 20


def test_event_attendance_limited_per_iso_week(shop):
    shop.configure(bonuses=ACTIVITIES)
    mira = register(shop, "Mira")  # Tuesday 10 March 2026
    activity(shop, mira, "event", "bazaar")
    activity(shop, mira, "event", "cooking-class")
    with pytest.raises(BonusLimitReached):
        activity(shop, mira, "event", "workshop")
    shop.now = datetime(2026, 3, 15, 16, 59, tzinfo=timezone.utc)  # Sunday 23:59 in Jakarta: same week
    with pytest.raises(BonusLimitReached):
        activity(shop, mira, "event", "workshop")
    shop.now = datetime(2026, 3, 15, 17, 0, tzinfo=timezone.utc)  # Monday 00:00 in Jakarta: a new week
    activity(shop, mira, "event", "workshop")
    assert shop.balance(mira) == 75


def test_reviews_once_a_day_and_each_reference_once(shop):
    shop.configure(bonuses=ACTIVITIES)
    nina = register(shop, "Nina")
    activity(shop, nina, "review", "google-1")
    with pytest.raises(BonusLimitReached):
        activity(shop, nina, "review", "google-2")
    shop.later(days=1)
    with pytest.raises(BonusAlreadyGiven):
        activity(shop, nina, "review", "google-1")
    activity(shop, nina, "custom", "photo-contest")
    activity(shop, nina, "custom", "photo-contest-2")  # no limit
    assert reasons(shop, nina) == [("bonus_activity", 5), ("bonus_activity", 3), ("bonus_activity", 3)]


def test_an_activity_the_program_does_not_reward_is_refused(shop):
    shop.configure(bonuses=ACTIVITIES)
    oki = register(shop, "Oki")
    for kind, reference, field in (("karaoke", "x", "type"), ("survey", "  ", "reference")):
        with pytest.raises(ValidationFailed) as refused:
            activity(shop, oki, kind, reference)
        assert refused.value.details["field"] == field
    assert shop.ledger_rows(oki) == (0, 0)


def test_activities_through_the_api(shop):
    shop.configure(bonuses=ACTIVITIES)
    with shop.database.write() as connection:
        key = create_api_key(connection, shop.merchant_id, "till", shop.now)
    client = TestClient(create_app(database=shop.database), headers={"Authorization": f"Bearer {key.key}"})
    putri = register(shop, "Putri")
    url = f"/api/v1/members/{putri}/activities"
    response = client.post(url, json={"type": "survey", "reference": "s-1"}, headers={"Idempotency-Key": "a-1"})
    assert response.status_code == 201, response.json()
    assert response.json()["points"] == 10
    # The same key replays the answer; a second survey this month is refused with its code
    assert client.post(url, json={"type": "survey", "reference": "s-1"},
                       headers={"Idempotency-Key": "a-1"}).json() == response.json()
    refused = client.post(url, json={"type": "survey", "reference": "s-2"})
    assert (refused.status_code, refused.json()["code"]) == (422, "bonus_limit_reached")
    assert client.post(url, json={"type": "survey", "reference": "s-1"}).json()["code"] == "bonus_already_given"
    assert client.post("/api/v1/members/999999999/activities",
                       json={"type": "survey", "reference": "s-9"}).status_code == 404
    # Bonus settings are validated by field
    bad = client.patch("/api/v1/program", json={"bonuses": {"birthday": {"points": 5, "window": "year"}}})
    assert (bad.status_code, bad.json()["details"]["field"]) == (422, "bonuses.birthday.window")
    cards = client.get(f"/api/v1/members/{putri}/stamp-cards")
    assert cards.status_code == 200 and cards.json() == {"items": []}


# Referral --------------------------------------------------------------------------------------------------

REFERRAL = {"referral": {"referrer_points": 50, "referred_points": 25, "minimum_spend": 100000}}


def test_referrer_and_new_member_earn_at_the_first_qualifying_purchase(shop):
    shop.configure(bonuses=REFERRAL)
    rudi = register(shop, "Rudi")
    sari = register(shop, "Sari", referred_by=number(shop, rudi))

    # A first purchase below the minimum gives no referral bonus
    shop.sell(sari, ("Kaos", 1, 60000))
    assert (shop.balance(rudi), shop.balance(sari)) == (0, 6)

    # The first purchase reaching it: both earn, once
    sale = shop.sell(sari, ("Jaket", 1, 150000))
    assert sorted((b["kind"], b["points"]) for b in sale["bonuses"]) == [("referral_referred", 25),
                                                                          ("referral_referrer", 50)]
    assert (shop.balance(rudi), shop.balance(sari)) == (50, 6 + 15 + 25)
    assert reasons(shop, rudi) == [("bonus_referral", 50)]
    shop.sell(sari, ("Jaket", 1, 150000))
    assert (shop.balance(rudi), shop.balance(sari)) == (50, 6 + 15 + 25 + 15)
    with shop.database.read() as connection:
        assert connection.execute(select(referrals.c.status)).scalars().all().count("rewarded") >= 1


def test_self_referral_and_a_second_referral_are_refused(shop):
    shop.configure(bonuses=REFERRAL)
    tono = register(shop, "Tono")
    umi = register(shop, "Umi", referred_by=number(shop, tono))
    vera = register(shop, "Vera")

    with shop.database.write() as connection:
        with pytest.raises(ReferralRefused):  # themselves
            bonuses.add_referral(connection, shop.caller, vera, number(shop, vera), shop.now)
        with pytest.raises(ReferralRefused):  # Umi was referred already
            bonuses.add_referral(connection, shop.caller, umi, number(shop, vera), shop.now)
    shop.sell(vera, ("Kaos", 1, 60000))
    with shop.database.write() as connection, pytest.raises(ReferralRefused):  # after her first purchase
        bonuses.add_referral(connection, shop.caller, vera, number(shop, tono), shop.now)
    with shop.database.read() as connection:
        assert connection.execute(select(func.count()).select_from(referrals)
                                  .where(referrals.c.merchant_id == shop.merchant_id)).scalar_one() == 1


def test_registering_with_an_unknown_referrer_registers_nobody(shop):
    shop.configure(bonuses=REFERRAL)
    phone = new_phone()
    with pytest.raises(ReferralRefused) as refused:  # a well-formed number nobody has
        register(shop, "Wati", referred_by=member_number_for(999_999), phone=phone)
    assert refused.value.details["field"] == "referred_by"
    with pytest.raises(InvalidMemberNumber) as refused:  # a mistyped number
        register(shop, "Wati", referred_by="10009996", phone=phone)
    assert refused.value.details["field"] == "referred_by"
    with shop.database.read() as connection:
        from setia.queries.members import find_members

        assert find_members(connection, shop.merchant_id, shop.now, phone=phone)[0] == []


# Membership ------------------------------------------------------------------------------------------------

def test_membership_after_a_first_purchase_of_rp100000(shop):
    shop.configure(membership={"mode": "minimum_purchase", "minimum_spend": 100000},
                   bonuses={"signup": {"points": 30}, **ACTIVITIES},
                   stamp_cards=[{"id": "visit", "name": "Kunjungan", "per": "visit", "card_size": 5,
                                 "reward": {"kind": "points", "points": 10}}])
    yanti = register(shop, "Yanti")
    assert shop.balance(yanti) == 0

    # Pending: a small purchase earns nothing, no stamp; activities are refused
    small = shop.sell(yanti, ("Kaos", 1, 60000))
    assert (small["points"]["earned"], small["membership"], small["stamps"]["earned"]) == (0, {"status": "pending"},
                                                                                          [])
    with pytest.raises(MembershipPending):
        activity(shop, yanti, "survey", "s-1")
    assert shop.ledger_rows(yanti) == (0, 0)

    # The purchase reaching the minimum makes her a member, and that sale earns; the sign-up bonus follows
    big = shop.sell(yanti, ("Jaket", 1, 120000))
    assert big["membership"] == {"status": "active"}
    assert big["points"]["earned"] == 12
    assert big["stamps"]["earned"][0]["stamps"] == 1
    assert [(b["kind"], b["points"]) for b in big["bonuses"]] == [("signup", 30)]
    assert shop.balance(yanti) == 42
    assert shop.sell(yanti, ("Kaos", 1, 60000))["points"]["earned"] == 6
    with shop.database.read() as connection:
        assert connection.execute(select(memberships.c.status)
                                  .where(memberships.c.member_id == yanti)).scalar_one() == "active"


def test_pending_members_get_no_birthday_bonus(shop):
    shop.configure(membership={"mode": "minimum_purchase", "minimum_spend": 100000},
                   bonuses={"birthday": {"points": 100, "window": "day"}})
    zaki = register(shop, "Zaki", birthday=date(1990, 3, 11))
    run_daily(shop.database, shop.now, as_of=date(2026, 3, 11))
    assert shop.balance(zaki) == 0


def test_the_quote_of_a_pending_member_earns_nothing(shop):
    shop.configure(membership={"mode": "minimum_purchase", "minimum_spend": 100000})
    ani = register(shop, "Ani")
    assert shop.quote(ani, ("Kaos", 1, 60000))["points"]["earned"] == 0
    assert shop.quote(ani, ("Jaket", 1, 120000))["points"]["earned"] == 12


@pytest.mark.parametrize(("changes", "field"), [
    ({"membership": {"mode": "vip"}}, "membership.mode"),
    ({"membership": {"mode": "minimum_purchase", "minimum_spend": 0}}, "membership.minimum_spend"),
    ({"bonuses": {"signup": {"points": -1}}}, "bonuses.signup.points"),
    ({"bonuses": {"activities": {"survey": {"points": 5, "limit": {"per": "year", "count": 1}}}}},
     "bonuses.activities.survey.limit.per"),
    ({"bonuses": {"activities": {"Survey Besar": {"points": 5}}}}, "bonuses.activities.Survey Besar"),
    ({"bonuses": {"anniversary": {"points": 5}}}, "bonuses.anniversary"),
])
def test_bonus_and_membership_settings_are_validated_by_field(shop, changes, field):
    with pytest.raises(ValidationFailed) as refused:
        shop.configure(**changes)
    assert refused.value.details["field"] == field


def test_member_document_is_unchanged_for_free_membership(shop):
    ben = register(shop, "Ben")
    with shop.database.read() as connection:
        assert get_member(connection, shop.merchant_id, ben, shop.now)["points"]["balance"] == 0


def test_surveys_sent_at_once_stay_within_the_limit(shop):
    from concurrent.futures import ThreadPoolExecutor

    shop.configure(bonuses=ACTIVITIES)
    rosa = register(shop, "Rosa")

    def answer(index: int) -> str:
        try:
            activity(shop, rosa, "survey", f"answer-{index}")
            return "given"
        except BonusLimitReached:
            return "refused"

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = sorted(pool.map(answer, range(6)))
    assert outcomes == ["given"] + ["refused"] * 5
    assert shop.balance(rosa) == 10
