"""One batch of imported sales, one transaction: find or register members, write the sales, earn points.

The rows written are the ones `record_sale` writes for a sale that only earns (the sale, its line, its
tender here; the points in import_points), inserted in bulk rather than sale by sale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, or_, select, update

from setia.adapters.db.bulk import BulkWriter, in_chunks
from setia.adapters.db.tables import members, merchants, sale_lines, sale_tenders, sales
from setia.domain.errors import NotFound, SetiaError, ValidationFailed
from setia.domain.program import Program
from setia.domain.sale import LineInput, PricedSale, price_sale
from setia.services.context import Caller, as_utc
from setia.services.identifiers import member_number_for
from setia.services.import_points import earn_points
from setia.services.sales import SaleRequest
from setia.services.sales import sale_rows  # the very rows record_sale writes

NEW_MEMBER = -1  # stands for a member this batch registers

# Built once; the lists of an IN go to the driver as they are (expanding parameters).
_SALES_BY_EXTERNAL_ID = select(sales.c.id, sales.c.external_id, sales.c.request_hash).where(
    sales.c.merchant_id == bindparam("merchant_id"), sales.c.external_id.in_(bindparam("keys", expanding=True)))
_MEMBERS_BY_PHONE_OR_NUMBER = select(members.c.id, members.c.phone, members.c.member_number,
                                     members.c.points_debt).where(
    members.c.merchant_id == bindparam("merchant_id"),
    or_(members.c.phone.in_(bindparam("phones", expanding=True)),
        members.c.member_number.in_(bindparam("numbers", expanding=True))))
_LOCK_MEMBERS = (select(members.c.id, members.c.points_debt).where(members.c.id.in_(bindparam("keys", expanding=True)))
                 .order_by(members.c.id).with_for_update())


@dataclass
class ImportSummary:
    imported: int = 0
    skipped: int = 0  # already imported by an earlier run
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, message)
    points: int = 0  # earned by the imported sales
    points_expired: int = 0  # expired during the import: imported points already past their day, mostly
    members_created: int = 0

    def add(self, other: ImportSummary) -> None:
        self.imported += other.imported
        self.skipped += other.skipped
        self.errors.extend(other.errors)
        self.points += other.points
        self.points_expired += other.points_expired
        self.members_created += other.members_created


@dataclass(slots=True)
class ImportRow:
    line_number: int
    external_id: str
    occurred_at: datetime  # as written, with its offset (the merchant's zone when none was given)
    total: int
    phone: str | None  # E.164
    member_number: str | None
    member_name: str | None
    outlet_id: int | None
    description: str
    member_id: int | None = None
    priced: PricedSale | None = None
    template: dict[str, Any] | None = None  # the rows of a sale of this total, see ImportContext.sale_template

    def request(self) -> SaleRequest:
        """The sale as the API would have received it; its fingerprint tells a re-run from a different sale
        (the instant in UTC, so that writing the same time another way changes nothing)."""
        line = LineInput(name=self.description, quantity=1, unit_price=self.total)
        return SaleRequest(lines=[line], member_id=self.member_id, external_id=self.external_id,
                           occurred_at=as_utc(self.occurred_at), outlet_id=self.outlet_id)


@dataclass(frozen=True)
class ImportContext:
    """What every batch of one import shares."""

    merchant_id: int
    zone: ZoneInfo
    program: Program
    outlet_ids: frozenset[int]
    caller: Caller
    now: datetime
    today: date
    templates: dict[tuple[int, bool], tuple[PricedSale, dict[str, Any]]] = field(default_factory=dict)

    def sale_template(self, total: int, member_earns: bool) -> tuple[PricedSale, dict[str, Any]]:
        """A one-line sale of `total` priced by the domain as record_sale prices it, and the rows record_sale
        stores for it. Both depend on the total alone (and on whether a member earns), so they are made
        once per total; the fields that differ from row to row are set by _insert_sales."""
        key = (total, member_earns)
        if key not in self.templates:
            request = SaleRequest(lines=[LineInput(name="", quantity=1, unit_price=total)])
            priced = price_sale(self.program, request.lines, member_earns=member_earns)
            self.templates[key] = priced, sale_rows(priced, request, self.program, self.caller, self.now,
                                                    member_id=None)
        return self.templates[key]


def import_batch(connection: Connection, context: ImportContext, rows: list[ImportRow]) -> ImportSummary:
    """Import checked rows; a row that can't be imported is reported and changes nothing."""
    result = ImportSummary()
    writer = BulkWriter(connection)
    existing = _existing_sales(connection, context.merchant_id, [row.external_id for row in rows])
    members_found = _MembersFound.load(connection, context.merchant_id, rows)
    new_rows, registrations = [], {}  # phone -> name on the first row naming them
    for row in rows:
        try:
            row.member_id = members_found.member_of(row)
            if row.external_id in existing:
                _check_same_sale(row, existing[row.external_id])
                result.skipped += 1
                continue
        except SetiaError as error:
            result.errors.append((row.line_number, error.message))
            continue
        row.priced, row.template = context.sale_template(row.total, member_earns=row.member_id is not None)
        if row.member_id == NEW_MEMBER:
            registrations.setdefault(row.phone, row.member_name)
        new_rows.append(row)
    if new_rows:
        new_ids = _register_members(writer, context, registrations)
        for row in new_rows:
            if row.member_id == NEW_MEMBER:
                row.member_id = new_ids[row.phone]
        sale_ids = _insert_sales(writer, context, new_rows)
        result.points, result.points_expired = earn_points(writer, context, new_rows, sale_ids, members_found.debt)
        result.imported, result.members_created = len(new_rows), len(new_ids)
    return result


def _existing_sales(connection: Connection, merchant_id: int, external_ids: list[str]) -> dict[str, Any]:
    return {row.external_id: row for chunk in in_chunks(external_ids)
            for row in connection.execute(_SALES_BY_EXTERNAL_ID, {"merchant_id": merchant_id, "keys": chunk})}


def _check_same_sale(row: ImportRow, existing: Any) -> None:
    if row.member_id == NEW_MEMBER or row.request().fingerprint() != existing.request_hash:
        raise ValidationFailed(f"A different sale with external_id '{row.external_id}' was already recorded "
                               f"(sale {existing.id}).", field="external_id")


@dataclass
class _MembersFound:
    """The batch's members, found by phone and by member number in bulk, with their open debt."""

    by_phone: dict[str, int]
    by_number: dict[str, int]
    debt: dict[int, int]

    @classmethod
    def load(cls, connection: Connection, merchant_id: int, rows: list[ImportRow]) -> _MembersFound:
        keys = [("phone", row.phone) for row in rows if row.phone] + \
               [("number", row.member_number) for row in rows if row.member_number]
        found = cls({}, {}, {})
        for chunk in in_chunks(dict.fromkeys(keys)):
            for row in connection.execute(_MEMBERS_BY_PHONE_OR_NUMBER, {
                    "merchant_id": merchant_id, "phones": [value for kind, value in chunk if kind == "phone"],
                    "numbers": [value for kind, value in chunk if kind == "number"]}).all():
                found.by_phone[row.phone] = found.by_number[row.member_number] = row.id
                found.debt[row.id] = row.points_debt
        if connection.dialect.name == "postgresql":
            # Lock them in id order (the fixed lock order) and read the debt again under the lock.
            for chunk in in_chunks(sorted(found.debt)):
                found.debt.update(connection.execute(_LOCK_MEMBERS, {"keys": chunk}).all())
        return found

    def member_of(self, row: ImportRow) -> int | None:
        """The row's member id, NEW_MEMBER to register one, or None for a sale without a member."""
        by_phone = self.by_phone.get(row.phone) if row.phone else None
        if row.member_number:
            member_id = self.by_number.get(row.member_number)
            if member_id is None:
                raise NotFound(f"No member with number {row.member_number}.", field="member_number")
            if by_phone is not None and by_phone != member_id:
                raise ValidationFailed(f"member_number {row.member_number} and member_phone {row.phone} are "
                                       f"two different members.", field="member_phone")
            return member_id
        if row.phone and by_phone is None:
            if not row.member_name:
                raise NotFound(f"No member with phone {row.phone}; give member_name to register them.",
                               field="member_phone")
            return NEW_MEMBER
        return by_phone


def _register_members(writer: BulkWriter, context: ImportContext, names: dict[str, str]) -> dict[str, int]:
    """Register the batch's new members at once; their numbers follow the merchant's sequence."""
    if not names:
        return {}
    last = writer.connection.execute(
        update(merchants).where(merchants.c.id == context.merchant_id)
        .values(member_sequence=merchants.c.member_sequence + len(names)).returning(merchants.c.member_sequence)
    ).scalar_one()
    rows = [{"merchant_id": context.merchant_id, "member_number": member_number_for(last - len(names) + index),
             "name": name, "phone": phone, "points_balance": 0, "points_debt": 0, "created_at": context.now,
             "updated_at": context.now} for index, (phone, name) in enumerate(names.items(), start=1)]
    return writer.insert_returning_ids(members, rows, members.c.phone, members.c.merchant_id == context.merchant_id)


def _insert_sales(writer: BulkWriter, context: ImportContext, rows: list[ImportRow]) -> list[int]:
    sale_rows_to_insert = [
        {**row.template["sale"], "outlet_id": row.outlet_id, "member_id": row.member_id,
         "external_id": row.external_id, "request_hash": row.request().fingerprint(),
         "occurred_at": row.occurred_at}
        for row in rows
    ]
    ids = writer.insert_returning_ids(sales, sale_rows_to_insert, sales.c.external_id,
                                      sales.c.merchant_id == context.merchant_id)
    sale_ids = [ids[row.external_id] for row in rows]
    writer.insert(sale_lines, [{**line, "name": row.description, "sale_id": sale_id}
                               for row, sale_id in zip(rows, sale_ids) for line in row.template["lines"]])
    writer.insert(sale_tenders, [{**tender, "sale_id": sale_id}
                                 for row, sale_id in zip(rows, sale_ids) for tender in row.template["tenders"]])
    return sale_ids
