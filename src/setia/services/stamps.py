"""Stamp cards of a member: stamps earned by a sale, taken back by a refund, full cards redeemed, expiry.

Every change of a card is one append-only stamp movement plus an atomic change of the card's cached count,
in the caller's transaction, with the member locked by the caller (the sale, the refund or the job opens the
member's points ledger first), so two sales of one member never stamp the same card at once. The unique
index on a member's in-progress card per definition is the backstop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from setia.adapters.db.tables import sale_stamps, stamp_cards, stamp_movements
from setia.domain import ledger
from setia.domain import stamps as rules
from setia.domain.errors import StampCardNotRedeemable
from setia.domain.program import Program
from setia.domain.stamps import StampCardDefinition, StampLine
from setia.services.member_ledger import MemberLedger, Movement

CARD_COLUMNS = (stamp_cards.c.id, stamp_cards.c.definition_id, stamp_cards.c.name, stamp_cards.c.status,
                 stamp_cards.c.card_size, stamp_cards.c.stamps, stamp_cards.c.stamps_owed, stamp_cards.c.reward,
                 stamp_cards.c.started_on, stamp_cards.c.expires_on)
_CARDS_OF_MEMBER = select(*CARD_COLUMNS).where(
    stamp_cards.c.member_id == bindparam("member_id"), stamp_cards.c.merchant_id == bindparam("merchant_id"),
    stamp_cards.c.status.in_((rules.IN_PROGRESS, rules.COMPLETED))).order_by(stamp_cards.c.id)
_INSERT_CARD = stamp_cards.insert().returning(stamp_cards.c.id)
_INSERT_MOVEMENT = stamp_movements.insert()
_CHANGE_COUNTS = update(stamp_cards).where(stamp_cards.c.id == bindparam("card_id")).values(
    stamps=stamp_cards.c.stamps + bindparam("stamps_delta"),
    stamps_owed=stamp_cards.c.stamps_owed + bindparam("owed_delta"),
    updated_at=bindparam("now", type_=stamp_cards.c.updated_at.type))
_INSERT_SALE_STAMPS = sale_stamps.insert()
_CHANGE_COUNTS_SETTING: dict[tuple[str, ...], Any] = {}  # (columns set besides the counts) → statement


def _change_counts_setting(columns: tuple[str, ...]) -> Any:
    """_CHANGE_COUNTS that also sets `columns` (from parameters `set_<column>`), built once per set of columns."""
    statement = _CHANGE_COUNTS_SETTING.get(columns)
    if statement is None:
        statement = _CHANGE_COUNTS.values(**{
            column: bindparam(f"set_{column}", type_=stamp_cards.c[column].type) for column in columns})
        _CHANGE_COUNTS_SETTING[columns] = statement
    return statement


@dataclass
class Card:
    id: int
    definition_id: str
    name: str
    status: str
    card_size: int
    stamps: int
    stamps_owed: int
    reward: dict[str, Any]
    started_on: date | None
    expires_on: date | None

    def document(self) -> dict[str, Any]:
        return {"card_id": str(self.id), "definition_id": self.definition_id, "name": self.name,
                "status": self.status, "stamps": self.stamps, "card_size": self.card_size,
                "stamps_owed": self.stamps_owed, "reward": self.reward,
                "expires_on": self.expires_on.isoformat() if self.expires_on else None}


@dataclass(frozen=True)
class Stamping:
    """Who, when and what for: the parts of a stamp movement that don't change within one operation."""

    merchant_id: int
    member_id: int
    actor: str
    occurred_at: datetime
    now: datetime
    sale_id: int | None = None
    refund_id: int | None = None


def open_cards(connection: Connection, merchant_id: int, member_id: int) -> list[Card]:
    """The member's cards in progress and full cards not yet redeemed, oldest first."""
    rows = connection.execute(_CARDS_OF_MEMBER, {"member_id": member_id, "merchant_id": merchant_id}).all()
    return [Card(*row) for row in rows]


def move(connection: Connection, stamping: Stamping, card: Card, kind: str, stamps: int = 0, owed: int = 0,
          **card_values: Any) -> None:
    connection.execute(_INSERT_MOVEMENT, {
        "merchant_id": stamping.merchant_id, "member_id": stamping.member_id, "card_id": card.id, "kind": kind,
        "stamps": stamps, "owed": owed, "sale_id": stamping.sale_id, "refund_id": stamping.refund_id,
        "actor": stamping.actor, "occurred_at": stamping.occurred_at, "created_at": stamping.now})
    # Atomic increments of the cached counts; the CHECK constraints are the backstop.
    counts = {"card_id": card.id, "stamps_delta": stamps, "owed_delta": owed, "now": stamping.now}
    if card_values:
        connection.execute(_change_counts_setting(tuple(sorted(card_values))),
                           {**counts, **{f"set_{column}": value for column, value in card_values.items()}})
    else:
        connection.execute(_CHANGE_COUNTS, counts)
    card.stamps += stamps
    card.stamps_owed += owed
    if "status" in card_values:
        card.status = card_values["status"]
    for key in ("started_on", "expires_on"):
        if key in card_values:
            setattr(card, key, card_values[key])


def new_card(connection: Connection, stamping: Stamping, definition: StampCardDefinition) -> Card:
    reward = definition.reward.as_dict()
    card_id = connection.execute(_INSERT_CARD, {
        "merchant_id": stamping.merchant_id, "member_id": stamping.member_id, "definition_id": definition.id,
        "name": definition.name, "status": rules.IN_PROGRESS, "card_size": definition.card_size, "stamps": 0,
        "stamps_owed": 0, "reward": reward, "created_at": stamping.now, "updated_at": stamping.now}).scalar_one()
    return Card(card_id, definition.id, definition.name, rules.IN_PROGRESS, definition.card_size, 0, 0, reward,
                None, None)


def expire_card(connection: Connection, stamping: Stamping, card: Card) -> int:
    """A card past its last day loses its stamps; returns how many."""
    lost = card.stamps
    move(connection, stamping, card, rules.EXPIRE, stamps=-lost, status=rules.EXPIRED)
    return lost


def _complete(connection: Connection, stamping: Stamping, card: Card, member_ledger: MemberLedger | None,
              program: Program, today: date) -> None:
    move(connection, stamping, card, rules.COMPLETE, status=rules.COMPLETED, completed_at=stamping.occurred_at)
    points = int(card.reward.get("points") or 0)
    if card.reward.get("kind") == "points" and points and member_ledger is not None:
        # A points reward is given at once: the card is redeemed by its own completion.
        # No sale_id on the transfer: the sale's own lots are what a refund of it takes back first.
        note = f"stamp card {card.id}" + (f", sale {stamping.sale_id}" if stamping.sale_id else "")
        member_ledger.credit(Movement(actor=stamping.actor, occurred_at=stamping.occurred_at, note=note,
                                      program_version=program.version),
                             points, ledger.ISSUANCE, ledger.BONUS_STAMP_CARD, today, program.expiry.expiry_day(today))
        move(connection, stamping, card, rules.REDEEM, status=rules.REDEEMED)


def add_stamps(connection: Connection, stamping: Stamping, definition: StampCardDefinition, cards: list[Card],
               stamps: int, earned_on: date, member_ledger: MemberLedger | None, program: Program,
               today: date) -> list[Card]:
    """Put `stamps` on the member's current card of `definition` (a new one if none, or if it expired), stamps
    owed from a refund first; a full card completes and the rest start the next one. Returns cards completed."""
    current = next((c for c in cards if c.definition_id == definition.id and c.status == rules.IN_PROGRESS), None)
    if current is not None and current.expires_on is not None and current.expires_on < earned_on:
        expire_card(connection, stamping, current)
        current = None
    if current is None:
        current = new_card(connection, stamping, definition)
        cards.append(current)
    repaid = min(current.stamps_owed, stamps)
    remaining = stamps - repaid
    completed = []
    first = True
    while first or remaining > 0:
        if not first:  # the overflow starts the next card (the definition's size: the old card kept its own)
            current = new_card(connection, stamping, definition)
            cards.append(current)
        added = min(current.card_size - current.stamps, remaining)
        values: dict[str, Any] = {}
        if added and current.started_on is None:
            values = {"started_on": earned_on, "expires_on": definition.expires_on(earned_on)}
        move(connection, stamping, current, rules.EARN, stamps=added, owed=-repaid if first else 0, **values)
        remaining -= added
        first = False
        if current.stamps == current.card_size:
            _complete(connection, stamping, current, member_ledger, program, today)
            completed.append(current)
    return completed


def stamp_lines(priced_lines: list[Any], free_units: dict[int, int]) -> list[StampLine]:
    """The sale's lines as stamp cards see them; free units (rewards) earn no stamp."""
    lines = []
    for position, priced in enumerate(priced_lines):
        line = priced.line
        free = free_units.get(position, 0)
        if line.unit_price and priced.reward_discount:
            free += priced.reward_discount // line.unit_price
        lines.append(StampLine(position, line.sku, line.category, line.quantity, free, priced.net_amount))
    return lines


def stamps_earned(program: Program, lines: list[StampLine], money_paid: int) -> list[tuple[StampCardDefinition,
                                                                                           dict[int, int], int]]:
    """(definition, stamps per line, stamps) for every active card definition the sale earns on."""
    earned = []
    for definition in program.stamp_cards:
        if not definition.active:
            continue
        if definition.per == "item":
            per_line = rules.stamps_per_line(definition, lines)
            total = sum(per_line.values())
        else:
            per_line, total = {}, 1 if rules.visit_earns(definition, money_paid) else 0
        if total:
            earned.append((definition, per_line, total))
    return earned


def earn_for_sale(connection: Connection, stamping: Stamping, program: Program, lines: list[StampLine],
                  money_paid: int, earned_on: date, member_ledger: MemberLedger | None,
                  today: date) -> dict[str, Any]:
    """Stamps a recorded sale earns on each card definition; the sale's stamp state for refunds."""
    earned = stamps_earned(program, lines, money_paid)
    if not earned:
        return {"earned": [], "completed": []}
    cards = open_cards(connection, stamping.merchant_id, stamping.member_id)
    result: dict[str, Any] = {"earned": [], "completed": []}
    for definition, per_line, total in earned:
        completed = add_stamps(connection, stamping, definition, cards, total, earned_on, member_ledger, program,
                               today)
        connection.execute(_INSERT_SALE_STAMPS, {
            "merchant_id": stamping.merchant_id, "sale_id": stamping.sale_id, "member_id": stamping.member_id,
            "definition_id": definition.id, "per": definition.per, "minimum_spend": definition.minimum_spend,
            "line_stamps": {str(position): stamps for position, stamps in per_line.items()},
            "stamps_earned": total, "stamps_reversed": 0, "stamps_forgiven": 0})
        result["earned"].append({"definition_id": definition.id, "name": definition.name, "stamps": total})
        result["completed"].extend(card.document() for card in completed)
    result["cards"] = [card.document() for card in cards if card.status in (rules.IN_PROGRESS, rules.COMPLETED)]
    return result


def redeemable_cards(connection: Connection, merchant_id: int, member_id: int | None,
                     card_ids: list[str]) -> list[Card]:
    """The full cards a sale redeems, in the order named; anything else is refused the same way."""
    if not card_ids:
        return []
    if member_id is None:
        raise StampCardNotRedeemable("Redeeming a stamp card needs the member.", field="member_id")
    if len(set(card_ids)) != len(card_ids):
        raise StampCardNotRedeemable("A stamp card is named twice.", field="stamp_card_ids")
    by_id = {str(card.id): card for card in open_cards(connection, merchant_id, member_id)}
    chosen = []
    for index, card_id in enumerate(card_ids):
        card = by_id.get(str(card_id))
        if card is None or card.status != rules.COMPLETED or card.reward.get("kind") not in ("free_product",
                                                                                              "fixed_discount"):
            raise StampCardNotRedeemable(f"Stamp card {card_id} has no reward to redeem.",
                                         field=f"stamp_card_ids[{index}]", card_id=str(card_id))
        chosen.append(card)
    return chosen


def mark_redeemed(connection: Connection, stamping: Stamping, cards: list[Card]) -> None:
    for card in cards:
        move(connection, stamping, card, rules.REDEEM, status=rules.REDEEMED, redeemed_sale_id=stamping.sale_id)


def expire_due_cards(connection: Connection, merchant_id: int, as_of: date, actor: str, now: datetime,
                     member_ids: list[int] | None = None) -> tuple[int, int]:
    """Expire cards in progress whose last day is before `as_of`; returns (cards, stamps)."""
    query = (select(stamp_cards.c.member_id, *CARD_COLUMNS)
             .where(stamp_cards.c.merchant_id == merchant_id, stamp_cards.c.status == rules.IN_PROGRESS,
                    stamp_cards.c.expires_on < as_of).order_by(stamp_cards.c.id))
    if member_ids is not None:
        query = query.where(stamp_cards.c.member_id.in_(member_ids))
    rows = connection.execute(query).all()
    if not rows:
        return 0, 0
    # What expire_card does, for many cards at once: one executemany of the movements, one of the cards.
    connection.execute(_INSERT_MOVEMENT, [
        {"merchant_id": merchant_id, "member_id": row.member_id, "card_id": row.id, "kind": rules.EXPIRE,
         "stamps": -row.stamps, "owed": 0, "sale_id": None, "refund_id": None, "actor": actor, "occurred_at": now,
         "created_at": now} for row in rows])
    connection.execute(_CHANGE_COUNTS.values(status=rules.EXPIRED), [
        {"card_id": row.id, "stamps_delta": -row.stamps, "owed_delta": 0, "now": now} for row in rows])
    return len(rows), sum(row.stamps for row in rows)


def cards_due(connection: Connection, merchant_id: int, as_of: date) -> list[int]:
    """Members with a card in progress past its last day."""
    return list(connection.execute(
        select(stamp_cards.c.member_id).distinct()
        .where(stamp_cards.c.merchant_id == merchant_id, stamp_cards.c.status == rules.IN_PROGRESS,
               stamp_cards.c.expires_on < as_of).order_by(stamp_cards.c.member_id)).scalars())
