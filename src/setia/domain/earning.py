"""Earn rules: each is a condition plus a benefit that returns a contribution; the loop is separate.

Stacking (DESIGN.md §4): spend rules give `floor(base / step) × points_per_step` on the whole sale;
multipliers apply to those points and are floored; multipliers don't compound — on each line the
highest applicable one wins (tier multipliers compete too); fixed points per product or category add,
also on a sale whose base earns nothing. Caps per member per day or month cut a rule's contribution to
what is left of its cap in that period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from setia.domain.errors import ValidationFailed
from setia.domain.settings import names, whole_number

RULE_KINDS = ("spend", "product_points", "multiplier")
CAP_PERIODS = ("day", "month")
MAX_MULTIPLIER = Decimal(100)


@dataclass(frozen=True)
class EarnLine:
    sku: str | None
    category: str | None
    quantity: int
    earn_base: int  # what the customer paid for this line, points-paid part excluded; 0 if it doesn't earn
    earns: bool = True


@dataclass(frozen=True)
class EarnContext:
    """The sale as earn rules see it."""

    earn_base: int
    lines: tuple[EarnLine, ...] = ()
    local_time: datetime | None = None  # in the merchant's time zone
    outlet_id: str | None = None
    tier: str | None = None
    tier_multiplier: Decimal = Decimal(1)
    usage: dict[tuple[str, str], int] = field(default_factory=dict)  # (rule id, "day"/"month") → points so far


@dataclass(frozen=True)
class Contribution:
    rule: str
    description: str
    points: int
    rule_id: str | None = None


@dataclass(frozen=True)
class SpendRule:
    """`points_per_step` points for every full `step_amount` rupiah of the earning base."""

    step_amount: int = 10000
    points_per_step: int = 1
    minimum_spend: int = 0

    def __post_init__(self) -> None:
        if self.step_amount <= 0:
            raise ValidationFailed("The spend step must be at least Rp1.", field="spend_rule.step_amount")
        if self.points_per_step <= 0:
            raise ValidationFailed("A step earns at least 1 point.", field="spend_rule.points_per_step")
        if self.minimum_spend < 0:
            raise ValidationFailed("The minimum spend can't be negative.", field="spend_rule.minimum_spend")

    def points(self, earn_base: int) -> int:
        if earn_base < self.minimum_spend:
            return 0
        return earn_base // self.step_amount * self.points_per_step


@dataclass(frozen=True)
class Conditions:
    """When a rule applies. Every condition given must hold; none given: always."""

    minimum_spend: int = 0
    skus: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    outlet_ids: frozenset[str] = frozenset()
    tiers: frozenset[str] = frozenset()
    date_from: date | None = None
    date_to: date | None = None
    days_of_week: frozenset[int] = frozenset()  # ISO: Monday 1 … Sunday 7
    time_from: time | None = None
    time_to: time | None = None  # exclusive: 14:00–17:00 ends at 16:59:59

    def matches_line(self, line: EarnLine) -> bool:
        if not self.skus and not self.categories:
            return True
        return bool((line.sku and line.sku in self.skus) or (line.category and line.category in self.categories))

    def holds(self, context: EarnContext) -> bool:
        if context.earn_base < self.minimum_spend:
            return False
        if self.outlet_ids and context.outlet_id not in self.outlet_ids:
            return False
        if self.tiers and context.tier not in self.tiers:
            return False
        moment = context.local_time
        if moment is None:
            return not (self.date_from or self.date_to or self.days_of_week or self.time_from or self.time_to)
        day = moment.date()
        if (self.date_from and day < self.date_from) or (self.date_to and day > self.date_to):
            return False
        if self.days_of_week and moment.isoweekday() not in self.days_of_week:
            return False
        clock = moment.time().replace(tzinfo=None)
        if self.time_from and clock < self.time_from:
            return False
        return not (self.time_to and clock >= self.time_to)


@dataclass(frozen=True)
class Cap:
    period: str
    points: int


@dataclass(frozen=True)
class ConfiguredRule:
    """A rule the owner designed: `kind` picks the benefit; `conditions` say when it applies."""

    id: str
    name: str
    kind: str
    priority: int = 0
    conditions: Conditions = Conditions()
    step_amount: int = 0  # spend
    points_per_step: int = 0  # spend
    points_per_unit: int = 0  # product_points
    multiplier: Decimal = Decimal(1)  # multiplier
    cap: Cap | None = None
    active: bool = True


def _parse_date(value: Any, where: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError as error:
        raise ValidationFailed(f"'{value}' is not a date (YYYY-MM-DD).", field=where) from error


def _parse_time(value: Any, where: str) -> time | None:
    if value in (None, ""):
        return None
    try:
        return time.fromisoformat(str(value))
    except ValueError as error:
        raise ValidationFailed(f"'{value}' is not a time (HH:MM).", field=where) from error


def parse_conditions(data: dict[str, Any], where: str) -> Conditions:
    if not isinstance(data, dict):
        raise ValidationFailed("conditions is an object.", field=where)
    days = data.get("days_of_week") or []
    if not isinstance(days, list) or any(not isinstance(d, int) or not 1 <= d <= 7 for d in days):
        raise ValidationFailed("days_of_week are 1 (Monday) to 7 (Sunday).", field=f"{where}.days_of_week")
    conditions = Conditions(
        minimum_spend=whole_number(data, "minimum_spend", where),
        skus=names(data, "skus", where),
        categories=names(data, "categories", where),
        outlet_ids=names(data, "outlet_ids", where),
        tiers=names(data, "tiers", where),
        date_from=_parse_date(data.get("date_from"), f"{where}.date_from"),
        date_to=_parse_date(data.get("date_to"), f"{where}.date_to"),
        days_of_week=frozenset(days),
        time_from=_parse_time(data.get("time_from"), f"{where}.time_from"),
        time_to=_parse_time(data.get("time_to"), f"{where}.time_to"),
    )
    if conditions.date_from and conditions.date_to and conditions.date_to < conditions.date_from:
        raise ValidationFailed("date_to is before date_from.", field=f"{where}.date_to")
    if conditions.time_from and conditions.time_to and conditions.time_to <= conditions.time_from:
        raise ValidationFailed("time_to must be after time_from.", field=f"{where}.time_to")
    return conditions


def parse_rule(data: dict[str, Any], where: str) -> ConfiguredRule:
    """A rule from its stored or posted form; the error names the field at fault."""
    if not isinstance(data, dict):
        raise ValidationFailed("A rule is an object.", field=where)
    rule_id = str(data.get("id") or "").strip()
    if not rule_id or len(rule_id) > 50:
        raise ValidationFailed("A rule needs an id of 1 to 50 characters.", field=f"{where}.id")
    name = str(data.get("name") or "").strip()
    if not name:
        raise ValidationFailed("A rule needs a name.", field=f"{where}.name")
    kind = data.get("kind")
    if kind not in RULE_KINDS:
        raise ValidationFailed(f"kind is one of {', '.join(RULE_KINDS)}.", field=f"{where}.kind")
    conditions = parse_conditions(data.get("conditions") or {}, f"{where}.conditions")
    values: dict[str, Any] = {}
    if kind == "spend":
        values["step_amount"] = whole_number(data, "step_amount", where, minimum=1)
        values["points_per_step"] = whole_number(data, "points_per_step", where, minimum=1, default=1)
    elif kind == "product_points":
        values["points_per_unit"] = whole_number(data, "points_per_unit", where, minimum=1)
        if not conditions.skus and not conditions.categories:
            raise ValidationFailed("Points per product name the products (skus) or categories.",
                                   field=f"{where}.conditions.skus")
    else:
        try:
            multiplier = Decimal(str(data.get("multiplier")))
        except InvalidOperation as error:
            raise ValidationFailed("multiplier is a decimal string such as \"2\" or \"1.5\".",
                                   field=f"{where}.multiplier") from error
        if not multiplier.is_finite() or not Decimal(1) <= multiplier <= MAX_MULTIPLIER:
            raise ValidationFailed("A multiplier is between 1 and 100.", field=f"{where}.multiplier")
        values["multiplier"] = multiplier
    cap = None
    if data.get("cap") is not None:
        cap_data = data["cap"]
        if not isinstance(cap_data, dict) or cap_data.get("per") not in CAP_PERIODS:
            raise ValidationFailed("A cap is per 'day' or 'month'.", field=f"{where}.cap.per")
        cap = Cap(cap_data["per"], whole_number(cap_data, "points", f"{where}.cap", minimum=1))
    priority = whole_number(data, "priority", where, minimum=-1000, default=0)
    return ConfiguredRule(id=rule_id, name=name, kind=kind, priority=priority, conditions=conditions, cap=cap,
                          active=bool(data.get("active", True)), **values)


def parse_rules(items: Any, where: str = "earn_rules") -> tuple[ConfiguredRule, ...]:
    if not isinstance(items, list):
        raise ValidationFailed("earn_rules is a list.", field=where)
    rules = tuple(parse_rule(item, f"{where}[{index}]") for index, item in enumerate(items))
    seen: set[str] = set()
    for index, rule in enumerate(rules):
        if rule.id in seen or rule.id == "spend":
            raise ValidationFailed(f"Rule id '{rule.id}' is used twice (or is the reserved 'spend').",
                                   field=f"{where}[{index}].id")
        seen.add(rule.id)
    return rules


def _capped(points: int, rule_id: str, cap: Cap | None, context: EarnContext) -> int:
    if cap is None:
        return points
    used = context.usage.get((rule_id, cap.period), 0)
    return max(0, min(points, cap.points - used))


def earn(base_rule: SpendRule, rules: tuple[ConfiguredRule, ...], context: EarnContext) -> list[Contribution]:
    """Every rule's contribution to a sale, in priority order; rules that don't apply are left out."""
    applicable = sorted((r for r in rules if r.active and r.conditions.holds(context)),
                        key=lambda r: (-r.priority, r.id))
    contributions: list[Contribution] = []
    spend_points = base_rule.points(context.earn_base)
    if spend_points:
        contributions.append(Contribution("spend", f"{base_rule.points_per_step} per Rp{base_rule.step_amount}",
                                          spend_points, rule_id="spend"))
    for rule in (r for r in applicable if r.kind == "spend"):
        points = _capped(context.earn_base // rule.step_amount * rule.points_per_step, rule.id, rule.cap, context)
        if points:
            spend_points += points
            contributions.append(Contribution(rule.name, f"{rule.points_per_step} per Rp{rule.step_amount}",
                                              points, rule_id=rule.id))
    contributions.extend(_multiplied(spend_points, [r for r in applicable if r.kind == "multiplier"], context))
    for rule in (r for r in applicable if r.kind == "product_points"):
        units = sum(line.quantity for line in context.lines if line.earns and rule.conditions.matches_line(line))
        points = _capped(units * rule.points_per_unit, rule.id, rule.cap, context)
        if points:
            contributions.append(Contribution(rule.name, f"{rule.points_per_unit} per item", points,
                                              rule_id=rule.id))
    return contributions


def _multiplied(spend_points: int, multipliers: list[ConfiguredRule], context: EarnContext) -> list[Contribution]:
    """Extra points from multipliers: on each line the highest applicable multiplier wins, and each
    winner's extra is floor(points of its lines × multiplier) − those points."""
    if not spend_points or context.earn_base <= 0:
        return []
    candidates: list[tuple[Decimal, int, str, str, Cap | None]] = [
        (rule.multiplier, rule.priority, rule.id, rule.name, rule.cap) for rule in multipliers
    ]
    if context.tier_multiplier > 1:
        candidates.append((context.tier_multiplier, -10_000, f"tier:{context.tier}", f"Tier {context.tier}", None))
    if not candidates:
        return []
    base_by_winner: dict[str, int] = {}
    winners: dict[str, tuple[Decimal, str, Cap | None]] = {}
    lines = context.lines or (EarnLine(None, None, 1, context.earn_base),)
    rule_by_id = {rule.id: rule for rule in multipliers}
    for line in lines:
        if not line.earns or line.earn_base <= 0:
            continue
        fitting = [c for c in candidates
                   if c[2] not in rule_by_id or rule_by_id[c[2]].conditions.matches_line(line)]
        if not fitting:
            continue
        multiplier, _priority, rule_id, name, cap = max(fitting, key=lambda c: (c[0], c[1]))
        base_by_winner[rule_id] = base_by_winner.get(rule_id, 0) + line.earn_base
        winners[rule_id] = (multiplier, name, cap)
    contributions = []
    for rule_id, base in base_by_winner.items():
        multiplier, name, cap = winners[rule_id]
        attributable = spend_points * base // context.earn_base
        extra = int((attributable * multiplier).to_integral_value(rounding="ROUND_FLOOR")) - attributable
        extra = _capped(extra, rule_id, cap, context)
        if extra > 0:
            contributions.append(Contribution(name, f"×{multiplier.normalize()}", extra, rule_id=rule_id))
    return contributions
