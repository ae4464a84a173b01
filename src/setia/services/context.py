"""Who is calling and when: passed to every service, so no service reads a clock or a global."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from setia.domain.clock import as_utc, business_date

__all__ = ["Caller", "as_utc", "business_date", "utc_now"]


@dataclass(frozen=True)
class Caller:
    merchant_id: int
    actor: str  # "api_key:3", "cli", "staff:7": recorded on every ledger transfer


def utc_now() -> datetime:
    return datetime.now(timezone.utc)
