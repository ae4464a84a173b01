"""A merchant to tell stories with: thin wrappers over the services, as a till or the API would call them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from setia.adapters.db.engine import Database
from setia.adapters.db.tables import lots, members, transfers
from setia.domain.sale import LineInput, TenderInput
from setia.queries.members import get_member
from setia.services import programs
from setia.services.context import Caller
from setia.services.members import MemberDetails, adjust_points, register_member
from setia.services.merchants import create_merchant
from setia.services.refunds import RefundRequest, refund_sale
from setia.services.sales import SaleRequest, quote_sale, record_sale

_phone_counter = iter(range(10_000_000, 99_999_999))


def new_phone() -> str:
    return f"0812{next(_phone_counter)}"


@dataclass
class Shop:
    database: Database
    merchant_id: int
    now: datetime

    @classmethod
    def open(cls, database: Database, now: datetime, name: str = "Toko Uji") -> Shop:
        with database.write() as connection:
            merchant_id = create_merchant(connection, name, now)
        return cls(database, merchant_id, now)

    @property
    def caller(self) -> Caller:
        return Caller(self.merchant_id, "test")

    def later(self, **delta: float) -> None:
        self.now = self.now + timedelta(**delta)

    def configure(self, **changes: Any) -> None:
        with self.database.write() as connection:
            programs.update_program(connection, self.merchant_id, changes, "test", self.now)

    def reward(self, **data: Any) -> str:
        with self.database.write() as connection:
            return programs.create_reward(connection, self.merchant_id, data, self.now).id

    def member(self, name: str = "Siti", phone: str | None = None) -> int:
        with self.database.write() as connection:
            return register_member(connection, self.caller, MemberDetails(name=name, phone=phone or new_phone()),
                                   self.now)

    def sell(self, member_id: int | None, *lines: tuple, **options: Any) -> dict[str, Any]:
        """lines: (name, quantity, unit_price[, sku[, category[, line_discount]]])."""
        request = _sale_request(member_id, lines, options)
        with self.database.write() as connection:
            return record_sale(connection, self.caller, request, self.now)

    def quote(self, member_id: int | None, *lines: tuple, **options: Any) -> dict[str, Any]:
        with self.database.read() as connection:
            return quote_sale(connection, self.caller, _sale_request(member_id, lines, options), self.now)

    def refund(self, sale: dict[str, Any], lines: list[tuple[int, int]] | None = None,
               void: bool = False) -> dict[str, Any]:
        """lines: (line position, quantity)."""
        ids = [(sale["lines"][position]["id"], quantity) for position, quantity in (lines or [])]
        with self.database.write() as connection:
            return refund_sale(connection, self.caller, RefundRequest(int(sale["id"]), ids, void=void), self.now)

    def adjust(self, member_id: int, points: int, reason: str = "correction") -> int:
        with self.database.write() as connection:
            return adjust_points(connection, self.caller, member_id, points, reason, self.now)

    def balance(self, member_id: int) -> int:
        with self.database.read() as connection:
            return get_member(connection, self.merchant_id, member_id, self.now)["points"]["balance"]

    def view(self, member_id: int) -> dict[str, Any]:
        with self.database.read() as connection:
            return get_member(connection, self.merchant_id, member_id, self.now)

    def debt(self, member_id: int) -> int:
        with self.database.read() as connection:
            return connection.execute(select(members.c.points_debt).where(members.c.id == member_id)).scalar_one()

    def ledger_rows(self, member_id: int) -> tuple[int, int]:
        """(transfers, lots) of the member: a refused request must leave both unchanged."""
        with self.database.read() as connection:
            return (
                connection.execute(select(func.count()).select_from(transfers)
                                   .where(transfers.c.member_id == member_id)).scalar_one(),
                connection.execute(select(func.count()).select_from(lots)
                                   .where(lots.c.member_id == member_id)).scalar_one(),
            )


def _sale_request(member_id: int | None, lines: tuple, options: dict[str, Any]) -> SaleRequest:
    line_inputs = []
    for line in lines:
        name, quantity, unit_price, *rest = line
        sku = rest[0] if len(rest) > 0 else None
        category = rest[1] if len(rest) > 1 else None
        discount = rest[2] if len(rest) > 2 else 0
        line_inputs.append(LineInput(name=name, quantity=quantity, unit_price=unit_price, sku=sku,
                                     category=category, line_discount=discount))
    tenders = [TenderInput(**tender) for tender in options.pop("tenders", [])]
    return SaleRequest(lines=line_inputs, member_id=member_id, tenders=tenders, **options)
