"""Recent sales, receipts (print page and ESC/POS), refunds and voids with the loyalty reversal shown first."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from setia.adapters.db.engine import Database
from setia.adapters.print.escpos_printer import PrinterUnavailable
from setia.domain.errors import NotFound, SetiaError
from setia.domain.staff import REFUND
from setia.entrypoints.web.deps import Posted, posted, signed_in
from setia.entrypoints.web.forms import error_field, error_message
from setia.entrypoints.web.i18n import translations
from setia.entrypoints.web.pages import WebRoute, redirect, render
from setia.entrypoints.web.receipt_text import receipt_lines
from setia.entrypoints.web.security import WebSession
from setia.queries.refunds import preview_refund
from setia.queries.register import receipt, recent_sales
from setia.services.context import utc_now
from setia.services.printing import print_receipt
from setia.services.register import RegisterRefund, refund_at_register

router = APIRouter(route_class=WebRoute)


def _database(request: Request) -> Database:
    return request.app.state.database


def _sale_id(value: str) -> int:
    """Sale ids in URLs; anything that isn't one of ours is simply not found."""
    if not value.isdigit() or len(value) > 18:
        raise NotFound("Sale not found.")
    return int(value)


@router.get("/pos/sales")
def sales_list(request: Request, session: WebSession = Depends(signed_in)) -> Response:
    with _database(request).read() as connection:
        rows = recent_sales(connection, session.staff.merchant_id)
    return render(request, "sales.html", session, sales=rows)


@router.get("/pos/sales/{sale_id}/receipt")
def receipt_page(request: Request, sale_id: str, paper: int = 0, new: int = 0,
                 session: WebSession = Depends(signed_in)) -> Response:
    with _database(request).read() as connection:
        document = receipt(connection, session.staff.merchant_id, _sale_id(sale_id), utc_now())
    paper = paper if paper in (58, 80) else 80
    return render(request, "receipt.html", session, receipt=document, sale=document["sale"], paper=paper, new=new)


@router.post("/pos/sales/{sale_id}/print")
def print_page(request: Request, sale_id: str, post: Posted = Depends(posted)) -> Response:
    session = post.session
    gettext = translations(session.language).gettext
    try:
        with _database(request).read() as connection:
            sent = print_receipt(connection, session.staff, _sale_id(sale_id),
                                 lambda document, width: receipt_lines(document, width, session.language),
                                 utc_now())
        message, ok = gettext("Sent to the printer at %(host)s.") % sent, True
    except PrinterUnavailable:
        message, ok = gettext("The printer did not answer. Check that it is on and try again."), False
    except SetiaError as error:
        message, ok = error_message(error, gettext), False
    return render(request, "_print_result.html", session, message=message, ok=ok,
                  status_code=200 if ok else 422)


def _refund_request(sale_id: int, post: Posted) -> RegisterRefund:
    lines = []
    for key, value in post.form.multi_items():
        if key.startswith("qty_") and str(value).strip() not in ("", "0"):
            text = str(value).strip()
            lines.append((key[4:], int(text) if text.isdigit() else -1))
    return RegisterRefund(sale_id=sale_id, lines=lines, reason=post.text("reason"),
                          void=post.text("void") == "1", approver_username=post.text("approver_username"),
                          approver_password=str(post.form.get("approver_password") or ""))


@router.get("/pos/sales/{sale_id}/refund")
def refund_form(request: Request, sale_id: str, session: WebSession = Depends(signed_in)) -> Response:
    session.staff.require(REFUND)
    with _database(request).read() as connection:
        document = receipt(connection, session.staff.merchant_id, _sale_id(sale_id), utc_now())
    return render(request, "refund.html", session, receipt=document, sale=document["sale"], errors={}, values={})


@router.post("/pos/sales/{sale_id}/refund/preview")
def refund_preview(request: Request, sale_id: str, post: Posted = Depends(posted)) -> Response:
    """What the refund would do, shown before confirming; writes nothing."""
    session = post.session
    session.staff.require(REFUND)
    refund = _refund_request(_sale_id(sale_id), post)
    gettext = translations(session.language).gettext
    if not refund.lines and not refund.void:
        return render(request, "_refund_preview.html", session, preview=None, errors={})
    try:
        with _database(request).read() as connection:
            preview = preview_refund(connection, session.staff.merchant_id, refund.sale_id,
                                     [] if refund.void else refund.lines, utc_now())
        return render(request, "_refund_preview.html", session, preview=preview, errors={})
    except SetiaError as error:
        return render(request, "_refund_preview.html", session, preview=None,
                      errors={error_field(error): error_message(error, gettext)})


@router.post("/pos/sales/{sale_id}/refund")
def refund_confirm(request: Request, sale_id: str, post: Posted = Depends(posted)) -> Response:
    session = post.session
    refund = _refund_request(_sale_id(sale_id), post)
    gettext = translations(session.language).gettext
    try:
        with _database(request).write() as connection:
            refund_at_register(connection, session.staff, refund, utc_now())
    except SetiaError as error:
        if error.code == "forbidden" and not refund.approver_username:
            raise
        with _database(request).read() as connection:
            document = receipt(connection, session.staff.merchant_id, refund.sale_id, utc_now())
        field = error_field(error)
        if field.startswith("lines["):
            field = "lines"
        return render(request, "refund.html", session, status_code=403 if error.code == "forbidden" else 422,
                      receipt=document, sale=document["sale"], errors={field: error_message(error, gettext)},
                      values={"reason": refund.reason, "approver_username": refund.approver_username,
                              "quantities": dict(refund.lines)})
    return redirect(request, f"/pos/sales/{refund.sale_id}/receipt")
