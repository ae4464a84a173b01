"""Language and format: Bahasa Indonesia by default, English by choice; rupiah as Rp15.000 and dates as
Indonesians write them (2 Des 2026 14.05), in the merchant's time zone."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

TRANSLATIONS = Path(__file__).with_name("translations")
LANGUAGES = {"id": "Bahasa Indonesia", "en": "English"}
DEFAULT_LANGUAGE = "id"


@lru_cache(maxsize=None)
def translations(language: str) -> NullTranslations:
    """The compiled catalogue (translations/<language>/LC_MESSAGES/messages.mo); English is the source text."""
    if language == "en":
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS), [language], domain="messages")


def rupiah(amount: int | None, language: str = DEFAULT_LANGUAGE) -> str:
    """Rp15.000 — Indonesian grouping whatever the interface language, as on every price tag in Indonesia."""
    if amount is None:
        return ""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{format_decimal(abs(int(amount)), locale='id')}"


def number(value: int | None) -> str:
    return "" if value is None else format_decimal(int(value), locale="id")


def when(value: datetime | str | None, timezone_name: str, language: str = DEFAULT_LANGUAGE) -> str:
    """2 Des 2026 14.05 in the merchant's time zone."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return format_datetime(value, "d MMM y HH.mm", tzinfo=timezone_name, locale=language)


def day(value: date | str | None, language: str = DEFAULT_LANGUAGE) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return format_date(value, "d MMM y", locale=language)


def template_helpers(language: str, timezone_name: str) -> dict[str, Any]:
    """What every template gets: _() and ngettext in the chosen language, and the formatters."""
    catalogue = translations(language)
    return {
        "_": catalogue.gettext,
        "ngettext": catalogue.ngettext,
        "rupiah": rupiah,
        "number": number,
        "when": lambda value: when(value, timezone_name, language),
        "day": lambda value: day(value, language),
        "language": language,
        "languages": LANGUAGES,
    }
