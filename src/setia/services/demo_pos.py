"""The demo café's point of sale: its menu as products with stock, and staff with known demo passwords."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from setia.adapters.db.tables import outlets, products, staff
from setia.services.catalogue import ProductDetails, create_category, create_product
from setia.services.staff import create_staff
from setia.services.stock import RECEIVE, move_stock

# Known on purpose: the demo is for trying Setia out on one machine. Never use these for a real shop.
DEMO_STAFF = [
    ("demo.pemilik", "Bu Ratna", "owner", "pemilik-demo"),
    ("demo.manajer", "Pak Dimas", "manager", "manajer-demo"),
    ("demo.kasir", "Wulan", "cashier", "kasir-demo"),
]
CATEGORY_NAMES = {"coffee": "Kopi", "tea": "Teh", "pastry": "Roti & Kue", "food": "Makanan"}
OPENING_STOCK = 50


def add_point_of_sale(connection: Connection, merchant_id: int, menu: list[tuple[str, str, str, int]],
                      now: datetime) -> None:
    """Products (with barcodes 899…, stock at the outlet) and staff; does nothing if they exist already."""
    outlet_id = connection.execute(select(outlets.c.id).where(outlets.c.merchant_id == merchant_id)
                                   .order_by(outlets.c.id).limit(1)).scalar_one()
    if connection.execute(select(products.c.id).where(products.c.merchant_id == merchant_id)).first() is None:
        for position, (code, name) in enumerate(CATEGORY_NAMES.items()):
            create_category(connection, merchant_id, code, name, position)
        for index, (sku, name, category, price) in enumerate(menu):
            product_id = create_product(connection, merchant_id, ProductDetails(
                sku=sku, name=name, price=price, category=category, barcode=f"899{index + 1:010d}",
                track_stock=category in ("pastry", "food"), reorder_level=10), now)
            if category in ("pastry", "food"):
                move_stock(connection, merchant_id, outlet_id, product_id, OPENING_STOCK, RECEIVE, "demo", now)
    for username, name, role, password in DEMO_STAFF:
        if connection.execute(select(staff.c.id).where(staff.c.username == username)).first() is None:
            create_staff(connection, merchant_id, username, name, role, password, now,
                         outlet_id=None if role == "owner" else outlet_id)


def demo_logins() -> list[dict[str, Any]]:
    return [{"username": username, "password": password, "role": role} for username, _, role, password in DEMO_STAFF]
