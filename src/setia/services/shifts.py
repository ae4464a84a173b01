"""Cashier shifts: opened with a cash float, closed with the counted cash against what is expected."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select, update

from setia.adapters.db.tables import outlets, shifts
from setia.domain.errors import Conflict, NotFound, ValidationFailed
from setia.domain.staff import VIEW_REPORTS, StaffMember

MAX_CASH = 10**12


def parse_rupiah(value: str | int | None, field_name: str, required: bool = True) -> int:
    """Rupiah as cashiers type it: '150000', '150.000', 'Rp150.000'."""
    text = str(value if value is not None else "").strip().replace("Rp", "").replace(".", "").replace(" ", "")
    if not text:
        if required:
            raise ValidationFailed("Enter an amount in rupiah.", field=field_name)
        return 0
    if not text.isdigit() or int(text) > MAX_CASH:
        raise ValidationFailed("Enter an amount in rupiah, like 150000.", field=field_name)
    return int(text)


def outlet_for(connection: Connection, staff: StaffMember) -> int:
    """The staff member's outlet; an owner without one works at the merchant's first outlet."""
    if staff.outlet_id is not None:
        return staff.outlet_id
    return connection.execute(select(outlets.c.id).where(outlets.c.merchant_id == staff.merchant_id)
                              .order_by(outlets.c.id).limit(1)).scalar_one()


def current_shift(connection: Connection, staff: StaffMember) -> int | None:
    return connection.execute(select(shifts.c.id).where(
        shifts.c.staff_id == staff.id, shifts.c.merchant_id == staff.merchant_id,
        shifts.c.closed_at.is_(None))).scalar()


def require_open_shift(connection: Connection, staff: StaffMember) -> int:
    shift_id = current_shift(connection, staff)
    if shift_id is None:
        raise Conflict("Open a shift first.", field="shift")
    return shift_id


def open_shift(connection: Connection, staff: StaffMember, opening_cash: str | int, now: datetime) -> int:
    """Start a shift with the cash float in the drawer; one open shift per person."""
    amount = parse_rupiah(opening_cash, "opening_cash")
    if current_shift(connection, staff) is not None:
        raise Conflict("You already have an open shift.", field="opening_cash")
    return connection.execute(shifts.insert().returning(shifts.c.id), {
        "merchant_id": staff.merchant_id, "outlet_id": outlet_for(connection, staff), "staff_id": staff.id,
        "opening_cash": amount, "opened_at": now}).scalar_one()


def close_shift(connection: Connection, staff: StaffMember, shift_id: int, counted_cash: str | int,
                note: str, now: datetime) -> dict:
    """Close the shift with the cash counted in the drawer; the report says what was expected."""
    from setia.queries.shifts import shift_report

    counted = parse_rupiah(counted_cash, "counted_cash")
    row = connection.execute(select(shifts).where(shifts.c.id == shift_id,
                                                  shifts.c.merchant_id == staff.merchant_id)).first()
    if row is None:
        raise NotFound("Shift not found.")
    if row.staff_id != staff.id:
        staff.require(VIEW_REPORTS)  # a manager may close a cashier's shift
    if row.closed_at is not None:
        raise Conflict("This shift is closed already.", field="counted_cash")
    report = shift_report(connection, staff.merchant_id, shift_id, now)
    connection.execute(update(shifts).where(shifts.c.id == shift_id).values(
        closed_at=now, expected_cash=report["expected_cash"], counted_cash=counted,
        note=(note or "").strip() or None))
    return shift_report(connection, staff.merchant_id, shift_id, now)
