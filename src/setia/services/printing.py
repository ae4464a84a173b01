"""Receipt printers per outlet, and sending a receipt to one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from setia.adapters.db.tables import outlet_settings, outlets, sales
from setia.adapters.print.escpos_printer import PrintLine, render, send
from setia.domain.errors import NotFound, ValidationFailed
from setia.domain.staff import MANAGE_STOCK, StaffMember
from setia.queries.register import printer_for, receipt

PAPER_WIDTHS = (58, 80)


def set_printer(connection: Connection, staff: StaffMember, outlet_id: int, host: str, port: str | int,
                paper_width_mm: str | int, footer: str = "") -> None:
    """Where an outlet's receipt printer listens (raw TCP, usually port 9100) and its paper width."""
    staff.require(MANAGE_STOCK)
    if connection.execute(select(outlets.c.id).where(outlets.c.id == outlet_id,
                                                     outlets.c.merchant_id == staff.merchant_id)).first() is None:
        raise NotFound("Outlet not found.")
    host = (host or "").strip()
    if host and (len(host) > 200 or any(ch.isspace() for ch in host)):
        raise ValidationFailed("Enter the printer's IP address or host name.", field="printer_host")
    port_text = str(port or "9100").strip()
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValidationFailed("A port is a number from 1 to 65535.", field="printer_port")
    if str(paper_width_mm) not in ("58", "80"):
        raise ValidationFailed("Paper is 58 or 80 mm wide.", field="paper_width_mm")
    values = {"printer_host": host or None, "printer_port": int(port_text), "paper_width_mm": int(paper_width_mm),
              "receipt_footer": (footer or "").strip() or None}
    exists = connection.execute(select(outlet_settings.c.outlet_id)
                                .where(outlet_settings.c.outlet_id == outlet_id)).first()
    if exists:
        connection.execute(update(outlet_settings).where(outlet_settings.c.outlet_id == outlet_id).values(**values))
    else:
        connection.execute(outlet_settings.insert(), {"merchant_id": staff.merchant_id, "outlet_id": outlet_id,
                                                      **values})


def print_receipt(connection: Connection, staff: StaffMember, sale_id: int,
                  lines_for: Callable[[dict[str, Any], int], list[PrintLine]], now: datetime) -> dict[str, Any]:
    """Send the sale's receipt to its outlet's printer; `lines_for(receipt, width)` lays it out."""
    outlet_id = connection.execute(select(sales.c.outlet_id).where(
        sales.c.id == sale_id, sales.c.merchant_id == staff.merchant_id)).scalar()
    printer = printer_for(connection, staff.merchant_id, outlet_id or staff.outlet_id)
    if not printer or not printer["printer_host"]:
        raise ValidationFailed("No receipt printer is set for this outlet.", field="printer_host")
    document = receipt(connection, staff.merchant_id, sale_id, now)
    member = document["member"]
    data = render(lines_for(document, printer["paper_width_mm"]), barcode=member["member_number"] if member else None)
    send(printer["printer_host"], printer["printer_port"], data)
    return {"host": printer["printer_host"], "port": printer["printer_port"], "bytes": len(data)}
