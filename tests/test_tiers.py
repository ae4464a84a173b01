"""Tier stories: up at the crossing sale, kept until review, down at review, floor, refunds, benefits."""

from __future__ import annotations

from datetime import date, datetime, timezone

from setia.services.tiers import review_tiers, set_tier_floor, tier_document

SILVER_GOLD = {"basis": "spend", "window": "rolling_months", "window_months": 12, "review_months": 12, "levels": [
    {"code": "silver", "name": "Silver", "threshold": 1000000},
    {"code": "gold", "name": "Gold", "threshold": 5000000, "discount_percent": 10, "earn_multiplier": "1.5"},
]}


def tier_of(shop, member_id):
    with shop.database.read() as connection:
        return tier_document(connection, shop.merchant_id, member_id, shop.now)


def test_upgrade_at_the_crossing_sale_and_benefits_from_the_next_sale(shop):
    shop.configure(tiers=SILVER_GOLD)
    ayu = shop.member("Ayu")
    first = shop.sell(ayu, ("Tas", 1, 900000))
    assert first["tier"] == {"tier": None, "upgraded": False, "qualifying": 900000}
    second = shop.sell(ayu, ("Dompet", 1, 100000))  # exactly Rp1.000.000: thresholds are inclusive
    assert second["tier"] == {"tier": "silver", "upgraded": True, "qualifying": 1000000}
    crossing = shop.sell(ayu, ("Koper", 1, 4000000))
    assert crossing["tier"]["tier"] == "gold"
    assert crossing["totals"]["tier_discount"] == 0  # the crossing sale is priced at the old tier

    # From the next sale: Gold's 10% off, and ×1.5 on points
    after = shop.sell(ayu, ("Sabuk", 1, 100000))
    assert after["totals"]["tier_discount"] == 10000
    assert after["totals"]["total_due"] == 90000
    assert [(c["rule_id"], c["points"]) for c in after["points"]["rules"]] == [("spend", 9), ("tier:gold", 4)]
    view = tier_of(shop, ayu)
    assert view["tier"]["code"] == "gold"
    assert view["review_on"] == "2027-03-10"
    assert view["next_tier"] is None
    assert [(h["from_tier"], h["to_tier"], h["reason"]) for h in view["history"]] == [
        ("silver", "gold", "sale"), (None, "silver", "sale")]


def test_next_tier_and_what_is_missing(shop):
    shop.configure(tiers={**SILVER_GOLD, "window": "calendar_year"})
    budi = shop.member("Budi")
    shop.sell(budi, ("Sepatu", 1, 1650000))
    view = tier_of(shop, budi)
    assert view["tier"]["code"] == "silver"
    assert view["next_tier"]["code"] == "gold"
    assert view["missing"] == 3350000
    assert view["missing_by"] == "2026-12-31"


def test_tier_is_kept_until_review_then_follows_the_window(shop):
    shop.configure(tiers={**SILVER_GOLD, "window_months": 6, "review_months": 12})
    citra = shop.member("Citra")
    shop.sell(citra, ("Kulkas", 1, 5000000))  # gold on 2026-03-10, review 2027-03-10
    shop.now = datetime(2026, 12, 1, 5, 0, tzinfo=timezone.utc)
    shop.sell(citra, ("Kipas", 1, 1200000))
    shop.now = datetime(2027, 1, 15, 5, 0, tzinfo=timezone.utc)
    assert review_tiers(shop.database, shop.now, merchant_id=shop.merchant_id) == {"reviewed": 0, "changed": 0}
    assert tier_of(shop, citra)["tier"]["code"] == "gold"  # held until review although the window is lower

    # The job runs late (1 May): the review happens as of its day, 10 March, window [10 Sep, 10 Mar)
    shop.now = datetime(2027, 5, 1, 5, 0, tzinfo=timezone.utc)
    assert review_tiers(shop.database, shop.now, date(2027, 5, 1), merchant_id=shop.merchant_id) == {"reviewed": 1, "changed": 1}
    view = tier_of(shop, citra)
    assert view["tier"]["code"] == "silver"
    assert view["review_on"] == "2028-03-10"
    assert view["history"][0]["reason"] == "review"
    assert view["history"][0]["changed_on"] == "2027-03-10"
    assert review_tiers(shop.database, shop.now, date(2027, 5, 1), merchant_id=shop.merchant_id) == {"reviewed": 0, "changed": 0}


def test_manual_tier_is_a_floor(shop):
    shop.configure(tiers=SILVER_GOLD)
    dewi = shop.member("Dewi")
    with shop.database.write() as connection:
        set_tier_floor(connection, shop.caller, dewi, "silver", shop.now)
    assert tier_of(shop, dewi)["tier"]["code"] == "silver"
    shop.now = datetime(2027, 3, 11, 5, 0, tzinfo=timezone.utc)
    review_tiers(shop.database, shop.now, merchant_id=shop.merchant_id)
    view = tier_of(shop, dewi)
    assert (view["tier"]["code"], view["floor"]) == ("silver", "silver")  # no spend, the floor holds


def test_refund_below_the_threshold_takes_the_tier_back_at_once(shop):
    shop.configure(tiers=SILVER_GOLD)
    eka = shop.member("Eka")
    sale = shop.sell(eka, ("Jam tangan", 2, 500000))
    assert sale["tier"]["tier"] == "silver"
    refund = shop.refund(sale, [(0, 1)])
    assert refund["tier"] == {"tier": None, "downgraded": True, "qualifying": 500000}
    view = tier_of(shop, eka)
    assert view["tier"] is None
    assert view["history"][0]["reason"] == "refund"


def test_points_paid_and_redemptions_are_not_spend(shop):
    shop.configure(tiers=SILVER_GOLD, points_payment={"enabled": True, "rupiah_per_point": 200,
                                                      "minimum_points": 1, "maximum_share_percent": 50})
    fajar = shop.member("Fajar")
    shop.adjust(fajar, 100, "opening balance")
    sale = shop.sell(fajar, ("Meja", 1, 1000000), tenders=[{"kind": "points", "points": 100},
                                                            {"kind": "cash", "amount": 980000}])
    assert sale["tier"] == {"tier": None, "upgraded": False, "qualifying": 980000}
