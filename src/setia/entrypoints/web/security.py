"""Sessions, CSRF and the sign-in rate limit for the web pages.

The session cookie holds a random token (HttpOnly, SameSite=Lax); the session row holds its hash and a CSRF
token that every POST must echo (form field `csrf_token` or header X-CSRF-Token, which htmx sends). The
sign-in form, before any session, uses a double-submit cookie.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass

from fastapi import Request

from setia.adapters.db.engine import Database
from setia.domain.staff import StaffMember
from setia.services.context import utc_now
from setia.services.staff import session_for

SESSION_COOKIE = "setia_session"
LOGIN_CSRF_COOKIE = "setia_login_csrf"


@dataclass
class WebSession:
    staff: StaffMember
    csrf_token: str
    language: str
    token: str


class SignInRequired(Exception):
    """No live session: the page sends the browser to the sign-in form."""


class CsrfFailed(Exception):
    """A POST without the session's CSRF token: refused, nothing written."""


def current_session(request: Request) -> WebSession:
    """The signed-in staff member of this request, or SignInRequired."""
    database: Database = request.app.state.database
    token = request.cookies.get(SESSION_COOKIE)
    with database.read() as connection:
        found = session_for(connection, token, utc_now())
    if found is None:
        raise SignInRequired()
    staff, csrf_token, language = found
    return WebSession(staff=staff, csrf_token=csrf_token, language=language, token=token or "")


def check_csrf(expected: str, form_value: str | None, header_value: str | None) -> None:
    supplied = form_value or header_value or ""
    if not expected or not hmac.compare_digest(expected, supplied):
        raise CsrfFailed()


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


class RateLimiter:
    """At most `limit` attempts per `window_seconds` per key (the client address), in this process.

    Behind it stands the per-account lock-out in the database, which holds across processes."""

    def __init__(self, limit: int = 10, window_seconds: float = 60.0) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._attempts: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            attempts = self._attempts[key]
            while attempts and attempts[0] <= now - self.window_seconds:
                attempts.popleft()
            if len(attempts) >= self.limit:
                return False
            attempts.append(now)
            return True
