"""The catalogue as the register and the back office see it: search, grid by category, stock, low stock."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from setia.adapters.db.tables import categories, products, stock_levels

_COLUMNS = (products.c.id, products.c.sku, products.c.barcode, products.c.name, products.c.price,
            products.c.track_stock, products.c.reorder_level, products.c.category_id)


def find_by_code(connection: Connection, merchant_id: int, code: str) -> dict[str, Any] | None:
    """The active product whose barcode or SKU is exactly `code` (what a scanner types)."""
    code = (code or "").strip()
    if not code:
        return None
    row = connection.execute(select(*_COLUMNS).where(
        products.c.merchant_id == merchant_id, products.c.active.is_(True),
        or_(products.c.barcode == code, products.c.sku == code.upper())).limit(1)).first()
    return dict(row._mapping) if row else None


def search_products(connection: Connection, merchant_id: int, text: str, limit: int = 12) -> list[dict[str, Any]]:
    """Products whose name or SKU contains `text`, names starting with it first."""
    text = (text or "").strip().lower()
    if not text:
        return []
    pattern = f"%{text}%"
    rows = connection.execute(select(*_COLUMNS).where(
        products.c.merchant_id == merchant_id, products.c.active.is_(True),
        or_(func.lower(products.c.name).like(pattern), func.lower(products.c.sku).like(pattern),
            products.c.barcode == text))
        .order_by(func.lower(products.c.name).like(f"{text}%").desc(), products.c.name).limit(limit)).all()
    return [dict(row._mapping) for row in rows]


def product_grid(connection: Connection, merchant_id: int, per_category: int = 24) -> list[dict[str, Any]]:
    """Categories in order, each with its first products: the register's touch grid."""
    cats = connection.execute(select(categories.c.id, categories.c.name).where(
        categories.c.merchant_id == merchant_id).order_by(categories.c.position, categories.c.name)).all()
    grid = []
    for category in cats:
        rows = connection.execute(select(*_COLUMNS).where(
            products.c.merchant_id == merchant_id, products.c.category_id == category.id,
            products.c.active.is_(True)).order_by(products.c.name).limit(per_category)).all()
        if rows:
            grid.append({"id": category.id, "name": category.name, "products": [dict(r._mapping) for r in rows]})
    return grid


def stock_list(connection: Connection, merchant_id: int, outlet_id: int, low_only: bool = False,
               limit: int = 500) -> list[dict[str, Any]]:
    """Tracked products with their stock at the outlet; low_only: at or below the reorder level."""
    quantity = func.coalesce(stock_levels.c.quantity, 0)
    query = (select(*_COLUMNS, quantity.label("quantity"), categories.c.name.label("category"))
             .select_from(products.outerjoin(stock_levels, and_(stock_levels.c.product_id == products.c.id,
                                                                stock_levels.c.outlet_id == outlet_id))
                          .outerjoin(categories, categories.c.id == products.c.category_id))
             .where(products.c.merchant_id == merchant_id, products.c.track_stock.is_(True),
                    products.c.active.is_(True)))
    if low_only:
        query = query.where(quantity <= products.c.reorder_level)
    rows = connection.execute(query.order_by(products.c.name).limit(limit)).all()
    return [dict(row._mapping) for row in rows]


def product_list(connection: Connection, merchant_id: int, limit: int = 500) -> list[dict[str, Any]]:
    rows = connection.execute(
        select(*_COLUMNS, categories.c.name.label("category"))
        .select_from(products.outerjoin(categories, categories.c.id == products.c.category_id))
        .where(products.c.merchant_id == merchant_id).order_by(products.c.name).limit(limit)).all()
    return [dict(row._mapping) for row in rows]


def products_by_id(connection: Connection, merchant_id: int, product_ids: list[int]) -> dict[int, dict[str, Any]]:
    if not product_ids:
        return {}
    rows = connection.execute(select(*_COLUMNS).where(products.c.merchant_id == merchant_id,
                                                      products.c.id.in_(product_ids))).all()
    return {row.id: dict(row._mapping) for row in rows}
