"""The shift: the live report, closing with the counted cash, and the printable report."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from setia.adapters.db.engine import Database
from setia.domain.errors import SetiaError
from setia.domain.staff import VIEW_REPORTS
from setia.entrypoints.web.deps import Posted, posted, signed_in
from setia.entrypoints.web.forms import error_field, error_message
from setia.entrypoints.web.i18n import translations
from setia.entrypoints.web.pages import WebRoute, redirect, render
from setia.entrypoints.web.security import WebSession
from setia.queries.shifts import shift_report
from setia.services.context import utc_now
from setia.services.shifts import close_shift, current_shift

router = APIRouter(route_class=WebRoute)


def _database(request: Request) -> Database:
    return request.app.state.database


@router.get("/pos/shift")
def shift_page(request: Request, session: WebSession = Depends(signed_in)) -> Response:
    with _database(request).read() as connection:
        shift_id = current_shift(connection, session.staff)
        if shift_id is None:
            return render(request, "shift_open.html", session)
        report = shift_report(connection, session.staff.merchant_id, shift_id, utc_now())
    return render(request, "shift.html", session, report=report, errors={}, closing=True)


@router.post("/pos/shift/{shift_id}/close")
def shift_close(request: Request, shift_id: int, post: Posted = Depends(posted)) -> Response:
    session = post.session
    try:
        with _database(request).write() as connection:
            close_shift(connection, session.staff, shift_id, post.text("counted_cash"), post.text("note"), utc_now())
    except SetiaError as error:
        if error.code == "forbidden":
            raise
        with _database(request).read() as connection:
            report = shift_report(connection, session.staff.merchant_id, shift_id, utc_now())
        gettext = translations(session.language).gettext
        return render(request, "shift.html", session, status_code=422, report=report, closing=True,
                      errors={error_field(error): error_message(error, gettext)}, counted=post.text("counted_cash"))
    return redirect(request, f"/pos/shifts/{shift_id}")


@router.get("/pos/shifts/{shift_id}")
def shift_report_page(request: Request, shift_id: int, session: WebSession = Depends(signed_in)) -> Response:
    with _database(request).read() as connection:
        report = shift_report(connection, session.staff.merchant_id, shift_id, utc_now())
    if report["staff_id"] != session.staff.id:  # a cashier sees their own shifts; managers see every shift
        session.staff.require(VIEW_REPORTS)
    return render(request, "shift.html", session, report=report, errors={}, closing=False)
