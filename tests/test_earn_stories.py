"""Earn rules through recorded sales: schedules in the merchant's time zone, caps across sales, combinations."""

from __future__ import annotations

from setia.services.tiers import set_tier_floor

from tests.test_tiers import SILVER_GOLD

# 10 March 2026 is a Tuesday; the shop fixture's clock is 12:00 in Jakarta (05:00 UTC).
DOUBLE_TUESDAY_NOON = {"id": "double-tue", "name": "Double Tuesday lunch", "kind": "multiplier", "multiplier": "2",
                       "conditions": {"days_of_week": [2], "time_from": "11:00", "time_to": "14:00"},
                       "cap": {"per": "day", "points": 15}}


def rules_of(sale):
    return [(c["rule_id"], c["points"]) for c in sale["points"]["rules"]]


def test_schedule_is_read_in_the_merchants_time_zone_and_caps_count_across_the_day(shop):
    shop.configure(earn_rules=[DOUBLE_TUESDAY_NOON])
    hana = shop.member("Hana")
    first = shop.sell(hana, ("Kopi", 1, 100000))
    assert rules_of(first) == [("spend", 10), ("double-tue", 10)]
    second = shop.sell(hana, ("Kopi", 1, 100000))
    assert rules_of(second) == [("spend", 10), ("double-tue", 5)]  # the day's cap of 15 is reached
    shop.later(hours=3)  # 15:00 in Jakarta: outside the hours
    assert rules_of(shop.sell(hana, ("Kopi", 1, 100000))) == [("spend", 10)]
    shop.later(days=7, hours=-3)  # next Tuesday lunch: a new day, a fresh cap
    assert rules_of(shop.sell(hana, ("Kopi", 1, 100000))) == [("spend", 10), ("double-tue", 10)]
    assert shop.balance(hana) == 65


def test_gold_member_on_double_points_day_redeeming_a_reward(shop):
    shop.configure(tiers=SILVER_GOLD, earn_rules=[{**DOUBLE_TUESDAY_NOON, "cap": None}])
    voucher = shop.reward(name="Rp20.000 off", kind="fixed_discount", points_cost=100, discount_amount=20000)
    indah = shop.member("Indah")
    with shop.database.write() as connection:
        set_tier_floor(connection, shop.caller, indah, "gold", shop.now)
    shop.adjust(indah, 100, "opening balance")
    sale = shop.sell(indah, ("Gaun", 1, 300000), reward_ids=[voucher])
    # 300.000 − 10% Gold = 270.000 − Rp20.000 = 250.000 → 25 points; ×2 beats Gold's ×1.5
    assert sale["totals"]["tier_discount"] == 30000
    assert sale["totals"]["total_due"] == 250000
    assert rules_of(sale) == [("spend", 25), ("double-tue", 25)]
    assert shop.balance(indah) == 50


def test_rule_changes_never_alter_points_already_earned(shop):
    shop.configure(earn_rules=[{**DOUBLE_TUESDAY_NOON, "cap": None}])
    joni = shop.member("Joni")
    sale = shop.sell(joni, ("Kopi", 1, 100000))
    shop.configure(earn_rules=[])
    assert shop.balance(joni) == 20
    history = shop.view(joni)
    assert history["points"]["balance"] == 20
    assert sale["points"]["program_version"] < shop.sell(joni, ("Kopi", 1, 100000))["points"]["program_version"]
