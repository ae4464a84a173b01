"""The back office: staff (owner), products and CSV import, stock counts, printers, point adjustments,
reports (manager and owner). Every form checks the role on the server and shows errors by its field."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from setia.adapters.db.engine import Database
from setia.domain.errors import SetiaError, ValidationFailed
from setia.domain.staff import ADJUST_POINTS, MANAGE_CATALOGUE, MANAGE_STAFF, MANAGE_STOCK, VIEW_REPORTS
from setia.entrypoints.web.deps import Posted, posted, signed_in
from setia.entrypoints.web.forms import error_field, error_message
from setia.entrypoints.web.i18n import translations
from setia.entrypoints.web.pages import WebRoute, redirect, render
from setia.entrypoints.web.security import WebSession
from setia.queries.catalogue import product_list, stock_list
from setia.queries.register import member_panel, printer_for, staff_list
from setia.queries.shifts import recent_shifts
from setia.services.catalogue import ProductDetails, create_product, import_products_csv
from setia.services.context import Caller, utc_now
from setia.services.members import adjust_points
from setia.services.merchants import list_outlets
from setia.services.printing import set_printer
from setia.services.shifts import outlet_for
from setia.services.staff import create_staff
from setia.services.stock import count_stock

router = APIRouter(route_class=WebRoute)


def _database(request: Request) -> Database:
    return request.app.state.database


def _form_error(session: WebSession, error: SetiaError) -> dict[str, str]:
    if error.code == "forbidden":
        raise error
    return {error_field(error): error_message(error, translations(session.language).gettext)}


# Staff -----------------------------------------------------------------------------------------------------
def _staff_page(request: Request, session: WebSession, status_code: int = 200, **context: Any) -> Response:
    with _database(request).read() as connection:
        rows = staff_list(connection, session.staff.merchant_id)
        outlets = list_outlets(connection, session.staff.merchant_id)
    return render(request, "admin_staff.html", session, status_code=status_code, people=rows, outlets=outlets,
                  errors=context.pop("errors", {}), values=context.pop("values", {}), **context)


@router.get("/admin/staff")
def staff_page(request: Request, session: WebSession = Depends(signed_in)) -> Response:
    session.staff.require(MANAGE_STAFF)
    return _staff_page(request, session)


@router.post("/admin/staff")
def staff_create(request: Request, post: Posted = Depends(posted)) -> Response:
    session = post.session
    session.staff.require(MANAGE_STAFF)
    values = {name: post.text(name) for name in ("username", "name", "role", "outlet_id")}
    try:
        with _database(request).write() as connection:
            create_staff(connection, session.staff.merchant_id, values["username"], values["name"], values["role"],
                         str(post.form.get("password") or ""), utc_now(),
                         outlet_id=int(values["outlet_id"]) if values["outlet_id"].isdigit() else None)
    except SetiaError as error:
        return _staff_page(request, session, 422, errors=_form_error(session, error), values=values)
    return redirect(request, "/admin/staff")


# Products --------------------------------------------------------------------------------------------------
def _products_page(request: Request, session: WebSession, status_code: int = 200, **context: Any) -> Response:
    with _database(request).read() as connection:
        rows = product_list(connection, session.staff.merchant_id)
    return render(request, "admin_products.html", session, status_code=status_code, products=rows,
                  errors=context.pop("errors", {}), values=context.pop("values", {}), **context)


@router.get("/admin/products")
def products_page(request: Request, session: WebSession = Depends(signed_in)) -> Response:
    session.staff.require(MANAGE_CATALOGUE)
    return _products_page(request, session)


@router.post("/admin/products")
def product_create(request: Request, post: Posted = Depends(posted)) -> Response:
    session = post.session
    session.staff.require(MANAGE_CATALOGUE)
    values = {name: post.text(name) for name in ("sku", "name", "price", "category", "barcode", "reorder_level")}
    details = ProductDetails(sku=values["sku"], name=values["name"], price=values["price"],
                             category=values["category"], barcode=values["barcode"],
                             track_stock=bool(post.form.get("track_stock")), reorder_level=values["reorder_level"] or 0)
    try:
        with _database(request).write() as connection:
            create_product(connection, session.staff.merchant_id, details, utc_now())
    except SetiaError as error:
        return _products_page(request, session, 422, errors=_form_error(session, error), values=values)
    return redirect(request, "/admin/products")


@router.post("/admin/products/import")
async def product_import(request: Request, post: Posted = Depends(posted)) -> Response:
    session = post.session
    session.staff.require(MANAGE_CATALOGUE)
    upload = post.form.get("file")
    if not isinstance(upload, UploadFile) and not hasattr(upload, "read"):
        return _products_page(request, session, 422, errors={"file": translations(session.language).gettext(
            "Choose a CSV file.")})
    text = (await upload.read()).decode("utf-8-sig", errors="replace")  # type: ignore[union-attr]

    def run():  # type: ignore[no-untyped-def]
        with _database(request).write() as connection:
            return import_products_csv(connection, session.staff.merchant_id, text, utc_now())

    try:
        summary = await run_in_threadpool(run)
    except SetiaError as error:
        return _products_page(request, session, 422, errors=_form_error(session, error))
    return _products_page(request, session, import_summary=summary)


# Stock -----------------------------------------------------------------------------------------------------
def _stock_page(request: Request, session: WebSession, status_code: int = 200, **context: Any) -> Response:
    low_only = request.query_params.get("low") == "1"
    with _database(request).read() as connection:
        outlet_id = outlet_for(connection, session.staff)
        rows = stock_list(connection, session.staff.merchant_id, outlet_id, low_only=low_only)
        printer = printer_for(connection, session.staff.merchant_id, outlet_id) or {}
    return render(request, "admin_stock.html", session, status_code=status_code, rows=rows, low_only=low_only,
                  outlet_id=outlet_id, printer=printer, errors=context.pop("errors", {}),
                  values=context.pop("values", {}), **context)


@router.get("/admin/stock")
def stock_page(request: Request, session: WebSession = Depends(signed_in)) -> Response:
    session.staff.require(MANAGE_STOCK)
    return _stock_page(request, session)


@router.post("/admin/stock/count")
def stock_count(request: Request, post: Posted = Depends(posted)) -> Response:
    session = post.session
    session.staff.require(MANAGE_STOCK)
    values = {name: post.text(name) for name in ("product_id", "counted", "reason")}
    try:
        with _database(request).write() as connection:
            count_stock(connection, session.staff.merchant_id, outlet_for(connection, session.staff),
                        int(values["product_id"]) if values["product_id"].isdigit() else 0, values["counted"],
                        values["reason"], session.staff.actor, utc_now())
    except SetiaError as error:
        return _stock_page(request, session, 422, errors=_form_error(session, error), values=values)
    return redirect(request, "/admin/stock")


@router.post("/admin/printer")
def printer_settings(request: Request, post: Posted = Depends(posted)) -> Response:
    session = post.session
    values = {name: post.text(name) for name in ("printer_host", "printer_port", "paper_width_mm", "footer")}
    try:
        with _database(request).write() as connection:
            set_printer(connection, session.staff, outlet_for(connection, session.staff), values["printer_host"],
                        values["printer_port"], values["paper_width_mm"], values["footer"])
    except SetiaError as error:
        return _stock_page(request, session, 422, errors=_form_error(session, error), values=values)
    return redirect(request, "/admin/stock")


# Members: manual adjustment (manager) ---------------------------------------------------------------------
@router.get("/pos/members/{member_id}/adjust")
def adjust_page(request: Request, member_id: int, session: WebSession = Depends(signed_in)) -> Response:
    session.staff.require(ADJUST_POINTS)
    with _database(request).read() as connection:
        member = member_panel(connection, session.staff.merchant_id, member_id, utc_now())
    return render(request, "adjust.html", session, member=member, errors={}, values={})


@router.post("/pos/members/{member_id}/adjust")
def adjust(request: Request, member_id: int, post: Posted = Depends(posted)) -> Response:
    session = post.session
    session.staff.require(ADJUST_POINTS)
    values = {name: post.text(name) for name in ("points", "reason")}
    try:
        text = values["points"].replace(" ", "")
        if not text.lstrip("+-").isdigit():
            raise ValidationFailed("Enter whole points, like 50 or -20.", field="points")
        with _database(request).write() as connection:
            adjust_points(connection, Caller(session.staff.merchant_id, session.staff.actor), member_id, int(text),
                          values["reason"], utc_now())
    except SetiaError as error:
        with _database(request).read() as connection:
            member = member_panel(connection, session.staff.merchant_id, member_id, utc_now())
        return render(request, "adjust.html", session, status_code=422, member=member,
                      errors=_form_error(session, error), values=values)
    return redirect(request, f"/pos/members/{member_id}/adjust")


# Reports ---------------------------------------------------------------------------------------------------
@router.get("/admin/reports")
def reports(request: Request, session: WebSession = Depends(signed_in)) -> Response:
    session.staff.require(VIEW_REPORTS)
    with _database(request).read() as connection:
        shifts = recent_shifts(connection, session.staff.merchant_id)
        low = stock_list(connection, session.staff.merchant_id, outlet_for(connection, session.staff), low_only=True)
    return render(request, "reports.html", session, shifts=shifts, low=low)
