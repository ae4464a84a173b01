"""Moving one member's points: credit, debit, refund return and take-back, expiry.

Every movement is one transfer between the member's account and a system account, the lots it touches,
and an atomic change of the cached balance, all in the caller's transaction. Load the member with
`MemberLedger.open`, which locks the member and expires what is past its day first, so a lot is never
spent after its expiry day whether or not the expiry job has run.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from setia.adapters.db.ledger_store import LedgerStore, LotRow, Movement, TransferRecord

__all__ = ["MemberLedger", "Movement"]  # services take Movement from here, beside the ledger that uses it
from setia.domain import ledger
from setia.domain.errors import NotFound


class MemberLedger:
    def __init__(self, store: LedgerStore, member_id: int, balance: int, debt: int, today: date) -> None:
        self.store = store
        self.member_id = member_id
        self.balance = balance
        self.debt = debt
        self.today = today
        self._lots: dict[int, LotRow] | None = None
        self.expired_on_open = 0

    @classmethod
    def open(cls, store: LedgerStore, member_id: int, today: date, actor: str, row=None) -> MemberLedger:  # type: ignore[no-untyped-def]
        """`row`: the member's balance row if the caller already read it with `lock=True` in this transaction."""
        row = row if row is not None else store.member(member_id, lock=True)
        if row is None:
            raise NotFound("Member not found.", member_id=str(member_id))
        member_ledger = cls(store, member_id, row.points_balance, row.points_debt, today)
        member_ledger.expired_on_open = member_ledger.expire_due(Movement(actor=actor, occurred_at=store.now))
        return member_ledger

    @classmethod
    def peek(cls, store: LedgerStore, member_id: int, today: date) -> MemberLedger:
        """The member's points without locking or expiring anything: for quotes."""
        row = store.member(member_id)
        if row is None:
            raise NotFound("Member not found.", member_id=str(member_id))
        return cls(store, member_id, row.points_balance, row.points_debt, today)

    @property
    def lots(self) -> dict[int, LotRow]:
        if self._lots is None:
            self._lots = {lot.id: lot for lot in self.store.open_lots(self.member_id)}
        return self._lots

    @property
    def spendable(self) -> int:
        return ledger.spendable_points([lot.as_lot() for lot in self.lots.values()], self.today) - self.debt

    def _transfer(self, movement: Movement, from_account: str, to_account: str, amount: int, reason: str) -> int:
        return self.store.insert_transfer(
            TransferRecord(
                member_id=self.member_id, from_account=from_account, to_account=to_account, amount=amount,
                reason=reason, movement=movement,
            )
        )

    def _move(self, transfer_id: int, kind: str, changes: list[tuple[int, int]]) -> None:
        self.store.move_lots(transfer_id, kind, changes)
        for lot_id, delta in changes:
            lot = self.lots.get(lot_id)
            if lot is None:  # a closed lot being refilled by a refund
                continue
            lot.remaining += delta
            if kind == "expire":
                lot.expired_amount -= delta

    def expire_due(self, movement: Movement) -> int:
        """Expire every lot whose last day is before today; returns the points expired."""
        due = [(lot.id, -lot.remaining) for lot in self.lots.values()
               if lot.remaining and lot.expires_on is not None and lot.expires_on < self.today]
        points = -sum(delta for _, delta in due)
        if points:
            transfer_id = self._transfer(movement, "member", ledger.EXPIRY, points, ledger.EXPIRE)
            self._move(transfer_id, "expire", due)
            self.store.change_balance(self.member_id, -points)
            self.balance -= points
        return points

    def credit(self, movement: Movement, amount: int, from_account: str, reason: str,
               earned_on: date, expires_on: date | None) -> int:
        """Points in: an open debt is repaid first, the rest becomes a lot with its expiry."""
        transfer_id = self._transfer(movement, from_account, "member", amount, reason)
        repaid = ledger.debt_repayment(self.debt, amount)
        if amount > repaid:
            lot_id = self.store.insert_lot(self.member_id, transfer_id, movement.sale_id, amount - repaid,
                                           earned_on, expires_on)
            self.lots[lot_id] = LotRow(lot_id, amount - repaid, amount - repaid, 0, expires_on, movement.sale_id)
        self.store.change_balance(self.member_id, amount, -repaid)
        self.balance += amount
        self.debt -= repaid
        return transfer_id

    def debit(self, movement: Movement, amount: int, to_account: str, reason: str) -> int:
        """Points out for a redemption: never with a debt open, never below zero."""
        ledger.check_can_redeem(self.debt, amount)
        draws = ledger.plan_draw([lot.as_lot() for lot in self.lots.values()], amount, self.today)
        transfer_id = self._transfer(movement, "member", to_account, amount, reason)
        self._move(transfer_id, "spend", [(lot_id, -points) for lot_id, points in draws])
        self.store.change_balance(self.member_id, -amount)
        self.balance -= amount
        return transfer_id

    def return_spent(self, movement: Movement, sale_id: int, already_returned: int, points: int) -> None:
        """Give back `points` a sale spent, to the lots they came from, last drawn first.

        Points returned to a lot whose expiry day has passed expire at once; the others repay an open debt
        first.
        """
        if points == 0:
            return
        transfer_id = self._transfer(movement, ledger.REDEMPTION, "member", points, ledger.REFUND_RETURN)
        draws = self.store.spend_draws_of_sale(sale_id)
        refills = ledger.returned_draws(draws, already_returned, points)
        expiry_days = self.store.expiry_days([lot_id for lot_id, _ in refills]) if self.debt else {}
        spendable = {lot_id for lot_id, day in expiry_days.items() if day is None or day >= self.today}
        repaid, refills = ledger.repay_from_returns(refills, spendable, self.debt)
        self._move(transfer_id, "return", refills)
        self.store.change_balance(self.member_id, points, -repaid)
        self.balance += points
        self.debt -= repaid
        if any(lot_id not in self.lots for lot_id, _ in refills):
            self._lots = None  # refilled closed lots: reload, then expire what is past its day
        self.expire_due(replace(movement, sale_id=None, refund_id=None))

    def take_back(self, movement: Movement, sale_id: int, points: int, forgivable: int,
                  clamp_at_zero: bool) -> tuple[int, int, int]:
        """Take back `points` a sale earned; returns (points taken, expired part not taken, points let go).

        The already-expired part of the sale's lots counts first and is not taken back; then what remains
        of the sale's own lots; then the member's other lots, soonest-expiring first; what they can't
        cover becomes a debt (or, with the clamp setting, is let go).
        """
        forgiven = min(points, forgivable)
        wanted = points - forgiven
        if wanted == 0:
            return 0, forgiven, 0
        own = [lot.as_lot() for lot in self.lots.values() if lot.sale_id == sale_id]
        others = sorted((lot for lot in (row.as_lot() for row in self.lots.values() if row.sale_id != sale_id)
                         if lot.spendable_on(self.today)), key=ledger.spend_order)
        draws = ledger.draw_up_to(sorted(own, key=ledger.spend_order) + others, wanted)
        covered = sum(taken for _, taken in draws)
        new_debt = wanted - covered
        let_go = 0
        if clamp_at_zero:
            let_go, wanted, new_debt = new_debt, covered, 0
        if wanted == 0:
            return 0, forgiven, let_go
        transfer_id = self._transfer(movement, "member", ledger.ISSUANCE, wanted, ledger.REFUND_TAKE_BACK)
        self._move(transfer_id, "take_back", [(lot_id, -taken) for lot_id, taken in draws])
        self.store.change_balance(self.member_id, -wanted, new_debt)
        self.balance -= wanted
        self.debt += new_debt
        return wanted, forgiven, let_go
