"""The points of a batch of imported sales: one earn transfer and one lot per sale, as record_sale makes
them, written in bulk; members with an open debt go through MemberLedger sale by sale, because their
points repay the debt first. Then what is already past its expiry day expires, as
MemberLedger.expire_due does it, and each member's cached balance moves by one atomic increment.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, select, update

from setia.adapters.db.bulk import BulkWriter, in_chunks
from setia.adapters.db.ledger_store import LedgerStore
from setia.adapters.db.tables import lot_movements, lots, members, transfers
from setia.domain import ledger
from setia.services.member_ledger import MemberLedger, Movement

if TYPE_CHECKING:  # import_batch imports this module
    from setia.services.import_batch import ImportContext, ImportRow

_DUE_LOTS = select(lots.c.id, lots.c.member_id, lots.c.remaining).where(
    lots.c.merchant_id == bindparam("merchant_id"), lots.c.member_id.in_(bindparam("keys", expanding=True)),
    lots.c.remaining > 0, lots.c.expires_on < bindparam("today")).order_by(lots.c.id)
_EXPIRE_LOT = update(lots).where(lots.c.id == bindparam("lot_key")).values(
    remaining=lots.c.remaining - bindparam("points"), expired_amount=lots.c.expired_amount + bindparam("points"))
_CHANGE_BALANCE = update(members).where(members.c.id == bindparam("member_key")).values(
    points_balance=members.c.points_balance + bindparam("points_change"),
    updated_at=bindparam("changed_at", type_=members.c.updated_at.type))


@dataclass(slots=True)
class _Earning:
    member_id: int
    sale_id: int
    points: int
    occurred_at: datetime
    earned_on: date
    expires_on: date | None


def earn_points(writer: BulkWriter, context: ImportContext, rows: list[ImportRow], sale_ids: list[int],
                debts: dict[int, int]) -> tuple[int, int]:
    """The points of the batch's new sales (`debts`: the open debt of the members found); returns the
    points earned and the points expired."""
    bulk, repaying = [], []
    for row, sale_id in zip(rows, sale_ids):
        points = row.priced.points_earned if row.member_id is not None and row.priced else 0
        if points:
            earned_on = row.occurred_at.astimezone(context.zone).date()  # the sale's own business day
            earning = _Earning(row.member_id, sale_id, points, row.occurred_at, earned_on,
                               context.program.expiry.expiry_day(earned_on))
            (repaying if debts.get(row.member_id) else bulk).append(earning)
    balance_changes: dict[int, int] = defaultdict(int)
    _earn_in_bulk(writer, context, bulk)
    for earning in bulk:
        balance_changes[earning.member_id] += earning.points
    expired = _earn_repaying_debt(writer.connection, context, repaying)
    expired += _expire_due(writer, context, {e.member_id for e in bulk + repaying}, balance_changes)
    # Atomic increments, never read-modify-write, as LedgerStore.change_balance does.
    writer.update(_CHANGE_BALANCE, [
        {"member_key": member_id, "points_change": points, "changed_at": context.now}
        for member_id, points in balance_changes.items() if points])
    return sum(e.points for e in bulk + repaying), expired


def _transfer_row(context: ImportContext, member_id: int, from_account: str, to_account: str, amount: int,
                  reason: str, occurred_at: datetime, sale_id: int | None = None,
                  program_version: int | None = None) -> dict[str, Any]:
    return {"merchant_id": context.merchant_id, "member_id": member_id, "from_account": from_account,
            "to_account": to_account, "amount": amount, "reason": reason, "sale_id": sale_id, "refund_id": None,
            "note": None, "actor": context.caller.actor, "program_version": program_version,
            "occurred_at": occurred_at, "created_at": context.now}


def _earn_in_bulk(writer: BulkWriter, context: ImportContext, earnings: list[_Earning]) -> None:
    if not earnings:
        return
    # One earn transfer and one lot per sale, all new: the sale id finds them again.
    transfer_ids = writer.insert_returning_ids(transfers, [
        _transfer_row(context, e.member_id, ledger.ISSUANCE, "member", e.points, ledger.EARN, e.occurred_at,
                      sale_id=e.sale_id, program_version=context.program.version) for e in earnings],
        transfers.c.sale_id, transfers.c.reason == ledger.EARN)
    lot_ids = writer.insert_returning_ids(lots, [
        {"merchant_id": context.merchant_id, "member_id": e.member_id, "transfer_id": transfer_ids[e.sale_id],
         "sale_id": e.sale_id, "amount": e.points, "remaining": e.points, "expired_amount": 0,
         "earned_on": e.earned_on, "expires_on": e.expires_on, "created_at": context.now} for e in earnings],
        lots.c.sale_id)
    writer.insert(lot_movements, [
        {"merchant_id": context.merchant_id, "lot_id": lot_ids[e.sale_id], "transfer_id": transfer_ids[e.sale_id],
         "delta": e.points, "kind": "earn"} for e in earnings])


def _earn_repaying_debt(connection: Connection, context: ImportContext, earnings: list[_Earning]) -> int:
    """Members with an open debt, through MemberLedger sale by sale; returns the points it expired."""
    store = LedgerStore(connection, context.merchant_id, context.now)
    opened: dict[int, MemberLedger] = {}
    expired = 0
    for earning in earnings:
        if earning.member_id not in opened:
            opened[earning.member_id] = MemberLedger.open(store, earning.member_id, context.today,
                                                          context.caller.actor)
            expired += opened[earning.member_id].expired_on_open
        movement = Movement(actor=context.caller.actor, occurred_at=earning.occurred_at, sale_id=earning.sale_id,
                            program_version=context.program.version)
        opened[earning.member_id].credit(movement, earning.points, ledger.ISSUANCE, ledger.EARN, earning.earned_on,
                                         earning.expires_on)
    return expired


def _expire_due(writer: BulkWriter, context: ImportContext, member_ids: set[int],
                balance_changes: dict[int, int]) -> int:
    """MemberLedger.expire_due for many members at once: one expire transfer per member for all their
    lots past their last day, the ones just imported included. Returns the points expired."""
    due_by_member: dict[int, list[Any]] = defaultdict(list)
    for chunk in in_chunks(sorted(member_ids)):
        parameters = {"merchant_id": context.merchant_id, "keys": chunk, "today": context.today}
        for lot in writer.connection.execute(_DUE_LOTS, parameters).all():
            due_by_member[lot.member_id].append(lot)
    if not due_by_member:
        return 0
    totals = {member_id: sum(lot.remaining for lot in due) for member_id, due in due_by_member.items()}
    transfer_ids = writer.insert_returning_ids(transfers, [
        _transfer_row(context, member_id, "member", ledger.EXPIRY, points, ledger.EXPIRE, context.now)
        for member_id, points in totals.items()], transfers.c.member_id, transfers.c.reason == ledger.EXPIRE)
    due_lots = [(lot, transfer_ids[member_id]) for member_id, due in due_by_member.items() for lot in due]
    writer.update(_EXPIRE_LOT, [{"lot_key": lot.id, "points": lot.remaining} for lot, _ in due_lots])
    writer.insert(lot_movements, [
        {"merchant_id": context.merchant_id, "lot_id": lot.id, "transfer_id": transfer_id, "delta": -lot.remaining,
         "kind": "expire"} for lot, transfer_id in due_lots])
    for member_id, points in totals.items():
        balance_changes[member_id] -= points
    return sum(totals.values())
