"""Voucher codes, end to end on SQLite and PostgreSQL: bought with points, issued in bulk or to a member, used
in sales, refused the same way whatever the reason, rate limited, cancelled with the points given back."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timezone
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from setia.adapters.db.engine import Database
from setia.adapters.db.tables import sales, transfers, voucher_uses, vouchers
from setia.adapters.rate_limit import voucher_lookup_failures
from setia.domain.errors import RateLimited, SetiaError, ValidationFailed, VoucherInvalid, VoucherNotApplicable
from setia.entrypoints.cli import main as cli
from setia.queries.ledger_verify import verify_ledger
from setia.services import vouchers as voucher_service
from setia.services.context import Caller
from setia.services.reward_catalogue import redeem_reward

from tests.shop import Shop
from tests.test_api import API, assert_error, merchant_with_key

CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")
COFFEE = ("Es Kopi Susu", 1, 25000, "KOPI", "coffee")
CROISSANT = ("Croissant", 1, 30000, "CROIS", "pastry")


@pytest.fixture(autouse=True)
def fresh_rate_limits_and_a_clean_ledger(database: Database) -> Iterator[None]:
    # The limiter is per process; merchant ids repeat between the SQLite and PostgreSQL runs.
    voucher_lookup_failures.reset()
    yield
    voucher_lookup_failures.reset()
    with database.read() as connection:
        assert verify_ledger(connection) == []


def redeem(shop: Shop, member_id: int, reward_id: str) -> dict[str, Any]:
    with shop.database.write() as connection:
        return redeem_reward(connection, shop.caller, member_id, reward_id, shop.now)


def issue(**data: Any) -> voucher_service.IssueTerms:
    return voucher_service.issue_terms_from_dict(data)


def give(shop: Shop, member_id: int, **data: Any) -> dict[str, Any]:
    with shop.database.write() as connection:
        return voucher_service.issue_to_member(connection, shop.caller, member_id, issue(**data), shop.now)


def campaign(shop: Shop, count: int = 1, **data: Any) -> list[str]:
    """A batch of codes for anyone; returns the codes."""
    with shop.database.write() as connection:
        batch = voucher_service.create_batch(connection, shop.caller, "campaign", count, issue(**data), shop.now)
        text = voucher_service.batch_codes_csv(connection, shop.merchant_id, int(batch["id"]))
    return [row["code"] for row in csv.DictReader(io.StringIO(text))]


def cancel(shop: Shop, voucher_id: str) -> dict[str, Any]:
    with shop.database.write() as connection:
        return voucher_service.cancel_voucher(connection, shop.caller, int(voucher_id), shop.now)


def voucher_state(shop: Shop, code: str) -> tuple[int, int]:
    """(uses taken, standing use rows) of a code."""
    with shop.database.read() as connection:
        voucher = connection.execute(select(vouchers.c.id, vouchers.c.uses)
                                     .where(vouchers.c.code == code)).one()
        standing = connection.execute(select(func.count()).select_from(voucher_uses).where(
            voucher_uses.c.voucher_id == voucher.id, voucher_uses.c.released_at.is_(None))).scalar_one()
    return voucher.uses, standing


def sale_count(shop: Shop) -> int:
    with shop.database.read() as connection:
        return connection.execute(select(func.count()).select_from(sales)
                                  .where(sales.c.merchant_id == shop.merchant_id)).scalar_one()


def refused_changes_nothing(shop: Shop, member_id: int | None, code: str, error: type[SetiaError],
                            *lines: tuple, **options: Any) -> SetiaError:
    """The sale is refused with `error`, and balance, ledger rows, voucher uses and sales stay as they were."""
    before = (shop.balance(member_id) if member_id else None, shop.ledger_rows(member_id) if member_id else None,
              voucher_state(shop, code), sale_count(shop))
    with pytest.raises(error) as refused:
        shop.sell(member_id, *lines, voucher_codes=[code], **options)
    after = (shop.balance(member_id) if member_id else None, shop.ledger_rows(member_id) if member_id else None,
             voucher_state(shop, code), sale_count(shop))
    assert after == before
    return refused.value


# Bought with points ---------------------------------------------------------------------------------------------

def test_a_voucher_bought_with_points_pays_part_of_a_later_sale_once(shop):
    # Given a Rp20.000 voucher for 100 points, valid 30 days, and Siti with 150 points
    reward = shop.reward(name="Voucher Rp20.000", kind="voucher", points_cost=100, voucher_valid_days=30,
                         voucher={"value_kind": "fixed", "amount": 20000})
    siti = shop.member("Siti")
    shop.adjust(siti, 150, "opening balance")

    # When she redeems it, she pays 100 points and gets a code that is hard to guess and easy to read
    redeemed = redeem(shop, siti, reward)
    voucher = redeemed["voucher"]
    assert CODE.match(voucher["code"]), voucher["code"]
    assert (voucher["points_cost"], voucher["max_uses"], voucher["uses"]) == (100, 1, 0)
    assert voucher["expires_on"] == "2026-04-09"  # 10 March + 30 days
    assert voucher["member_id"] == str(siti)
    assert redeemed["balance_after"] == 50
    assert shop.view(siti)["points"]["balance"] == 50

    # Then the next day, typed in lower case, it takes Rp20.000 off her Rp55.000 sale, shared by the lines
    shop.later(days=1)
    sale = shop.sell(siti, COFFEE, CROISSANT, voucher_codes=[voucher["code"].lower()])
    assert sale["vouchers"] == [{"code": voucher["code"], "discount_amount": 20000}]
    assert sale["totals"]["voucher_discount"] == 20000
    assert sale["totals"]["total_due"] == 35000
    assert [line["order_level_share"] for line in sale["lines"]] == [9091, 10909]
    assert [line["net_amount"] for line in sale["lines"]] == [15909, 19091]
    assert sale["points"]["earned"] == 3  # on the Rp35.000 paid
    assert sale["points"]["spent"] == 0  # the points were spent on the voucher, not on this sale
    assert shop.balance(siti) == 53
    with shop.database.read() as connection:
        from setia.queries.sales import get_sale

        assert get_sale(connection, shop.merchant_id, int(sale["id"]), shop.now)["vouchers"] == sale["vouchers"]

    # And it can't be used again
    refused_changes_nothing(shop, siti, voucher["code"], VoucherInvalid, COFFEE)
    assert voucher_state(shop, voucher["code"]) == (1, 1)


def test_a_cancelled_voucher_gives_its_points_back_exactly_as_a_new_lot(shop):
    # Given points that expire after 12 months, and Siti who bought a Rp20.000 voucher with 100 of her 150
    shop.configure(expiry={"kind": "months", "length": 12})
    reward = shop.reward(name="Voucher Rp20.000", kind="voucher", points_cost=100,
                         voucher={"value_kind": "fixed", "amount": 20000})
    siti = shop.member("Siti")
    shop.adjust(siti, 150, "opening balance")
    voucher = redeem(shop, siti, reward)["voucher"]
    shop.later(days=20)

    # When the voucher is cancelled
    cancelled = cancel(shop, voucher["id"])

    # Then exactly 100 points come back, as a new lot expiring 12 months from today, with their own reason
    assert (cancelled["status"], cancelled["points_returned"], cancelled["balance_after"]) == ("cancelled", 100, 150)
    assert shop.balance(siti) == 150
    assert shop.view(siti)["points"]["expiring"] == [{"expires_on": "2027-03-10", "points": 50},
                                                     {"expires_on": "2027-03-30", "points": 100}]
    with shop.database.read() as connection:
        reasons = connection.execute(select(transfers.c.reason, transfers.c.from_account, transfers.c.amount)
                                     .where(transfers.c.member_id == siti).order_by(transfers.c.id)).all()
    assert [tuple(row) for row in reasons] == [("adjust", "adjustment", 150), ("redeem_reward", "member", 100),
                                               ("voucher_cancelled", "redemption", 100)]

    # And the code is dead; a second cancel is refused and changes nothing
    refused_changes_nothing(shop, siti, voucher["code"], VoucherInvalid, COFFEE)
    rows = shop.ledger_rows(siti)
    with pytest.raises(ValidationFailed):
        cancel(shop, voucher["id"])
    assert (shop.balance(siti), shop.ledger_rows(siti)) == (150, rows)


def test_a_used_voucher_cant_be_cancelled(shop):
    reward = shop.reward(name="Voucher Rp5.000", kind="voucher", points_cost=50,
                         voucher={"value_kind": "fixed", "amount": 5000})
    siti = shop.member("Siti")
    shop.adjust(siti, 50)
    voucher = redeem(shop, siti, reward)["voucher"]
    shop.sell(siti, COFFEE, voucher_codes=[voucher["code"]])
    balance, rows = shop.balance(siti), shop.ledger_rows(siti)
    with pytest.raises(ValidationFailed):
        cancel(shop, voucher["id"])
    assert (shop.balance(siti), shop.ledger_rows(siti), voucher_state(shop, voucher["code"])) == (balance, rows, (1, 1))


# Uses ------------------------------------------------------------------------------------------------------------

def test_a_multi_use_code_serves_exactly_its_uses(shop):
    (code,) = campaign(shop, max_uses=3, voucher={"value_kind": "percent", "percent": 10})
    siti = shop.member("Siti")
    for member in (siti, siti, None):  # not once per member: the same member may use it again; so may a guest
        sale = shop.sell(member, COFFEE, voucher_codes=[code])
        assert sale["vouchers"] == [{"code": code, "discount_amount": 2500}]
    assert voucher_state(shop, code) == (3, 3)
    refused_changes_nothing(shop, siti, code, VoucherInvalid, COFFEE)


def test_a_once_per_member_code_serves_each_member_once_and_a_full_refund_gives_the_use_back(shop):
    (code,) = campaign(shop, max_uses=100, once_per_member=True, voucher={"value_kind": "fixed", "amount": 5000})
    siti, budi = shop.member("Siti"), shop.member("Budi")
    first = shop.sell(siti, COFFEE, voucher_codes=[code])
    assert first["totals"]["total_due"] == 20000
    refused_changes_nothing(shop, siti, code, VoucherInvalid, COFFEE)
    refused_changes_nothing(shop, None, code, VoucherInvalid, COFFEE)  # a guest has no "once" to count
    shop.sell(budi, COFFEE, voucher_codes=[code])
    assert voucher_state(shop, code) == (2, 2)

    # A partial refund keeps the use; refunding the rest of the sale gives it back
    two = shop.sell(shop.member("Ani"), COFFEE, CROISSANT, voucher_codes=[code])
    shop.refund(two, [(0, 1)])
    assert voucher_state(shop, code) == (3, 3)
    shop.refund(two)
    assert voucher_state(shop, code) == (2, 2)
    shop.refund(first)
    assert voucher_state(shop, code) == (1, 1)
    again = shop.sell(siti, COFFEE, voucher_codes=[code])
    assert again["vouchers"] == [{"code": code, "discount_amount": 5000}]


def test_a_voucher_is_usable_until_the_end_of_its_last_day_in_the_merchants_time_zone(shop):
    siti = shop.member("Siti")
    voucher = give(shop, siti, expires_on="2026-03-10", voucher={"value_kind": "fixed", "amount": 5000})
    shop.now = datetime(2026, 3, 10, 16, 59, tzinfo=timezone.utc)  # 23:59 in Jakarta
    assert shop.quote(siti, COFFEE, voucher_codes=[voucher["code"]])["totals"]["voucher_discount"] == 5000
    shop.now = datetime(2026, 3, 10, 17, 0, tzinfo=timezone.utc)  # 00:00 on the 11th
    refused_changes_nothing(shop, siti, voucher["code"], VoucherInvalid, COFFEE)


def test_a_member_voucher_is_only_for_that_member(shop):
    siti, budi = shop.member("Siti"), shop.member("Budi")
    voucher = give(shop, siti, voucher={"value_kind": "fixed", "amount": 5000})
    refused_changes_nothing(shop, budi, voucher["code"], VoucherInvalid, COFFEE)
    refused_changes_nothing(shop, None, voucher["code"], VoucherInvalid, COFFEE)
    assert shop.sell(siti, COFFEE, voucher_codes=[voucher["code"]])["totals"]["total_due"] == 20000


# What it applies to ---------------------------------------------------------------------------------------------

def test_minimum_spend_not_met_is_refused_and_changes_nothing(shop):
    (code,) = campaign(shop, voucher={"value_kind": "fixed", "amount": 10000, "minimum_spend": 50000})
    siti = shop.member("Siti")
    error = refused_changes_nothing(shop, siti, code, VoucherNotApplicable, CROISSANT)
    assert error.details["minimum_spend"] == 50000 and error.details["spend"] == 30000
    assert shop.sell(siti, COFFEE, CROISSANT, voucher_codes=[code])["totals"]["total_due"] == 45000


def test_a_voucher_for_some_products_discounts_only_those_lines(shop):
    # 50% off coffee, capped at Rp100.000: the croissant pays full price and earns on all of it
    (code,) = campaign(shop, voucher={"value_kind": "percent", "percent": 50, "cap_amount": 100000,
                                      "categories": ["coffee"]})
    siti = shop.member("Siti")
    sale = shop.sell(siti, ("Es Kopi Susu", 2, 25000, "KOPI", "coffee"), CROISSANT, voucher_codes=[code])
    assert sale["vouchers"] == [{"code": code, "discount_amount": 25000}]
    assert [line["net_amount"] for line in sale["lines"]] == [25000, 30000]
    assert sale["totals"]["total_due"] == 55000


def test_a_fixed_voucher_larger_than_what_is_left_of_its_products_is_refused(shop):
    (code,) = campaign(shop, voucher={"value_kind": "fixed", "amount": 40000, "skus": ["CROIS"]})
    siti = shop.member("Siti")
    refused_changes_nothing(shop, siti, code, VoucherNotApplicable, COFFEE, CROISSANT)


def test_vouchers_come_after_the_order_discount_and_the_point_rewards_in_the_order_given(shop):
    # Given Rp5.000 off for 50 points, a 10% voucher and a Rp1.000 voucher
    reward = shop.reward(name="Rp5.000 off", kind="fixed_discount", points_cost=50, discount_amount=5000)
    (ten_percent,) = campaign(shop, voucher={"value_kind": "percent", "percent": 10})
    (thousand,) = campaign(shop, voucher={"value_kind": "fixed", "amount": 1000})
    siti = shop.member("Siti")
    shop.adjust(siti, 50)

    # When a Rp55.000 sale with Rp5.000 order discount takes the reward and both vouchers
    sale = shop.sell(siti, COFFEE, CROISSANT, order_discount=5000, reward_ids=[reward],
                     voucher_codes=[ten_percent, thousand])

    # Then 55.000 - 5.000 - 5.000 = 45.000; 10% of that is 4.500; then 1.000: Rp39.500 due
    assert sale["vouchers"] == [{"code": ten_percent, "discount_amount": 4500},
                                {"code": thousand, "discount_amount": 1000}]
    assert sale["totals"]["total_due"] == 39500
    assert sum(line["order_level_share"] for line in sale["lines"]) == 5000 + 5000 + 4500 + 1000
    assert sale["points"]["earned"] == 3 and shop.balance(siti) == 3


def test_a_free_product_voucher_gives_one_unit(shop):
    (code,) = campaign(shop, voucher={"value_kind": "free_product", "product_sku": "KOPI"})
    sale = shop.sell(None, ("Es Kopi Susu", 2, 25000, "KOPI", "coffee"), voucher_codes=[code])
    assert sale["totals"]["total_due"] == 25000
    refused_changes_nothing(shop, None, campaign(shop, voucher={"value_kind": "free_product",
                                                                "product_sku": "KOPI"})[0],
                            VoucherNotApplicable, CROISSANT)


# Bulk --------------------------------------------------------------------------------------------------------------

def test_500_codes_for_a_campaign_are_unique_and_export_as_csv(database):
    shop = merchant_with_key(database)
    response = shop.client.post(f"{API}/voucher-batches", json={
        "name": "Ramadan flyers", "count": 500, "prefix": "kopi", "once_per_member": True,
        "voucher": {"value_kind": "fixed", "amount": 10000, "minimum_spend": 50000}, "expires_on": "2026-12-31"})
    assert response.status_code == 201, response.json()
    batch = response.json()
    exported = shop.client.get(f"{API}/voucher-batches/{batch['id']}/codes.csv")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 500
    assert len({row["code"] for row in rows}) == 500
    assert all(re.match(r"^KOPI-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$", row["code"])
               for row in rows)
    assert {(row["expires_on"], row["max_uses"], row["uses"], row["status"]) for row in rows} == {
        ("2026-12-31", "1", "0", "active")}
    other = merchant_with_key(database, "Toko Lain")
    assert other.client.get(f"{API}/voucher-batches/{batch['id']}/codes.csv").status_code == 404


def test_the_cli_issues_a_batch_to_a_csv_file(database, tmp_path):
    shop = Shop.open(database, datetime.now(timezone.utc))
    target = tmp_path / "codes.csv"
    result = CliRunner().invoke(cli, ["--database-url", database.url, "vouchers", "issue", "--merchant",
                                      str(shop.merchant_id), "--count", "25", "--kind", "percent", "--percent", "15",
                                      "--cap", "20000", "--category", "coffee", "--prefix", "TEH", "--csv",
                                      str(target)])
    assert result.exit_code == 0, result.output
    codes = [row["code"] for row in csv.DictReader(io.StringIO(target.read_text()))]
    assert len(set(codes)) == 25 and all(code.startswith("TEH-") for code in codes)
    sale = shop.sell(None, COFFEE, voucher_codes=[codes[0]])
    assert sale["vouchers"] == [{"code": codes[0], "discount_amount": 3750}]
    bad = CliRunner().invoke(cli, ["--database-url", database.url, "vouchers", "issue", "--merchant",
                                   str(shop.merchant_id), "--count", "5", "--kind", "percent", "--percent", "0"])
    assert bad.exit_code == 1 and "percent" in bad.output


# Lookups -------------------------------------------------------------------------------------------------------

def test_every_failed_lookup_says_the_same_thing(database):
    shop, other = merchant_with_key(database), merchant_with_key(database, "Toko Lain")
    siti, budi = shop.register("Siti"), shop.register("Budi")

    def code_of(response: Any) -> str:
        assert response.status_code == 201, response.json()
        return response.json()["code"]

    fixed = {"value_kind": "fixed", "amount": 5000}
    expired = code_of(shop.client.post(f"{API}/members/{siti['id']}/vouchers",
                                       json={"voucher": fixed, "expires_on": "2020-01-01"}))
    sitis = code_of(shop.client.post(f"{API}/members/{siti['id']}/vouchers", json={"voucher": fixed}))
    used_up = code_of(shop.client.post(f"{API}/members/{siti['id']}/vouchers", json={"voucher": fixed}))
    shop.sell({"member_id": siti["id"], "lines": [{"name": "Kopi", "quantity": 1, "unit_price": 25000}],
               "voucher_codes": [used_up]})
    cancelled = shop.client.post(f"{API}/members/{siti['id']}/vouchers", json={"voucher": fixed}).json()
    assert shop.client.post(f"{API}/vouchers/{cancelled['id']}/cancel").status_code == 200
    others = code_of(other.client.post(f"{API}/members/{other.register('Ani')['id']}/vouchers",
                                       json={"voucher": fixed}))

    bodies = []
    for code, member in (("NOPE-NOPE-NOPE", siti), (expired, siti), (used_up, siti), (cancelled["code"], siti),
                         (others, siti), (sitis, budi)):
        response = shop.client.post(f"{API}/vouchers/check", json={"code": code, "member_id": member["id"]})
        bodies.append(assert_error(response, 422, "voucher_invalid"))
    assert all(body == bodies[0] for body in bodies), bodies
    assert bodies[0]["details"] == {}

    ok = shop.client.post(f"{API}/vouchers/check", json={"code": sitis.lower(), "member_id": siti["id"]})
    assert ok.status_code == 200 and ok.json()["code"] == sitis


def test_ten_failed_lookups_a_minute_then_429(database):
    shop = merchant_with_key(database)
    siti = shop.register("Siti")
    good = shop.client.post(f"{API}/members/{siti['id']}/vouchers",
                            json={"voucher": {"value_kind": "fixed", "amount": 5000}}).json()["code"]
    for attempt in range(10):
        response = shop.client.post(f"{API}/vouchers/check", json={"code": f"GUES-S{attempt:03d}"})
        assert_error(response, 422, "voucher_invalid")
    # From now on even the right code is refused: a guesser learns nothing
    assert_error(shop.client.post(f"{API}/vouchers/check", json={"code": good, "member_id": siti["id"]}),
                 429, "rate_limited")
    sale = shop.client.post(f"{API}/sales", json={"member_id": siti["id"], "voucher_codes": [good],
                                                  "lines": [{"name": "Kopi", "quantity": 1, "unit_price": 25000}]})
    assert_error(sale, 429, "rate_limited")
    assert shop.client.get(f"{API}/members/{siti['id']}/history").json()["items"] == []


def test_failed_lookups_are_also_limited_per_member_across_tills(shop):
    siti, budi = shop.member("Siti"), shop.member("Budi")
    good = give(shop, siti, voucher={"value_kind": "fixed", "amount": 5000})["code"]
    for till in range(10):  # ten tills (or API keys), one wrong guess each, all for Siti
        with pytest.raises(VoucherInvalid), shop.database.read() as connection:
            voucher_service.find_usable(connection, Caller(shop.merchant_id, f"staff:{till}"), "WRONG", siti,
                                        date(2026, 3, 10))
    with pytest.raises(RateLimited), shop.database.write() as connection:
        from setia.services.sales import SaleRequest, record_sale
        from setia.domain.sale import LineInput

        record_sale(connection, Caller(shop.merchant_id, "staff:99"),
                    SaleRequest(lines=[LineInput("Kopi", 1, 25000)], member_id=siti, voucher_codes=[good]), shop.now)
    # Another member at another till is not held up
    budi_voucher = give(shop, budi, voucher={"value_kind": "fixed", "amount": 5000})["code"]
    with shop.database.write() as connection:
        from setia.services.sales import SaleRequest, record_sale
        from setia.domain.sale import LineInput

        sale = record_sale(connection, Caller(shop.merchant_id, "staff:98"),
                           SaleRequest(lines=[LineInput("Kopi", 1, 25000)], member_id=budi,
                                       voucher_codes=[budi_voucher]), shop.now)
    assert sale["totals"]["total_due"] == 20000


# Concurrency ---------------------------------------------------------------------------------------------------

def test_two_tills_using_the_last_use_of_a_code_at_once_record_one_sale(shop):
    (code,) = campaign(shop, voucher={"value_kind": "fixed", "amount": 5000})
    members = [shop.member(f"Member {index}") for index in range(4)]

    def use(member_id: int) -> Any:
        try:
            return shop.sell(member_id, COFFEE, voucher_codes=[code])
        except SetiaError as error:
            return error

    with ThreadPoolExecutor(len(members)) as pool:
        results = list(pool.map(use, members))
    won = [result for result in results if isinstance(result, dict)]
    assert len(won) == 1, results
    assert all(isinstance(result, VoucherInvalid) for result in results if not isinstance(result, dict))
    assert voucher_state(shop, code) == (1, 1)
    assert sale_count(shop) == 1


# Together ------------------------------------------------------------------------------------------------------

def test_on_a_double_points_day_a_member_takes_a_reward_and_a_voucher_she_bought_last_week(shop):
    # Given double points on Tuesdays, Rp5.000 off for 20 points, and a Rp10.000 coffee voucher for 50 points
    shop.configure(earn_rules=[{"id": "double-tuesday", "name": "Double points Tuesday", "kind": "multiplier",
                                "multiplier": "2", "conditions": {"days_of_week": [2]}}])
    five_off = shop.reward(name="Rp5.000 off", kind="fixed_discount", points_cost=20, discount_amount=5000)
    coffee_voucher = shop.reward(name="Voucher kopi Rp10.000", kind="voucher", points_cost=50,
                                 voucher={"value_kind": "fixed", "amount": 10000, "categories": ["coffee"]})
    siti = shop.member("Siti")
    shop.now = datetime(2026, 3, 3, 5, 0, tzinfo=timezone.utc)
    shop.adjust(siti, 120, "opening balance")
    code = redeem(shop, siti, coffee_voucher)["voucher"]["code"]
    assert shop.balance(siti) == 70

    # When on Tuesday 10 March she buys two coffees and a croissant (Rp80.000) with both
    shop.now = datetime(2026, 3, 10, 5, 0, tzinfo=timezone.utc)
    sale = shop.sell(siti, ("Es Kopi Susu", 2, 25000, "KOPI", "coffee"), CROISSANT, reward_ids=[five_off],
                     voucher_codes=[code])

    # Then the reward comes first (Rp75.000 left), then the voucher on the coffee lines only: Rp65.000 due
    assert sale["totals"]["reward_discount"] == 5000
    assert sale["vouchers"] == [{"code": code, "discount_amount": 10000}]
    assert sale["totals"]["total_due"] == 65000
    coffee_line, croissant_line = sale["lines"]
    assert croissant_line["order_level_share"] == 1875  # its share of the reward only: 5000 × 30/80
    assert coffee_line["order_level_share"] == 3125 + 10000
    # And she earns double on what she paid: floor(65.000 / 10.000) × 2 = 12 points
    assert sale["points"]["earned"] == 12
    assert sale["points"]["spent"] == 20
    assert shop.balance(siti) == 70 - 20 + 12

    # And refunding the whole sale undoes it all: points back to 70, the voucher usable again
    shop.refund(sale)
    assert shop.balance(siti) == 70
    assert voucher_state(shop, code) == (0, 0)
    assert shop.quote(siti, COFFEE, voucher_codes=[code])["totals"]["voucher_discount"] == 10000
