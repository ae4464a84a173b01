"""When a reward in the catalogue can be had: its dates, the tiers it is for, and how often.

Limits count redemptions, per member and in total, over the reward's whole life or per calendar day, ISO
week or month in the merchant's time zone. A redemption that is undone (its sale refunded in full, its
voucher cancelled) no longer counts. Stock belongs to the database: it is taken atomically there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from setia.domain.errors import RewardUnavailable, ValidationFailed

if TYPE_CHECKING:
    from setia.domain.rewards import Reward

LIMIT_PERIODS = ("lifetime", "day", "week", "month")
TOTAL = "total"


@dataclass(frozen=True)
class UsageCounter:
    """One counter a redemption moves: whose (everyone's or one member's), in which period, up to what."""

    scope: str  # "total" or "member:<id>"
    period: str  # "" for lifetime, "2026-03-10", "2026-W11", "2026-03"
    limit: int | None


def period_key(period: str, day: date) -> str:
    if period == "day":
        return day.isoformat()
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{day.year}-{day.month:02d}"
    return ""


def usage_counters(reward: Reward, member_id: int, day: date) -> list[UsageCounter]:
    """The counters a redemption by this member on this day moves (both, even without a limit, so that a limit
    added later counts from the start)."""
    period = period_key(reward.limit_period, day)
    return [UsageCounter(f"member:{member_id}", period, reward.member_limit),
            UsageCounter(TOTAL, period, reward.total_limit)]


def limit_reached(reward: Reward, counter: UsageCounter) -> RewardUnavailable:
    who = "everyone" if counter.scope == TOTAL else "this member"
    per = "" if reward.limit_period == "lifetime" else f" per {reward.limit_period}"
    reason = "total_limit" if counter.scope == TOTAL else "member_limit"
    return RewardUnavailable(f"Reward '{reward.name}' can be redeemed {counter.limit} time(s){per} by {who}; "
                             "that is used up.", reason=reason, reward_id=reward.id, limit=counter.limit)


def check_available(reward: Reward, today: date, tier_code: str | None) -> None:
    """Refuse a reward outside its dates (merchant's days, both inclusive) or for a tier it isn't for."""
    if reward.available_from is not None and today < reward.available_from:
        raise RewardUnavailable(f"Reward '{reward.name}' is available from {reward.available_from.isoformat()}.",
                                reason="not_yet_available", reward_id=reward.id)
    if reward.available_to is not None and today > reward.available_to:
        raise RewardUnavailable(f"Reward '{reward.name}' was available until {reward.available_to.isoformat()}.",
                                reason="no_longer_available", reward_id=reward.id)
    if reward.tier_codes and tier_code not in reward.tier_codes:
        raise RewardUnavailable(f"Reward '{reward.name}' is for members of tier {', '.join(reward.tier_codes)}.",
                                reason="tier", reward_id=reward.id, tier_codes=list(reward.tier_codes))


def validate_catalogue_terms(reward: Reward) -> None:
    """The catalogue fields of a reward; each error names its field."""
    if reward.limit_period not in LIMIT_PERIODS:
        raise ValidationFailed(f"A limit period is one of {', '.join(LIMIT_PERIODS)}.", field="limit_period")
    for name in ("member_limit", "total_limit"):
        value = getattr(reward, name)
        if value is not None and value < 1:
            raise ValidationFailed("A limit is at least 1 (leave it out for no limit).", field=name)
    if reward.available_from and reward.available_to and reward.available_from > reward.available_to:
        raise ValidationFailed("A reward's availability ends on or after it starts.", field="available_to")
    if any(not code.strip() for code in reward.tier_codes):
        raise ValidationFailed("Tier codes can't be blank.", field="tier_codes")
    if reward.kind == "voucher":
        if reward.voucher is None:
            raise ValidationFailed("A voucher reward says what its voucher is worth.", field="voucher")
        if reward.voucher_valid_days is not None and reward.voucher_valid_days < 1:
            raise ValidationFailed("A voucher is valid for at least 1 day (leave it out for no expiry).",
                                   field="voucher_valid_days")
    elif reward.voucher is not None:
        raise ValidationFailed("Only a voucher reward has voucher terms.", field="voucher")
