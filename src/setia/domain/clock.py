"""Business dates: instants are stored in UTC, days are the merchant's."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo


def business_date(instant: datetime, timezone_name: str) -> date:
    """The merchant's calendar date at `instant` (expiry days, birthdays and reports use it)."""
    return instant.astimezone(ZoneInfo(timezone_name)).date()


def as_utc(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("instants carry a time zone offset")
    return instant.astimezone(timezone.utc)
