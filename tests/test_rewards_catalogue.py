"""The rewards catalogue, on SQLite and PostgreSQL: merchandise with stock, limits per member and in total,
availability dates, tiers, and the catalogue's fields through the API."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import select, update

from setia.adapters.db.tables import members, reward_redemptions, rewards
from setia.adapters.rate_limit import voucher_lookup_failures
from setia.domain.errors import (
    InsufficientPoints,
    NotFound,
    RewardNotApplicable,
    RewardUnavailable,
    SetiaError,
    ValidationFailed,
)
from setia.services.reward_catalogue import redeem_reward

from tests.shop import Shop
from tests.test_api import API, assert_error, merchant_with_key

COFFEE = ("Es Kopi Susu", 1, 25000, "KOPI", "coffee")


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> Iterator[None]:
    voucher_lookup_failures.reset()
    yield


def redeem(shop: Shop, member_id: int, reward_id: str) -> dict[str, Any]:
    with shop.database.write() as connection:
        return redeem_reward(connection, shop.caller, member_id, reward_id, shop.now)


def stock(shop: Shop, reward_id: str) -> int | None:
    with shop.database.read() as connection:
        return connection.execute(select(rewards.c.stock).where(rewards.c.id == int(reward_id))).scalar_one()


def redemptions(shop: Shop) -> int:
    with shop.database.read() as connection:
        return len(connection.execute(select(reward_redemptions.c.id).where(
            reward_redemptions.c.merchant_id == shop.merchant_id)).all())


def refused(shop: Shop, member_id: int, error: type[SetiaError], action: Any) -> SetiaError:
    """`action` is refused with `error` and the member's balance, ledger rows and redemptions don't change."""
    before = (shop.balance(member_id), shop.ledger_rows(member_id), redemptions(shop))
    with pytest.raises(error) as raised:
        action()
    assert (shop.balance(member_id), shop.ledger_rows(member_id), redemptions(shop)) == before
    return raised.value


def set_tier(shop: Shop, member_id: int, tier_code: str | None) -> None:
    # The tier is the tiers engine's to set; here it is only the story's starting point.
    with shop.database.write() as connection:
        connection.execute(update(members).where(members.c.id == member_id).values(tier_code=tier_code))


# Merchandise ---------------------------------------------------------------------------------------------------

def test_merchandise_is_handed_over_until_the_stock_runs_out(shop):
    tumbler = shop.reward(name="Tumbler Setia", kind="merchandise", points_cost=200, stock=2)
    siti, budi, ani = shop.member("Siti"), shop.member("Budi"), shop.member("Ani")
    for member in (siti, budi, ani):
        shop.adjust(member, 250)

    first = redeem(shop, siti, tumbler)
    assert (first["redemption"]["kind"], first["stock_left"], first["balance_after"], first["voucher"]) == (
        "merchandise", 1, 50, None)
    assert redeem(shop, budi, tumbler)["stock_left"] == 0

    error = refused(shop, ani, RewardUnavailable, lambda: redeem(shop, ani, tumbler))
    assert error.details["reason"] == "out_of_stock"
    assert stock(shop, tumbler) == 0
    assert shop.balance(ani) == 250


def test_merchandise_needs_the_points_and_is_not_taken_off_a_sale(shop):
    tumbler = shop.reward(name="Tumbler Setia", kind="merchandise", points_cost=200, stock=5)
    siti = shop.member("Siti")
    shop.adjust(siti, 150)
    refused(shop, siti, InsufficientPoints, lambda: redeem(shop, siti, tumbler))
    assert stock(shop, tumbler) == 5  # the whole redemption rolled back, stock included
    shop.adjust(siti, 100)
    refused(shop, siti, RewardNotApplicable, lambda: shop.sell(siti, COFFEE, reward_ids=[tumbler]))
    discount = shop.reward(name="Rp5.000 off", kind="fixed_discount", points_cost=10, discount_amount=5000)
    refused(shop, siti, RewardNotApplicable, lambda: redeem(shop, siti, discount))


def test_two_members_redeeming_the_last_item_at_once_exactly_one_gets_it(shop):
    tumbler = shop.reward(name="Tumbler Setia", kind="merchandise", points_cost=100, stock=1)
    contenders = [shop.member(f"Member {index}") for index in range(6)]
    for member in contenders:
        shop.adjust(member, 100)
    start = threading.Barrier(len(contenders))
    results: dict[int, Any] = {}

    def attempt(member_id: int) -> None:
        start.wait()
        try:
            results[member_id] = redeem(shop, member_id, tumbler)
        except SetiaError as error:
            results[member_id] = error

    threads = [threading.Thread(target=attempt, args=(member,)) for member in contenders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = [member for member, result in results.items() if isinstance(result, dict)]
    assert len(winners) == 1, results
    losers = [result for result in results.values() if not isinstance(result, dict)]
    assert all(isinstance(error, RewardUnavailable) and error.details["reason"] == "out_of_stock"
               for error in losers), losers
    assert stock(shop, tumbler) == 0
    assert redemptions(shop) == 1
    assert sorted(shop.balance(member) for member in contenders) == [0] + [100] * 5


# Limits --------------------------------------------------------------------------------------------------------

def test_a_reward_once_per_member_per_month(shop):
    # Given Rp5.000 off for 10 points, once a month per member
    reward = shop.reward(name="Rp5.000 off", kind="fixed_discount", points_cost=10, discount_amount=5000,
                         member_limit=1, limit_period="month")
    siti, budi = shop.member("Siti"), shop.member("Budi")
    shop.adjust(siti, 100)
    shop.adjust(budi, 100)

    assert shop.sell(siti, COFFEE, reward_ids=[reward])["totals"]["reward_discount"] == 5000
    error = refused(shop, siti, RewardUnavailable, lambda: shop.sell(siti, COFFEE, reward_ids=[reward]))
    assert error.details == {"reason": "member_limit", "reward_id": reward, "limit": 1}
    assert shop.sell(budi, COFFEE, reward_ids=[reward])["totals"]["reward_discount"] == 5000  # hers, not his

    shop.now = datetime(2026, 4, 1, 0, 0, tzinfo=timezone.utc)  # 07:00 on 1 April in Jakarta: a new month
    assert shop.sell(siti, COFFEE, reward_ids=[reward])["totals"]["reward_discount"] == 5000


def test_a_total_limit_counts_everyone_and_a_full_refund_gives_a_redemption_back(shop):
    reward = shop.reward(name="Rp5.000 off", kind="fixed_discount", points_cost=10, discount_amount=5000,
                         total_limit=2)
    siti, budi, ani = shop.member("Siti"), shop.member("Budi"), shop.member("Ani")
    for member in (siti, budi, ani):
        shop.adjust(member, 100)
    sitis = shop.sell(siti, COFFEE, reward_ids=[reward])
    shop.sell(budi, COFFEE, reward_ids=[reward])
    error = refused(shop, ani, RewardUnavailable, lambda: shop.sell(ani, COFFEE, reward_ids=[reward]))
    assert error.details["reason"] == "total_limit"

    shop.refund(sitis)
    assert shop.balance(siti) == 100
    assert shop.sell(ani, COFFEE, reward_ids=[reward])["points"]["spent"] == 10


def test_limits_count_voucher_redemptions_and_a_cancel_gives_one_back(shop):
    reward = shop.reward(name="Voucher Rp10.000", kind="voucher", points_cost=50, member_limit=2,
                         voucher={"value_kind": "fixed", "amount": 10000})
    siti = shop.member("Siti")
    shop.adjust(siti, 500)
    first = redeem(shop, siti, reward)
    redeem(shop, siti, reward)
    refused(shop, siti, RewardUnavailable, lambda: redeem(shop, siti, reward))
    from setia.services.vouchers import cancel_voucher

    with shop.database.write() as connection:
        cancel_voucher(connection, shop.caller, int(first["voucher"]["id"]), shop.now)
    assert shop.balance(siti) == 450
    assert redeem(shop, siti, reward)["balance_after"] == 400


# Dates and tiers ------------------------------------------------------------------------------------------------

def test_a_reward_is_available_only_between_its_dates_in_the_merchants_time_zone(shop):
    reward = shop.reward(name="Ramadan Rp5.000", kind="fixed_discount", points_cost=10, discount_amount=5000,
                         available_from="2026-03-11", available_to="2026-03-12")
    siti = shop.member("Siti")
    shop.adjust(siti, 100)
    error = refused(shop, siti, RewardUnavailable, lambda: shop.sell(siti, COFFEE, reward_ids=[reward]))
    assert error.details["reason"] == "not_yet_available"
    shop.now = datetime(2026, 3, 10, 17, 30, tzinfo=timezone.utc)  # 00:30 on the 11th in Jakarta
    assert shop.sell(siti, COFFEE, reward_ids=[reward])["totals"]["total_due"] == 20000
    shop.now = datetime(2026, 3, 12, 16, 59, tzinfo=timezone.utc)  # 23:59 on the 12th
    assert shop.quote(siti, COFFEE, reward_ids=[reward])["totals"]["total_due"] == 20000
    shop.now = datetime(2026, 3, 12, 17, 0, tzinfo=timezone.utc)  # the 13th
    error = refused(shop, siti, RewardUnavailable, lambda: shop.sell(siti, COFFEE, reward_ids=[reward]))
    assert error.details["reason"] == "no_longer_available"


def test_a_tier_only_reward_is_for_members_of_that_tier(shop):
    tumbler = shop.reward(name="Gold tumbler", kind="merchandise", points_cost=100, tier_codes=["gold"])
    lounge = shop.reward(name="Gold Rp5.000", kind="fixed_discount", points_cost=10, discount_amount=5000,
                         tier_codes=["gold", "platinum"])
    siti, budi = shop.member("Siti"), shop.member("Budi")
    for member in (siti, budi):
        shop.adjust(member, 200)
    set_tier(shop, siti, "gold")
    set_tier(shop, budi, "silver")

    assert redeem(shop, siti, tumbler)["balance_after"] == 100
    error = refused(shop, budi, RewardUnavailable, lambda: redeem(shop, budi, tumbler))
    assert error.details["reason"] == "tier"
    refused(shop, budi, RewardUnavailable, lambda: shop.sell(budi, COFFEE, reward_ids=[lounge]))
    assert shop.sell(siti, COFFEE, reward_ids=[lounge])["totals"]["reward_discount"] == 5000


# Setting it up ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("data, field", [
    ({"kind": "voucher"}, "voucher"),
    ({"kind": "voucher", "voucher": {"value_kind": "percent", "percent": 0}}, "voucher.percent"),
    ({"kind": "voucher", "voucher": {"value_kind": "fixed", "amount": 1000}, "voucher_valid_days": 0},
     "voucher_valid_days"),
    ({"kind": "merchandise", "member_limit": 0}, "member_limit"),
    ({"kind": "merchandise", "limit_period": "fortnight"}, "limit_period"),
    ({"kind": "merchandise", "available_from": "2026-05-01", "available_to": "2026-04-01"}, "available_to"),
    ({"kind": "merchandise", "stock": -1}, "stock"),
    ({"kind": "fixed_discount", "discount_amount": 1000, "stock": 3}, "stock"),
    ({"kind": "fixed_discount", "discount_amount": 1000, "voucher": {"value_kind": "fixed", "amount": 1}},
     "voucher"),
])
def test_invalid_catalogue_terms_are_refused_naming_the_field(shop, data, field):
    with pytest.raises(ValidationFailed) as error:
        shop.reward(name="Bad", points_cost=10, **data)
    assert error.value.details["field"] == field


def test_the_api_takes_the_catalogue_fields_and_a_patch_changes_them(database):
    shop = merchant_with_key(database)
    response = shop.client.post(f"{API}/rewards", json={
        "name": "Tumbler", "kind": "merchandise", "points_cost": 500, "stock": 20, "tier_codes": ["gold"],
        "member_limit": 1, "limit_period": "month", "available_from": "2026-01-01", "available_to": "2026-12-31"})
    assert response.status_code == 201, response.json()
    tumbler = response.json()
    assert {key: tumbler[key] for key in ("kind", "stock", "tier_codes", "member_limit", "limit_period",
                                          "available_from", "available_to")} == {
        "kind": "merchandise", "stock": 20, "tier_codes": ["gold"], "member_limit": 1, "limit_period": "month",
        "available_from": "2026-01-01", "available_to": "2026-12-31"}

    patched = shop.client.patch(f"{API}/rewards/{tumbler['id']}", json={"stock": 35, "tier_codes": []})
    assert patched.status_code == 200, patched.json()
    assert (patched.json()["stock"], patched.json()["tier_codes"], patched.json()["member_limit"]) == (35, [], 1)
    assert_error(shop.client.patch(f"{API}/rewards/{tumbler['id']}", json={"member_limit": 0}), 422,
                 "validation_failed")
    assert_error(shop.client.patch(f"{API}/rewards/{tumbler['id']}", json={"available_to": "2025-01-01"}), 422,
                 "validation_failed", field="available_to")
    assert shop.client.patch(f"{API}/rewards/{tumbler['id']}", json={"active": False}).json()["active"] is False
    program = shop.client.get(f"{API}/program").json()
    assert [reward["active"] for reward in program["rewards"]] == [False]

    voucher = shop.client.post(f"{API}/rewards", json={
        "name": "Voucher", "kind": "voucher", "points_cost": 100, "voucher_valid_days": 30,
        "voucher": {"value_kind": "percent", "percent": 10, "cap_amount": 20000, "skus": ["KOPI"]}}).json()
    siti = shop.register("Siti")
    shop.adjust(siti["id"], 120)
    redeemed = shop.client.post(f"{API}/members/{siti['id']}/rewards/{voucher['id']}/redeem")
    assert redeemed.status_code == 201, redeemed.json()
    assert redeemed.json()["balance_after"] == 20
    assert redeemed.json()["voucher"]["voucher"]["skus"] == ["KOPI"]
    listed = shop.client.get(f"{API}/members/{siti['id']}/vouchers").json()["items"]
    assert [item["code"] for item in listed] == [redeemed.json()["voucher"]["code"]]
    assert_error(shop.client.post(f"{API}/members/{siti['id']}/rewards/{voucher['id']}/redeem"), 422,
                 "insufficient_points")
    assert_error(shop.client.post(f"{API}/members/{siti['id']}/rewards/{tumbler['id']}/redeem"), 404,
                 "not_found")  # withdrawn


def test_an_unknown_reward_is_not_found(shop):
    siti = shop.member("Siti")
    refused(shop, siti, NotFound, lambda: redeem(shop, siti, "999999"))
