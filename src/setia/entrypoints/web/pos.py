"""The register screen: the cart lives in the page's form; every change posts it here, the server applies
the change, prices the cart with the quote service and answers with the screen (htmx swaps it in)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from setia.adapters.db.engine import Database
from setia.domain.errors import Conflict, SetiaError, ValidationFailed
from setia.domain.staff import OVERRIDE_PRICE, SELL
from setia.entrypoints.web.deps import Posted, posted, signed_in
from setia.entrypoints.web.forms import cart_from_form, error_field, error_message
from setia.entrypoints.web.i18n import translations
from setia.entrypoints.web.pages import WebRoute, redirect, render
from setia.entrypoints.web.security import WebSession
from setia.entrypoints.web.register_ops import apply_op
from setia.queries.catalogue import product_grid, products_by_id, search_products
from setia.queries.register import member_panel
from setia.services.context import utc_now
from setia.services.register import Cart, finish_sale, quote_cart
from setia.services.shifts import current_shift, open_shift

router = APIRouter(route_class=WebRoute)


def _database(request: Request) -> Database:
    return request.app.state.database


@router.get("/pos")
def register_page(request: Request, session: WebSession = Depends(signed_in)) -> Response:
    session.staff.require(SELL)
    with _database(request).read() as connection:
        if current_shift(connection, session.staff) is None:
            return render(request, "shift_open.html", session)
        grid = product_grid(connection, session.staff.merchant_id)
    context = _screen(request, session, Cart(external_id=""), {}, focus="q")
    return render(request, "pos.html", session, grid=grid, **context)


@router.post("/shift/open")
def shift_open(request: Request, post: Posted = Depends(posted)) -> Response:
    try:
        with _database(request).write() as connection:
            open_shift(connection, post.session.staff, post.text("opening_cash"), utc_now())
    except Conflict:
        return redirect(request, "/pos")  # the shift is open already (another tab opened it)
    except ValidationFailed as error:
        gettext = translations(post.session.language).gettext
        return render(request, "shift_open.html", post.session, status_code=422,
                      field_errors={"opening_cash": error_message(error, gettext)},
                      opening_cash=post.text("opening_cash"))
    return redirect(request, "/pos")


@router.get("/pos/search")
def search(request: Request, scan: str = "", session: WebSession = Depends(signed_in)) -> Response:
    with _database(request).read() as connection:
        results = search_products(connection, session.staff.merchant_id, scan)
    return render(request, "_search_results.html", session, results=results, q=scan)


@router.post("/pos/cart")
def cart_action(request: Request, post: Posted = Depends(posted)) -> Response:
    """Apply one change (op) to the cart and answer with the screen."""
    session = post.session
    session.staff.require(SELL)
    cart, errors = cart_from_form(post.form)
    op = post.text("op")
    gettext = translations(session.language).gettext
    errors = {field: gettext(message) for field, message in errors.items()}
    extra: dict[str, Any] = {}
    focus, forbidden = "q", False
    form_errors = bool(errors)
    if not cart.external_id.startswith("till-"):
        cart.external_id = f"till-{cart.external_id}"
    try:
        if op == "finish" and not errors:
            with _database(request).write() as connection:
                sale = finish_sale(connection, session.staff, cart, utc_now())
            return redirect(request, f"/pos/sales/{sale['id']}/receipt?new=1")
        focus, extra = apply_op(_database(request), post, cart, op)
    except SetiaError as error:
        forbidden = forbidden or error.code == "forbidden"
        field = error_field(error)
        if op == "register_member":  # the new-member form's fields are new_name and new_phone
            field = {"name": "new_name", "phone": "new_phone"}.get(field, field)
        errors[field] = error_message(error, gettext)
        focus = {"finish": "cash", "register_member": "new_name", "voucher": "voucher_entry"}.get(op, "q")
        if op == "register_member":
            extra.update(show_new_member=True, new_name=post.text("new_name"), new_phone=post.text("new_phone"))
        if op == "voucher":
            extra["voucher_entry"] = post.text("voucher_entry").strip()[:64]
    # A refused change was taken back: the cart is still priced (and shown) as it was before.
    reprice = not form_errors and op.partition(":")[0] in UNDONE_WHEN_REFUSED
    context = _screen(request, session, cart, errors, focus=focus, op=op, reprice=reprice, **extra)
    forbidden = forbidden or context.get("forbidden", False)
    return render(request, "_register.html", session, status_code=403 if forbidden else 200, **context)


UNDONE_WHEN_REFUSED = ("voucher", "stamp_card", "stamp_card_first", "reward", "points")


def _screen(request: Request, session: WebSession, cart: Cart, errors: dict[str, str], focus: str = "q",
            reprice: bool = False, **extra: Any) -> dict[str, Any]:
    """Everything the register screen shows: the priced cart, the member panel, errors, what to focus."""
    gettext = translations(session.language).gettext
    if not cart.external_id or cart.external_id == "till-":
        cart.external_id = f"till-{uuid.uuid4().hex}"
    quote, member = None, None
    with _database(request).read() as connection:
        catalogue = products_by_id(connection, session.staff.merchant_id, [line.product_id for line in cart.lines])
        if cart.member_id is not None:
            try:
                member = member_panel(connection, session.staff.merchant_id, cart.member_id, utc_now())
            except SetiaError as error:
                errors["member"] = error_message(error, gettext)
                cart.member_id = None
        if cart.lines and (reprice or not errors):
            try:
                quote = quote_cart(connection, session.staff, cart, utc_now())
            except SetiaError as error:
                errors.setdefault(error_field(error), error_message(error, gettext))
                extra["forbidden"] = extra.get("forbidden", False) or error.code == "forbidden"
    if "member_notice" in extra:
        extra["member_notice"] = gettext(extra["member_notice"])
    return {"cart": cart, "quote": quote, "catalogue": catalogue, "member": member, "errors": errors, "focus": focus,
            "may_override": session.staff.may(OVERRIDE_PRICE), **extra}
