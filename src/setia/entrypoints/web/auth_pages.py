"""Sign in, sign out, language."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from setia.adapters.db.engine import Database
from setia.domain.errors import Unauthorized
from setia.entrypoints.web.deps import Posted, posted
from setia.entrypoints.web.pages import WebRoute, redirect, render
from setia.entrypoints.web.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    RateLimiter,
    check_csrf,
    new_login_csrf,
)
from setia.services import staff as staff_service
from setia.services.context import utc_now

router = APIRouter(route_class=WebRoute)


def _safe_next(value: str | None) -> str:
    # Only local paths: an open redirect after sign-in would help a phishing page.
    return value if value and value.startswith("/") and not value.startswith("//") else "/pos"


def _login_page(request: Request, status_code: int = 200, **context) -> Response:  # type: ignore[no-untyped-def]
    token = new_login_csrf()
    response = render(request, "login.html", status_code=status_code, login_csrf=token,
                      next=_safe_next(request.query_params.get("next") or context.pop("next", None)), **context)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", max_age=3600)
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    username, password = str(form.get("username") or ""), str(form.get("password") or "")
    next_url = _safe_next(str(form.get("next") or ""))
    try:
        check_csrf(request.cookies.get(LOGIN_CSRF_COOKIE, ""), str(form.get("csrf_token") or ""), None)
    except Exception:  # noqa: BLE001 - the form is stale or forged: show a fresh one
        return _login_page(request, 403, error="Your form expired; please sign in again.", username=username)
    client = request.client.host if request.client else "unknown"
    limiter: RateLimiter = request.app.state.login_limiter
    if not limiter.allow(client):
        return _login_page(request, 429, error="Too many attempts; wait a minute and try again.",
                           username=username)
    if not username.strip():
        return _login_page(request, 422, field_errors={"username": "Enter your username."}, username=username)
    database: Database = request.app.state.database
    language = request.cookies.get("setia_language", "id")
    def attempt():  # type: ignore[no-untyped-def]
        with database.write() as connection:
            return staff_service.sign_in(connection, username, password, utc_now(), language)

    token, result = await run_in_threadpool(attempt)
    if token is None:
        assert isinstance(result, Unauthorized)
        return _login_page(request, 401, error=result.message, username=username, next=next_url)
    response = redirect(request, next_url)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                        max_age=int(staff_service.SESSION_LENGTH.total_seconds()))
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, post: Posted = Depends(posted)) -> Response:
    database: Database = request.app.state.database
    with database.write() as connection:
        staff_service.sign_out(connection, post.session.token)
    response = redirect(request, "/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/language")
def choose_language(request: Request, post: Posted = Depends(posted)) -> Response:
    language = post.text("language")
    database: Database = request.app.state.database
    with database.write() as connection:
        staff_service.set_language(connection, post.session.token, language)
    response = redirect(request, _safe_next(post.text("next")))
    response.set_cookie("setia_language", language, samesite="lax", max_age=365 * 24 * 3600)
    return response


@router.get("/login/language/{language}")
def login_language(request: Request, language: str) -> Response:
    """Before signing in, the language is a cookie (after, it is the session's)."""
    response = redirect(request, "/login")
    if language in ("id", "en"):
        response.set_cookie("setia_language", language, samesite="lax", max_age=365 * 24 * 3600)
    return response
