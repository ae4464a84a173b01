"""Stock per outlet: sales take it down, refunds put it back, a count corrects it with a reason."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select, update

from setia.adapters.db.tables import products, stock_levels, stock_movements
from setia.domain.errors import NotFound, ValidationFailed

SALE, REFUND, COUNT, RECEIVE = "sale", "refund", "count", "receive"


def _ensure_level(connection: Connection, merchant_id: int, outlet_id: int, product_id: int, now: datetime) -> None:
    exists = connection.execute(select(stock_levels.c.quantity).where(
        stock_levels.c.outlet_id == outlet_id, stock_levels.c.product_id == product_id)).first()
    if exists is None:
        connection.execute(stock_levels.insert(), {"merchant_id": merchant_id, "outlet_id": outlet_id,
                                                   "product_id": product_id, "quantity": 0, "updated_at": now})


def move_stock(connection: Connection, merchant_id: int, outlet_id: int, product_id: int, delta: int, reason: str,
               actor: str, now: datetime, sale_id: int | None = None, refund_id: int | None = None,
               note: str | None = None) -> None:
    """Change the stock by `delta` atomically (never read-then-write) and record why."""
    _ensure_level(connection, merchant_id, outlet_id, product_id, now)
    connection.execute(update(stock_levels).where(
        stock_levels.c.outlet_id == outlet_id, stock_levels.c.product_id == product_id,
        stock_levels.c.merchant_id == merchant_id,
    ).values(quantity=stock_levels.c.quantity + delta, updated_at=now))
    connection.execute(stock_movements.insert(), {
        "merchant_id": merchant_id, "outlet_id": outlet_id, "product_id": product_id, "delta": delta,
        "reason": reason, "note": note, "sale_id": sale_id, "refund_id": refund_id, "actor": actor,
        "created_at": now})


def tracked_product_ids(connection: Connection, merchant_id: int, product_ids: list[int]) -> set[int]:
    if not product_ids:
        return set()
    rows = connection.execute(select(products.c.id).where(
        products.c.merchant_id == merchant_id, products.c.id.in_(product_ids), products.c.track_stock.is_(True)))
    return {row.id for row in rows}


def count_stock(connection: Connection, merchant_id: int, outlet_id: int, product_id: int, counted: str | int,
                reason: str, actor: str, now: datetime) -> int:
    """Set the stock to what was counted; the difference is recorded with the reason. Returns the delta."""
    text = str(counted).strip()
    if not text.lstrip("-").isdigit():
        raise ValidationFailed("Enter the counted quantity as a whole number.", field="counted")
    if not (reason or "").strip():
        raise ValidationFailed("A stock correction needs a reason.", field="reason")
    product = connection.execute(select(products.c.id).where(products.c.id == product_id,
                                                             products.c.merchant_id == merchant_id)).first()
    if product is None:
        raise NotFound("Product not found.")
    _ensure_level(connection, merchant_id, outlet_id, product_id, now)
    # Lock the row (PostgreSQL) so a sale between our read and write can't be lost from the delta.
    query = select(stock_levels.c.quantity).where(stock_levels.c.outlet_id == outlet_id,
                                                  stock_levels.c.product_id == product_id)
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    current = connection.execute(query).scalar_one()
    delta = int(text) - current
    move_stock(connection, merchant_id, outlet_id, product_id, delta, COUNT, actor, now, note=reason.strip())
    return delta
