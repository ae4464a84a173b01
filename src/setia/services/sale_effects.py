"""What a sale and a refund do beyond points: membership, stamp cards, referral bonuses.

`record_sale` calls `apply_sale_effects` once, after the points are credited, in the sale's transaction
and with the member locked; each effect in SALE_EFFECTS is a function of the sale's context returning
what it adds to the sale document. `refund_sale` calls `apply_refund_effects` likewise. Before pricing,
`price_with_effects` redeems full stamp cards named by the sale and keeps a pending member from earning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from setia.domain import stamps as stamp_rules
from setia.domain.program import Program
from setia.domain.sale import CardDiscount, PricedSale
from setia.services import bonuses, stamp_refunds, stamps
from setia.services.context import Caller, business_date
from setia.services.member_ledger import MemberLedger
from setia.services.merchants import merchant_timezone


@dataclass
class SaleContext:
    connection: Connection
    caller: Caller
    sale_id: int
    request: Any  # SaleRequest
    priced: PricedSale
    member_ledger: MemberLedger
    occurred_at: datetime
    today: date
    program: Program
    is_member: bool = True  # False: a pending member whose sale didn't reach the minimum spend
    bonuses_given: list[dict[str, Any]] = field(default_factory=list)

    @property
    def earned_on(self) -> date:
        """The business date of the sale (history sales are in the past)."""
        if abs(self.member_ledger.store.now - self.occurred_at) < timedelta(minutes=5):
            return self.today
        return business_date(self.occurred_at, merchant_timezone(self.connection, self.caller.merchant_id))


def _card_ids(request: Any) -> list[str]:
    return list(getattr(request, "stamp_card_ids", None) or [])


def _pending_and_short(connection: Connection, program: Program, member_id: int | None, money_paid: int) -> bool:
    """A pending member whose purchase doesn't reach the membership minimum: this sale earns nothing."""
    if member_id is None or program.membership.mode != "minimum_purchase" or program.membership.activates(money_paid):
        return False
    return bonuses.membership_status(connection, member_id) == bonuses.PENDING


def price_with_effects(connection: Connection, caller: Caller, program: Program, request: Any,
                       price: Callable[[Any, list[CardDiscount]], PricedSale]) -> PricedSale:
    """Price the sale with `price`, after redeeming the full stamp cards it names; a pending member's sale
    that doesn't make them a member earns no points."""
    cards = stamps.redeemable_cards(connection, caller.merchant_id, request.member_id, _card_ids(request))
    priced_request, card_discounts = request, []
    if cards:
        lines, fixed, _ = stamp_rules.apply_card_rewards(request.lines,
                                                         [(str(card.id), card.reward) for card in cards])
        priced_request = replace(request, lines=lines)
        card_discounts = [CardDiscount(card_id, amount) for card_id, amount in fixed]
    priced = price(priced_request, card_discounts)
    if _pending_and_short(connection, program, request.member_id, priced.money_paid):
        priced.contributions = []
    return priced


def _free_units(context_request: Any, cards: list[stamps.Card]) -> dict[int, int]:
    if not cards:
        return {}
    return stamp_rules.apply_card_rewards(context_request.lines,
                                          [(str(card.id), card.reward) for card in cards])[2]


# The effects, in order ---------------------------------------------------------------------------------------

def membership_effect(context: SaleContext) -> dict[str, Any]:
    active, given = bonuses.activate_if_qualifying(
        context.connection, context.member_ledger, context.program, context.priced.money_paid, context.sale_id,
        context.caller.actor, context.occurred_at, context.today)
    context.is_member = active
    context.bonuses_given.extend(given)
    if context.program.membership.mode != "minimum_purchase":
        return {}
    return {"membership": {"status": bonuses.ACTIVE if active else bonuses.PENDING}}


def stamp_effect(context: SaleContext) -> dict[str, Any]:
    card_ids = _card_ids(context.request)
    result: dict[str, Any] = {"earned": [], "completed": [], "redeemed": []}
    if not context.program.stamp_cards and not card_ids:
        return {"stamps": result}
    stamping = stamps.Stamping(context.caller.merchant_id, context.member_ledger.member_id, context.caller.actor,
                               context.occurred_at, context.member_ledger.store.now, sale_id=context.sale_id)
    redeemed = stamps.redeemable_cards(context.connection, context.caller.merchant_id,
                                       context.member_ledger.member_id, card_ids)
    stamps.mark_redeemed(context.connection, stamping, redeemed)
    result["redeemed"] = [card.document() for card in redeemed]
    if context.is_member and context.program.stamp_cards:
        lines = stamps.stamp_lines(context.priced.lines, _free_units(context.request, redeemed))
        earned = stamps.earn_for_sale(context.connection, stamping, context.program, lines,
                                      context.priced.money_paid, context.earned_on, context.member_ledger,
                                      context.today)
        result.update(earned)
    return {"stamps": result}


def referral_effect(context: SaleContext) -> dict[str, Any]:
    if context.is_member:
        context.bonuses_given.extend(bonuses.reward_referral(
            context.connection, context.member_ledger, context.program, context.priced.money_paid, context.sale_id,
            context.caller.actor, context.occurred_at, context.today))
    return {}


SALE_EFFECTS: list[Callable[[SaleContext], dict[str, Any]]] = [membership_effect, stamp_effect, referral_effect]


def apply_sale_effects(connection: Connection, caller: Caller, sale_id: int, request: Any, priced: PricedSale,
                       member_ledger: MemberLedger | None, occurred_at: datetime, today: date,
                       program: Program) -> dict[str, Any]:
    """Run every sale effect for a member's sale; what they add to the sale document (stamps, bonuses)."""
    if member_ledger is None:
        return {}
    context = SaleContext(connection, caller, sale_id, request, priced, member_ledger, occurred_at, today, program)
    document: dict[str, Any] = {}
    for effect in SALE_EFFECTS:
        document.update(effect(context))
    document["bonuses"] = context.bonuses_given
    return document


def preview_sale_effects(connection: Connection, caller: Caller, request: Any, priced: PricedSale,
                         program: Program) -> dict[str, Any]:
    """For a quote: the stamps the sale would earn and the cards it would redeem; nothing is written."""
    if request.member_id is None:
        return {}
    card_ids = _card_ids(request)
    result: dict[str, Any] = {"earned": [], "completed": [], "redeemed": []}
    if not program.stamp_cards and not card_ids:
        return {"stamps": result}
    cards = stamps.redeemable_cards(connection, caller.merchant_id, request.member_id, card_ids)
    result["redeemed"] = [card.document() for card in cards]
    if _pending_and_short(connection, program, request.member_id, priced.money_paid):
        return {"stamps": result}
    lines = stamps.stamp_lines(priced.lines, _free_units(request, cards))
    result["earned"] = [{"definition_id": definition.id, "name": definition.name, "stamps": total}
                        for definition, _, total in stamps.stamps_earned(program, lines, priced.money_paid)]
    return {"stamps": result}


def apply_refund_effects(connection: Connection, caller: Caller, sale: Any, lines: list[dict[str, Any]],
                         refund_id: int, fully_refunded: bool, money_left: int, member_ledger: MemberLedger | None,
                         program: Program | None, now: datetime) -> dict[str, Any]:
    """Take back the stamps of a refunded sale (pro rata), give back the cards a fully refunded sale redeemed."""
    if member_ledger is None or program is None:
        return {}
    stamping = stamps.Stamping(caller.merchant_id, member_ledger.member_id, caller.actor, now, now,
                               sale_id=sale["id"], refund_id=refund_id)
    return {"stamps": stamp_refunds.reverse_for_refund(connection, stamping, program, lines, money_left,
                                                       fully_refunded)}
