"""Request bodies of the JSON API, with examples for the OpenAPI docs. Money and points are integers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

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

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"name": "Siti Rahayu", "phone": "0812-3456-7890", "email": "siti@example.com", "birthday": "1990-08-17",
         "consents": {"whatsapp": True, "sms": False, "email": True}}]})


class MemberPatch(Strict):
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    birthday: date | None = None
    consents: ConsentsIn = ConsentsIn()


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
    "member_number": "10000016",
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

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"spend_rule": {"step_amount": 15000, "points_per_step": 1},
         "expiry": {"kind": "months", "length": 12},
         "points_payment": {"enabled": True, "rupiah_per_point": 200, "minimum_points": 50,
                            "maximum_share_percent": 50},
         "excluded_categories": ["cigarettes"]}]})


class RewardIn(Strict):
    name: str = Field(max_length=200)
    kind: Literal["fixed_discount", "percent_discount", "free_product"]
    points_cost: int = Field(ge=1)
    discount_amount: int = Field(default=0, ge=0)
    percent: int = Field(default=0, ge=0, le=100)
    cap_amount: int | None = Field(default=None, ge=1)
    product_sku: str | None = Field(default=None, max_length=100)

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"name": "Rp20.000 off", "kind": "fixed_discount", "points_cost": 100, "discount_amount": 20000},
        {"name": "Free drink", "kind": "free_product", "points_cost": 100, "product_sku": "KOPI-SUSU"}]})


class RewardPatch(Strict):
    active: bool
