"""Tiers: levels a member reaches by money spent or points earned in a window (DESIGN.md §4).

A sale that crosses a threshold upgrades at once (benefits apply from the next sale); a tier is held at
least until its review date; at review on day R the window is [R − window, R) and the member moves to
the tier it supports; a refund that takes qualifying spend below the current tier's threshold
re-evaluates at once; a manual tier is a floor. Thresholds are inclusive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from setia.domain.errors import ValidationFailed
from setia.domain.expiry import add_months
from setia.domain.settings import whole_number

BASES = ("spend", "points")
WINDOWS = ("rolling_months", "calendar_year", "lifetime")


@dataclass(frozen=True)
class Tier:
    code: str
    name: str
    threshold: int  # rupiah spent or points earned in the window, inclusive
    discount_percent: int = 0  # standing discount at checkout, a percentage of what is left
    earn_multiplier: Decimal = Decimal(1)


@dataclass(frozen=True)
class TierPolicy:
    tiers: tuple[Tier, ...] = ()  # ascending by threshold
    basis: str = "spend"
    window: str = "rolling_months"
    window_months: int = 12
    review_months: int = 12

    @property
    def enabled(self) -> bool:
        return bool(self.tiers)

    def tier(self, code: str | None) -> Tier | None:
        return next((tier for tier in self.tiers if tier.code == code), None)

    def rank(self, code: str | None) -> int:
        """0 for no tier, 1 for the lowest, …; an unknown (removed) tier counts as none."""
        for index, tier in enumerate(self.tiers):
            if tier.code == code:
                return index + 1
        return 0

    def supported(self, qualifying: int) -> Tier | None:
        """The highest tier whose threshold `qualifying` reaches."""
        reached = [tier for tier in self.tiers if qualifying >= tier.threshold]
        return reached[-1] if reached else None

    def at_least(self, tier: Tier | None, floor_code: str | None) -> Tier | None:
        """`tier`, raised to the manual floor if it is below it."""
        floor = self.tier(floor_code)
        if floor is not None and self.rank(floor.code) > self.rank(tier.code if tier else None):
            return floor
        return tier

    def window_start(self, end: date) -> date | None:
        """First day of the qualification window ending at `end` (exclusive for reviews); None: lifetime."""
        if self.window == "lifetime":
            return None
        if self.window == "calendar_year":
            return date(end.year, 1, 1)
        return add_months(end, -self.window_months)

    def review_date(self, reached_on: date) -> date:
        return add_months(reached_on, self.review_months)

    def next_tier(self, code: str | None) -> Tier | None:
        rank = self.rank(code)
        return self.tiers[rank] if rank < len(self.tiers) else None


def parse_tier_policy(data: Any, where: str = "tiers") -> TierPolicy:
    """The tier policy from its stored or posted form; errors name the field at fault."""
    if not data:
        return TierPolicy()
    if not isinstance(data, dict):
        raise ValidationFailed("tiers is an object.", field=where)
    basis = data.get("basis", "spend")
    if basis not in BASES:
        raise ValidationFailed(f"basis is one of {', '.join(BASES)}.", field=f"{where}.basis")
    window = data.get("window", "rolling_months")
    if window not in WINDOWS:
        raise ValidationFailed(f"window is one of {', '.join(WINDOWS)}.", field=f"{where}.window")
    levels = data.get("levels") or []
    if not isinstance(levels, list):
        raise ValidationFailed("levels is a list.", field=f"{where}.levels")
    tiers = []
    for index, level in enumerate(levels):
        at = f"{where}.levels[{index}]"
        if not isinstance(level, dict):
            raise ValidationFailed("A tier is an object.", field=at)
        code = str(level.get("code") or "").strip()
        if not code or len(code) > 30:
            raise ValidationFailed("A tier needs a code of 1 to 30 characters.", field=f"{at}.code")
        name = str(level.get("name") or "").strip()
        if not name:
            raise ValidationFailed("A tier needs a name.", field=f"{at}.name")
        discount = whole_number(level, "discount_percent", at)
        if discount > 100:
            raise ValidationFailed("discount_percent is at most 100.", field=f"{at}.discount_percent")
        try:
            multiplier = Decimal(str(level.get("earn_multiplier", "1")))
        except InvalidOperation as error:
            raise ValidationFailed("earn_multiplier is a decimal string such as \"1.5\".",
                                   field=f"{at}.earn_multiplier") from error
        if not multiplier.is_finite() or not Decimal(1) <= multiplier <= Decimal(100):
            raise ValidationFailed("earn_multiplier is between 1 and 100.", field=f"{at}.earn_multiplier")
        threshold = whole_number(level, "threshold", at)
        tiers.append(Tier(code, name, threshold, discount, multiplier))
    for index in range(1, len(tiers)):
        if tiers[index].threshold <= tiers[index - 1].threshold:
            raise ValidationFailed("Tiers go up: each threshold is above the one before.",
                                   field=f"{where}.levels[{index}].threshold")
    if len({tier.code for tier in tiers}) != len(tiers):
        raise ValidationFailed("Tier codes are unique.", field=f"{where}.levels")
    return TierPolicy(
        tiers=tuple(tiers), basis=basis, window=window,
        window_months=whole_number(data, "window_months", where, minimum=1, default=12),
        review_months=whole_number(data, "review_months", where, minimum=1, default=12),
    )
