"""Refunds and stamp cards: stamps taken back to cumulative targets, full cards reopened, redeemed cards returned.

Called by `sale_effects.apply_refund_effects` in the refund's transaction, with the member locked.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update

from setia.adapters.db.tables import sale_stamps, stamp_cards, stamp_movements
from setia.domain import stamps as rules
from setia.domain.program import Program
from setia.domain.stamps import StampCardDefinition
from setia.services import stamps


def reverse_for_refund(connection: Connection, stamping: stamps.Stamping, program: Program,
                       lines: list[dict[str, Any]], money_left: int, fully_refunded: bool) -> dict[str, Any]:
    """Take back the stamps a refunded sale earned, to cumulative targets like points.

    Per definition: stamps that sat on a card which has since expired are not taken back (they are gone);
    then the member's current card gives them back; then the newest full card not yet redeemed is reopened
    (the current, emptied card is cancelled); what is still missing is owed, repaid by the next stamps.
    A full refund also gives back the stamp cards the sale redeemed.
    """
    rows = connection.execute(select(sale_stamps).where(sale_stamps.c.sale_id == stamping.sale_id)
                              .order_by(sale_stamps.c.id)).mappings().all()
    refunded = {line["position"]: (line["refunded_quantity"], line["quantity"]) for line in lines}
    result: dict[str, Any] = {"reversed": [], "returned_cards": []}
    cards = []
    if rows or fully_refunded:
        cards = stamps.open_cards(connection, stamping.merchant_id, stamping.member_id)
    for row in rows:
        definition = _definition_as_sold(program, row)
        target = rules.reverse_target(definition, row["stamps_earned"],
                                      {int(k): v for k, v in row["line_stamps"].items()}, refunded, money_left,
                                      fully_refunded)
        wanted = target - row["stamps_reversed"] - row["stamps_forgiven"]
        if wanted <= 0:
            continue
        forgiven = min(wanted, _expired_stamps_of_sale(connection, stamping.sale_id, row["definition_id"])
                       - row["stamps_forgiven"])
        taken = _take_back(connection, stamping, definition, cards, wanted - forgiven)
        connection.execute(update(sale_stamps).where(sale_stamps.c.id == row["id"]).values(
            stamps_reversed=sale_stamps.c.stamps_reversed + taken,
            stamps_forgiven=sale_stamps.c.stamps_forgiven + forgiven))
        result["reversed"].append({"definition_id": row["definition_id"], "stamps": taken,
                                   "stamps_not_taken_back_expired": forgiven})
    if fully_refunded:
        result["returned_cards"] = _return_redeemed(connection, stamping, cards)
    if rows or result["returned_cards"]:
        result["cards"] = [card.document() for card in cards
                           if card.status in (rules.IN_PROGRESS, rules.COMPLETED)]
    return result


def _definition_as_sold(program: Program, row: Any) -> StampCardDefinition:
    """The definition the sale earned under; its reverse rule only needs `per` and the minimum spend."""
    for definition in program.stamp_cards:
        if definition.id == row["definition_id"]:
            return definition
    return StampCardDefinition(id=row["definition_id"], name=row["definition_id"], per=row["per"], card_size=1,
                               reward=rules.StampReward("points", points=1), minimum_spend=row["minimum_spend"])


def _expired_stamps_of_sale(connection: Connection, sale_id: int | None, definition_id: str) -> int:
    rows = connection.execute(
        select(stamp_movements.c.stamps).join(stamp_cards, stamp_cards.c.id == stamp_movements.c.card_id)
        .where(stamp_movements.c.sale_id == sale_id, stamp_movements.c.kind == rules.EARN,
               stamp_movements.c.refund_id.is_(None), stamp_cards.c.definition_id == definition_id,
               stamp_cards.c.status == rules.EXPIRED)).scalars().all()
    return sum(rows)


def _take_back(connection: Connection, stamping: stamps.Stamping, definition: StampCardDefinition,
               cards: list[stamps.Card], wanted: int) -> int:
    """Take `wanted` stamps of `definition` back from the member's cards; returns `wanted` (owed if need be)."""
    taking = wanted
    current = next((c for c in cards if c.definition_id == definition.id and c.status == rules.IN_PROGRESS), None)
    while taking > 0:
        if current is not None and current.stamps:
            taken = min(current.stamps, taking)
            stamps.move(connection, stamping, current, rules.REVERSE, stamps=-taken)
            taking -= taken
            continue
        full = [c for c in cards if c.definition_id == definition.id and c.status == rules.COMPLETED]
        if not full or (current is not None and current.stamps_owed):
            break
        if current is not None:  # emptied: the reopened full card becomes the one in progress
            stamps.move(connection, stamping, current, rules.REOPEN, status=rules.CANCELLED)
        current = full[-1]
        stamps.move(connection, stamping, current, rules.REOPEN, status=rules.IN_PROGRESS, completed_at=None)
    if taking > 0:
        if current is None:
            current = stamps.new_card(connection, stamping, definition)
            cards.append(current)
        stamps.move(connection, stamping, current, rules.REVERSE, owed=taking)
    return wanted


def _return_redeemed(connection: Connection, stamping: stamps.Stamping,
                     cards: list[stamps.Card]) -> list[dict[str, Any]]:
    """A fully refunded sale gives back the full cards it redeemed: their rewards can be redeemed again."""
    rows = connection.execute(select(*stamps.CARD_COLUMNS).where(
        stamp_cards.c.redeemed_sale_id == stamping.sale_id, stamp_cards.c.status == rules.REDEEMED)).all()
    returned = []
    for row in rows:
        card = stamps.Card(*row)
        stamps.move(connection, stamping, card, rules.RETURN, status=rules.COMPLETED, redeemed_sale_id=None)
        cards.append(card)
        returned.append(card.document())
    return returned
