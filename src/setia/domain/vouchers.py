"""Vouchers: what a code is worth, on which lines, and the discount it gives in a sale.

A voucher applies in the rewards stage of a sale (DESIGN.md §4), after the point rewards, in the order the
codes were given. Each takes its discount from what is left of its applicable lines (every line when it
names no SKU or category): a fixed amount (refused, not cut, when larger than what is left), a percentage
floored to the rupiah with an optional cap, or one unit of a product free. The discount is shared among the
applicable lines in proportion to what is left of each (largest remainder), so every rupiah lands on a line
and a line it doesn't apply to never pays for it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from setia.domain.allocation import allocate
from setia.domain.errors import ValidationFailed, VoucherNotApplicable

VALUE_KINDS = ("fixed", "percent", "free_product")
# Crockford's base32: no I, L, O or U, so a code read aloud or typed from paper has no look-alikes.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12  # 60 random bits: guessing one of 10^6 live codes takes ~10^12 tries
CODE_GROUP = 4
MAX_PREFIX_LENGTH = 8


@dataclass(frozen=True)
class VoucherTerms:
    """The value of a voucher and the sales it fits."""

    value_kind: str
    amount: int = 0  # fixed: rupiah off
    percent: int = 0  # percent: whole percent off what is left of the applicable lines
    cap_amount: int | None = None  # percent: at most this many rupiah
    product_sku: str | None = None  # free_product: one unit of this SKU free
    minimum_spend: int = 0  # the applicable lines' value after line discounts must reach this
    skus: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    def applies_to(self, sku: str | None, category: str | None) -> bool:
        if not self.skus and not self.categories:
            return True
        return (sku is not None and sku in self.skus) or (category is not None and category in self.categories)

    def as_dict(self) -> dict[str, Any]:
        return {"value_kind": self.value_kind, "amount": self.amount, "percent": self.percent,
                "cap_amount": self.cap_amount, "product_sku": self.product_sku, "minimum_spend": self.minimum_spend,
                "skus": list(self.skus), "categories": list(self.categories)}


def terms_from_dict(data: dict[str, Any], field_prefix: str = "voucher") -> VoucherTerms:
    """Voucher terms from plain settings (as stored and as sent to the API), validated."""
    try:
        terms = VoucherTerms(
            value_kind=str(data.get("value_kind") or ""), amount=int(data.get("amount") or 0),
            percent=int(data.get("percent") or 0),
            cap_amount=int(data["cap_amount"]) if data.get("cap_amount") is not None else None,
            product_sku=(data.get("product_sku") or None), minimum_spend=int(data.get("minimum_spend") or 0),
            skus=tuple(str(s) for s in data.get("skus") or ()),
            categories=tuple(str(c) for c in data.get("categories") or ()),
        )
    except (TypeError, ValueError) as error:
        raise ValidationFailed(f"Invalid voucher terms: {error}.", field=field_prefix) from error
    validate_terms(terms, field_prefix)
    return terms


def validate_terms(terms: VoucherTerms, field_prefix: str = "voucher") -> None:
    def fail(message: str, name: str) -> None:
        raise ValidationFailed(message, field=f"{field_prefix}.{name}")

    if terms.value_kind not in VALUE_KINDS:
        fail(f"A voucher's value kind is one of {', '.join(VALUE_KINDS)}.", "value_kind")
    if terms.value_kind == "fixed" and terms.amount <= 0:
        fail("A fixed voucher needs an amount above Rp0.", "amount")
    if terms.value_kind == "percent" and not 1 <= terms.percent <= 100:
        fail("A percent voucher is between 1 and 100 percent.", "percent")
    if terms.cap_amount is not None and terms.cap_amount <= 0:
        fail("A cap must be above Rp0.", "cap_amount")
    if terms.value_kind == "free_product" and not (terms.product_sku or "").strip():
        fail("A free-product voucher names the product's SKU.", "product_sku")
    if terms.minimum_spend < 0:
        fail("The minimum spend can't be negative.", "minimum_spend")
    if terms.amount < 0:
        fail("The amount can't be negative.", "amount")


@dataclass(frozen=True)
class Voucher:
    """A voucher code as a sale sees it: found, valid and usable by this customer."""

    id: str
    code: str
    terms: VoucherTerms


@dataclass
class AppliedVoucher:
    voucher: Voucher
    discount_amount: int
    line_shares: list[int] = field(default_factory=list)  # the discount on each line of the sale


@dataclass(frozen=True)
class VoucherLine:
    """A sale line as vouchers see it: what it is, and its value after line discounts."""

    sku: str | None
    category: str | None
    unit_price: int
    after_line_discounts: int


def apply_vouchers(vouchers: list[Voucher], lines: list[VoucherLine],
                   order_level_before: int) -> tuple[list[AppliedVoucher], list[int]]:
    """Each voucher's discount and the total voucher discount on each line.

    `order_level_before` is what the order discount, tier discount and point rewards took; it is shared among
    the lines exactly as the sale will share it, so each voucher sees what is really left of each line.
    """
    if not vouchers:
        return [], [0] * len(lines)
    weights = [line.after_line_discounts for line in lines]
    left = [weight - share for weight, share in zip(weights, allocate(order_level_before, weights))]
    totals = [0] * len(lines)
    applied = []
    for voucher in vouchers:
        shares = _voucher_shares(voucher, lines, left)
        for index, share in enumerate(shares):
            left[index] -= share
            totals[index] += share
        applied.append(AppliedVoucher(voucher, sum(shares), shares))
    return applied, totals


def _voucher_shares(voucher: Voucher, lines: list[VoucherLine], left: list[int]) -> list[int]:
    terms = voucher.terms
    applicable = [terms.applies_to(line.sku, line.category) for line in lines]
    spend = sum(line.after_line_discounts for line, fits in zip(lines, applicable) if fits)
    if terms.minimum_spend and spend < terms.minimum_spend:
        raise VoucherNotApplicable(
            f"Voucher {voucher.code} needs a spend of Rp{terms.minimum_spend} on its products; this sale has "
            f"Rp{spend}.", code=voucher.code, minimum_spend=terms.minimum_spend, spend=spend)
    if terms.value_kind == "free_product":
        return _free_product_shares(voucher, lines, left, applicable)
    weights = [amount if fits else 0 for amount, fits in zip(left, applicable)]
    amount_left = sum(weights)
    if amount_left == 0:
        raise VoucherNotApplicable(f"Voucher {voucher.code} applies to nothing left in this sale.",
                                   code=voucher.code)
    if terms.value_kind == "fixed":
        if terms.amount > amount_left:
            raise VoucherNotApplicable(
                f"Voucher {voucher.code} is worth Rp{terms.amount} but only Rp{amount_left} of its products is "
                "left to pay.", code=voucher.code, amount_left=amount_left)
        discount = terms.amount
    else:
        discount = amount_left * terms.percent // 100
        if terms.cap_amount is not None:
            discount = min(discount, terms.cap_amount)
    return allocate(discount, weights)


def _free_product_shares(voucher: Voucher, lines: list[VoucherLine], left: list[int],
                         applicable: list[bool]) -> list[int]:
    for index, line in enumerate(lines):
        if line.sku == voucher.terms.product_sku and applicable[index] and left[index] > 0:
            shares = [0] * len(lines)
            shares[index] = min(line.unit_price, left[index])
            return shares
    raise VoucherNotApplicable(
        f"Voucher {voucher.code} gives {voucher.terms.product_sku} free, but the sale has none to give.",
        code=voucher.code)


def new_code(prefix: str = "") -> str:
    """A fresh, hard-to-guess code in groups for reading: 'KOPI-7Q4M-XK2D-9PRT'."""
    body = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    groups = [body[i:i + CODE_GROUP] for i in range(0, CODE_LENGTH, CODE_GROUP)]
    return "-".join(([prefix.upper()] if prefix else []) + groups)


def code_key(code: str) -> str:
    """The form a code is stored and looked up by: upper case, no spaces or dashes. Exact otherwise."""
    return "".join(ch for ch in (code or "").upper() if ch not in " -\t")


def validate_prefix(prefix: str) -> str:
    prefix = (prefix or "").strip().upper()
    if len(prefix) > MAX_PREFIX_LENGTH or not all(ch.isascii() and ch.isalnum() for ch in prefix):
        raise ValidationFailed(f"A code prefix is up to {MAX_PREFIX_LENGTH} letters and digits.", field="prefix")
    return prefix
