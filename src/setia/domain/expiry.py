"""When earned points expire: never, N days or N months after earning, optionally to the month's end."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from setia.domain.errors import ValidationFailed

EXPIRY_KINDS = ("never", "days", "months")


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the 31st lands on the last day of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def end_of_month(day: date) -> date:
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


@dataclass(frozen=True)
class ExpiryPolicy:
    kind: str = "never"
    length: int = 0
    to_end_of_month: bool = False

    def __post_init__(self) -> None:
        if self.kind not in EXPIRY_KINDS:
            raise ValidationFailed(f"Expiry must be one of {', '.join(EXPIRY_KINDS)}.", field="expiry.kind")
        if self.kind != "never" and not 1 <= self.length <= 3650:
            raise ValidationFailed("Expiry length must be between 1 and 3650.", field="expiry.length")

    def expiry_day(self, earned_on: date) -> date | None:
        """The last day on which points earned on `earned_on` can be spent; None if they never expire."""
        if self.kind == "never":
            return None
        if self.kind == "days":
            day = earned_on + timedelta(days=self.length)
        else:
            day = add_months(earned_on, self.length)
        return end_of_month(day) if self.to_end_of_month else day
