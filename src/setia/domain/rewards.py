"""Rewards bought with points: a fixed discount, a percentage discount with a cap, a free product."""

from __future__ import annotations

from dataclasses import dataclass

from setia.domain.errors import RewardNotApplicable, ValidationFailed

REWARD_KINDS = ("fixed_discount", "percent_discount", "free_product")


@dataclass(frozen=True)
class Reward:
    id: str
    name: str
    kind: str
    points_cost: int
    discount_amount: int = 0  # fixed_discount: rupiah off
    percent: int = 0  # percent_discount: whole percent off what is left
    cap_amount: int | None = None  # percent_discount: at most this many rupiah
    product_sku: str | None = None  # free_product: the SKU given free (one unit)
    active: bool = True

    def __post_init__(self) -> None:
        validate_reward(self)

    def order_discount(self, amount_left: int) -> int:
        """Rupiah this reward takes off an order with `amount_left` still to pay."""
        if self.kind == "fixed_discount":
            if self.discount_amount > amount_left:
                raise RewardNotApplicable(
                    f"Reward '{self.name}' is worth Rp{self.discount_amount} but only Rp{amount_left} is left "
                    "to pay.",
                    reward_id=self.id,
                )
            return self.discount_amount
        discount = amount_left * self.percent // 100
        return min(discount, self.cap_amount) if self.cap_amount is not None else discount


def validate_reward(reward: Reward) -> None:
    if reward.kind not in REWARD_KINDS:
        raise ValidationFailed(f"Reward kind must be one of {', '.join(REWARD_KINDS)}.", field="kind")
    if not reward.name.strip():
        raise ValidationFailed("A reward needs a name.", field="name")
    if reward.points_cost <= 0:
        raise ValidationFailed("A reward costs at least 1 point.", field="points_cost")
    if reward.kind == "fixed_discount" and reward.discount_amount <= 0:
        raise ValidationFailed("A fixed discount needs an amount above Rp0.", field="discount_amount")
    if reward.kind == "percent_discount":
        if not 1 <= reward.percent <= 100:
            raise ValidationFailed("A percent discount is between 1 and 100 percent.", field="percent")
        if reward.cap_amount is not None and reward.cap_amount <= 0:
            raise ValidationFailed("A cap must be above Rp0.", field="cap_amount")
    if reward.kind == "free_product" and not (reward.product_sku or "").strip():
        raise ValidationFailed("A free-product reward names the product's SKU.", field="product_sku")
