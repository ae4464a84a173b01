"""Points ledger rules that need no database: which lots a spend draws, refund targets, debt repayment.

Accounts and transfers live in the database (double entry, append-only); this module decides *what* to
move. Lots are spent soonest-expiring first (lots that never expire last, older lots first on a tie).
A lot can be spent until the end of its expiry day and never after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from setia.domain.errors import InsufficientPoints, PointsDebtOpen

# Reason codes of transfers: stable, stored, shown in history.
EARN = "earn"
REDEEM_REWARD = "redeem_reward"
PAY_WITH_POINTS = "pay_with_points"
REFUND_RETURN = "refund_return"  # spent points given back by a refund
REFUND_TAKE_BACK = "refund_take_back"  # earned points taken back by a refund
EXPIRE = "expire"
ADJUST = "adjust"
BONUS_SIGNUP = "bonus_signup"
BONUS_BIRTHDAY = "bonus_birthday"
BONUS_ACTIVITY = "bonus_activity"
BONUS_REFERRAL = "bonus_referral"
BONUS_STAMP_CARD = "bonus_stamp_card"  # a full stamp card whose reward is points
VOUCHER_CANCELLED = "voucher_cancelled"  # a voucher bought with points and never used: its points back
REASONS = (EARN, REDEEM_REWARD, PAY_WITH_POINTS, REFUND_RETURN, REFUND_TAKE_BACK, EXPIRE, ADJUST,
           BONUS_SIGNUP, BONUS_BIRTHDAY, BONUS_ACTIVITY, BONUS_REFERRAL, BONUS_STAMP_CARD, VOUCHER_CANCELLED)

# System accounts, one of each per merchant; member accounts are one per member.
ISSUANCE = "issuance"
REDEMPTION = "redemption"
EXPIRY = "expiry"
ADJUSTMENT = "adjustment"
SYSTEM_ACCOUNTS = (ISSUANCE, REDEMPTION, EXPIRY, ADJUSTMENT)


@dataclass(frozen=True)
class Lot:
    id: int
    remaining: int
    expires_on: date | None

    def spendable_on(self, today: date) -> bool:
        return self.remaining > 0 and (self.expires_on is None or self.expires_on >= today)


def spend_order(lot: Lot) -> tuple[int, date, int]:
    return (lot.expires_on is None, lot.expires_on or date.max, lot.id)


def spendable_points(lots: list[Lot], today: date) -> int:
    return sum(lot.remaining for lot in lots if lot.spendable_on(today))


def plan_draw(lots: list[Lot], points: int, today: date) -> list[tuple[int, int]]:
    """(lot id, points) drawn for a spend of `points`, soonest-expiring first; refuses an overdraft."""
    available = sorted((lot for lot in lots if lot.spendable_on(today)), key=spend_order)
    total = sum(lot.remaining for lot in available)
    if points > total:
        raise InsufficientPoints(balance=total, requested=points)
    return draw_up_to(available, points)


def draw_up_to(lots_in_order: list[Lot], points: int) -> list[tuple[int, int]]:
    """Take up to `points` from lots in the given order; what they can't cover is left to the caller."""
    draws = []
    for lot in lots_in_order:
        if points == 0:
            break
        taken = min(lot.remaining, points)
        if taken:
            draws.append((lot.id, taken))
            points -= taken
    return draws


def check_can_redeem(debt: int, points: int) -> None:
    if points and debt:
        raise PointsDebtOpen(debt)


def debt_repayment(debt: int, incoming: int) -> int:
    """Incoming points repay an open debt first; this is the part that does."""
    return min(debt, incoming)


def refund_target(total: int, refunded_value: int, sale_value: int, fully_refunded: bool) -> int:
    """Cumulative points (or rupiah) a sale's refunds should have moved by now: floor(total × share).

    Working on the cumulative share makes refunding every part of a sale equal a full refund exactly.
    A sale worth Rp0 (everything discounted) moves all or nothing.
    """
    if fully_refunded:
        return total
    if sale_value == 0:
        return 0
    return total * refunded_value // sale_value


def returned_draws(draws: list[tuple[int, int]], already_returned: int, points: int) -> list[tuple[int, int]]:
    """Which lots get `points` back: the last drawn first, after the `already_returned` ones."""
    plan = []
    skip = already_returned
    for lot_id, drawn in reversed(draws):
        usable = drawn - min(skip, drawn)
        skip -= drawn - usable
        if usable and points:
            given = min(usable, points)
            plan.append((lot_id, given))
            points -= given
    return plan


def repay_from_returns(refills: list[tuple[int, int]], spendable_lot_ids: set[int], debt: int
                       ) -> tuple[int, list[tuple[int, int]]]:
    """(points repaid, refills left) when returned points meet an open debt.

    They repay it first, but only those going back to a lot still spendable: points returned to a lot past
    its day are gone at once, as if never spent, and repay nothing. Otherwise a refund in parts, whose first
    part opened the debt, would keep points a refund in one go lets expire.
    """
    repaid = debt_repayment(debt, sum(points for lot_id, points in refills if lot_id in spendable_lot_ids))
    left = repaid
    plan = []
    for lot_id, points in refills:
        used = min(left, points) if lot_id in spendable_lot_ids else 0
        left -= used
        if points > used:
            plan.append((lot_id, points - used))
    return repaid, plan
