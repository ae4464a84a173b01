"""Stamp cards, the digital paper card, as worked stories on SQLite and PostgreSQL.

Each story runs on a database of its own module (`own_database`): the daily job acts on every merchant.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from setia.adapters.db.tables import stamp_cards, stamp_movements
from setia.domain.errors import StampCardNotRedeemable, ValidationFailed
from setia.queries.stamps import member_stamp_cards
from setia.services.daily_job import run_daily

from tests.shop import Shop

COFFEE_CARD = {"id": "kopi", "name": "Kartu Kopi", "per": "item", "categories": ["coffee"], "card_size": 9,
               "reward": {"kind": "free_product", "product_sku": "KOPI"}}
COFFEE = ("Es Kopi Susu", 1, 25000, "KOPI", "coffee")
CROISSANT = ("Croissant", 1, 30000, "CROIS", "pastry")


def coffees(quantity: int) -> tuple:
    return ("Es Kopi Susu", quantity, 25000, "KOPI", "coffee")


@pytest.fixture
def shop(own_shop: Shop) -> Shop:
    return own_shop


def cards(shop: Shop, member_id: int, include_closed: bool = False) -> list[tuple]:
    """(status, stamps, owed) of the member's cards, oldest first."""
    with shop.database.read() as connection:
        items = member_stamp_cards(connection, shop.merchant_id, member_id, include_closed)
    return [(card["status"], card["stamps"], card["stamps_owed"]) for card in reversed(items)]


def card_ids(shop: Shop, member_id: int, status: str) -> list[str]:
    with shop.database.read() as connection:
        items = member_stamp_cards(connection, shop.merchant_id, member_id, include_closed=True)
    return [card["card_id"] for card in reversed(items) if card["status"] == status]


def movement_count(shop: Shop, member_id: int) -> int:
    with shop.database.read() as connection:
        return connection.execute(select(func.count()).select_from(stamp_movements)
                                  .where(stamp_movements.c.member_id == member_id)).scalar_one()


def test_buy_nine_coffees_the_tenth_is_free(shop):
    # Given a café whose coffee card fills with 9 coffees and gives a coffee free
    shop.configure(stamp_cards=[COFFEE_CARD])
    siti = shop.member("Siti")

    # When Siti buys two coffees and a croissant, only the coffees stamp her card
    first = shop.sell(siti, coffees(2), CROISSANT)
    assert first["stamps"]["earned"] == [{"definition_id": "kopi", "name": "Kartu Kopi", "stamps": 2}]
    assert first["stamps"]["completed"] == []
    assert cards(shop, siti) == [("in_progress", 2, 0)]

    # And eight more coffees fill the card; the 10th stamp starts the next card
    second = shop.sell(siti, coffees(8))
    assert second["stamps"]["earned"][0]["stamps"] == 8
    assert [(c["status"], c["stamps"]) for c in second["stamps"]["completed"]] == [("completed", 9)]
    assert cards(shop, siti) == [("completed", 9, 0), ("in_progress", 1, 0)]
    assert second["points"]["earned"] == 20  # points as usual, alongside

    # Then at a later sale the full card gives one coffee free: that coffee earns no stamp and no points
    full_card = card_ids(shop, siti, "completed")[0]
    third = shop.sell(siti, coffees(2), stamp_card_ids=[full_card])
    assert third["lines"][0]["line_discount"] == 25000
    assert third["totals"]["total_due"] == 25000
    assert third["points"]["earned"] == 2
    assert third["stamps"]["earned"][0]["stamps"] == 1
    assert [c["card_id"] for c in third["stamps"]["redeemed"]] == [full_card]
    assert cards(shop, siti) == [("in_progress", 2, 0)]
    assert card_ids(shop, siti, "redeemed") == [full_card]

    # A card is redeemed once: the second time is refused and changes nothing
    before = (shop.ledger_rows(siti), movement_count(shop, siti), cards(shop, siti, include_closed=True))
    with pytest.raises(StampCardNotRedeemable):
        shop.sell(siti, coffees(1), stamp_card_ids=[full_card])
    assert (shop.ledger_rows(siti), movement_count(shop, siti), cards(shop, siti, include_closed=True)) == before


def test_a_big_order_fills_several_cards(shop):
    shop.configure(stamp_cards=[{**COFFEE_CARD, "card_size": 5}])
    budi = shop.member("Budi")
    sale = shop.sell(budi, coffees(12))
    assert sale["stamps"]["earned"][0]["stamps"] == 12
    assert len(sale["stamps"]["completed"]) == 2
    assert cards(shop, budi) == [("completed", 5, 0), ("completed", 5, 0), ("in_progress", 2, 0)]


def test_stamp_per_visit_with_a_minimum_spend_and_a_fixed_discount(shop):
    # Given a salon: a stamp per visit of at least Rp50.000; 3 visits give Rp20.000 off
    shop.configure(stamp_cards=[{"id": "visit", "name": "Kartu Kunjungan", "per": "visit", "minimum_spend": 50000,
                                 "card_size": 3, "reward": {"kind": "fixed_discount", "discount_amount": 20000}}])
    dewi = shop.member("Dewi")

    # A visit below the minimum earns no stamp; one reaching it earns one, however many items
    assert shop.sell(dewi, ("Potong", 1, 40000))["stamps"]["earned"] == []
    assert shop.sell(dewi, ("Cuci", 2, 30000), ("Vitamin", 1, 5000))["stamps"]["earned"][0]["stamps"] == 1
    shop.sell(dewi, ("Creambath", 1, 50000))
    third = shop.sell(dewi, ("Creambath", 1, 50000))
    assert [c["reward"]["discount_amount"] for c in third["stamps"]["completed"]] == [20000]

    # The reward is refused, not cut, on a sale with less than Rp20.000 left to pay
    card = card_ids(shop, dewi, "completed")[0]
    before = (shop.ledger_rows(dewi), movement_count(shop, dewi))
    with pytest.raises(StampCardNotRedeemable):
        shop.sell(dewi, ("Sisir", 1, 15000), stamp_card_ids=[card])
    assert (shop.ledger_rows(dewi), movement_count(shop, dewi)) == before

    # On a Rp60.000 visit it takes Rp20.000 off in the rewards stage (after any tier discount, DESIGN.md §4);
    # Rp40.000 paid is below the minimum: no new stamp
    sale = shop.sell(dewi, ("Potong", 1, 60000), stamp_card_ids=[card])
    assert (sale["totals"]["order_discount"], sale["totals"]["reward_discount"]) == (0, 20000)
    assert sale["totals"]["total_due"] == 40000
    assert sale["stamps"]["earned"] == []
    assert sale["points"]["earned"] == 4


def test_a_card_expires_thirty_days_after_its_first_stamp(shop):
    shop.configure(stamp_cards=[{**COFFEE_CARD, "expiry_days": 30}])
    agus = shop.member("Agus")
    shop.sell(agus, coffees(3))  # 10 March: the card lasts until 9 April
    with shop.database.read() as connection:
        expires_on = connection.execute(select(stamp_cards.c.expires_on)
                                        .where(stamp_cards.c.member_id == agus)).scalar_one()
    assert expires_on.isoformat() == "2026-04-09"

    # On its last day it still takes stamps
    shop.later(days=30)
    shop.sell(agus, coffees(1))
    assert cards(shop, agus) == [("in_progress", 4, 0)]

    # The day after, a sale finds it expired (whether or not the job has run) and starts a new card
    shop.later(days=1)
    sale = shop.sell(agus, coffees(2))
    assert sale["stamps"]["earned"][0]["stamps"] == 2
    assert cards(shop, agus, include_closed=True) == [("expired", 0, 0), ("in_progress", 2, 0)]


def test_the_daily_job_expires_cards_of_members_who_dont_come_back(shop):
    shop.configure(stamp_cards=[{**COFFEE_CARD, "expiry_days": 7}])
    rina = shop.member("Rina")
    shop.sell(rina, coffees(5))
    shop.later(days=8)
    totals = run_daily(shop.database, shop.now)
    assert (totals["stamp_cards_expired"], totals["stamps_expired"]) >= (1, 5)
    assert cards(shop, rina, include_closed=True) == [("expired", 0, 0)]
    again = run_daily(shop.database, shop.now)
    assert again["stamp_cards_expired"] == 0
    assert cards(shop, rina, include_closed=True) == [("expired", 0, 0)]


def test_refunds_take_stamps_back_pro_rata(shop):
    shop.configure(stamp_cards=[COFFEE_CARD])
    eko = shop.member("Eko")
    sale = shop.sell(eko, coffees(4), CROISSANT)
    assert cards(shop, eko) == [("in_progress", 4, 0)]

    # Refunding the croissant takes no stamp; refunding 3 of 4 coffees takes 3
    assert shop.refund(sale, [(1, 1)])["stamps"]["reversed"] == []
    refund = shop.refund(sale, [(0, 3)])
    assert refund["stamps"]["reversed"] == [{"definition_id": "kopi", "stamps": 3,
                                             "stamps_not_taken_back_expired": 0}]
    assert cards(shop, eko) == [("in_progress", 1, 0)]

    # Refunding the rest takes the last one: refunding every part equals a full refund
    shop.refund(sale)
    assert cards(shop, eko) == [("in_progress", 0, 0)]


def test_a_refund_reopens_the_card_it_completed(shop):
    shop.configure(stamp_cards=[COFFEE_CARD])
    fajar = shop.member("Fajar")
    shop.sell(fajar, coffees(7))
    sale = shop.sell(fajar, coffees(4))  # fills the card (9) and puts 2 on the next
    assert cards(shop, fajar) == [("completed", 9, 0), ("in_progress", 2, 0)]

    shop.refund(sale, [(0, 3)])  # 3 back: the 2 on the new card, then 1 from the full card, which reopens
    assert cards(shop, fajar, include_closed=True) == [("in_progress", 8, 0), ("cancelled", 0, 0)]

    shop.sell(fajar, coffees(1))  # the reopened card fills again
    assert cards(shop, fajar) == [("completed", 9, 0)]


def test_stamps_of_a_redeemed_card_become_owed_and_the_next_stamps_repay_them(shop):
    shop.configure(stamp_cards=[{**COFFEE_CARD, "card_size": 3}])
    gita = shop.member("Gita")
    sale = shop.sell(gita, coffees(3))
    full = card_ids(shop, gita, "completed")[0]
    shop.sell(gita, ("Es Kopi Susu", 1, 25000, "KOPI", "coffee"), stamp_card_ids=[full])

    # Refunding the 3 coffees after the free one was given: the stamps are owed
    refund = shop.refund(sale)
    assert refund["stamps"]["reversed"][0]["stamps"] == 3
    assert cards(shop, gita) == [("in_progress", 0, 3)]

    # The next 4 coffees repay the 3 owed first; 1 stamp is left on the card
    shop.sell(gita, coffees(4))
    assert cards(shop, gita) == [("in_progress", 1, 0)]


def test_a_fully_refunded_sale_gives_back_the_card_it_redeemed(shop):
    shop.configure(stamp_cards=[{**COFFEE_CARD, "card_size": 2}])
    hana = shop.member("Hana")
    shop.sell(hana, coffees(2))
    full = card_ids(shop, hana, "completed")[0]
    redeeming = shop.sell(hana, coffees(1), CROISSANT, stamp_card_ids=[full])
    refund = shop.refund(redeeming)
    assert [c["card_id"] for c in refund["stamps"]["returned_cards"]] == [full]
    assert card_ids(shop, hana, "completed") == [full]


def test_a_card_whose_reward_is_points_credits_them_when_full(shop):
    shop.configure(stamp_cards=[{"id": "roti", "name": "Kartu Roti", "per": "item", "skus": ["CROIS"],
                                 "card_size": 2, "reward": {"kind": "points", "points": 30}}])
    indah = shop.member("Indah")
    sale = shop.sell(indah, ("Croissant", 2, 30000, "CROIS", "pastry"))
    assert sale["points"]["earned"] == 6
    assert sale["points"]["balance_after"] == 36
    assert cards(shop, indah, include_closed=True) == [("redeemed", 2, 0)]
    assert shop.balance(indah) == 36


def test_the_quote_shows_the_stamps_a_sale_would_earn(shop):
    shop.configure(stamp_cards=[COFFEE_CARD])
    joko = shop.member("Joko")
    quote = shop.quote(joko, coffees(3), CROISSANT)
    assert quote["stamps"]["earned"] == [{"definition_id": "kopi", "name": "Kartu Kopi", "stamps": 3}]
    assert cards(shop, joko) == []
    assert movement_count(shop, joko) == 0


def test_non_members_collect_no_stamps(shop):
    shop.configure(stamp_cards=[COFFEE_CARD])
    sale = shop.sell(None, coffees(3))
    assert "stamps" not in sale


@pytest.mark.parametrize(("card", "field"), [
    ({**COFFEE_CARD, "per": "month"}, "stamp_cards[0].per"),
    ({**COFFEE_CARD, "categories": []}, "stamp_cards[0].skus"),
    ({**COFFEE_CARD, "card_size": 0}, "stamp_cards[0].card_size"),
    ({**COFFEE_CARD, "reward": {"kind": "free_product"}}, "stamp_cards[0].reward.product_sku"),
    ({**COFFEE_CARD, "reward": {"kind": "fixed_discount", "discount_amount": -1}},
     "stamp_cards[0].reward.discount_amount"),
    ({**COFFEE_CARD, "expiry_days": 0}, "stamp_cards[0].expiry_days"),
    ({**COFFEE_CARD, "id": "kopi susu"}, "stamp_cards[0].id"),
])
def test_stamp_card_settings_are_validated_by_field(shop, card, field):
    with pytest.raises(ValidationFailed) as refused:
        shop.configure(stamp_cards=[card])
    assert refused.value.details["field"] == field


def test_two_cards_with_the_same_id_are_refused(shop):
    with pytest.raises(ValidationFailed) as refused:
        shop.configure(stamp_cards=[COFFEE_CARD, COFFEE_CARD])
    assert refused.value.details["field"] == "stamp_cards[1].id"


def test_stamps_land_on_several_cards_at_once(shop):
    shop.configure(stamp_cards=[COFFEE_CARD, {"id": "visit", "name": "Kunjungan", "per": "visit", "card_size": 5,
                                              "reward": {"kind": "points", "points": 10}}])
    kiki = shop.member("Kiki")
    sale = shop.sell(kiki, coffees(2))
    assert [(e["definition_id"], e["stamps"]) for e in sale["stamps"]["earned"]] == [("kopi", 2), ("visit", 1)]
    assert sorted(cards(shop, kiki)) == [("in_progress", 1, 0), ("in_progress", 2, 0)]


def test_history_sales_date_the_first_stamp_by_the_sale(shop):
    shop.configure(stamp_cards=[{**COFFEE_CARD, "expiry_days": 10}])
    lina = shop.member("Lina")
    shop.sell(lina, coffees(1), occurred_at=shop.now - timedelta(days=3))
    with shop.database.read() as connection:
        started_on = connection.execute(select(stamp_cards.c.started_on)
                                        .where(stamp_cards.c.member_id == lina)).scalar_one()
    assert started_on.isoformat() == "2026-03-07"


def test_stamp_cards_through_the_api(shop):
    from fastapi.testclient import TestClient

    from setia.entrypoints.api.app import create_app
    from setia.services.merchants import create_api_key

    with shop.database.write() as connection:
        key = create_api_key(connection, shop.merchant_id, "till", shop.now)
    client = TestClient(create_app(database=shop.database), headers={"Authorization": f"Bearer {key.key}"})
    changed = client.patch("/api/v1/program", json={"stamp_cards": [{**COFFEE_CARD, "card_size": 2}]})
    assert changed.status_code == 200, changed.json()
    assert changed.json()["stamp_cards"][0]["card_size"] == 2
    bad = client.patch("/api/v1/program", json={"stamp_cards": [{**COFFEE_CARD, "per": "hour"}]})
    assert (bad.status_code, bad.json()["details"]["field"]) == (422, "stamp_cards[0].per")

    member = client.post("/api/v1/members", json={"name": "Lia", "phone": "0812-7777-1234"}).json()
    coffee = {"sku": "KOPI", "name": "Es Kopi Susu", "category": "coffee", "quantity": 2, "unit_price": 25000}
    sale = client.post("/api/v1/sales", json={"member_id": member["id"], "lines": [coffee]}).json()
    assert [c["status"] for c in sale["stamps"]["completed"]] == ["completed"]
    cards = client.get(f"/api/v1/members/{member['id']}/stamp-cards").json()["items"]
    assert [(c["status"], c["stamps"], c["card_size"]) for c in cards] == [("completed", 2, 2)]

    body = {"member_id": member["id"], "lines": [coffee], "stamp_card_ids": [cards[0]["card_id"]]}
    quote = client.post("/api/v1/sales/quote", json=body).json()
    assert (quote["totals"]["total_due"], quote["stamps"]["earned"][0]["stamps"]) == (25000, 1)
    redeemed = client.post("/api/v1/sales", json=body)
    assert redeemed.status_code == 201, redeemed.json()
    again = client.post("/api/v1/sales", json=body)
    assert (again.status_code, again.json()["code"]) == (422, "stamp_card_not_redeemable")
    assert client.get("/api/v1/members/999999999/stamp-cards").status_code == 404


def test_tills_redeeming_one_full_card_at_once_redeem_it_once(shop):
    from concurrent.futures import ThreadPoolExecutor

    shop.configure(stamp_cards=[{**COFFEE_CARD, "card_size": 2}])
    mega = shop.member("Mega")
    shop.sell(mega, coffees(2))
    full = card_ids(shop, mega, "completed")[0]

    def redeem(_index: int) -> str:
        try:
            shop.sell(mega, coffees(1), stamp_card_ids=[full])
            return "redeemed"
        except StampCardNotRedeemable:
            return "refused"

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = sorted(pool.map(redeem, range(6)))
    assert outcomes == ["redeemed"] + ["refused"] * 5
    assert card_ids(shop, mega, "redeemed") == [full]


def test_a_full_cards_fixed_discount_comes_after_the_tier_discount(shop):
    from setia.services.tiers import set_tier_floor

    from tests.test_tiers import SILVER_GOLD

    shop.configure(tiers=SILVER_GOLD, stamp_cards=[
        {"id": "visit", "name": "Kartu Kunjungan", "per": "visit", "minimum_spend": 10000, "card_size": 1,
         "reward": {"kind": "fixed_discount", "discount_amount": 20000}}])
    wulan = shop.member("Wulan")
    with shop.database.write() as connection:
        set_tier_floor(connection, shop.caller, wulan, "gold", shop.now)
    shop.sell(wulan, ("Potong", 1, 50000))  # fills the one-stamp card
    card = card_ids(shop, wulan, "completed")[0]
    sale = shop.sell(wulan, ("Creambath", 1, 100000), stamp_card_ids=[card])
    # Rp100.000 − Gold 10% = Rp90.000, then the card's Rp20.000: Rp70.000 to pay
    assert (sale["totals"]["tier_discount"], sale["totals"]["reward_discount"], sale["totals"]["total_due"]) == \
        (10000, 20000, 70000)
