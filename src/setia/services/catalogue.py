"""Categories and products, added one by one or imported from CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, select

from setia.adapters.db.tables import categories, products
from setia.domain.errors import Conflict, SetiaError, ValidationFailed

MAX_PRICE = 10**12
CSV_COLUMNS = ("sku", "name", "price", "category", "barcode", "track_stock", "reorder_level")


@dataclass
class ProductDetails:
    sku: str
    name: str
    price: str | int
    category: str | None = None  # category code; created if new
    barcode: str | None = None
    track_stock: bool = False
    reorder_level: str | int = 0


@dataclass
class ImportSummary:
    created: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def _whole_number(value: str | int, field_name: str, label: str) -> int:
    text = str(value).strip().replace(".", "").replace("Rp", "").replace(" ", "")
    if not text.isdigit() or int(text) > MAX_PRICE:
        raise ValidationFailed(f"{label} is a whole number of rupiah, like 25000.", field=field_name)
    return int(text)


def category_id_for(connection: Connection, merchant_id: int, code: str | None) -> int | None:
    """The category with this code, created (named after its code) if it is new."""
    code = (code or "").strip().lower()
    if not code:
        return None
    found = connection.execute(select(categories.c.id).where(categories.c.merchant_id == merchant_id,
                                                             categories.c.code == code)).scalar()
    if found is not None:
        return found
    return connection.execute(categories.insert().returning(categories.c.id), {
        "merchant_id": merchant_id, "code": code, "name": code.replace("-", " ").title(), "position": 0,
    }).scalar_one()


def create_category(connection: Connection, merchant_id: int, code: str, name: str, position: int = 0) -> int:
    code = (code or "").strip().lower()
    if not code or not (name or "").strip():
        raise ValidationFailed("A category needs a code and a name.", field="code" if not code else "name")
    return connection.execute(categories.insert().returning(categories.c.id), {
        "merchant_id": merchant_id, "code": code, "name": name.strip(), "position": position}).scalar_one()


def create_product(connection: Connection, merchant_id: int, details: ProductDetails, now: datetime) -> int:
    """A product in the catalogue; SKU and barcode are unique per merchant."""
    sku = (details.sku or "").strip().upper()
    if not sku or len(sku) > 100:
        raise ValidationFailed("A product needs a SKU (up to 100 characters).", field="sku")
    name = (details.name or "").strip()
    if not name:
        raise ValidationFailed("A product needs a name.", field="name")
    price = _whole_number(details.price, "price", "The price")
    reorder_level = _whole_number(details.reorder_level or 0, "reorder_level", "The reorder level")
    barcode = (details.barcode or "").strip() or None
    if barcode is not None and (not barcode.isdigit() or len(barcode) > 64):
        raise ValidationFailed("A barcode is digits only.", field="barcode")
    taken = select(products.c.id).where(products.c.merchant_id == merchant_id, products.c.sku == sku)
    if connection.execute(taken).first() is not None:
        raise Conflict(f"SKU {sku} is already in the catalogue.", field="sku")
    if barcode and connection.execute(select(products.c.id).where(products.c.merchant_id == merchant_id,
                                                                  products.c.barcode == barcode)).first():
        raise Conflict(f"Barcode {barcode} is already on another product.", field="barcode")
    return connection.execute(products.insert().returning(products.c.id), {
        "merchant_id": merchant_id, "category_id": category_id_for(connection, merchant_id, details.category),
        "sku": sku, "barcode": barcode, "name": name, "price": price, "track_stock": bool(details.track_stock),
        "reorder_level": reorder_level, "active": True, "created_at": now}).scalar_one()


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "y", "yes", "ya", "true", "x")


def import_products_csv(connection: Connection, merchant_id: int, text: str, now: datetime) -> ImportSummary:
    """Products from CSV (columns: sku, name, price, category, barcode, track_stock, reorder_level).

    Each good row is added; a bad row is reported with its line number and skipped, so a fixed file can be
    imported again (rows whose SKU exists are reported, not duplicated)."""
    summary = ImportSummary()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = {"sku", "name", "price"} - {name.strip().lower() for name in reader.fieldnames or []}
    if missing:
        raise ValidationFailed(f"The CSV needs the columns: {', '.join(sorted(missing))}.", field="file")
    for line_number, raw in enumerate(reader, start=2):
        row = {(key or "").strip().lower(): (value or "") for key, value in raw.items()}
        details = ProductDetails(sku=row.get("sku", ""), name=row.get("name", ""), price=row.get("price", ""),
                                 category=row.get("category"), barcode=row.get("barcode"),
                                 track_stock=_truthy(row.get("track_stock")),
                                 reorder_level=row.get("reorder_level") or 0)
        try:
            with connection.begin_nested():
                create_product(connection, merchant_id, details, now)
            summary.created += 1
        except SetiaError as error:
            summary.errors.append((line_number, error.message))
    return summary
