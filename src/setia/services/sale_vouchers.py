"""What a sale does with the catalogue's terms and with voucher codes, in the sale's own transaction.

Before pricing: the point rewards named must be available to this member today (dates, tier), and each
voucher code must be usable by this customer (else `voucher_invalid`, rate limited). After the sale row is
written: the rewards count against their limits and each voucher use is taken — `uses = uses + 1 WHERE
uses < max_uses`, and a once-per-member use is a row under a unique (voucher, member) key — so two tills can't
both use the last use. A refund of the whole sale gives the uses and the limits back; a partial refund keeps
them (the voucher's discount is already shared among the lines, so each refunded line returns only what was
paid for it).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from setia.adapters.db.tables import merchants, rewards, sale_rewards, sales, voucher_uses, vouchers
from setia.domain.catalogue import check_available, period_key
from setia.domain.errors import ValidationFailed, VoucherInvalid
from setia.domain.program import Program
from setia.domain.sale import PricedSale
from setia.domain.vouchers import Voucher, code_key
from setia.services.context import Caller, business_date
from setia.services.reward_catalogue import member_tier_code, release_usage, take_usage
from setia.services.vouchers import as_domain, find_usable

MAX_VOUCHERS_PER_SALE = 10


def prepare(connection: Connection, caller: Caller, program: Program, member_id: int | None,
            reward_ids: list[str], voucher_codes: list[str], today: date) -> list[Voucher]:
    """Check the sale's point rewards against their terms; find its vouchers (in the order given)."""
    if reward_ids:
        tier_code = member_tier_code(connection, caller.merchant_id, member_id)
        for reward_id in reward_ids:
            check_available(program.reward(reward_id), today, tier_code)
    if not voucher_codes:
        return []
    if len(voucher_codes) > MAX_VOUCHERS_PER_SALE:
        raise ValidationFailed(f"A sale takes at most {MAX_VOUCHERS_PER_SALE} vouchers.", field="voucher_codes")
    keys = [code_key(code) for code in voucher_codes]
    if len(set(keys)) != len(keys):
        raise ValidationFailed("Each voucher code is given once.", field="voucher_codes")
    return [as_domain(find_usable(connection, caller, code, member_id, today)) for code in voucher_codes]


def _insert_use(connection: Connection):  # type: ignore[no-untyped-def]
    return (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(voucher_uses)


def record(connection: Connection, caller: Caller, sale_id: int, member_id: int | None, priced: PricedSale,
           sale_day: date, now: datetime) -> list[dict[str, Any]]:
    """Take the sale's reward limits and voucher uses; returns the vouchers applied, as the sale shows them.

    Rows are taken in a fixed order (reward counters by reward id, then vouchers by id), so concurrent sales
    and refunds wait for each other instead of deadlocking.
    """
    if member_id is not None:
        for applied in sorted(priced.rewards, key=lambda applied: int(applied.reward.id)):
            take_usage(connection, caller.merchant_id, applied.reward, member_id, sale_day)
    once_per_member = {}
    for voucher_id in sorted({int(applied.voucher.id) for applied in priced.vouchers}):
        taken = connection.execute(update(vouchers).where(
            vouchers.c.id == voucher_id, vouchers.c.status == "active", vouchers.c.uses < vouchers.c.max_uses)
            .values(uses=vouchers.c.uses + 1).returning(vouchers.c.once_per_member)).first()
        if taken is None:  # another till took the last use since the lookup
            raise VoucherInvalid()
        once_per_member[voucher_id] = taken.once_per_member
    shown = []
    for applied in priced.vouchers:  # in the order applied: the sale lists them so
        voucher_id = int(applied.voucher.id)
        row = {"merchant_id": caller.merchant_id, "voucher_id": voucher_id, "sale_id": sale_id,
               "member_id": member_id, "member_key": member_id if once_per_member[voucher_id] else None,
               "code": applied.voucher.code, "discount_amount": applied.discount_amount, "created_at": now,
               "released_at": None}
        inserted = connection.execute(_insert_use(connection).values(**row).on_conflict_do_nothing(
            index_elements=[voucher_uses.c.voucher_id, voucher_uses.c.member_key]).returning(voucher_uses.c.id)
        ).first()
        if inserted is None:  # this member's one use is already taken
            raise VoucherInvalid()
        shown.append(applied_document(applied.voucher.code, applied.discount_amount))
    return shown


def applied_document(code: str, discount_amount: int) -> dict[str, Any]:
    return {"code": code, "discount_amount": discount_amount}


def quoted(priced: PricedSale) -> list[dict[str, Any]]:
    return [applied_document(applied.voucher.code, applied.discount_amount) for applied in priced.vouchers]


def release(connection: Connection, merchant_id: int, sale_id: int, now: datetime) -> None:
    """The whole sale was refunded: its rewards' limits and its voucher uses are given back.

    In the order a sale takes them (reward counters, then vouchers), so a refund and a sale never deadlock.
    """
    sale = connection.execute(select(sales.c.member_id, sales.c.occurred_at, merchants.c.timezone)
                              .join(merchants, merchants.c.id == sales.c.merchant_id)
                              .where(sales.c.id == sale_id, sales.c.merchant_id == merchant_id)).one()
    if sale.member_id is not None:
        sale_day = business_date(sale.occurred_at, sale.timezone)
        for reward_row in connection.execute(
                select(rewards.c.id, rewards.c.limit_period)
                .join(sale_rewards, sale_rewards.c.reward_id == rewards.c.id)
                .where(sale_rewards.c.sale_id == sale_id).order_by(rewards.c.id)).all():
            release_usage(connection, reward_row.id, sale.member_id,
                          period_key(reward_row.limit_period or "lifetime", sale_day))
    uses = connection.execute(select(voucher_uses.c.id, voucher_uses.c.voucher_id).where(
        voucher_uses.c.sale_id == sale_id, voucher_uses.c.released_at.is_(None)).order_by(voucher_uses.c.voucher_id)
    ).all()
    for use in uses:
        connection.execute(update(vouchers).where(vouchers.c.id == use.voucher_id, vouchers.c.uses > 0)
                           .values(uses=vouchers.c.uses - 1))
        connection.execute(update(voucher_uses).where(voucher_uses.c.id == use.id)
                           .values(released_at=now, member_key=None))
