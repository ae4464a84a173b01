"""Recording and quoting sales: price them, spend and earn points, all in one transaction."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, select

from setia.adapters.db.ledger_store import LedgerStore
from setia.adapters.db.locks import lock_sale_external_id
from setia.adapters.db.tables import sale_lines, sale_rewards, sale_tenders, sales
from setia.domain import ledger
from setia.domain.errors import DuplicateSale, NotFound, ValidationFailed
from setia.domain.program import Program
from setia.domain.sale import CardDiscount, EarnCircumstances, LineInput, PricedSale, TenderInput, price_sale
from setia.services.context import Caller, as_utc, business_date
from setia.services import tiers
from setia.services.earn_circumstances import (
    earn_circumstances,
    member_tier_code,
    record_capped_usage,
)
from setia.services.member_ledger import MemberLedger, Movement
from setia.services.merchants import outlet_belongs
from setia.services.programs import load_program_for_sale
from setia.services import sale_vouchers
from setia.services import sale_effects
from setia.queries.members import resolve_member_id
from setia.services.identifiers import check_member_number, normalize_phone
from setia.queries.sales import get_sale, sale_document, upcoming_expiries


CLOCK_SKEW = timedelta(minutes=5)  # a till's clock may run a little ahead of the server's


# The statements every sale runs, built once: building a Core statement costs more than executing it.
_SALE_BY_EXTERNAL_ID = select(sales.c.id, sales.c.request_hash).where(
    sales.c.merchant_id == bindparam("merchant_id"), sales.c.external_id == bindparam("external_id"))
_INSERT_SALE = sales.insert().returning(sales.c.id)
_INSERT_LINES = sale_lines.insert().returning(sale_lines.c.id, sort_by_parameter_order=True)
_INSERT_LINES_PLAIN = sale_lines.insert()
_LINE_IDS = select(sale_lines.c.id).where(sale_lines.c.sale_id == bindparam("sale_id")).order_by(sale_lines.c.position)
_INSERT_REWARDS = sale_rewards.insert()
_INSERT_TENDERS = sale_tenders.insert()


@dataclass
class SaleRequest:
    lines: list[LineInput]
    member_id: int | None = None
    member_number: str | None = None
    member_phone: str | None = None
    external_id: str | None = None
    occurred_at: datetime | None = None
    outlet_id: int | None = None
    order_discount: int = 0
    reward_ids: list[str] = field(default_factory=list)
    tenders: list[TenderInput] = field(default_factory=list)
    expected_total: int | None = None
    voucher_codes: list[str] = field(default_factory=list)  # applied after the point rewards, in this order
    stamp_card_ids: list[str] = field(default_factory=list)  # full stamp cards whose reward this sale redeems

    def fingerprint(self) -> str:
        """A hash of what the sale says, to tell a retry from a different sale with the same external_id."""
        body = json.dumps(
            {"lines": [line.__dict__ for line in self.lines], "member_id": self.member_id,
             "occurred_at": self.occurred_at.isoformat() if self.occurred_at else None, "outlet_id": self.outlet_id,
             "order_discount": self.order_discount, "reward_ids": self.reward_ids,
             "tenders": [tender.__dict__ for tender in self.tenders],
             **({"voucher_codes": self.voucher_codes} if self.voucher_codes else {}),
             **({"stamp_card_ids": self.stamp_card_ids} if self.stamp_card_ids else {})},
            sort_keys=True,
        )
        return hashlib.sha256(body.encode()).hexdigest()


def _resolve_member(connection: Connection, caller: Caller, request: SaleRequest) -> None:
    request.member_id = resolve_member_id(connection, caller.merchant_id, request.member_id, request.member_number,
                                          request.member_phone)
    request.member_number = request.member_phone = None


def _lock_member(store: LedgerStore, request: SaleRequest):  # type: ignore[no-untyped-def]
    """As `_resolve_member`, and the member's balance row, locked (PostgreSQL): one query instead of two."""
    if request.member_id is not None:
        key, value = "id", request.member_id
    elif request.member_number:
        key, value = "member_number", check_member_number(request.member_number)
    elif request.member_phone:
        key, value = "phone", normalize_phone(request.member_phone)
    else:
        request.member_number = request.member_phone = None
        return None
    row = store.member_by(key, value, lock=True)
    if row is None:
        raise NotFound("Member not found.")
    request.member_id = row.id
    request.member_number = request.member_phone = None
    return row


def _price(program: Program, request: SaleRequest, has_member: bool, vouchers: list | None = None,
           circumstances: EarnCircumstances | None = None,
           card_discounts: list[CardDiscount] | None = None) -> PricedSale:
    if not has_member and (request.reward_ids or any(t.kind == "points" for t in request.tenders)):
        raise ValidationFailed("Rewards and points payment need a member.", field="member_id")
    rewards = [program.reward(reward_id) for reward_id in request.reward_ids]
    tier = program.tiers.tier(circumstances.tier) if circumstances else None
    return price_sale(program, request.lines, order_discount=request.order_discount, rewards=rewards,
                      tenders=request.tenders, member_earns=has_member, expected_total=request.expected_total,
                      vouchers=vouchers, tier_discount_percent=tier.discount_percent if tier else 0,
                      earn=circumstances, card_discounts=card_discounts)


def quote_sale(connection: Connection, caller: Caller, request: SaleRequest, now: datetime) -> dict[str, Any]:
    """What the sale would be, without writing anything: for the cashier screen."""
    program, timezone_name = load_program_for_sale(connection, caller.merchant_id)
    today = business_date(now, timezone_name)
    _resolve_member(connection, caller, request)
    member_ledger = None
    if request.member_id is not None:
        member_ledger = MemberLedger.peek(LedgerStore(connection, caller.merchant_id, now), request.member_id, today)
    vouchers = sale_vouchers.prepare(connection, caller, program, request.member_id,
                                     request.reward_ids if request.member_id is not None else [],
                                     request.voucher_codes, today)
    tier_code = member_tier_code(connection, request.member_id) if request.member_id is not None else None
    circumstances = earn_circumstances(connection, program, timezone_name, request, now, tier_code)
    priced = sale_effects.price_with_effects(connection, caller, program, request, lambda priced_request, card_discounts: _price(
        program, priced_request, member_ledger is not None, vouchers, circumstances, card_discounts))
    balance_after = None
    if member_ledger is not None:
        ledger.check_can_redeem(member_ledger.debt, priced.points_spent)
        ledger.plan_draw([lot.as_lot() for lot in member_ledger.lots.values()], priced.points_spent, today)
        balance_after = member_ledger.spendable - priced.points_spent + priced.points_earned
    rows = sale_rows(priced, request, program, caller, now, member_id=request.member_id)
    rows["sale"]["vouchers"] = sale_vouchers.quoted(priced)
    document = sale_document(rows["sale"], rows["lines"], rows["rewards"], rows["tenders"],
                             balance_after=balance_after,
                             expiring=upcoming_expiries(member_ledger.lots.values(), today) if member_ledger else [])
    document.update(sale_effects.preview_sale_effects(connection, caller, request, priced, program))
    return document


def record_sale(connection: Connection, caller: Caller, request: SaleRequest, now: datetime) -> dict[str, Any]:
    """Record a sale with its loyalty effects; a retry with the same external_id returns the first answer."""
    store = LedgerStore(connection, caller.merchant_id, now)
    member_row = _lock_member(store, request)
    fingerprint = request.fingerprint()
    if request.external_id and member_row is None:  # a member's sale is serialised by the member's lock
        lock_sale_external_id(connection, caller.merchant_id, request.external_id)
    if request.external_id:
        existing = connection.execute(_SALE_BY_EXTERNAL_ID, {"merchant_id": caller.merchant_id,
                                                             "external_id": request.external_id}).first()
        if existing is not None:
            if existing.request_hash != fingerprint:
                raise DuplicateSale("A different sale with this external_id exists.", sale_id=str(existing.id))
            return get_sale(connection, caller.merchant_id, existing.id, now)
    if request.outlet_id is not None and not outlet_belongs(connection, caller.merchant_id, request.outlet_id):
        raise NotFound("Outlet not found.", outlet_id=str(request.outlet_id))
    program, timezone_name = load_program_for_sale(connection, caller.merchant_id)
    today = business_date(now, timezone_name)
    occurred_at = as_utc(request.occurred_at) if request.occurred_at else now
    if occurred_at > now + CLOCK_SKEW:
        raise ValidationFailed("A sale can't happen in the future.", field="occurred_at")
    member_ledger = None
    if request.member_id is not None:
        member_ledger = MemberLedger.open(store, request.member_id, today, caller.actor, row=member_row)
    vouchers = sale_vouchers.prepare(connection, caller, program, request.member_id,
                                     request.reward_ids if request.member_id is not None else [],
                                     request.voucher_codes, today)
    circumstances = earn_circumstances(connection, program, timezone_name, request, occurred_at,
                                       member_row.tier_code if member_row is not None else None)
    priced = sale_effects.price_with_effects(connection, caller, program, request, lambda priced_request, card_discounts: _price(
        program, priced_request, member_ledger is not None, vouchers, circumstances, card_discounts))
    if member_ledger is not None:
        ledger.check_can_redeem(member_ledger.debt, priced.points_spent)
    rows = sale_rows(priced, request, program, caller, now, member_id=request.member_id, occurred_at=occurred_at,
                 fingerprint=fingerprint)
    sale_id = connection.execute(_INSERT_SALE, rows["sale"]).scalar_one()
    rows["sale"]["id"] = sale_id
    for key in ("lines", "rewards", "tenders"):
        for row in rows[key]:
            row["sale_id"] = sale_id
    if connection.dialect.name == "sqlite" and len(rows["lines"]) > 1:
        # SQLite can't promise RETURNING's order for a multi-row insert, so SQLAlchemy would insert line by line;
        # one executemany and one read of the ids (by position) costs two statements for any basket.
        connection.execute(_INSERT_LINES_PLAIN, rows["lines"])
        line_ids = connection.execute(_LINE_IDS, {"sale_id": sale_id}).scalars().all()
    else:
        line_ids = connection.execute(_INSERT_LINES, rows["lines"]).scalars().all()
    for row, line_id in zip(rows["lines"], line_ids):
        row["id"] = line_id  # refunds name lines by id
    for statement, key in ((_INSERT_REWARDS, "rewards"), (_INSERT_TENDERS, "tenders")):
        if rows[key]:
            connection.execute(statement, rows[key])
    rows["sale"]["vouchers"] = sale_vouchers.record(connection, caller, sale_id, request.member_id, priced,
                                                   business_date(occurred_at, timezone_name), now)
    balance_after, expiring = None, []
    effects: dict[str, Any] = {}
    if member_ledger is not None:
        movement = Movement(actor=caller.actor, occurred_at=occurred_at, sale_id=sale_id,
                            program_version=program.version)
        reward_points = sum(applied.reward.points_cost for applied in priced.rewards)
        if reward_points:
            member_ledger.debit(movement, reward_points, ledger.REDEMPTION, ledger.REDEEM_REWARD)
        if priced.points_tender_points:
            member_ledger.debit(movement, priced.points_tender_points, ledger.REDEMPTION, ledger.PAY_WITH_POINTS)
        if priced.points_earned:
            earned_on = business_date(occurred_at, timezone_name)
            member_ledger.credit(movement, priced.points_earned, ledger.ISSUANCE, ledger.EARN, earned_on,
                                 program.expiry.expiry_day(earned_on))
            if occurred_at < now:  # history: the points may already be past their day
                member_ledger.expire_due(Movement(actor=caller.actor, occurred_at=now))
        record_capped_usage(connection, caller.merchant_id, request.member_id, sale_id, program, priced,
                            business_date(occurred_at, timezone_name))
        effects = sale_effects.apply_sale_effects(connection, caller, sale_id, request, priced, member_ledger,
                                                  occurred_at, today, program)
        balance_after = member_ledger.balance
        expiring = upcoming_expiries(member_ledger.lots.values(), today)
        rows["sale"]["tier"] = tiers.after_sale(connection, caller, program.tiers, timezone_name, request.member_id,
                                                sale_id, occurred_at, now, member_row=member_row)
    return {**sale_document(rows["sale"], rows["lines"], rows["rewards"], rows["tenders"],
                            balance_after=balance_after, expiring=expiring), **effects}


def sale_rows(priced: PricedSale, request: SaleRequest, program: Program, caller: Caller, now: datetime,
          member_id: int | None, occurred_at: datetime | None = None, fingerprint: str = "") -> dict[str, Any]:
    """The rows a sale is stored as; the answer to the caller is built from the same rows."""
    merchant_id = caller.merchant_id
    sale = {
        "merchant_id": merchant_id, "outlet_id": request.outlet_id, "member_id": member_id,
        "external_id": request.external_id or f"setia-{uuid.uuid4().hex}", "request_hash": fingerprint,
        "occurred_at": occurred_at or now, "subtotal": priced.subtotal, "order_discount": priced.order_discount,
        "tier_discount": priced.tier_discount, "reward_discount": priced.reward_discount_total,
        "total_due": priced.total_due, "amount_tendered": priced.amount_tendered, "change_due": priced.change_due,
        "points_tender_points": priced.points_tender_points, "points_tender_value": priced.points_tender_value,
        "earn_base": priced.earn_base, "points_earned": priced.points_earned, "points_spent": priced.points_spent,
        "earn_breakdown": [c.__dict__ for c in priced.contributions], "program_version": program.version,
        "refunded_value": 0, "money_refunded": 0, "points_returned": 0, "points_taken_back": 0,
        "points_forgiven": 0, "points_let_go": 0, "status": "completed", "actor": caller.actor, "created_at": now,
    }
    lines = [
        {"merchant_id": merchant_id, "position": index, "product_id": p.line.product_id, "sku": p.line.sku,
         "name": p.line.name, "category": p.line.category, "quantity": p.line.quantity,
         "unit_price": p.line.unit_price, "line_discount": p.line.line_discount,
         "reward_discount": p.reward_discount, "order_level_share": p.order_level_share,
         "net_amount": p.net_amount, "earn_base": p.earn_base, "refunded_quantity": 0}
        for index, p in enumerate(priced.lines)
    ]
    rewards = [{"merchant_id": merchant_id, "reward_id": int(a.reward.id), "points_cost": a.reward.points_cost,
                "discount_amount": a.discount_amount, "name": a.reward.name} for a in priced.rewards]
    tenders = [{"merchant_id": merchant_id, "kind": t.kind, "amount": t.amount, "points": t.points,
                "reference": t.reference} for t in priced.tenders]
    return {"sale": sale, "lines": lines, "rewards": rewards, "tenders": tenders}
