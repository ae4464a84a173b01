"""The JSON API through the real FastAPI app: members, merchant isolation, keys, idempotency, sales, errors."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from setia.adapters.db.engine import Database
from setia.entrypoints.api import schemas as api_schemas
from setia.entrypoints.api.app import create_app
from setia.queries.ledger_verify import verify_ledger
from setia.services.context import utc_now
from setia.services.merchants import create_api_key, create_merchant

from tests.shop import new_phone

API = "/api/v1"


@dataclass
class Merchant:
    id: int
    key: str
    key_id: int
    client: TestClient

    def register(self, name: str = "Siti Rahayu", phone: str | None = None, **fields: Any) -> dict[str, Any]:
        response = self.client.post(f"{API}/members", json={"name": name, "phone": phone or new_phone(), **fields})
        assert response.status_code == 201, response.json()
        return response.json()

    def member(self, member_id: str) -> dict[str, Any]:
        response = self.client.get(f"{API}/members/{member_id}")
        assert response.status_code == 200, response.json()
        return response.json()

    def balance(self, member_id: str) -> int:
        return self.member(member_id)["points"]["balance"]

    def history(self, member_id: str) -> list[dict[str, Any]]:
        response = self.client.get(f"{API}/members/{member_id}/history", params={"limit": 200})
        assert response.status_code == 200, response.json()
        return response.json()["items"]

    def adjust(self, member_id: str, points: int, reason: str = "opening balance") -> dict[str, Any]:
        response = self.client.post(f"{API}/members/{member_id}/adjustments", json={"points": points, "reason": reason})
        assert response.status_code == 201, response.json()
        return response.json()

    def sell(self, body: dict[str, Any], **headers: str) -> dict[str, Any]:
        response = self.client.post(f"{API}/sales", json=body, headers=headers)
        assert response.status_code == 201, response.json()
        return response.json()

    def reward(self, **data: Any) -> str:
        response = self.client.post(f"{API}/rewards", json=data)
        assert response.status_code == 201, response.json()
        return response.json()["id"]


def merchant_with_key(database: Database, name: str = "Toko API") -> Merchant:
    """A fresh merchant with an API key and a client that sends it."""
    now = utc_now()
    with database.write() as connection:
        merchant_id = create_merchant(connection, name, now)
        new_key = create_api_key(connection, merchant_id, "till", now)
    client = TestClient(create_app(database=database), headers={"Authorization": f"Bearer {new_key.key}"})
    return Merchant(merchant_id, new_key.key, new_key.id, client)


def coffee(member_id: str | None, quantity: int = 1, **extra: Any) -> dict[str, Any]:
    """A sale body: `quantity` coffees at Rp25.000 and a croissant at Rp30.000."""
    return {"member_id": member_id,
            "lines": [{"sku": "KOPI", "name": "Es Kopi Susu", "quantity": quantity, "unit_price": 25000},
                      {"sku": "CROIS", "name": "Croissant", "quantity": 1, "unit_price": 30000}], **extra}


def assert_error(response: Any, status: int, code: str, **details: Any) -> dict[str, Any]:
    """The error has exactly the shape {code, message, details} and the given details."""
    body = response.json()
    assert response.status_code == status, body
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    for key, value in details.items():
        assert body["details"][key] == value, body
    return body


@pytest.fixture(autouse=True)
def ledger_stays_clean(database: Database) -> Iterator[None]:
    yield
    with database.read() as connection:
        assert verify_ledger(connection) == []


# Members ----------------------------------------------------------------------------------------------------

def test_every_common_phone_form_is_one_member(database):
    shop = merchant_with_key(database)
    siti = shop.register("Siti Rahayu", "0812-3456-7890")
    assert siti["phone"] == "+6281234567890"
    assert siti["points"] == {"balance": 0, "debt": 0, "expiring": []}

    for same_number in ("+62 812 3456 7890", "6281234567890", "0812-3456-7890"):
        response = shop.client.post(f"{API}/members", json={"name": "Siti lagi", "phone": same_number})
        assert_error(response, 409, "duplicate_member", member_id=siti["id"])

    found = shop.client.get(f"{API}/members", params={"phone": "62 812-3456-7890"}).json()
    assert [member["id"] for member in found["items"]] == [siti["id"]]
    assert shop.client.get(f"{API}/members", params={"name": "lagi"}).json()["items"] == []


def test_find_members_by_phone_member_number_and_part_of_the_name(database):
    shop = merchant_with_key(database)
    rahayu = shop.register("Siti Rahayu", "0813-1111-2222")
    budi = shop.register("Budi Santoso", "0815-2222-3333")
    aminah = shop.register("siti AMINAH", "0817-3333-4444")

    def found(**params: str) -> list[str]:
        response = shop.client.get(f"{API}/members", params=params)
        assert response.status_code == 200, response.json()
        return [member["id"] for member in response.json()["items"]]

    assert found(phone="+62 815 2222 3333") == [budi["id"]]
    assert found(member_number=aminah["member_number"]) == [aminah["id"]]
    assert found(member_number=" ".join(aminah["member_number"])) == [aminah["id"]]  # as typed from a card
    assert found(name="SITI") == [rahayu["id"], aminah["id"]]
    assert found(name="aminah") == [aminah["id"]]
    assert found(name="ant") == [budi["id"]]
    assert found(name="nobody") == []
    assert found(name="%") == found(name="_") == []  # typed text, not a pattern
    percent = shop.register("Toko 100%_Jaya", "0818-4444-5555")
    assert found(name="100%_") == found(name="%_J") == [percent["id"]]
    assert found(phone="0819-9999-0000") == []


def test_a_member_number_with_a_wrong_check_digit_is_refused_never_matched(database):
    shop = merchant_with_key(database)
    members = [shop.register(f"Member {index}") for index in range(12)]
    for member in members:
        number = member["member_number"]
        for digit in "0123456789":
            mistyped = number[:-1] + digit
            if mistyped == number:
                continue
            response = shop.client.get(f"{API}/members", params={"member_number": mistyped})
            assert_error(response, 422, "invalid_member_number", field="member_number")
    # A sale naming a member by a mistyped number is refused too, and records nothing
    mistyped = members[0]["member_number"][:-1] + str((int(members[0]["member_number"][-1]) + 1) % 10)
    response = shop.client.post(f"{API}/sales", json={**coffee(None), "member_number": mistyped})
    assert_error(response, 422, "invalid_member_number")
    assert all(shop.history(member["id"]) == [] for member in members)


def test_an_invalid_phone_is_refused_and_registers_nobody(database):
    shop = merchant_with_key(database)
    for phone in ("12345", "not a phone", "0812"):
        response = shop.client.post(f"{API}/members", json={"name": "Nobody Here", "phone": phone})
        assert_error(response, 422, "invalid_phone", field="phone")
    assert shop.client.get(f"{API}/members", params={"name": "nobody"}).json()["items"] == []


def test_email_birthday_and_consents_round_trip_and_the_time_of_consent_is_kept(database):
    shop = merchant_with_key(database)
    dewi = shop.register("Dewi Lestari", "0815-2222-3333", email="dewi@example.com", birthday="1990-08-17",
                         consents={"whatsapp": True, "sms": False, "email": True})
    assert dewi["email"] == "dewi@example.com"
    assert dewi["birthday"] == "1990-08-17"
    assert dewi["consents"]["whatsapp"] == {"given": True, "given_at": dewi["created_at"]}
    assert dewi["consents"]["sms"] == {"given": False, "given_at": None}
    assert dewi["consents"]["email"] == {"given": True, "given_at": dewi["created_at"]}
    assert shop.member(dewi["id"]) == dewi

    # Consenting again keeps the original time; a new consent gets its own; withdrawing clears it
    response = shop.client.patch(f"{API}/members/{dewi['id']}",
                                 json={"consents": {"whatsapp": True, "sms": True, "email": False}})
    assert response.status_code == 200, response.json()
    consents = shop.member(dewi["id"])["consents"]
    assert consents["whatsapp"] == {"given": True, "given_at": dewi["created_at"]}
    assert consents["sms"]["given"] is True and consents["sms"]["given_at"] > dewi["created_at"]
    assert consents["email"] == {"given": False, "given_at": None}


def test_patch_member_changes_only_what_is_sent(database):
    shop = merchant_with_key(database)
    agus = shop.register("Agus", "0817-3333-4444", email="agus@example.com")
    rina = shop.register("Rina", "0818-4444-5555")

    response = shop.client.patch(f"{API}/members/{agus['id']}",
                                 json={"name": "Agus Pratama", "phone": "+62 819 5555 6666", "birthday": "1985-01-31"})
    assert response.status_code == 200, response.json()
    changed = shop.member(agus["id"])
    assert changed == {**agus, "name": "Agus Pratama", "phone": "+6281955556666", "birthday": "1985-01-31"}

    # Taking another member's phone, a bad email or an empty name is refused and changes nothing
    assert_error(shop.client.patch(f"{API}/members/{agus['id']}", json={"phone": "0818 4444 5555"}),
                 409, "duplicate_member", member_id=rina["id"])
    assert_error(shop.client.patch(f"{API}/members/{agus['id']}", json={"email": "not-an-email"}),
                 422, "validation_failed", field="email")
    assert_error(shop.client.patch(f"{API}/members/{agus['id']}", json={"name": "  "}),
                 422, "validation_failed", field="name")
    assert shop.member(agus["id"]) == changed
    assert_error(shop.client.patch(f"{API}/members/999999999", json={"name": "Ghost"}), 404, "not_found")


# Keys and merchant isolation ---------------------------------------------------------------------------------

def test_a_missing_or_invalid_key_is_401(database):
    shop = merchant_with_key(database)
    anonymous = TestClient(shop.client.app)
    scheme, prefix, secret = shop.key.split("_", 2)  # the secret itself may hold underscores
    wrong_secret = ("B" if secret[0] == "A" else "A") + secret[1:]  # a real prefix with a wrong secret
    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": shop.key},
                    {"Authorization": f"Bearer {scheme}_{prefix}_{wrong_secret}"}, {"X-API-Key": "setia_x_y"}):
        response = anonymous.get(f"{API}/program", headers=headers)
        assert_error(response, 401, "unauthorized")
        assert response.json()["details"] == {}
    assert_error(anonymous.post(f"{API}/members", json={"name": "Siti", "phone": new_phone()}), 401, "unauthorized")
    assert anonymous.get(f"{API}/program", headers={"X-API-Key": shop.key}).status_code == 200


def test_one_merchants_key_never_reaches_another_merchants_members_or_sales(database):
    shop_a = merchant_with_key(database, "Toko A")
    shop_b = merchant_with_key(database, "Toko B")
    budi = shop_b.register("Budi Santoso", "0813-1111-2222")
    shop_b.adjust(budi["id"], 200)
    sale = shop_b.sell(coffee(budi["id"], quantity=2))
    member_before, sale_before = shop_b.member(budi["id"]), shop_b.client.get(f"{API}/sales/{sale['id']}").json()
    history_before = shop_b.history(budi["id"])
    a = shop_a.client

    assert_error(a.get(f"{API}/members/{budi['id']}"), 404, "not_found")
    assert_error(a.get(f"{API}/members/{budi['id']}/history"), 404, "not_found")
    assert a.get(f"{API}/members", params={"phone": "0813-1111-2222"}).json()["items"] == []
    assert a.get(f"{API}/members", params={"member_number": budi["member_number"]}).json()["items"] == []
    assert a.get(f"{API}/members", params={"name": "budi"}).json()["items"] == []
    assert_error(a.patch(f"{API}/members/{budi['id']}", json={"name": "Hacked"}), 404, "not_found")
    assert_error(a.post(f"{API}/members/{budi['id']}/adjustments", json={"points": -200, "reason": "x"}),
                 404, "not_found")
    assert_error(a.post(f"{API}/sales", json=coffee(budi["id"])), 404, "not_found")
    assert_error(a.post(f"{API}/sales", json={**coffee(None), "member_phone": "0813-1111-2222"}), 404, "not_found")
    assert_error(a.post(f"{API}/sales/quote", json=coffee(budi["id"])), 404, "not_found")
    assert_error(a.get(f"{API}/sales/{sale['id']}"), 404, "not_found")
    assert_error(a.post(f"{API}/sales/{sale['id']}/refunds",
                        json={"lines": [{"line_id": sale["lines"][0]["id"], "quantity": 1}]}), 404, "not_found")
    assert_error(a.post(f"{API}/sales/{sale['id']}/void", json={}), 404, "not_found")

    assert shop_b.member(budi["id"]) == member_before
    assert shop_b.client.get(f"{API}/sales/{sale['id']}").json() == sale_before
    assert shop_b.history(budi["id"]) == history_before
    # And merchant A can still register the same phone: members are per merchant
    assert shop_a.register("Budi di Toko A", "0813-1111-2222")["phone"] == "+6281311112222"


# Idempotency -------------------------------------------------------------------------------------------------

def test_the_same_idempotency_key_and_body_returns_the_first_answer(database):
    shop = merchant_with_key(database)
    siti = shop.register()
    first = shop.client.post(f"{API}/sales", json=coffee(siti["id"], quantity=3), headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    assert first.json()["points"]["balance_after"] == 10  # Rp105.000 → 10 points
    again = shop.client.post(f"{API}/sales", json=coffee(siti["id"], quantity=3), headers={"Idempotency-Key": "k-1"})
    assert (again.status_code, again.json()) == (201, first.json())
    assert shop.balance(siti["id"]) == 10
    assert [entry["sale_id"] for entry in shop.history(siti["id"])] == [first.json()["id"]]


def test_the_same_idempotency_key_with_another_body_is_409_and_changes_nothing(database):
    shop = merchant_with_key(database)
    siti = shop.register()
    shop.sell(coffee(siti["id"]), **{"Idempotency-Key": "k-1"})
    history = shop.history(siti["id"])

    changed = shop.client.post(f"{API}/sales", json=coffee(siti["id"], quantity=9), headers={"Idempotency-Key": "k-1"})
    assert_error(changed, 409, "idempotency_key_reused")
    other_route = shop.client.post(f"{API}/members/{siti['id']}/adjustments", json={"points": 5, "reason": "x"},
                                   headers={"Idempotency-Key": "k-1"})
    assert_error(other_route, 409, "idempotency_key_reused")
    assert shop.history(siti["id"]) == history
    assert shop.balance(siti["id"]) == 5

    # Keys are scoped to the merchant: another merchant's "k-1" is its own
    other = merchant_with_key(database, "Toko Lain")
    budi = other.register()
    assert other.sell(coffee(budi["id"]), **{"Idempotency-Key": "k-1"})["member_id"] == budi["id"]


def test_a_refused_request_does_not_consume_its_idempotency_key(database):
    shop = merchant_with_key(database)
    voucher = shop.reward(name="Rp20.000 off", kind="fixed_discount", points_cost=100, discount_amount=20000)
    siti = shop.register()
    shop.adjust(siti["id"], 60)
    body = {**coffee(siti["id"]), "reward_ids": [voucher]}

    refused = shop.client.post(f"{API}/sales", json=body, headers={"Idempotency-Key": "till-7"})
    assert_error(refused, 422, "insufficient_points", balance=60, requested=100)
    assert shop.balance(siti["id"]) == 60
    assert len(shop.history(siti["id"])) == 1

    shop.adjust(siti["id"], 40, "top up")
    retried = shop.client.post(f"{API}/sales", json=body, headers={"Idempotency-Key": "till-7"})
    assert retried.status_code == 201, retried.json()
    assert retried.json()["points"]["spent"] == 100
    assert retried.json()["points"]["earned"] == 3  # Rp55.000 - Rp20.000
    assert shop.balance(siti["id"]) == 3


# Sales, refunds, adjustments -------------------------------------------------------------------------------

def test_quote_writes_nothing_and_the_sale_matches_it(database):
    shop = merchant_with_key(database)
    voucher = shop.reward(name="10% off", kind="percent_discount", points_cost=50, percent=10, cap_amount=15000)
    siti = shop.register()
    shop.adjust(siti["id"], 80)
    history = shop.history(siti["id"])
    body = {**coffee(siti["id"], quantity=2), "reward_ids": [voucher], "external_id": "till1-0001",
            "tenders": [{"kind": "cash", "amount": 100000}]}

    quote = shop.client.post(f"{API}/sales/quote", json=body)
    assert quote.status_code == 200, quote.json()
    quoted = quote.json()
    assert quoted["id"] is None
    assert quoted["totals"] == {"subtotal": 80000, "order_discount": 0, "tier_discount": 0, "reward_discount": 8000,
                                "voucher_discount": 0, "total_due": 72000, "amount_tendered": 100000, "change_due": 28000,
                                "points_tender_value": 0}
    assert quoted["points"]["balance_after"] == 80 - 50 + 7
    assert shop.history(siti["id"]) == history
    assert shop.client.get(f"{API}/members", params={"name": "siti"}).json()["items"][0]["points"]["balance"] == 80

    sale = shop.sell(body)
    assert sale["totals"] == quoted["totals"]
    assert (sale["points"]["earned"], sale["points"]["spent"], sale["points"]["balance_after"]) == (7, 50, 37)
    fetched = shop.client.get(f"{API}/sales/{sale['id']}").json()
    assert {key: fetched[key] for key in ("id", "external_id", "status", "lines", "totals", "rewards", "tenders")} \
        == {key: sale[key] for key in ("id", "external_id", "status", "lines", "totals", "rewards", "tenders")}
    assert fetched["points"]["balance_after"] == 37


def test_refund_by_line_and_quantity_then_void_through_the_api(database):
    shop = merchant_with_key(database)
    eko = shop.register("Eko")
    sale = shop.sell(coffee(eko["id"], quantity=4))  # Rp130.000: 13 points
    coffee_line, croissant_line = (line["id"] for line in sale["lines"])
    assert shop.balance(eko["id"]) == 13

    response = shop.client.post(f"{API}/sales/{sale['id']}/refunds",
                                json={"lines": [{"line_id": coffee_line, "quantity": 2}], "reason": "Cold"})
    assert response.status_code == 201, response.json()
    refund = response.json()
    assert (refund["value"], refund["money_refunded"], refund["points_taken_back"]) == (50000, 50000, 5)
    assert refund["sale_status"] == "partially_refunded"
    assert shop.balance(eko["id"]) == 8

    # Asking for more than is left is refused and changes nothing; a partly refunded sale can't be voided
    history = shop.history(eko["id"])
    too_many = shop.client.post(f"{API}/sales/{sale['id']}/refunds",
                                json={"lines": [{"line_id": coffee_line, "quantity": 3}]})
    assert_error(too_many, 422, "refund_invalid", quantity_left=2)
    assert_error(shop.client.post(f"{API}/sales/{sale['id']}/void", json={}), 422, "refund_invalid")
    assert_error(shop.client.post(f"{API}/sales/{sale['id']}/refunds",
                                  json={"lines": [{"line_id": "999999", "quantity": 1}]}),
                 422, "validation_failed", field="lines[0].line_id")
    assert shop.history(eko["id"]) == history

    rest = shop.client.post(f"{API}/sales/{sale['id']}/refunds",
                            json={"lines": [{"line_id": coffee_line, "quantity": 2},
                                            {"line_id": croissant_line, "quantity": 1}]}).json()
    assert (rest["points_taken_back"], rest["sale_status"]) == (8, "refunded")
    fetched = shop.client.get(f"{API}/sales/{sale['id']}").json()
    assert [line["refunded_quantity"] for line in fetched["lines"]] == [4, 1]
    assert fetched["refunds"]["points_taken_back"] == 13
    assert [item["reason"] for item in fetched["refunds"]["list"]] == ["Cold", None]
    assert shop.balance(eko["id"]) == 0

    other = shop.sell(coffee(eko["id"]))
    void = shop.client.post(f"{API}/sales/{other['id']}/void", json={"reason": "Wrong member"})
    assert void.status_code == 201, void.json()
    assert (void.json()["sale_status"], void.json()["points_taken_back"]) == ("voided", 5)
    assert shop.balance(eko["id"]) == 0


def test_adjustments_need_a_reason_and_record_the_api_key_as_actor(database):
    shop = merchant_with_key(database)
    joko = shop.register("Joko")
    for body, field in (({"points": 50}, "reason"), ({"points": 50, "reason": ""}, "reason"),
                        ({"points": 50, "reason": "   "}, "reason"), ({"points": 0, "reason": "x"}, "points")):
        response = shop.client.post(f"{API}/members/{joko['id']}/adjustments", json=body)
        assert_error(response, 422, "validation_failed", field=field)
    assert shop.history(joko["id"]) == []

    added = shop.adjust(joko["id"], 50, "Compensation: machine broken")
    assert added == {"member_id": joko["id"], "points": 50, "reason": "Compensation: machine broken",
                     "balance_after": 50, "actor": f"api_key:{shop.key_id}"}
    too_much = shop.client.post(f"{API}/members/{joko['id']}/adjustments", json={"points": -51, "reason": "oops"})
    assert_error(too_much, 422, "insufficient_points", balance=50, requested=51)
    removed = shop.adjust(joko["id"], -20, "Double entry")
    assert removed["balance_after"] == 30

    entries = shop.history(joko["id"])
    assert [(e["points"], e["reason"], e["note"], e["actor"]) for e in entries] == [
        (-20, "adjust", "Double entry", f"api_key:{shop.key_id}"),
        (50, "adjust", "Compensation: machine broken", f"api_key:{shop.key_id}"),
    ]
    assert [(e["from_account"], e["to_account"]) for e in entries] == [("member", "adjustment"),
                                                                      ("adjustment", "member")]
    assert shop.balance(joko["id"]) == 30


def test_request_validation_errors_name_the_field(database):
    shop = merchant_with_key(database)
    siti = shop.register()
    cases = [
        ({**coffee(siti["id"]), "lines": [{"name": "Kopi", "quantity": 0, "unit_price": 1000}]}, "lines.0.quantity"),
        ({**coffee(siti["id"]), "lines": []}, "lines"),
        ({**coffee(siti["id"]), "order_discount": -1}, "order_discount"),
        ({**coffee(siti["id"]), "surprise": 1}, "surprise"),
        ({**coffee(siti["id"]), "tenders": [{"kind": "gold", "amount": 1}]}, "tenders.0.kind"),
    ]
    for body, field in cases:
        response = shop.client.post(f"{API}/sales", json=body)
        assert_error(response, 422, "validation_failed", field=field)
        assert response.json()["details"]["errors"][0]["field"] == field
    assert_error(shop.client.post(f"{API}/sales", content=b"{not json",
                                  headers={"Content-Type": "application/json"}), 422, "validation_failed")
    assert shop.history(siti["id"]) == []


def test_program_changes_are_validated_by_field_and_versioned(database):
    shop = merchant_with_key(database)
    program = shop.client.get(f"{API}/program").json()
    assert program["version"] == 1
    for body, field in (({"spend_rule": {"step_amount": 0}}, "spend_rule.step_amount"),
                        ({"expiry": {"kind": "days", "length": 0}}, "expiry.length"),
                        ({"points_payment": {"enabled": True}}, "points_payment.rupiah_per_point"),
                        ({"debt_policy": "forgive"}, "debt_policy")):
        assert_error(shop.client.patch(f"{API}/program", json=body), 422, "validation_failed", field=field)
    assert shop.client.get(f"{API}/program").json() == program

    changed = shop.client.patch(f"{API}/program", json={"spend_rule": {"step_amount": 15000}})
    assert changed.status_code == 200, changed.json()
    assert changed.json()["version"] == 2
    assert changed.json()["spend_rule"] == {"step_amount": 15000, "points_per_step": 1, "minimum_spend": 0}
    siti = shop.register()
    sale = shop.sell(coffee(siti["id"], quantity=3))  # Rp105.000 / 15.000 = 7
    assert (sale["points"]["earned"], sale["points"]["program_version"]) == (7, 2)

    shop.client.patch(f"{API}/program", json={"name": "Sahabat Setia"})
    shop.adjust(siti["id"], 3, "welcome")
    assert [(e["reason"], e["program_version"]) for e in shop.history(siti["id"])] == [("adjust", 3), ("earn", 2)]
    assert shop.client.get(f"{API}/program").json()["name"] == "Sahabat Setia"


# OpenAPI ---------------------------------------------------------------------------------------------------

def test_openapi_has_a_summary_for_every_operation_and_examples_for_request_bodies(database):
    shop = merchant_with_key(database)
    spec = shop.client.get("/api/openapi.json").json()
    schemas = spec["components"]["schemas"]
    operations = [(method, path, operation) for path, methods in spec["paths"].items()
                  for method, operation in methods.items()]
    assert {(method, path) for method, path, _ in operations} >= {
        ("post", f"{API}/members"), ("patch", f"{API}/members/{{member_id}}"), ("post", f"{API}/sales"),
        ("post", f"{API}/sales/quote"), ("patch", f"{API}/program"), ("post", f"{API}/sales/{{sale_id}}/refunds")}
    for method, path, operation in operations:
        if not path.startswith(API):
            continue
        assert operation.get("summary"), (method, path)
        body = operation.get("requestBody")
        if body is not None:
            name = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
            assert schemas[name].get("examples"), (method, path, name)
            for example in schemas[name]["examples"]:  # a documented example is a request the API accepts
                getattr(api_schemas, name).model_validate(example)
    for name in ("SaleIn", "MemberIn", "MemberPatch", "ProgramPatch", "RefundIn", "AdjustmentIn"):
        assert schemas[name]["examples"], name
