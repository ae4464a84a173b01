"""Bonus points outside a sale's earn rules, and who counts as a member.

Bonuses: sign-up (once per member), birthday (once a year, on the day, in the birthday week or the birthday
month), non-purchase activities (a survey answered, an event attended, a review, anything the owner names)
with a limit per day, week or month, and referral (both members earn once the new member's first purchase
reaching a minimum spend is made). Membership: free sign-up, or membership after a first purchase reaching
a minimum spend; until then the customer is a pending member who earns nothing.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from setia.domain.errors import ValidationFailed

BIRTHDAY_WINDOWS = ("day", "week", "month")
LIMIT_PERIODS = ("day", "week", "month")
MEMBERSHIP_MODES = ("free", "minimum_purchase")
ACTIVITY_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,29}$")

# Kinds of bonus grants (one row each, unique per member, kind and key): stored.
SIGNUP, BIRTHDAY, ACTIVITY, REFERRAL_REFERRER, REFERRAL_REFERRED = (
    "signup", "birthday", "activity", "referral_referrer", "referral_referred")


@dataclass(frozen=True)
class ActivityBonus:
    type: str
    points: int
    limit_per: str | None = None  # day / week / month
    limit_count: int = 0  # grants of this type per period; 0 with no period: no limit


@dataclass(frozen=True)
class Bonuses:
    signup_points: int = 0
    birthday_points: int = 0
    birthday_window: str = "day"
    activities: tuple[ActivityBonus, ...] = ()
    referrer_points: int = 0
    referred_points: int = 0
    referral_minimum_spend: int = 0

    def activity(self, activity_type: str) -> ActivityBonus | None:
        return next((a for a in self.activities if a.type == activity_type), None)

    @property
    def referral_enabled(self) -> bool:
        return bool(self.referrer_points or self.referred_points)


@dataclass(frozen=True)
class Membership:
    mode: str = "free"
    minimum_spend: int = 0

    def activates(self, money_paid: int) -> bool:
        """Whether a pending member's purchase of `money_paid` rupiah makes them a member."""
        return money_paid > 0 and money_paid >= self.minimum_spend


def _section(data: Any, where: str) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValidationFailed(f"{where} is an object.", field=where)
    return data


def _points(data: dict[str, Any], key: str, where: str, minimum: int = 0) -> int:
    value = data.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= 10**9:
        raise ValidationFailed(f"{key} must be a whole number from {minimum}.", field=f"{where}.{key}")
    return value


def parse_activity(activity_type: Any, data: Any, where: str) -> ActivityBonus:
    if not isinstance(activity_type, str) or not ACTIVITY_TYPE.match(activity_type):
        raise ValidationFailed("An activity type is lower case letters, digits and '_' (e.g. survey).", field=where)
    data = _section(data, where)
    points = _points(data, "points", where, minimum=1)
    limit = _section(data.get("limit"), f"{where}.limit")
    if not limit:
        return ActivityBonus(activity_type, points)
    if limit.get("per") not in LIMIT_PERIODS:
        raise ValidationFailed("A limit is per 'day', 'week' or 'month'.", field=f"{where}.limit.per")
    return ActivityBonus(activity_type, points, limit["per"], _points(limit, "count", f"{where}.limit", minimum=1))


def parse_bonuses(data: Any, where: str = "bonuses") -> Bonuses:
    """Bonus settings from their stored or posted form; the error names the field at fault."""
    data = _section(data, where)
    for key in data:
        if key not in ("signup", "birthday", "activities", "referral"):
            raise ValidationFailed(f"Unknown bonus '{key}'.", field=f"{where}.{key}")
    signup = _section(data.get("signup"), f"{where}.signup")
    birthday = _section(data.get("birthday"), f"{where}.birthday")
    window = birthday.get("window", "day")
    if window not in BIRTHDAY_WINDOWS:
        raise ValidationFailed("The birthday window is 'day', 'week' or 'month'.", field=f"{where}.birthday.window")
    activities = _section(data.get("activities"), f"{where}.activities")
    referral = _section(data.get("referral"), f"{where}.referral")
    return Bonuses(
        signup_points=_points(signup, "points", f"{where}.signup"),
        birthday_points=_points(birthday, "points", f"{where}.birthday"),
        birthday_window=window,
        activities=tuple(parse_activity(kind, value, f"{where}.activities.{kind}")
                         for kind, value in activities.items()),
        referrer_points=_points(referral, "referrer_points", f"{where}.referral"),
        referred_points=_points(referral, "referred_points", f"{where}.referral"),
        referral_minimum_spend=_points(referral, "minimum_spend", f"{where}.referral"),
    )


def parse_membership(data: Any, where: str = "membership") -> Membership:
    data = _section(data, where)
    mode = data.get("mode", "free")
    if mode not in MEMBERSHIP_MODES:
        raise ValidationFailed("mode is 'free' or 'minimum_purchase'.", field=f"{where}.mode")
    minimum = _points(data, "minimum_spend", where)
    if mode == "minimum_purchase" and minimum < 1:
        raise ValidationFailed("Membership by purchase needs a minimum spend of at least Rp1.",
                               field=f"{where}.minimum_spend")
    return Membership(mode, minimum)


def birthday_in(birthday: date, year: int) -> date:
    """The member's birthday in `year`; 29 February is celebrated on the 28th in other years."""
    return date(year, birthday.month, min(birthday.day, calendar.monthrange(year, birthday.month)[1]))


def birthday_window(birthday: date, year: int, window: str) -> tuple[date, date]:
    """The first and last day on which the birthday bonus of `year` is given."""
    day = birthday_in(birthday, year)
    if window == "day":
        return day, day
    if window == "week":  # the ISO week (Monday to Sunday) of the birthday
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    return day.replace(day=1), day.replace(day=calendar.monthrange(year, day.month)[1])


def birthday_year_due(birthday: date, day: date, window: str) -> int | None:
    """The year whose birthday bonus falls due on `day` (its window holds the day), if any.

    A week window can start in the year before the birthday (a 1 January birthday's week may start on
    29 December), so the neighbouring years are looked at too.
    """
    for year in (day.year, day.year + 1, day.year - 1):
        start, end = birthday_window(birthday, year, window)
        if start <= day <= end:
            return year
    return None


def period_start(day: date, per: str) -> date:
    """The first day of the day, ISO week or month holding `day`: limits count grants since then."""
    if per == "day":
        return day
    if per == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def birthday_grants_due(birthday: date, member_since: date, first_day: date, last_day: date,
                        window: str) -> list[tuple[int, date]]:
    """(year, day given) of each birthday bonus falling due from `first_day` to `last_day`: catching up on
    missed days gives each once, on the first day of its window the member had joined by."""
    due = []
    for year in range(first_day.year - 1, last_day.year + 2):
        start, end = birthday_window(birthday, year, window)
        given_on = max(start, first_day, member_since)
        if given_on <= min(end, last_day):
            due.append((year, given_on))
    return due


def birthday_candidates(first_day: date, last_day: date, window: str) -> set[tuple[int, int]] | None:
    """The (month, day) birthdays whose bonus can fall due from `first_day` to `last_day`, to look at only
    those members; None when every birthday can (a range of about a year)."""
    if (last_day - first_day).days > 360:
        return None
    if window == "month":
        start, end = first_day.replace(day=1), last_day.replace(day=calendar.monthrange(last_day.year,
                                                                                         last_day.month)[1])
    else:
        margin = timedelta(days=6 if window == "week" else 0)
        start, end = first_day - margin, last_day + margin
    every_day = (start + timedelta(days=offset) for offset in range((end - start).days + 1))
    days = {(day.month, day.day) for day in every_day}
    if (2, 28) in days:
        days.add((2, 29))  # celebrated on the 28th in other years
    return days
