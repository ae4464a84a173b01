"""The program API: rules and tiers through HTTP, validation naming the field, versions, tier endpoints."""

from __future__ import annotations

from fastapi.testclient import TestClient

from setia.entrypoints.api.app import create_app
from setia.services.merchants import create_api_key

from tests.test_tiers import SILVER_GOLD


def client_for(shop) -> TestClient:
    with shop.database.write() as connection:
        key = create_api_key(connection, shop.merchant_id, "test", shop.now).key
    return TestClient(create_app(database=shop.database), headers={"Authorization": f"Bearer {key}"})


def test_owner_designs_rules_and_tiers_and_every_change_is_a_version(shop):
    client = client_for(shop)
    before = client.get("/api/v1/program").json()["version"]
    rules = [{"id": "weekend", "name": "Weekend ×2", "kind": "multiplier", "multiplier": "2",
              "conditions": {"days_of_week": [6, 7]}}]
    answer = client.patch("/api/v1/program", json={"tiers": SILVER_GOLD, "earn_rules": rules})
    assert answer.status_code == 200
    assert answer.json()["version"] == before + 1
    assert answer.json()["earn_rules"] == rules
    versions = client.get("/api/v1/program/versions").json()["items"]
    assert [v["version"] for v in versions][:2] == [before + 1, before]
    assert versions[0]["settings"]["tiers"] == SILVER_GOLD


def test_invalid_rules_and_tiers_name_the_field_and_change_nothing(shop):
    client = client_for(shop)
    program = client.get("/api/v1/program").json()
    bad_rule = [{"id": "x", "name": "X", "kind": "multiplier", "multiplier": "0.5"}]
    answer = client.patch("/api/v1/program", json={"earn_rules": bad_rule})
    assert answer.status_code == 422
    assert answer.json()["code"] == "validation_failed"
    assert answer.json()["details"]["field"] == "earn_rules[0].multiplier"
    bad_tiers = {"levels": [{"code": "gold", "name": "Gold", "threshold": 5, "discount_percent": 150}]}
    answer = client.patch("/api/v1/program", json={"tiers": bad_tiers})
    assert answer.json()["details"]["field"] == "tiers.levels[0].discount_percent"
    assert client.get("/api/v1/program").json() == program


def test_tier_endpoints_show_progress_and_take_a_floor(shop):
    client = client_for(shop)
    client.patch("/api/v1/program", json={"tiers": SILVER_GOLD})
    member = client.post("/api/v1/members", json={"name": "Gita", "phone": "0812-7000-1111"}).json()
    client.post("/api/v1/sales", json={"member_id": member["id"], "lines": [
        {"name": "Sepatu", "quantity": 1, "unit_price": 650000}]})
    tier = client.get(f"/api/v1/members/{member['id']}/tier").json()
    assert (tier["tier"], tier["qualifying"], tier["next_tier"]["code"], tier["missing"]) == \
        (None, 650000, "silver", 350000)
    floor = client.put(f"/api/v1/members/{member['id']}/tier-floor", json={"tier_code": "gold"})
    assert floor.status_code == 200
    assert (floor.json()["tier"]["code"], floor.json()["floor"]) == ("gold", "gold")
    unknown = client.put(f"/api/v1/members/{member['id']}/tier-floor", json={"tier_code": "diamond"})
    assert (unknown.status_code, unknown.json()["details"]["field"]) == (422, "tier_code")
