"""Rewards bought with points: a fixed discount, a percentage discount with a cap, a free product (used in a
sale), a voucher for later, merchandise handed over (redeemed on their own; see domain/catalogue.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from setia.domain.catalogue import validate_catalogue_terms
from setia.domain.errors import RewardNotApplicable, ValidationFailed
from setia.domain.vouchers import VoucherTerms, terms_from_dict

SALE_REWARD_KINDS = ("fixed_discount", "percent_discount", "free_product")  # taken off a sale
REDEEMED_ALONE_KINDS = ("voucher", "merchandise")  # redeemed on their own, outside a sale
REWARD_KINDS = SALE_REWARD_KINDS + REDEEMED_ALONE_KINDS


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
    # The catalogue's terms (domain/catalogue.py): dates in the merchant's time zone, tiers, limits.
    available_from: date | None = None
    available_to: date | None = None
    tier_codes: tuple[str, ...] = ()  # empty: every member
    member_limit: int | None = None  # redemptions per member (per period)
    total_limit: int | None = None  # redemptions by everyone (per period)
    limit_period: str = "lifetime"  # lifetime, day, week, month
    voucher: VoucherTerms | None = None  # voucher: what the code it issues is worth
    voucher_valid_days: int | None = None  # voucher: the code expires this many days after issue

    def __post_init__(self) -> None:
        # Stored forms (JSON lists and objects) become the domain's values.
        object.__setattr__(self, "tier_codes", tuple(self.tier_codes or ()))
        object.__setattr__(self, "limit_period", self.limit_period or "lifetime")
        if isinstance(self.voucher, dict):
            object.__setattr__(self, "voucher", terms_from_dict(self.voucher))
        validate_reward(self)

    def order_discount(self, amount_left: int) -> int:
        """Rupiah this reward takes off an order with `amount_left` still to pay."""
        if self.kind in REDEEMED_ALONE_KINDS:
            raise RewardNotApplicable(f"Reward '{self.name}' is redeemed on its own, not in a sale.",
                                      reward_id=self.id)
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
    validate_catalogue_terms(reward)
