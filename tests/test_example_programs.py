"""The README's three example programs (docs/examples/*.json) load through the API and work at the till."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from setia.entrypoints.api.app import create_app
from setia.services.merchants import create_api_key

EXAMPLES = Path(__file__).parent.parent / "docs" / "examples"


def set_up(shop, name: str) -> TestClient:
    with shop.database.write() as connection:
        key = create_api_key(connection, shop.merchant_id, "test", shop.now).key
    client = TestClient(create_app(database=shop.database), headers={"Authorization": f"Bearer {key}"})
    example = json.loads((EXAMPLES / f"{name}.json").read_text())
    answer = client.patch("/api/v1/program", json=example["program"])
    assert answer.status_code == 200, answer.json()
    for reward in example["rewards"]:
        assert client.post("/api/v1/rewards", json=reward).status_code == 201
    return client


def sell(client: TestClient, member_id: str, *lines: tuple) -> dict:
    answer = client.post("/api/v1/sales", json={"member_id": member_id, "lines": [
        {"name": name, "sku": sku, "category": category, "quantity": quantity, "unit_price": price}
        for name, sku, category, quantity, price in lines]})
    assert answer.status_code == 201, answer.json()
    return answer.json()


def test_cafe_stamp_card(shop):
    client = set_up(shop, "cafe")
    member = client.post("/api/v1/members", json={"name": "Rani", "phone": "0812-9100-0001"}).json()
    assert member["points"]["balance"] == 10  # sign-up bonus
    sale = sell(client, member["id"], ("Es Kopi Susu", "KOPI-SUSU", "coffee", 3, 25000))
    assert sale["stamps"]["earned"] == [{"definition_id": "kopi", "name": "Kartu Kopi", "stamps": 3}]
    assert sale["points"]["earned"] == 5  # Rp75.000 / Rp15.000; the fixture's clock is Tuesday 12:00


def test_retail_points_with_tiers(shop):
    client = set_up(shop, "retail")
    member = client.post("/api/v1/members", json={"name": "Surya", "phone": "0812-9100-0002"}).json()
    sale = sell(client, member["id"], ("Kulkas", "KLK", "elektronik", 1, 5200000), ("Rokok", "RK", "rokok", 1, 35000))
    assert sale["points"]["earned"] == 520  # cigarettes earn nothing
    assert sale["tier"]["tier"] == "gold"
    next_sale = sell(client, member["id"], ("Setrika", "STR", "elektronik", 1, 200000))
    assert next_sale["totals"]["tier_discount"] == 20000


def test_salon_birthday_and_referral(shop):
    client = set_up(shop, "salon")
    ani = client.post("/api/v1/members", json={"name": "Ani", "phone": "0812-9100-0003"}).json()
    assert ani["points"]["balance"] == 25
    bella = client.post("/api/v1/members", json={"name": "Bella", "phone": "0812-9100-0004",
                                                  "referred_by": ani["member_number"]}).json()
    sale = sell(client, bella["id"], ("Creambath", "CRB", "hair", 1, 150000))
    assert sale["stamps"]["earned"] == [{"definition_id": "creambath", "name": "Kartu Creambath", "stamps": 1}]
    assert client.get(f"/api/v1/members/{ani['id']}").json()["points"]["balance"] == 25 + 50
    assert client.get(f"/api/v1/members/{bella['id']}").json()["points"]["balance"] == 25 + 15 + 50
