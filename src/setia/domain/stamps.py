"""Stamp cards, the digital paper card: "buy 9 coffees, the 10th is free".

A card definition says what earns a stamp (each qualifying item, or a visit reaching a minimum spend), how
many stamps fill a card, what a full card gives (a free product or a fixed discount redeemed at a later
sale, or a points bonus at once) and how long a card lasts after its first stamp. Stamps beyond a full
card start the next one. A refund takes stamps back pro rata by the refunded quantity of qualifying items
(a visit stamp when what is left of the sale no longer reaches the minimum). This module decides how many;
the stamp movements (append-only, like the points ledger) live in the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from setia.domain.settings import names, whole_number
from setia.domain.errors import StampCardNotRedeemable, ValidationFailed

STAMP_PER = ("item", "visit")
STAMP_REWARD_KINDS = ("free_product", "fixed_discount", "points")
MAX_CARD_SIZE = 1000
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,50}$")

# Card statuses: stamps are collected on an in-progress card; a full card is completed until its reward is
# redeemed (or given at once, for a points reward); a card past its last day expires with its stamps; a card
# emptied by a refund that reopened an earlier full card is cancelled.
IN_PROGRESS, COMPLETED, REDEEMED, EXPIRED, CANCELLED = "in_progress", "completed", "redeemed", "expired", "cancelled"
CARD_STATUSES = (IN_PROGRESS, COMPLETED, REDEEMED, EXPIRED, CANCELLED)

# Stamp movement kinds: stored, shown in a card's history.
# earn: a sale's stamps (and stamps owed repaid); reverse: a refund takes stamps back (or they become owed);
# complete: the card is full; redeem: its reward was used (or given, for points); expire: past its last day;
# reopen: a refund took stamps back from a full card (the emptied current card is cancelled); return: a fully
# refunded sale gives back the card it redeemed.
EARN, REVERSE, COMPLETE, REDEEM, EXPIRE, REOPEN, RETURN = (
    "earn", "reverse", "complete", "redeem", "expire", "reopen", "return")
MOVEMENT_KINDS = (EARN, REVERSE, COMPLETE, REDEEM, EXPIRE, REOPEN, RETURN)


@dataclass(frozen=True)
class StampReward:
    kind: str
    product_sku: str | None = None  # free_product: one unit of this SKU free
    discount_amount: int = 0  # fixed_discount: rupiah off the order
    points: int = 0  # points: credited when the card completes

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "product_sku": self.product_sku, "discount_amount": self.discount_amount,
                "points": self.points}


@dataclass(frozen=True)
class StampCardDefinition:
    id: str
    name: str
    per: str
    card_size: int
    reward: StampReward
    skus: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    minimum_spend: int = 0  # visit: money paid by the sale must reach this
    expiry_days: int | None = None  # a card lasts this many days after its first stamp; None: no end
    active: bool = True

    def qualifies(self, sku: str | None, category: str | None) -> bool:
        return bool((sku and sku in self.skus) or (category and category in self.categories))

    def expires_on(self, first_stamp_on: date) -> date | None:
        """The card's last day: stamps can be added until its end, never after."""
        return None if self.expiry_days is None else first_stamp_on + timedelta(days=self.expiry_days)


@dataclass(frozen=True)
class StampLine:
    """A sale line as stamp cards see it."""

    position: int
    sku: str | None
    category: str | None
    quantity: int
    free_units: int  # given free by a reward: a free coffee earns no stamp
    net_amount: int


def parse_reward(data: Any, where: str) -> StampReward:
    if not isinstance(data, dict):
        raise ValidationFailed("reward is an object with a kind.", field=where)
    kind = data.get("kind")
    if kind not in STAMP_REWARD_KINDS:
        raise ValidationFailed(f"kind is one of {', '.join(STAMP_REWARD_KINDS)}.", field=f"{where}.kind")
    if kind == "free_product":
        sku = data.get("product_sku")
        if not isinstance(sku, str) or not sku.strip():
            raise ValidationFailed("A free-product reward names the product's SKU.", field=f"{where}.product_sku")
        return StampReward(kind, product_sku=sku.strip())
    if kind == "fixed_discount":
        return StampReward(kind, discount_amount=whole_number(data, "discount_amount", where, minimum=1))
    return StampReward(kind, points=whole_number(data, "points", where, minimum=1))


def parse_definition(data: Any, where: str) -> StampCardDefinition:
    """A card definition from its stored or posted form; the error names the field at fault."""
    if not isinstance(data, dict):
        raise ValidationFailed("A stamp card is an object.", field=where)
    card_id = data.get("id")
    if not isinstance(card_id, str) or not ID_PATTERN.match(card_id):
        raise ValidationFailed("A stamp card needs an id of 1 to 50 letters, digits, '-' or '_'.", field=f"{where}.id")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed("A stamp card needs a name.", field=f"{where}.name")
    per = data.get("per")
    if per not in STAMP_PER:
        raise ValidationFailed("per is 'item' (a stamp per qualifying item) or 'visit'.", field=f"{where}.per")
    skus, categories = names(data, "skus", where), names(data, "categories", where)
    if per == "item" and not skus and not categories:
        raise ValidationFailed("A stamp per item names the products (skus) or categories that earn it.",
                               field=f"{where}.skus")
    card_size = whole_number(data, "card_size", where, minimum=1)
    if card_size > MAX_CARD_SIZE:
        raise ValidationFailed(f"card_size is at most {MAX_CARD_SIZE}.", field=f"{where}.card_size")
    expiry_days = data.get("expiry_days")
    if expiry_days is not None:
        expiry_days = whole_number(data, "expiry_days", where, minimum=1)
        if expiry_days > 3650:
            raise ValidationFailed("expiry_days is at most 3650.", field=f"{where}.expiry_days")
    active = data.get("active", True)
    if not isinstance(active, bool):
        raise ValidationFailed("active is true or false.", field=f"{where}.active")
    return StampCardDefinition(
        id=card_id, name=name.strip(), per=per, card_size=card_size, reward=parse_reward(data.get("reward"),
                                                                                         f"{where}.reward"),
        skus=skus, categories=categories, minimum_spend=whole_number(data, "minimum_spend", where),
        expiry_days=expiry_days, active=active,
    )


def parse_stamp_cards(items: Any, where: str = "stamp_cards") -> tuple[StampCardDefinition, ...]:
    if not isinstance(items, list):
        raise ValidationFailed("stamp_cards is a list.", field=where)
    definitions = tuple(parse_definition(item, f"{where}[{index}]") for index, item in enumerate(items))
    seen: set[str] = set()
    for index, definition in enumerate(definitions):
        if definition.id in seen:
            raise ValidationFailed(f"Stamp card id '{definition.id}' is used twice.", field=f"{where}[{index}].id")
        seen.add(definition.id)
    return definitions


def stamps_per_line(definition: StampCardDefinition, lines: list[StampLine]) -> dict[int, int]:
    """Per-item cards: stamps each line earns (position → stamps), one per qualifying unit paid for."""
    earned = {}
    for line in lines:
        if line.net_amount > 0 and definition.qualifies(line.sku, line.category):
            units = max(0, line.quantity - line.free_units)
            if units:
                earned[line.position] = units
    return earned


def visit_earns(definition: StampCardDefinition, money_paid: int) -> bool:
    return money_paid > 0 and money_paid >= definition.minimum_spend


def fill_cards(stamps_on_card: int, card_size: int, stamps: int) -> list[int]:
    """Stamps added to the current card, then to each new card: every card but the last is filled."""
    additions = []
    room = card_size - stamps_on_card
    while stamps > 0:
        added = min(room, stamps)
        additions.append(added)
        stamps -= added
        room = card_size
    return additions


def reverse_target(definition: StampCardDefinition, earned: int, line_stamps: dict[int, int],
                   refunded: dict[int, tuple[int, int]], value_left: int, fully_refunded: bool) -> int:
    """Stamps a sale's refunds should have taken back by now (cumulative, like points).

    Per item: floor(line stamps × refunded quantity / quantity) on each line, so refunding every unit takes
    back every stamp. Per visit: the stamp goes when what is left of the sale no longer reaches the minimum.
    `refunded`: position → (refunded quantity so far, quantity).
    """
    if fully_refunded:
        return earned
    if definition.per == "visit":
        return earned if not visit_earns(definition, value_left) else 0
    total = 0
    for position, stamps in line_stamps.items():
        refunded_quantity, quantity = refunded.get(int(position), (0, 1))
        total += stamps * refunded_quantity // quantity
    return min(total, earned)


def apply_card_rewards(lines: list[Any], rewards: list[tuple[str, dict[str, Any]]]
                       ) -> tuple[list[Any], list[tuple[str, int]], dict[int, int]]:
    """Redeem full cards' rewards on a sale: (lines, fixed discounts, free units per line position).

    A free product is a discount of one unit on the first line of that SKU with something left to pay (taken
    with the line discounts, like a free-product reward); a fixed discount is returned as (card id, rupiah)
    for pricing to take in the rewards stage (domain/sale.py), where it is refused, not cut, when it is
    larger than what is left to pay. `lines` are LineInput dataclasses.
    """
    lines = list(lines)
    free_units: dict[int, int] = {}
    fixed: list[tuple[str, int]] = []
    for card_id, reward in rewards:
        if reward.get("kind") == "free_product":
            sku = reward.get("product_sku")
            position = next((index for index, line in enumerate(lines)
                             if line.sku == sku and line.quantity * line.unit_price - line.line_discount > 0), None)
            if position is None:
                raise StampCardNotRedeemable(f"Stamp card {card_id} gives {sku} free, but the sale has none to give.",
                                             card_id=card_id)
            line = lines[position]
            discount = min(line.unit_price, line.quantity * line.unit_price - line.line_discount)
            lines[position] = replace(line, line_discount=line.line_discount + discount)
            free_units[position] = free_units.get(position, 0) + 1
        else:
            fixed.append((card_id, int(reward.get("discount_amount") or 0)))
    return lines, fixed, free_units
