"""Worked loyalty stories, end to end through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from setia.domain.errors import (
    InsufficientPoints,
    PointsDebtOpen,
    PointsPaymentNotAllowed,
    RefundInvalid,
    RewardNotApplicable,
    TenderInvalid,
    TotalsMismatch,
)
from setia.services.expiry import expire_points


def test_cafe_one_point_per_15000_and_a_free_drink_for_100(shop):
    # Given a café giving 1 point per Rp15.000 and a free Es Kopi Susu for 100 points
    shop.configure(spend_rule={"step_amount": 15000, "points_per_step": 1})
    free_drink = shop.reward(name="Gratis Es Kopi Susu", kind="free_product", points_cost=100,
                             product_sku="KOPI-SUSU")
    siti = shop.member("Siti")

    # When she buys two coffees and a croissant for Rp80.000
    first = shop.sell(siti, ("Es Kopi Susu", 2, 25000, "KOPI-SUSU"), ("Croissant", 1, 30000, "CROIS"),
                      tenders=[{"kind": "cash", "amount": 100000}])

    # Then she earns floor(80.000 / 15.000) = 5 points and gets Rp20.000 change
    assert first["totals"]["total_due"] == 80000
    assert first["totals"]["change_due"] == 20000
    assert first["points"]["earned"] == 5
    assert first["points"]["rules"] == [{"rule": "spend", "description": "1 per Rp15000", "points": 5,
                                         "rule_id": "spend"}]
    assert first["points"]["balance_after"] == 5

    # And with 100 more points from the owner, her next coffee is free; the croissant still earns
    shop.adjust(siti, 100, "welcome gift")
    second = shop.sell(siti, ("Es Kopi Susu", 1, 25000, "KOPI-SUSU"), ("Croissant", 1, 30000, "CROIS"),
                       reward_ids=[free_drink])
    assert second["lines"][0]["reward_discount"] == 25000
    assert second["totals"]["total_due"] == 30000
    assert second["points"]["spent"] == 100
    assert second["points"]["earned"] == 2
    assert second["points"]["balance_after"] == 7
    assert shop.balance(siti) == 7


def test_shop_points_expire_twelve_months_after_earning(shop):
    # Given a shop with 1 point per Rp10.000 and points that expire after 12 months
    shop.configure(expiry={"kind": "months", "length": 12})
    budi = shop.member("Budi")
    sale = shop.sell(budi, ("Sepatu", 1, 250000))
    assert sale["points"]["earned"] == 25
    assert sale["points"]["expiring"] == [{"expires_on": "2027-03-10", "points": 25}]

    # The points can be spent until the end of their expiry day in Jakarta, and never after,
    # whether or not the expiry job has run
    shop.now = datetime(2027, 3, 10, 16, 59, tzinfo=timezone.utc)  # 23:59 in Jakarta
    assert shop.balance(budi) == 25
    shop.now = datetime(2027, 3, 10, 17, 0, tzinfo=timezone.utc)  # 00:00 on the 11th in Jakarta
    assert shop.balance(budi) == 0
    reward = shop.reward(name="Rp2.000 off", kind="fixed_discount", points_cost=25, discount_amount=2000)
    with pytest.raises(InsufficientPoints):
        shop.sell(budi, ("Kaos", 1, 50000), reward_ids=[reward])

    # The job expires them once; running it again (or late) changes nothing
    job = {"merchant_id": shop.merchant_id}
    assert expire_points(shop.database, shop.now, date(2027, 3, 11), **job) == {"members": 1, "points": 25}
    assert expire_points(shop.database, shop.now, date(2027, 3, 11), **job) == {"members": 0, "points": 0}
    assert shop.balance(budi) == 0
    history = shop.view(budi)
    assert history["points"] == {"balance": 0, "debt": 0, "expiring": []}


def test_shop_100_points_for_rp20000_off(shop):
    # Given 1 point per Rp10.000 and Rp20.000 off for 100 points
    voucher = shop.reward(name="Potongan Rp20.000", kind="fixed_discount", points_cost=100, discount_amount=20000)
    dewi = shop.member("Dewi")
    shop.sell(dewi, ("Blender", 1, 1000000))
    assert shop.balance(dewi) == 100

    # When she redeems it on a Rp150.000 sale
    sale = shop.sell(dewi, ("Panci", 1, 150000), reward_ids=[voucher],
                     tenders=[{"kind": "qris", "amount": 130000, "reference": "QR-123"}])

    # Then she pays Rp130.000 and earns on what she paid: 13 points
    assert sale["totals"]["reward_discount"] == 20000
    assert sale["totals"]["total_due"] == 130000
    assert sale["tenders"] == [{"kind": "qris", "amount": 130000, "points": 0, "reference": "QR-123"}]
    assert sale["points"]["spent"] == 100
    assert sale["points"]["earned"] == 13
    assert shop.balance(dewi) == 13


def test_points_as_payment_within_the_share_and_minimum(shop):
    shop.configure(points_payment={"enabled": True, "rupiah_per_point": 200, "minimum_points": 50,
                                   "maximum_share_percent": 50})
    agus = shop.member("Agus")
    shop.adjust(agus, 300, "opening balance")

    # 100 points pay Rp20.000 of a Rp100.000 bill; points paid don't earn
    sale = shop.sell(agus, ("Jaket", 1, 100000),
                     tenders=[{"kind": "points", "points": 100}, {"kind": "cash", "amount": 100000}])
    assert sale["totals"]["points_tender_value"] == 20000
    assert sale["totals"]["change_due"] == 20000
    assert sale["points"]["earned"] == 8
    assert sale["points"]["spent"] == 100
    assert shop.balance(agus) == 208

    before = shop.ledger_rows(agus)
    with pytest.raises(PointsPaymentNotAllowed):  # below the minimum
        shop.sell(agus, ("Topi", 1, 100000), tenders=[{"kind": "points", "points": 40},
                                                      {"kind": "cash", "amount": 92000}])
    with pytest.raises(PointsPaymentNotAllowed):  # more than half the bill
        shop.sell(agus, ("Topi", 1, 100000), tenders=[{"kind": "points", "points": 251},
                                                      {"kind": "cash", "amount": 50000}])
    assert shop.ledger_rows(agus) == before
    assert shop.balance(agus) == 208


def test_refused_sales_write_nothing(shop):
    voucher = shop.reward(name="Rp50.000 off", kind="fixed_discount", points_cost=100, discount_amount=50000)
    rina = shop.member("Rina")
    shop.adjust(rina, 150, "opening balance")
    before = shop.ledger_rows(rina)
    with pytest.raises(InsufficientPoints) as refused:  # two rewards, 150 points
        shop.sell(rina, ("Tas", 1, 300000), reward_ids=[voucher, voucher])
    assert refused.value.details == {"balance": 150, "requested": 200}
    with pytest.raises(RewardNotApplicable):  # a fixed reward bigger than what is left is refused, not cut
        shop.sell(rina, ("Gantungan kunci", 1, 30000), reward_ids=[voucher])
    with pytest.raises(TotalsMismatch):
        shop.sell(rina, ("Tas", 1, 300000), expected_total=290000)
    with pytest.raises(TenderInvalid):  # card can't exceed what is due: change is cash only
        shop.sell(rina, ("Tas", 1, 300000), tenders=[{"kind": "card", "amount": 310000}])
    with pytest.raises(TenderInvalid):  # tenders must cover the bill
        shop.sell(rina, ("Tas", 1, 300000), tenders=[{"kind": "cash", "amount": 200000}])
    assert shop.ledger_rows(rina) == before
    assert shop.balance(rina) == 150


def test_partial_refunds_add_up_to_a_full_refund_to_the_point(shop):
    eko = shop.member("Eko")
    sale = shop.sell(eko, ("Kemeja", 2, 50000), ("Celana", 1, 30000), ("Kaos kaki", 3, 10000),
                     order_discount=10000)
    # The order discount is shared in proportion: 6.250 / 1.875 / 1.875
    assert [line["net_amount"] for line in sale["lines"]] == [93750, 28125, 28125]
    assert sale["points"]["earned"] == 15

    first = shop.refund(sale, [(0, 1)])  # one shirt: Rp46.875 of Rp150.000 → floor(15 × 0,3125) = 4
    assert (first["value"], first["points_taken_back"]) == (46875, 4)
    assert shop.balance(eko) == 11
    second = shop.refund(sale, [(2, 2)])  # cumulative Rp65.625 → floor(6,5625) = 6
    assert second["points_taken_back"] == 2
    rest = shop.refund(sale)
    assert rest["points_taken_back"] == 9
    assert rest["sale_status"] == "refunded"
    assert shop.balance(eko) == 0
    with pytest.raises(RefundInvalid):
        shop.refund(sale)


def test_refund_of_spent_points_becomes_a_debt_repaid_by_new_points(shop):
    voucher = shop.reward(name="Rp20.000 off", kind="fixed_discount", points_cost=100, discount_amount=20000)
    joko = shop.member("Joko")
    big = shop.sell(joko, ("Kulkas", 1, 1000000))  # 100 points
    shop.sell(joko, ("Rice cooker", 1, 100000), reward_ids=[voucher])  # spends 100, earns 8
    assert shop.balance(joko) == 8

    # Refunding the big sale takes back 100: 8 from his other lot, 92 become a debt
    refund = shop.refund(big)
    assert refund["points_taken_back"] == 100
    assert shop.debt(joko) == 92
    assert shop.balance(joko) == -92

    # Redemption is blocked while the debt is open; new points repay it first
    with pytest.raises(PointsDebtOpen):
        shop.sell(joko, ("Sendok", 1, 50000), reward_ids=[voucher])
    shop.sell(joko, ("TV", 1, 500000))  # 50 points
    assert (shop.debt(joko), shop.balance(joko)) == (42, -42)
    shop.adjust(joko, 50, "goodwill")
    assert (shop.debt(joko), shop.balance(joko)) == (0, 8)
    assert shop.view(joko)["points"]["expiring"] == []


def test_refund_returns_spent_points_to_their_lots_and_takes_back_earned(shop):
    shop.configure(expiry={"kind": "days", "length": 30})
    voucher = shop.reward(name="Rp20.000 off", kind="fixed_discount", points_cost=100, discount_amount=20000)
    maya = shop.member("Maya")
    shop.sell(maya, ("Lemari", 1, 1200000))  # 120 points, expire 2026-04-09
    redeem = shop.sell(maya, ("Kursi", 1, 220000), reward_ids=[voucher])  # -100, +20 (expire 2026-04-09)
    assert shop.balance(maya) == 40
    refund = shop.refund(redeem)
    assert (refund["points_returned"], refund["points_taken_back"]) == (100, 20)
    assert shop.balance(maya) == 120
    assert shop.view(maya)["points"]["expiring"] == [{"expires_on": "2026-04-09", "points": 120}]


def test_refund_after_expiry_does_not_take_back_expired_points(shop):
    shop.configure(expiry={"kind": "days", "length": 30})
    hendra = shop.member("Hendra")
    sale = shop.sell(hendra, ("Sepeda", 1, 250000))  # 25 points, last day 2026-04-09
    shop.later(days=31)
    shop.sell(hendra, ("Helm", 1, 100000))  # 10 fresh points
    refund = shop.refund(sale)
    assert refund["points_taken_back"] == 0
    assert refund["points_not_taken_back_expired"] == 25
    assert shop.balance(hendra) == 10


def test_points_returned_to_an_expired_lot_expire_at_once(shop):
    shop.configure(expiry={"kind": "days", "length": 10})
    voucher = shop.reward(name="Rp5.000 off", kind="fixed_discount", points_cost=50, discount_amount=5000)
    intan = shop.member("Intan")
    shop.sell(intan, ("Parfum", 1, 500000))  # 50 points, last day 2026-03-20
    redeem = shop.sell(intan, ("Sabun", 1, 5000), reward_ids=[voucher])  # spends the 50, pays Rp0
    shop.later(days=11)
    refund = shop.refund(redeem)
    assert refund["points_returned"] == 50
    assert shop.balance(intan) == 0  # back into a lot past its day: expired again


def test_clamp_setting_lets_go_of_what_can_not_be_taken_back(shop):
    shop.configure(debt_policy="clamp")
    voucher = shop.reward(name="Rp20.000 off", kind="fixed_discount", points_cost=100, discount_amount=20000)
    rudi = shop.member("Rudi")
    big = shop.sell(rudi, ("Kulkas", 1, 1000000))
    shop.sell(rudi, ("Rice cooker", 1, 100000), reward_ids=[voucher])
    refund = shop.refund(big)
    assert (refund["points_taken_back"], refund["points_let_go"]) == (8, 92)
    assert (shop.balance(rudi), shop.debt(rudi)) == (0, 0)


def test_void_and_sale_without_member(shop):
    sale = shop.sell(None, ("Air mineral", 2, 5000), tenders=[{"kind": "cash", "amount": 20000}])
    assert sale["points"]["earned"] == 0
    assert sale["totals"]["change_due"] == 10000
    void = shop.refund(sale, void=True)
    assert void["sale_status"] == "voided"
    assert void["money_refunded"] == 10000


def test_excluded_categories_do_not_earn(shop):
    shop.configure(excluded_categories=["rokok"])
    putri = shop.member("Putri")
    sale = shop.sell(putri, ("Rokok", 1, 35000, "RK1", "rokok"), ("Roti", 1, 20000, "RT1", "roti"))
    assert sale["points"]["earn_base"] == 20000
    assert sale["points"]["earned"] == 2


def test_quote_matches_the_sale_and_writes_nothing(shop):
    voucher = shop.reward(name="10% off", kind="percent_discount", points_cost=50, percent=10, cap_amount=15000)
    siti = shop.member("Siti")
    shop.adjust(siti, 60, "opening")
    before = shop.ledger_rows(siti)
    quote = shop.quote(siti, ("Gaun", 1, 200000), reward_ids=[voucher])
    assert shop.ledger_rows(siti) == before
    assert quote["totals"]["reward_discount"] == 15000  # 10% capped at Rp15.000
    assert quote["points"]["balance_after"] == 60 - 50 + 18
    sale = shop.sell(siti, ("Gaun", 1, 200000), reward_ids=[voucher])
    assert sale["totals"] == quote["totals"]
    assert sale["points"]["earned"] == quote["points"]["earned"]
    assert sale["points"]["balance_after"] == quote["points"]["balance_after"]


def test_retrying_a_sale_with_its_external_id_returns_the_first(shop):
    from setia.domain.errors import DuplicateSale

    budi = shop.member("Budi")
    first = shop.sell(budi, ("Kopi", 1, 20000), external_id="till-1-0001")
    again = shop.sell(budi, ("Kopi", 1, 20000), external_id="till-1-0001")
    assert again["id"] == first["id"]
    assert shop.balance(budi) == 2
    with pytest.raises(DuplicateSale):
        shop.sell(budi, ("Kopi", 2, 20000), external_id="till-1-0001")
    assert shop.balance(budi) == 2
