"""The demo café: a program, rewards, members and a few months of history, made through the services."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from setia.adapters.db.engine import Database
from setia.adapters.db.tables import members, merchants, sales
from setia.domain.sale import LineInput
from setia.services import programs
from setia.services.context import Caller
from setia.services.demo_pos import add_point_of_sale, demo_logins
from setia.services.members import MemberDetails, register_member
from setia.services.merchants import create_api_key, create_merchant
from setia.services.sales import SaleRequest, record_sale

DEMO_NAME = "Kopi Setia (demo)"
MENU = [
    ("KOPI-SUSU", "Es Kopi Susu", "coffee", 25000),
    ("AMERICANO", "Americano", "coffee", 22000),
    ("LATTE", "Caffè Latte", "coffee", 30000),
    ("TEH-TARIK", "Teh Tarik", "tea", 18000),
    ("CROIS", "Croissant", "pastry", 28000),
    ("ROTI-BAKAR", "Roti Bakar Cokelat Keju", "food", 32000),
    ("NASGOR", "Nasi Goreng Kampung", "food", 38000),
]
MEMBERS = [
    ("Siti Rahayu", "0812-3456-7890"), ("Budi Santoso", "0813-1111-2222"), ("Dewi Lestari", "0815-2222-3333"),
    ("Agus Pratama", "0817-3333-4444"), ("Rina Wulandari", "0818-4444-5555"), ("Eko Saputra", "0819-5555-6666"),
    ("Putri Anggraini", "0821-6666-7777"), ("Hendra Wijaya", "0822-7777-8888"), ("Maya Sari", "0823-8888-9999"),
    ("Joko Susilo", "0852-1234-5678"), ("Intan Permata", "0856-2345-6789"), ("Rudi Hartono", "0857-3456-7891"),
]


# Thresholds the demo history reaches: its members land in every tier (and some in none).
DEMO_TIERS = {"basis": "spend", "window": "rolling_months", "window_months": 12, "review_months": 12, "levels": [
    {"code": "silver", "name": "Silver", "threshold": 300000},
    {"code": "gold", "name": "Gold", "threshold": 700000, "discount_percent": 10, "earn_multiplier": "1.5"},
    {"code": "platinum", "name": "Platinum", "threshold": 1200000, "discount_percent": 15, "earn_multiplier": "2"},
]}


def create_demo(database: Database, now: datetime) -> dict[str, Any]:
    """Idempotent: the café and its history are made once; each call adds a fresh API key."""
    with database.write() as connection:
        merchant_id = connection.execute(select(merchants.c.id).where(merchants.c.name == DEMO_NAME)).scalar()
        if merchant_id is None:
            merchant_id = _build(connection, now)
        add_point_of_sale(connection, merchant_id, MENU, now)
        key = create_api_key(connection, merchant_id, "demo", now).key
        member_count = connection.execute(select(func.count()).select_from(members)
                                          .where(members.c.merchant_id == merchant_id)).scalar_one()
        sale_count = connection.execute(select(func.count()).select_from(sales)
                                        .where(sales.c.merchant_id == merchant_id)).scalar_one()
    return {"merchant_id": merchant_id, "merchant_name": DEMO_NAME, "api_key": key, "members": member_count,
            "sales": sale_count, "logins": demo_logins()}


def _build(connection, now: datetime) -> int:  # type: ignore[no-untyped-def]
    merchant_id = create_merchant(connection, DEMO_NAME, now, outlet_name="Kopi Setia Braga, Bandung")
    caller = Caller(merchant_id=merchant_id, actor="demo")
    programs.update_program(connection, merchant_id, {
        "name": "Sahabat Kopi Setia",
        "spend_rule": {"step_amount": 15000, "points_per_step": 1},
        "expiry": {"kind": "months", "length": 12},
        "points_payment": {"enabled": True, "rupiah_per_point": 200, "minimum_points": 50,
                           "maximum_share_percent": 50},
        "tiers": DEMO_TIERS,
        "stamp_cards": [{"id": "kopi", "name": "Kartu Kopi", "per": "item", "categories": ["coffee"],
                         "card_size": 9, "reward": {"kind": "free_product", "product_sku": "KOPI-SUSU"},
                         "expiry_days": 120}],
        "earn_rules": [{"id": "sore-ceria", "name": "Sore Ceria ×2", "kind": "multiplier", "multiplier": "2",
                        "conditions": {"days_of_week": [1, 2, 3, 4, 5], "time_from": "14:00",
                                       "time_to": "17:00"}}],
    }, "demo", now)
    programs.create_reward(connection, merchant_id, {"name": "Gratis Es Kopi Susu", "kind": "free_product",
                                                     "points_cost": 100, "product_sku": "KOPI-SUSU"}, now)
    programs.create_reward(connection, merchant_id, {"name": "Potongan Rp20.000", "kind": "fixed_discount",
                                                     "points_cost": 100, "discount_amount": 20000}, now)
    programs.create_reward(connection, merchant_id, {"name": "Diskon 10% (maks. Rp50.000)",
                                                     "kind": "percent_discount", "points_cost": 150, "percent": 10,
                                                     "cap_amount": 50000}, now)
    rng = random.Random(42)
    for index, (name, phone) in enumerate(MEMBERS):
        member_id = register_member(connection, caller, MemberDetails(
            name=name, phone=phone, consents={"whatsapp": True, "email": index % 2 == 0}), now - timedelta(days=200))
        for visit in range(rng.randint(3, 12)):
            picks = rng.sample(MENU, rng.randint(1, 3))
            occurred_at = now - timedelta(days=rng.randint(1, 180), minutes=rng.randint(0, 600))
            record_sale(connection, caller, SaleRequest(
                lines=[LineInput(name=n, sku=s, category=c, quantity=rng.randint(1, 3), unit_price=p)
                       for s, n, c, p in picks],
                member_id=member_id, external_id=f"demo-{member_id}-{visit}", occurred_at=occurred_at,
            ), now)
    return merchant_id
