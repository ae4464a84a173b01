"""Pricing a sale: discounts in their fixed order, rewards, tenders, and the points it earns.

The order is DESIGN.md §4: line discounts (a free-product reward is one), the order discount, the tier
discount, rewards in the order they were redeemed, voucher codes in the order given (each on what is left
of its own lines, domain/vouchers.py), then tenders, of which points are one. Everything rounds down;
order-level amounts are shared among lines in proportion to their value after line discounts (a voucher's
only among its own lines), so every rupiah is on exactly one line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from setia.domain.allocation import allocate
from setia.domain.earning import Contribution, EarnContext, EarnLine
from setia.domain.earning import earn as earn_points
from setia.domain.errors import (
    PointsPaymentNotAllowed,
    StampCardNotRedeemable,
    RewardNotApplicable,
    TenderInvalid,
    TotalsMismatch,
    ValidationFailed,
)
from setia.domain.program import Program
from setia.domain.rewards import Reward
from setia.domain.vouchers import AppliedVoucher, Voucher, VoucherLine, apply_vouchers

TENDER_KINDS = ("cash", "card", "qris", "ewallet", "transfer", "other", "points")
MAX_AMOUNT = 10**13  # Rp10 trillion: far above any sale, far below 64-bit integer limits


@dataclass(frozen=True)
class LineInput:
    name: str
    quantity: int
    unit_price: int
    sku: str | None = None
    product_id: str | None = None
    category: str | None = None
    line_discount: int = 0


@dataclass(frozen=True)
class TenderInput:
    kind: str
    amount: int = 0
    points: int = 0
    reference: str | None = None


@dataclass(frozen=True)
class EarnCircumstances:
    """What earn rules look at beyond the lines: when and where, the member's tier, points so far."""

    local_time: datetime | None = None
    outlet_id: str | None = None
    tier: str | None = None
    tier_multiplier: Decimal = Decimal(1)
    usage: dict[tuple[str, str], int] = field(default_factory=dict)


@dataclass
class PricedLine:
    line: LineInput
    gross_amount: int
    reward_discount: int = 0
    after_line_discounts: int = 0
    order_level_share: int = 0
    net_amount: int = 0  # after every discount: the line's value for refunds and reports
    points_paid_share: int = 0
    earn_base: int = 0
    earns: bool = True


@dataclass
class AppliedReward:
    reward: Reward
    discount_amount: int


@dataclass(frozen=True)
class CardDiscount:
    """A full stamp card's fixed discount, redeemed in the rewards stage after the points rewards."""

    card_id: str
    amount: int


@dataclass
class PricedTender:
    kind: str
    amount: int
    points: int = 0
    reference: str | None = None


@dataclass
class PricedSale:
    lines: list[PricedLine]
    subtotal: int  # after line discounts, free-product rewards included
    order_discount: int
    tier_discount: int
    rewards: list[AppliedReward]
    total_due: int
    tenders: list[PricedTender]
    amount_tendered: int
    change_due: int
    points_tender_points: int
    points_tender_value: int
    earn_base: int
    contributions: list[Contribution] = field(default_factory=list)
    vouchers: list[AppliedVoucher] = field(default_factory=list)  # after the point rewards (domain/vouchers.py)
    card_discounts: list[CardDiscount] = field(default_factory=list)  # full stamp cards' fixed discounts

    @property
    def voucher_discount_total(self) -> int:
        return sum(applied.discount_amount for applied in self.vouchers)

    @property
    def reward_discount_total(self) -> int:
        """Rewards' discounts on the order: points rewards and full stamp cards' fixed discounts."""
        return (sum(applied.discount_amount for applied in self.rewards)
                + sum(card.amount for card in self.card_discounts))

    @property
    def points_earned(self) -> int:
        return sum(contribution.points for contribution in self.contributions)

    @property
    def points_spent(self) -> int:
        return sum(applied.reward.points_cost for applied in self.rewards) + self.points_tender_points

    @property
    def money_paid(self) -> int:
        """What the customer paid in money, points excluded."""
        return self.total_due - self.points_tender_value


def _check_amount(value: int, field_name: str) -> None:
    if value < 0 or value > MAX_AMOUNT:
        raise ValidationFailed(f"{field_name} must be between 0 and {MAX_AMOUNT}.", field=field_name)


def _price_lines(lines: list[LineInput], free_rewards: list[Reward]) -> tuple[list[PricedLine], list[AppliedReward]]:
    if not lines:
        raise ValidationFailed("A sale has at least one line.", field="lines")
    priced = []
    for index, line in enumerate(lines):
        if line.quantity <= 0:
            raise ValidationFailed("Quantity must be at least 1.", field=f"lines[{index}].quantity")
        _check_amount(line.unit_price, f"lines[{index}].unit_price")
        gross = line.quantity * line.unit_price
        if not 0 <= line.line_discount <= gross:
            raise ValidationFailed(
                "A line discount is between Rp0 and the line's amount.", field=f"lines[{index}].line_discount"
            )
        priced.append(PricedLine(line=line, gross_amount=gross, after_line_discounts=gross - line.line_discount))
    applied = []
    for reward in free_rewards:
        target = next(
            (p for p in priced if p.line.sku == reward.product_sku and p.after_line_discounts > 0), None
        )
        if target is None:
            raise RewardNotApplicable(
                f"Reward '{reward.name}' gives {reward.product_sku} free, but the sale has none to give.",
                reward_id=reward.id,
            )
        discount = min(target.line.unit_price, target.after_line_discounts)
        target.reward_discount += discount
        target.after_line_discounts -= discount
        applied.append(AppliedReward(reward, discount))
    return priced, applied


def _price_tenders(
    tenders: list[TenderInput], total_due: int, program: Program
) -> tuple[list[PricedTender], int, int]:
    """Priced tenders, points paid and their rupiah value. Change comes from cash only."""
    if not tenders:
        return [PricedTender("other", total_due)], 0, 0
    priced = []
    points_paid = 0
    for index, tender in enumerate(tenders):
        if tender.kind not in TENDER_KINDS:
            raise TenderInvalid(f"Tender kind must be one of {', '.join(TENDER_KINDS)}.", field=f"tenders[{index}].kind")
        if tender.kind == "points":
            if tender.points <= 0:
                raise TenderInvalid("A points tender names how many points.", field=f"tenders[{index}].points")
            points_paid += tender.points
            priced.append(PricedTender("points", 0, tender.points, tender.reference))
            continue
        _check_amount(tender.amount, f"tenders[{index}].amount")
        if tender.amount == 0:
            raise TenderInvalid("A tender's amount is above Rp0.", field=f"tenders[{index}].amount")
        priced.append(PricedTender(tender.kind, tender.amount, 0, tender.reference))
    points_value = 0
    if points_paid:
        payment = program.points_payment
        if not payment.enabled:
            raise PointsPaymentNotAllowed("This program does not take points as payment.")
        if points_paid < payment.minimum_points:
            raise PointsPaymentNotAllowed(
                f"Paying with points takes at least {payment.minimum_points} points.",
                minimum_points=payment.minimum_points,
            )
        points_value = points_paid * payment.rupiah_per_point
        allowed = total_due * payment.maximum_share_percent // 100
        if points_value > allowed:
            raise PointsPaymentNotAllowed(
                f"Points can pay at most {payment.maximum_share_percent}% of the bill (Rp{allowed}).",
                maximum_amount=allowed,
            )
        for tender in priced:
            if tender.kind == "points":
                tender.amount = tender.points * payment.rupiah_per_point
    non_cash = sum(t.amount for t in priced if t.kind != "cash")
    if non_cash > total_due:
        raise TenderInvalid("Card, QRIS, e-wallet and points tenders can't exceed what is due; change is cash only.")
    tendered = sum(t.amount for t in priced)
    if tendered < total_due:
        raise TenderInvalid(f"Tenders of Rp{tendered} don't cover Rp{total_due} due.", due=total_due, tendered=tendered)
    return priced, points_paid, points_value


def price_sale(
    program: Program,
    lines: list[LineInput],
    order_discount: int = 0,
    rewards: list[Reward] | None = None,
    tenders: list[TenderInput] | None = None,
    tier_discount_percent: int = 0,
    member_earns: bool = True,
    expected_total: int | None = None,
    earn: EarnCircumstances | None = None,
    vouchers: list[Voucher] | None = None,
    card_discounts: list[CardDiscount] | None = None,
) -> PricedSale:
    """Price a sale exactly as it will be recorded; raises a SetiaError on anything that doesn't add up."""
    earn = earn or EarnCircumstances()
    rewards = rewards or []
    free_rewards = [r for r in rewards if r.kind == "free_product"]
    priced_lines, applied = _price_lines(lines, free_rewards)
    subtotal = sum(p.after_line_discounts for p in priced_lines)
    _check_amount(order_discount, "order_discount")
    if order_discount > subtotal:
        raise ValidationFailed("The order discount can't exceed the subtotal.", field="order_discount")
    amount_left = subtotal - order_discount
    tier_discount = amount_left * tier_discount_percent // 100
    amount_left -= tier_discount
    for reward in rewards:
        if reward.kind == "free_product":
            continue
        discount = reward.order_discount(amount_left)
        amount_left -= discount
        applied.append(AppliedReward(reward, discount))
    for card in card_discounts or []:
        if card.amount > amount_left:  # refused, not cut, like a fixed reward
            raise StampCardNotRedeemable(
                f"Stamp card {card.card_id} is worth Rp{card.amount} but only Rp{amount_left} is left to pay.",
                card_id=card.card_id)
        amount_left -= card.amount
    applied_vouchers, voucher_shares = apply_vouchers(
        vouchers or [], [VoucherLine(p.line.sku, p.line.category, p.line.unit_price, p.after_line_discounts)
                         for p in priced_lines], subtotal - amount_left)
    voucher_discount = sum(voucher_shares)
    amount_left -= voucher_discount
    total_due = amount_left
    if expected_total is not None and expected_total != total_due:
        raise TotalsMismatch(
            f"The sale adds up to Rp{total_due}, not Rp{expected_total}.", field="expected_total",
            computed_total=total_due,
        )
    order_level = subtotal - total_due
    # Vouchers sit only on their own lines; everything else order-level is shared among all lines.
    shares = allocate(order_level - voucher_discount, [p.after_line_discounts for p in priced_lines])
    for priced, share, voucher_share in zip(priced_lines, shares, voucher_shares):
        priced.order_level_share = share + voucher_share
        priced.net_amount = priced.after_line_discounts - priced.order_level_share
    priced_tenders, points_paid, points_value = _price_tenders(tenders or [], total_due, program)
    points_shares = allocate(points_value, [p.net_amount for p in priced_lines])
    for priced, share in zip(priced_lines, points_shares):
        priced.points_paid_share = share
        priced.earns = member_earns and program.earns_on(priced.line.sku, priced.line.category)
        priced.earn_base = priced.net_amount - share if priced.earns else 0
    earn_base = sum(p.earn_base for p in priced_lines)
    tendered = sum(t.amount for t in priced_tenders)
    sale = PricedSale(
        lines=priced_lines,
        subtotal=subtotal,
        order_discount=order_discount,
        tier_discount=tier_discount,
        rewards=applied,
        total_due=total_due,
        tenders=priced_tenders,
        amount_tendered=tendered,
        change_due=tendered - total_due,
        points_tender_points=points_paid,
        points_tender_value=points_value,
        earn_base=earn_base,
        vouchers=applied_vouchers,
        card_discounts=list(card_discounts or []),
    )
    if member_earns:
        context = EarnContext(
            earn_base=earn_base,
            lines=tuple(EarnLine(p.line.sku, p.line.category, p.line.quantity, p.earn_base, p.earns)
                        for p in priced_lines),
            local_time=earn.local_time, outlet_id=earn.outlet_id, tier=earn.tier,
            tier_multiplier=earn.tier_multiplier, usage=earn.usage,
        )
        sale.contributions = [c for c in earn_points(program.spend_rule, program.earn_rules, context)
                              if c.points > 0]
    return sale
