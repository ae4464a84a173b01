"""Request dependencies: the signed-in staff member, and a POSTed form whose CSRF token checked out."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from setia.adapters.db.engine import Database
from setia.entrypoints.web.security import WebSession, check_csrf, current_session
from setia.services.merchants import merchant_timezone


def signed_in(request: Request) -> WebSession:
    session = current_session(request)
    database: Database = request.app.state.database
    with database.read() as connection:
        request.state.timezone = merchant_timezone(connection, session.staff.merchant_id)
    request.state.web_session = session
    return session


@dataclass
class Posted:
    session: WebSession
    form: FormData

    def text(self, name: str) -> str:
        value = self.form.get(name)
        return value.strip() if isinstance(value, str) else ""


async def posted(request: Request) -> Posted:
    """The session and the form of a POST; the CSRF token must match the session's."""
    session = await run_in_threadpool(signed_in, request)  # a database read: off the event loop
    form = await request.form()
    check_csrf(session.csrf_token, form.get("csrf_token"), request.headers.get("X-CSRF-Token"))  # type: ignore[arg-type]
    return Posted(session=session, form=form)
