"""Ledger persistence: transfers, lots and their movements, member balances. Core SQL, no rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, bindparam, literal_column, select, update

from setia.adapters.db.tables import lot_movements, lots, members, transfers
from setia.domain.ledger import Lot


@dataclass(frozen=True)
class Movement:
    """Who, when and why: the parts of a transfer that don't change within one operation."""

    actor: str
    occurred_at: datetime
    sale_id: int | None = None
    refund_id: int | None = None
    note: str | None = None
    program_version: int | None = None


@dataclass
class TransferRecord:
    member_id: int
    from_account: str
    to_account: str
    amount: int
    reason: str
    movement: Movement


@dataclass
class LotRow:
    id: int
    amount: int
    remaining: int
    expired_amount: int
    expires_on: date | None
    sale_id: int | None

    def as_lot(self) -> Lot:
        return Lot(self.id, self.remaining, self.expires_on)


class LedgerStore:
    def __init__(self, connection: Connection, merchant_id: int, now: datetime) -> None:
        self.connection = connection
        self.merchant_id = merchant_id
        self.now = now

    def member(self, member_id: int, lock: bool = False):  # type: ignore[no-untyped-def]
        """The member's balance row; with `lock`, locked for this transaction (PostgreSQL; SQLite
        serialises writers already)."""
        query = _MEMBER_FOR_UPDATE if lock and self.connection.dialect.name == "postgresql" else _MEMBER
        return self.connection.execute(query, {"member_id": member_id, "merchant_id": self.merchant_id}).one_or_none()

    def member_by(self, key: str, value: object, lock: bool = False):  # type: ignore[no-untyped-def]
        """The balance row of the member whose `key` ("id", "member_number" or "phone") is `value`, as `member`
        gives it: resolving and locking the member a sale names in one query."""
        query = _MEMBER_BY[key][lock and self.connection.dialect.name == "postgresql"]
        return self.connection.execute(query, {"value": value, "merchant_id": self.merchant_id}).one_or_none()

    def open_lots(self, member_id: int) -> list[LotRow]:
        rows = self.connection.execute(_OPEN_LOTS, {"member_id": member_id}).all()
        return [LotRow(*row) for row in rows]

    def lots_of_sale(self, sale_id: int) -> list[LotRow]:
        rows = self.connection.execute(
            select(lots.c.id, lots.c.amount, lots.c.remaining, lots.c.expired_amount, lots.c.expires_on,
                   lots.c.sale_id)
            .where(lots.c.sale_id == sale_id, lots.c.merchant_id == self.merchant_id)
            .order_by(lots.c.id)
        ).all()
        return [LotRow(*row) for row in rows]

    def expiry_days(self, lot_ids: list[int]) -> dict[int, date | None]:
        """The last day of each lot, closed ones included."""
        if not lot_ids:
            return {}
        rows = self.connection.execute(select(lots.c.id, lots.c.expires_on)
                                       .where(lots.c.id.in_(lot_ids), lots.c.merchant_id == self.merchant_id)).all()
        return dict(rows)

    def spend_draws_of_sale(self, sale_id: int) -> list[tuple[int, int]]:
        """(lot id, points) the sale's spends drew, in the order drawn."""
        rows = self.connection.execute(
            select(lot_movements.c.lot_id, lot_movements.c.delta)
            .join(transfers, transfers.c.id == lot_movements.c.transfer_id)
            .where(transfers.c.sale_id == sale_id, transfers.c.refund_id.is_(None),
                   lot_movements.c.kind == "spend")
            .order_by(lot_movements.c.id)
        ).all()
        return [(lot_id, -delta) for lot_id, delta in rows]

    def insert_transfer(self, record: TransferRecord) -> int:
        return self.connection.execute(
            _INSERT_TRANSFER,
            {
                "merchant_id": self.merchant_id,
                "member_id": record.member_id,
                "from_account": record.from_account,
                "to_account": record.to_account,
                "amount": record.amount,
                "reason": record.reason,
                "sale_id": record.movement.sale_id,
                "refund_id": record.movement.refund_id,
                "note": record.movement.note,
                "actor": record.movement.actor,
                "program_version": record.movement.program_version,
                "occurred_at": record.movement.occurred_at,
                "created_at": self.now,
            },
        ).scalar_one()

    def insert_lot(self, member_id: int, transfer_id: int, sale_id: int | None, amount: int,
                   earned_on: date, expires_on: date | None) -> int:
        lot_id = self.connection.execute(
            _INSERT_LOT,
            {
                "merchant_id": self.merchant_id,
                "member_id": member_id,
                "transfer_id": transfer_id,
                "sale_id": sale_id,
                "amount": amount,
                "remaining": amount,
                "expired_amount": 0,
                "earned_on": earned_on,
                "expires_on": expires_on,
                "created_at": self.now,
            },
        ).scalar_one()
        self.connection.execute(
            _INSERT_MOVEMENT,
            {"merchant_id": self.merchant_id, "lot_id": lot_id, "transfer_id": transfer_id, "delta": amount,
             "kind": "earn"},
        )
        return lot_id

    def move_lots(self, transfer_id: int, kind: str, changes: list[tuple[int, int]]) -> None:
        """Apply signed changes (lot id, delta) to lots' remaining points and record each movement."""
        if not changes:
            return
        self.connection.execute(
            _EXPIRE_LOTS if kind == "expire" else _MOVE_LOTS,
            [{"lot_id": lot_id, "delta": delta} for lot_id, delta in changes],
        )
        self.connection.execute(
            _INSERT_MOVEMENT,
            [
                {"merchant_id": self.merchant_id, "lot_id": lot_id, "transfer_id": transfer_id, "delta": delta,
                 "kind": kind}
                for lot_id, delta in changes
            ],
        )

    def change_balance(self, member_id: int, balance_delta: int, debt_delta: int = 0) -> None:
        # Atomic increments, never read-modify-write; the CHECK constraints are the backstop.
        self.connection.execute(_CHANGE_BALANCE, {"member_id": member_id, "balance_delta": balance_delta,
                                                  "debt_delta": debt_delta, "now": self.now})


# The hot path's statements, built once: building a Core statement costs more than executing it.
_MEMBER = select(members.c.id, members.c.points_balance, members.c.points_debt).where(
    members.c.id == bindparam("member_id"), members.c.merchant_id == bindparam("merchant_id"))
_MEMBER_FOR_UPDATE = _MEMBER.with_for_update()
_MEMBER_BY = {
    key: (query, query.with_for_update())
    for key, query in (
        (column.key, select(members.c.id, members.c.points_balance, members.c.points_debt,
                            members.c.tier_code, members.c.tier_floor).where(
            column == bindparam("value"), members.c.merchant_id == bindparam("merchant_id")))
        for column in (members.c.id, members.c.member_number, members.c.phone))
}
_OPEN_LOTS = (
    select(lots.c.id, lots.c.amount, lots.c.remaining, lots.c.expired_amount, lots.c.expires_on, lots.c.sale_id)
    .where(lots.c.member_id == bindparam("member_id"), lots.c.remaining > literal_column("0"))  # the partial index
    .order_by(lots.c.id)
)
_INSERT_TRANSFER = transfers.insert().returning(transfers.c.id)
_INSERT_LOT = lots.insert().returning(lots.c.id)
_INSERT_MOVEMENT = lot_movements.insert()
_MOVE_LOTS = update(lots).where(lots.c.id == bindparam("lot_id")).values(
    remaining=lots.c.remaining + bindparam("delta"))
_EXPIRE_LOTS = update(lots).where(lots.c.id == bindparam("lot_id")).values(
    remaining=lots.c.remaining + bindparam("delta"), expired_amount=lots.c.expired_amount - bindparam("delta"))
_CHANGE_BALANCE = (
    update(members)
    .where(members.c.id == bindparam("member_id"))
    .values(points_balance=members.c.points_balance + bindparam("balance_delta"),
            points_debt=members.c.points_debt + bindparam("debt_delta"),
            updated_at=bindparam("now", type_=members.c.updated_at.type))
)
