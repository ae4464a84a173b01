"""Reading program settings (as stored and as posted): checks whose errors name the field at fault."""

from __future__ import annotations

from typing import Any

from setia.domain.errors import ValidationFailed


def whole_number(data: dict[str, Any], key: str, where: str, minimum: int = 0, default: int | None = 0) -> int:
    """`data[key]` as a whole number of at least `minimum` (booleans and strings are refused)."""
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValidationFailed(f"{key} must be a whole number of at least {minimum}.", field=f"{where}.{key}")
    return value


def names(data: dict[str, Any], key: str, where: str) -> frozenset[str]:
    """`data[key]` as a set of non-empty names (SKUs, categories, ids); numbers are read as their digits."""
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, (str, int)) and not isinstance(item, bool)
                                              and str(item) for item in value):
        raise ValidationFailed(f"{key} is a list of names.", field=f"{where}.{key}")
    return frozenset(str(item) for item in value)
