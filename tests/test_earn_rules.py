"""The earn rules engine on its own: conditions, benefits, stacking, caps, schedules (pure domain)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from setia.domain.earning import EarnContext, EarnLine, SpendRule, earn, parse_rules
from setia.domain.errors import ValidationFailed
from setia.domain.tiers import parse_tier_policy

SPEND = SpendRule(step_amount=10000, points_per_step=1)
TUESDAY_3PM = datetime(2026, 12, 1, 15, 0)  # 1 Dec 2026 is a Tuesday
TUESDAY_5PM = datetime(2026, 12, 1, 17, 0)


def context(*lines: tuple, when: datetime | None = TUESDAY_3PM, **extra) -> EarnContext:
    earn_lines = tuple(EarnLine(sku, category, quantity, base) for sku, category, quantity, base in lines)
    return EarnContext(earn_base=sum(line.earn_base for line in earn_lines), lines=earn_lines, local_time=when,
                       **extra)


def points(rules_data: list[dict], ctx: EarnContext) -> list[tuple[str | None, int]]:
    return [(c.rule_id, c.points) for c in earn(SPEND, parse_rules(rules_data), ctx)]


DOUBLE_TUESDAY = {"id": "double-tue", "name": "Double points Tuesday 14:00-17:00", "kind": "multiplier",
                  "multiplier": "2", "conditions": {"days_of_week": [2], "time_from": "14:00", "time_to": "17:00"}}


def test_double_points_tuesday_afternoon_only_in_its_hours():
    sale = (("KOPI", "coffee", 2, 50000), ("ROTI", "food", 1, 37000))  # Rp87.000 → 8 points
    assert points([DOUBLE_TUESDAY], context(*sale)) == [("spend", 8), ("double-tue", 8)]
    assert points([DOUBLE_TUESDAY], context(*sale, when=TUESDAY_5PM)) == [("spend", 8)]  # 17:00 is outside
    assert points([DOUBLE_TUESDAY], context(*sale, when=datetime(2026, 12, 2, 15, 0))) == [("spend", 8)]


def test_holiday_date_range_and_the_highest_multiplier_wins():
    lebaran = {"id": "lebaran", "name": "Lebaran x3", "kind": "multiplier", "multiplier": "3",
               "conditions": {"date_from": "2026-11-30", "date_to": "2026-12-02"}}
    sale = (("KOPI", "coffee", 1, 100000),)  # 10 points
    # Both apply: they don't compound, the ×3 wins: 30 in all
    assert points([DOUBLE_TUESDAY, lebaran], context(*sale)) == [("spend", 10), ("lebaran", 20)]
    # Out of the range only Tuesday's ×2 applies
    assert points([DOUBLE_TUESDAY, lebaran], context(*sale, when=datetime(2026, 12, 8, 15, 0))) == \
        [("spend", 10), ("double-tue", 10)]


def test_category_multiplier_applies_to_its_lines_share_and_tier_multiplier_competes():
    coffee_x2 = {"id": "coffee-x2", "name": "Coffee ×2", "kind": "multiplier", "multiplier": "2",
                 "conditions": {"categories": ["coffee"]}}
    sale = (("KOPI", "coffee", 1, 60000), ("ROTI", "food", 1, 40000))  # 10 points, 6 of them from coffee
    assert points([coffee_x2], context(*sale)) == [("spend", 10), ("coffee-x2", 6)]
    # A Gold member's ×1.5 on everything: coffee keeps its ×2 (higher), food gets ×1.5 → floor(4 × 1.5) − 4
    gold = context(*sale, tier="gold", tier_multiplier=Decimal("1.5"))
    assert points([coffee_x2], gold) == [("spend", 10), ("coffee-x2", 6), ("tier:gold", 2)]


def test_fixed_points_per_product_add_even_when_the_base_earns_nothing():
    per_cup = {"id": "cup", "name": "5 points per cup", "kind": "product_points", "points_per_unit": 5,
               "conditions": {"skus": ["KOPI"]}}
    assert points([per_cup], context(("KOPI", "coffee", 3, 9000))) == [("cup", 15)]


def test_minimum_spend_outlet_and_tier_conditions():
    big_basket = {"id": "big", "name": "Bonus 20 over Rp500.000", "kind": "product_points", "points_per_unit": 20,
                  "conditions": {"minimum_spend": 500000, "categories": ["any"], "outlet_ids": ["7"],
                                 "tiers": ["gold"]}}
    line = ("X", "any", 1, 500000)
    assert points([big_basket], context(line, outlet_id="7", tier="gold")) == [("spend", 50), ("big", 20)]
    assert points([big_basket], context(line, outlet_id="8", tier="gold")) == [("spend", 50)]
    assert points([big_basket], context(line, outlet_id="7", tier="silver")) == [("spend", 50)]
    assert points([big_basket], context(("X", "any", 1, 499999), outlet_id="7", tier="gold")) == [("spend", 49)]


def test_caps_per_member_per_day_cut_the_contribution_to_what_is_left():
    capped = {**DOUBLE_TUESDAY, "cap": {"per": "day", "points": 12}}
    sale = (("KOPI", "coffee", 1, 100000),)
    assert points([capped], context(*sale)) == [("spend", 10), ("double-tue", 10)]
    assert points([capped], context(*sale, usage={("double-tue", "day"): 10})) == [("spend", 10), ("double-tue", 2)]
    assert points([capped], context(*sale, usage={("double-tue", "day"): 12})) == [("spend", 10)]


def test_inactive_rules_and_validation_naming_the_field():
    assert points([{**DOUBLE_TUESDAY, "active": False}], context(("K", None, 1, 100000))) == [("spend", 10)]
    cases = [
        ({**DOUBLE_TUESDAY, "multiplier": "0.5"}, "earn_rules[0].multiplier"),
        ({**DOUBLE_TUESDAY, "multiplier": "dua"}, "earn_rules[0].multiplier"),
        ({**DOUBLE_TUESDAY, "conditions": {"days_of_week": [8]}}, "earn_rules[0].conditions.days_of_week"),
        ({**DOUBLE_TUESDAY, "conditions": {"time_from": "17:00", "time_to": "14:00"}},
         "earn_rules[0].conditions.time_to"),
        ({**DOUBLE_TUESDAY, "conditions": {"date_from": "2026-12-31", "date_to": "2026-12-01"}},
         "earn_rules[0].conditions.date_to"),
        ({**DOUBLE_TUESDAY, "kind": "lottery"}, "earn_rules[0].kind"),
        ({**DOUBLE_TUESDAY, "cap": {"per": "year", "points": 5}}, "earn_rules[0].cap.per"),
        ({"id": "p", "name": "p", "kind": "product_points", "points_per_unit": 2}, "earn_rules[0].conditions.skus"),
        ({**DOUBLE_TUESDAY, "id": "spend"}, "earn_rules[0].id"),
    ]
    for rule, field in cases:
        with pytest.raises(ValidationFailed) as error:
            parse_rules([rule])
        assert error.value.details["field"] == field


def test_tier_policy_validation_and_thresholds():
    policy = parse_tier_policy({"basis": "spend", "levels": [
        {"code": "silver", "name": "Silver", "threshold": 1000000},
        {"code": "gold", "name": "Gold", "threshold": 5000000, "discount_percent": 10, "earn_multiplier": "1.5"},
    ]})
    assert policy.supported(999999) is None
    assert policy.supported(1000000).code == "silver"  # thresholds are inclusive
    assert policy.supported(7000000).code == "gold"
    assert policy.at_least(policy.supported(0), "silver").code == "silver"  # a manual floor
    with pytest.raises(ValidationFailed) as error:
        parse_tier_policy({"levels": [{"code": "a", "name": "A", "threshold": 5},
                                      {"code": "b", "name": "B", "threshold": 5}]})
    assert error.value.details["field"] == "tiers.levels[1].threshold"
