"""A member's stamp cards as the API and screens show them: progress, full cards to redeem, history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from setia.adapters.db.tables import members, stamp_cards, stamp_movements
from setia.domain.errors import NotFound


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def member_stamp_cards(connection: Connection, merchant_id: int, member_id: int,
                       include_closed: bool = False) -> list[dict[str, Any]]:
    """The member's cards, newest first: in progress and full (to redeem); with `include_closed` also those
    redeemed, expired or cancelled."""
    exists = connection.execute(select(members.c.id).where(members.c.id == member_id,
                                                           members.c.merchant_id == merchant_id)).first()
    if exists is None:
        raise NotFound("Member not found.", member_id=str(member_id))
    query = select(stamp_cards).where(stamp_cards.c.member_id == member_id, stamp_cards.c.merchant_id == merchant_id)
    if not include_closed:
        query = query.where(stamp_cards.c.status.in_(("in_progress", "completed")))
    rows = connection.execute(query.order_by(stamp_cards.c.id.desc())).all()
    return [
        {"card_id": str(row.id), "definition_id": row.definition_id, "name": row.name, "status": row.status,
         "stamps": row.stamps, "card_size": row.card_size, "stamps_to_go": row.card_size - row.stamps,
         "stamps_owed": row.stamps_owed, "reward": row.reward, "started_on": _iso(row.started_on),
         "expires_on": _iso(row.expires_on), "completed_at": _iso(row.completed_at),
         "redeemed_sale_id": str(row.redeemed_sale_id) if row.redeemed_sale_id else None}
        for row in rows
    ]


def card_history(connection: Connection, merchant_id: int, card_id: int) -> list[dict[str, Any]]:
    """A card's stamp movements, oldest first."""
    rows = connection.execute(select(stamp_movements).where(stamp_movements.c.card_id == card_id,
                                                            stamp_movements.c.merchant_id == merchant_id)
                              .order_by(stamp_movements.c.id)).all()
    return [{"kind": row.kind, "stamps": row.stamps, "owed": row.owed,
             "sale_id": str(row.sale_id) if row.sale_id else None,
             "refund_id": str(row.refund_id) if row.refund_id else None, "actor": row.actor,
             "occurred_at": _iso(row.occurred_at)} for row in rows]
