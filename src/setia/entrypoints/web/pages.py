"""Rendering: one Jinja2 environment, the base context every page gets, and the error pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape

from setia.domain.errors import Forbidden, NotFound, SetiaError
from setia.entrypoints.web.forms import error_message
from setia.entrypoints.web.i18n import DEFAULT_LANGUAGE, template_helpers
from setia.entrypoints.web.security import CsrfFailed, SignInRequired, WebSession

TEMPLATES = Path(__file__).with_name("templates")
environment = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                          trim_blocks=True, lstrip_blocks=True)


def render(request: Request, template: str, session: WebSession | None = None, status_code: int = 200,
           headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    language = session.language if session else request.cookies.get("setia_language", DEFAULT_LANGUAGE)
    if language not in ("id", "en"):
        language = DEFAULT_LANGUAGE
    timezone_name = getattr(request.state, "timezone", None) or request.app.state.settings.default_timezone
    html = environment.get_template(template).render(
        request=request, session=session, staff=session.staff if session else None,
        csrf_token=session.csrf_token if session else "", **template_helpers(language, timezone_name), **context)
    return HTMLResponse(html, status_code=status_code, headers=headers)


def redirect(request: Request, url: str) -> Response:
    """A redirect that htmx follows too (it would otherwise swap the next page into the fragment)."""
    if request.headers.get("HX-Request"):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def error_page(request: Request, status_code: int, error: SetiaError | None = None) -> HTMLResponse:
    session = getattr(request.state, "web_session", None)
    helpers = template_helpers(session.language if session else DEFAULT_LANGUAGE, "Asia/Jakarta")
    message = error_message(error, helpers["_"]) if error else None
    return render(request, "error.html", session, status_code=status_code, status=status_code, message=message)


class WebRoute(APIRoute):
    """Routes of the web pages: a business refusal becomes an HTML page with the right status."""

    def get_route_handler(self):  # type: ignore[no-untyped-def]
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except SignInRequired:
                return redirect(request, "/login?next=" + request.url.path)
            except CsrfFailed:
                return error_page(request, 403, Forbidden("The form has expired; reload the page and try again."))
            except Forbidden as error:
                return error_page(request, 403, error)
            except NotFound as error:
                return error_page(request, 404, error)
            except SetiaError as error:  # any other refusal: the page says why, nothing was written
                return error_page(request, 422, error)

        return handler
