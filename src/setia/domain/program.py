"""A merchant's loyalty program: how points are earned, how long they last, how they are spent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from setia.domain.earning import ConfiguredRule, SpendRule, parse_rules
from setia.domain.errors import NotFound, ValidationFailed
from setia.domain.expiry import ExpiryPolicy
from setia.domain.rewards import Reward
from setia.domain.tiers import TierPolicy, parse_tier_policy
from setia.domain.bonuses import Bonuses, Membership, parse_bonuses, parse_membership
from setia.domain.stamps import StampCardDefinition, parse_stamp_cards

DEBT_POLICIES = ("debt", "clamp")


@dataclass(frozen=True)
class PointsPayment:
    """Points as a tender: each point is worth `rupiah_per_point`, within a minimum and a share of the bill."""

    enabled: bool = False
    rupiah_per_point: int = 0
    minimum_points: int = 0
    maximum_share_percent: int = 100

    def __post_init__(self) -> None:
        if self.enabled and self.rupiah_per_point <= 0:
            raise ValidationFailed("A point must be worth at least Rp1.", field="points_payment.rupiah_per_point")
        if self.minimum_points < 0:
            raise ValidationFailed("The minimum can't be negative.", field="points_payment.minimum_points")
        if not 1 <= self.maximum_share_percent <= 100:
            raise ValidationFailed(
                "The maximum share of the bill is between 1 and 100 percent.",
                field="points_payment.maximum_share_percent",
            )


@dataclass(frozen=True)
class Program:
    id: str
    version: int
    name: str
    spend_rule: SpendRule
    expiry: ExpiryPolicy = field(default_factory=ExpiryPolicy)
    points_payment: PointsPayment = field(default_factory=PointsPayment)
    excluded_skus: frozenset[str] = frozenset()
    excluded_categories: frozenset[str] = frozenset()
    rewards: tuple[Reward, ...] = ()
    debt_policy: str = "debt"
    earn_rules: tuple[ConfiguredRule, ...] = ()
    tiers: TierPolicy = field(default_factory=TierPolicy)
    stamp_cards: tuple[StampCardDefinition, ...] = ()
    bonuses: Bonuses = field(default_factory=Bonuses)
    membership: Membership = field(default_factory=Membership)

    def __post_init__(self) -> None:
        if self.debt_policy not in DEBT_POLICIES:
            raise ValidationFailed("Debt policy is 'debt' or 'clamp'.", field="debt_policy")

    def reward(self, reward_id: str) -> Reward:
        for reward in self.rewards:
            if reward.id == reward_id and reward.active:
                return reward
        raise NotFound(f"No active reward {reward_id} in this program.", reward_id=reward_id)

    def earns_on(self, sku: str | None, category: str | None) -> bool:
        """Whether a line with this SKU and category earns points (excluded items don't)."""
        return not ((sku and sku in self.excluded_skus) or (category and category in self.excluded_categories))


def program_settings_from_dict(settings: dict[str, Any]) -> dict[str, Any]:
    """Build the program's parts from plain settings (as stored and as sent to the API)."""
    spend = settings.get("spend_rule") or {}
    expiry = settings.get("expiry") or {}
    payment = settings.get("points_payment") or {}
    return {
        "spend_rule": SpendRule(
            step_amount=int(spend.get("step_amount", 10000)),
            points_per_step=int(spend.get("points_per_step", 1)),
            minimum_spend=int(spend.get("minimum_spend", 0)),
        ),
        "expiry": ExpiryPolicy(
            kind=expiry.get("kind", "never"),
            length=int(expiry.get("length", 0)),
            to_end_of_month=bool(expiry.get("to_end_of_month", False)),
        ),
        "points_payment": PointsPayment(
            enabled=bool(payment.get("enabled", False)),
            rupiah_per_point=int(payment.get("rupiah_per_point", 0)),
            minimum_points=int(payment.get("minimum_points", 0)),
            maximum_share_percent=int(payment.get("maximum_share_percent", 100)),
        ),
        "excluded_skus": frozenset(settings.get("excluded_skus") or ()),
        "excluded_categories": frozenset(settings.get("excluded_categories") or ()),
        "debt_policy": settings.get("debt_policy", "debt"),
        "earn_rules": parse_rules(settings.get("earn_rules") or []),
        "tiers": parse_tier_policy(settings.get("tiers") or {}),
        "stamp_cards": parse_stamp_cards(settings.get("stamp_cards") or []),
        "bonuses": parse_bonuses(settings.get("bonuses")),
        "membership": parse_membership(settings.get("membership")),
    }
