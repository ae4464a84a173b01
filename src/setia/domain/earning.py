"""Earn rules: each is a condition plus a benefit that returns a contribution; the loop is separate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from setia.domain.errors import ValidationFailed


@dataclass(frozen=True)
class EarnContext:
    """The sale as earn rules see it: the earning base and the lines that made it."""

    earn_base: int


@dataclass(frozen=True)
class Contribution:
    rule: str
    description: str
    points: int


class EarnRule(Protocol):
    def contribution(self, context: EarnContext) -> Contribution | None: ...


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

    def contribution(self, context: EarnContext) -> Contribution | None:
        if context.earn_base < self.minimum_spend:
            return None
        points = context.earn_base // self.step_amount * self.points_per_step
        return Contribution("spend", f"{self.points_per_step} per Rp{self.step_amount}", points)


def earn(rules: tuple[EarnRule, ...], context: EarnContext) -> list[Contribution]:
    """Every applicable rule's contribution, in rule order."""
    contributions = []
    for rule in rules:
        result = rule.contribution(context)
        if result is not None:
            contributions.append(result)
    return contributions
