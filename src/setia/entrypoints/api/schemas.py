"""Request bodies of the JSON API, with examples for the OpenAPI docs. Money and points are integers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConsentsIn(Strict):
    whatsapp: bool | None = None
    sms: bool | None = None
    email: bool | None = None


class MemberIn(Strict):
    name: str = Field(max_length=200)
    phone: str = Field(max_length=40, description="Any common Indonesian form: 0812-3456-7890, +62 812…, 62812…")
    email: str | None = Field(default=None, max_length=254)
    birthday: date | None = None
    consents: ConsentsIn = ConsentsIn()
    referred_by: str | None = Field(default=None, max_length=40,
                                    description="Member number of the member who referred them (once, not self)")

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"name": "Siti Rahayu", "phone": "0812-3456-7890", "email": "siti@example.com", "birthday": "1990-08-17",
         "consents": {"whatsapp": True, "sms": False, "email": True}}]})


class MemberPatch(Strict):
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    birthday: date | None = None
    consents: ConsentsIn = ConsentsIn()

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"phone": "+62 813 1111 2222", "consents": {"sms": True}}]})


class TierFloorIn(Strict):
    tier_code: str | None = Field(description="A tier code of the program, or null to remove the floor")

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"tier_code": "gold"}]})


class AdjustmentIn(Strict):
    points: int = Field(description="Positive adds points (a new lot under the expiry policy); negative removes.")
    reason: str = Field(min_length=1, max_length=500)

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"points": 50, "reason": "Compensation: coffee machine broken on 1 Dec"}]})


class LineIn(Strict):
    name: str = Field(max_length=200)
    quantity: int = Field(ge=1, le=100000)
    unit_price: int = Field(ge=0)
    sku: str | None = Field(default=None, max_length=100)
    product_id: str | None = Field(default=None, max_length=100)
    category: str | None = Field(default=None, max_length=100)
    line_discount: int = Field(default=0, ge=0)


class TenderIn(Strict):
    kind: Literal["cash", "card", "qris", "ewallet", "transfer", "other", "points"]
    amount: int = Field(default=0, ge=0, description="Rupiah; for cash, what the customer handed over")
    points: int = Field(default=0, ge=0, description="For kind=points: how many points pay")
    reference: str | None = Field(default=None, max_length=200)


SALE_EXAMPLE = {
    "external_id": "till1-000123",
    "member_number": "10000010",
    "lines": [
        {"sku": "KOPI-SUSU", "name": "Es Kopi Susu", "category": "coffee", "quantity": 2, "unit_price": 25000},
        {"sku": "CROIS", "name": "Croissant", "category": "pastry", "quantity": 1, "unit_price": 30000,
         "line_discount": 5000},
    ],
    "order_discount": 0,
    "reward_ids": [],
    "tenders": [{"kind": "cash", "amount": 100000}],
}


class SaleIn(Strict):
    lines: list[LineIn] = Field(min_length=1, max_length=500)
    member_id: str | None = None
    member_number: str | None = None
    member_phone: str | None = None
    external_id: str | None = Field(default=None, max_length=100,
                                    description="Your POS's id for the sale; unique per merchant, makes retries safe")
    occurred_at: datetime | None = Field(default=None, description="For history; default now")
    outlet_id: str | None = None
    order_discount: int = Field(default=0, ge=0)
    reward_ids: list[str] = Field(default_factory=list, max_length=20)
    stamp_card_ids: list[str] = Field(default_factory=list, max_length=10,
                                      description="Full stamp cards (GET /members/{id}/stamp-cards) whose reward "
                                                  "this sale redeems: a free product or a fixed discount")
    voucher_codes: list[str] = Field(default_factory=list, max_length=10,
                                     description="Applied after the rewards, in this order; case and dashes don't matter")
    tenders: list[TenderIn] = Field(default_factory=list, max_length=20)
    expected_total: int | None = Field(default=None, description="If given, must equal the computed total due")

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [SALE_EXAMPLE]})


class RefundLineIn(Strict):
    line_id: str
    quantity: int = Field(ge=1)


class RefundIn(Strict):
    lines: list[RefundLineIn] = Field(default_factory=list, description="Empty: refund everything not yet refunded")
    reason: str | None = Field(default=None, max_length=500)

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"lines": [{"line_id": "41", "quantity": 1}], "reason": "Cold coffee"}]})


class VoidIn(Strict):
    reason: str | None = Field(default=None, max_length=500)

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "Rung up twice"}]})


class SpendRuleIn(Strict):
    step_amount: int | None = Field(default=None, ge=1)
    points_per_step: int | None = Field(default=None, ge=1)
    minimum_spend: int | None = Field(default=None, ge=0)


class ExpiryIn(Strict):
    kind: Literal["never", "days", "months"] | None = None
    length: int | None = Field(default=None, ge=0)
    to_end_of_month: bool | None = None


class PointsPaymentIn(Strict):
    enabled: bool | None = None
    rupiah_per_point: int | None = Field(default=None, ge=0)
    minimum_points: int | None = Field(default=None, ge=0)
    maximum_share_percent: int | None = Field(default=None, ge=1, le=100)


class ProgramPatch(Strict):
    name: str | None = Field(default=None, max_length=200)
    spend_rule: SpendRuleIn | None = None
    expiry: ExpiryIn | None = None
    points_payment: PointsPaymentIn | None = None
    excluded_skus: list[str] | None = None
    excluded_categories: list[str] | None = None
    debt_policy: Literal["debt", "clamp"] | None = None
    tiers: dict[str, Any] | None = Field(
        default=None,
        description="Tier policy: basis (spend|points), window (rolling_months|calendar_year|lifetime), "
                    "window_months, review_months, levels [{code, name, threshold, discount_percent, "
                    "earn_multiplier}] ascending by threshold. See docs/program.md.")
    earn_rules: list[dict[str, Any]] | None = Field(
        default=None, max_length=100,
        description="Extra earn rules (replace the list): spend, product_points or multiplier, with conditions "
                    "(skus, categories, outlet_ids, tiers, minimum_spend, date_from/date_to, days_of_week 1-7, "
                    "time_from/time_to), priority and an optional cap per day or month. See docs/program.md.")
    stamp_cards: list[dict[str, Any]] | None = Field(
        default=None, max_length=50,
        description="Stamp card definitions (replace the list): id, name, per 'item' (skus / categories) or 'visit' "
                    "(minimum_spend), card_size, reward {kind: free_product (product_sku) | fixed_discount "
                    "(discount_amount) | points (points)}, expiry_days after the first stamp. See docs/program.md.")
    bonuses: dict[str, Any] | None = Field(
        default=None,
        description="signup {points}, birthday {points, window: day|week|month}, activities {type: {points, "
                    "limit {per: day|week|month, count}}}, referral {referrer_points, referred_points, "
                    "minimum_spend}. Each part given replaces that part.")
    membership: dict[str, Any] | None = Field(
        default=None, description="mode 'free' or 'minimum_purchase' with minimum_spend: pending until then")

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"spend_rule": {"step_amount": 15000, "points_per_step": 1},
         "expiry": {"kind": "months", "length": 12},
         "points_payment": {"enabled": True, "rupiah_per_point": 200, "minimum_points": 50,
                            "maximum_share_percent": 50},
         "excluded_categories": ["cigarettes"]},
        {"stamp_cards": [{"id": "kopi", "name": "Kartu Kopi", "per": "item", "categories": ["coffee"], "card_size": 9,
                          "reward": {"kind": "free_product", "product_sku": "KOPI-SUSU"}, "expiry_days": 90}],
         "bonuses": {"signup": {"points": 20}, "birthday": {"points": 50, "window": "week"},
                     "activities": {"survey": {"points": 10, "limit": {"per": "month", "count": 1}}},
                     "referral": {"referrer_points": 50, "referred_points": 25, "minimum_spend": 50000}},
         "membership": {"mode": "free"}},
        {"tiers": {"basis": "spend", "window": "rolling_months", "window_months": 12, "review_months": 12,
                   "levels": [{"code": "silver", "name": "Silver", "threshold": 1000000},
                              {"code": "gold", "name": "Gold", "threshold": 5000000, "discount_percent": 10,
                               "earn_multiplier": "1.5"}]},
         "earn_rules": [{"id": "double-tuesday", "name": "Double points Tuesday 14:00-17:00", "kind": "multiplier",
                         "multiplier": "2", "conditions": {"days_of_week": [2], "time_from": "14:00",
                                                           "time_to": "17:00"},
                         "cap": {"per": "day", "points": 100}},
                        {"id": "cup-bonus", "name": "5 points per coffee", "kind": "product_points",
                         "points_per_unit": 5, "conditions": {"categories": ["coffee"]}}]}]})


class VoucherTermsIn(Strict):
    """What a voucher code is worth and which sales it fits (see docs/program.md, Rewards and vouchers)."""

    value_kind: Literal["fixed", "percent", "free_product"]
    amount: int = Field(default=0, ge=0, description="fixed: rupiah off")
    percent: int = Field(default=0, ge=0, le=100, description="percent: off what is left of its products")
    cap_amount: int | None = Field(default=None, ge=1)
    product_sku: str | None = Field(default=None, max_length=100, description="free_product: one unit free")
    minimum_spend: int = Field(default=0, ge=0, description="on its products, after line discounts")
    skus: list[str] = Field(default_factory=list, max_length=200, description="applies only to these SKUs…")
    categories: list[str] = Field(default_factory=list, max_length=200, description="…and these categories")


class RewardAvailability(Strict):
    """When, to whom and how often a reward can be redeemed; the same fields create and change a reward."""

    available_from: date | None = Field(default=None, description="First day it can be redeemed (merchant's time zone)")
    available_to: date | None = Field(default=None, description="Last day it can be redeemed, inclusive")
    tier_codes: list[str] | None = Field(default=None, max_length=20, description="Only members of these tiers")
    member_limit: int | None = Field(default=None, ge=1, description="Redemptions per member (per limit_period)")
    total_limit: int | None = Field(default=None, ge=1, description="Redemptions by everyone (per limit_period)")
    limit_period: Literal["lifetime", "day", "week", "month"] | None = None
    voucher: VoucherTermsIn | None = Field(default=None, description="kind=voucher: what its code is worth")
    voucher_valid_days: int | None = Field(default=None, ge=1, description="kind=voucher: days the code is valid")
    stock: int | None = Field(default=None, ge=0, description="kind=merchandise: items left; none: not counted")


class RewardIn(RewardAvailability):
    name: str = Field(max_length=200)
    kind: Literal["fixed_discount", "percent_discount", "free_product", "voucher", "merchandise"]
    points_cost: int = Field(ge=1)
    discount_amount: int = Field(default=0, ge=0)
    percent: int = Field(default=0, ge=0, le=100)
    cap_amount: int | None = Field(default=None, ge=1)
    product_sku: str | None = Field(default=None, max_length=100)

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"name": "Rp20.000 off", "kind": "fixed_discount", "points_cost": 100, "discount_amount": 20000},
        {"name": "Free drink", "kind": "free_product", "points_cost": 100, "product_sku": "KOPI-SUSU"},
        {"name": "Rp25.000 voucher", "kind": "voucher", "points_cost": 120, "member_limit": 2, "limit_period": "month",
         "voucher": {"value_kind": "fixed", "amount": 25000, "minimum_spend": 50000}, "voucher_valid_days": 30},
        {"name": "Tumbler", "kind": "merchandise", "points_cost": 500, "stock": 20, "tier_codes": ["gold"]}]})


class RewardPatch(RewardAvailability):
    """Only what is sent changes; the whole reward is validated again."""

    active: bool | None = None
    name: str | None = Field(default=None, max_length=200)
    points_cost: int | None = Field(default=None, ge=1)
    discount_amount: int | None = Field(default=None, ge=0)
    percent: int | None = Field(default=None, ge=0, le=100)
    cap_amount: int | None = Field(default=None, ge=1)
    product_sku: str | None = Field(default=None, max_length=100)

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"active": False}]})


class ActivityIn(Strict):
    type: str = Field(max_length=30, description="An activity type the program gives points for (bonuses.activities)")
    reference: str = Field(min_length=1, max_length=200,
                           description="What identifies the activity (survey answer, event, review); earns once")

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"type": "survey", "reference": "survey-2026-12/answer-8812"}]})


class ReferralIn(Strict):
    referred_by: str = Field(max_length=40, description="Member number of the member who referred this member")

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"referred_by": "10000010"}]})


# Vouchers (entrypoints/api/voucher_routes.py) -------------------------------------------------------------

class VoucherIssueIn(Strict):
    voucher: VoucherTermsIn
    max_uses: int = Field(default=1, ge=1, le=1_000_000, description="Uses in total (multi-use codes)")
    once_per_member: bool = Field(default=False, description="Each member may use the code once")
    expires_on: date | None = Field(default=None, description="Last day it can be used (merchant's time zone)")
    prefix: str = Field(default="", max_length=8, description="Letters and digits before the code: KOPI-…")

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"voucher": {"value_kind": "percent", "percent": 20, "cap_amount": 30000, "categories": ["coffee"]},
         "expires_on": "2026-12-31"}]})


class VoucherBatchIn(VoucherIssueIn):
    name: str = Field(min_length=1, max_length=200)
    count: int = Field(ge=1, le=100_000)

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"name": "Ramadan flyers", "count": 500, "prefix": "KOPI", "once_per_member": True, "max_uses": 1,
         "voucher": {"value_kind": "fixed", "amount": 10000, "minimum_spend": 50000}, "expires_on": "2026-04-30"}]})


class VoucherCheckIn(Strict):
    code: str = Field(min_length=1, max_length=60)
    member_id: str | None = None

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"code": "kopi-7q4m-xk2d-9prt", "member_id": "12"}]})
