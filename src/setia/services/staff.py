"""Staff accounts, sign-in with lock-out, and server-side sessions (the cookie holds a random token)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, delete, select, update

from setia.adapters.db.tables import outlets, staff, staff_sessions
from setia.domain.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from setia.domain.staff import (
    REFUND_ANY,
    StaffMember,
    after_failed_login,
    check_password,
    check_role,
    is_locked,
)

SESSION_LENGTH = timedelta(hours=12)
LANGUAGES = ("id", "en")
_hasher = PasswordHasher()
# Verifying against this when the username is unknown keeps the answer's timing the same either way.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class AccountLocked(Unauthorized):
    code = "account_locked"


def _member(row) -> StaffMember:  # type: ignore[no-untyped-def]
    return StaffMember(id=row.id, merchant_id=row.merchant_id, outlet_id=row.outlet_id, username=row.username,
                       name=row.name, role=row.role)


def create_staff(connection: Connection, merchant_id: int, username: str, name: str, role: str, password: str,
                 now: datetime, outlet_id: int | None = None) -> int:
    """A new staff account; the owner makes them. Usernames are unique in the deployment."""
    username = (username or "").strip().lower()
    if not username or len(username) > 100 or any(ch.isspace() for ch in username):
        raise ValidationFailed("A username is one word, up to 100 characters.", field="username")
    if not (name or "").strip():
        raise ValidationFailed("A staff member needs a name.", field="name")
    check_role(role)
    check_password(password)
    if outlet_id is not None and connection.execute(select(outlets.c.id).where(
            outlets.c.id == outlet_id, outlets.c.merchant_id == merchant_id)).first() is None:
        raise ValidationFailed("Choose one of your outlets.", field="outlet_id")
    if connection.execute(select(staff.c.id).where(staff.c.username == username)).first() is not None:
        raise Conflict("This username is taken.", field="username")
    return connection.execute(staff.insert().returning(staff.c.id), {
        "merchant_id": merchant_id, "outlet_id": outlet_id, "username": username, "name": name.strip(),
        "role": role, "password_hash": _hasher.hash(password), "failed_logins": 0, "active": True,
        "created_at": now}).scalar_one()


def verify_credentials(connection: Connection, username: str, password: str,
                       now: datetime) -> tuple[StaffMember | None, Unauthorized | None]:
    """(staff member, None) for a correct username and password, else (None, the refusal).

    The refusal is returned, not raised, so the caller commits the failure count it wrote: five failures
    in a row lock the account. One answer for an unknown user and a wrong password, so sign-in can't be
    used to find usernames."""
    row = connection.execute(select(staff).where(staff.c.username == (username or "").strip().lower(),
                                                 staff.c.active.is_(True))).first()
    if row is None:
        _verify(_DUMMY_HASH, password)
        return None, Unauthorized("Wrong username or password.")
    if is_locked(row.locked_until, now):
        return None, AccountLocked("Too many failed sign-ins: this account is locked for 15 minutes.")
    if not _verify(row.password_hash, password):
        failed, locked_until = after_failed_login(row.failed_logins, now)
        connection.execute(update(staff).where(staff.c.id == row.id)
                           .values(failed_logins=failed, locked_until=locked_until))
        if locked_until is not None:
            return None, AccountLocked("Too many failed sign-ins: this account is locked for 15 minutes.")
        return None, Unauthorized("Wrong username or password.")
    if row.failed_logins or row.locked_until:
        connection.execute(update(staff).where(staff.c.id == row.id).values(failed_logins=0, locked_until=None))
    return _member(row), None


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def _token_hash(token: str) -> str:
    # Session tokens are 256-bit random values: a fast hash is enough to keep them out of the database.
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(connection: Connection, username: str, password: str, now: datetime,
            language: str = "id") -> tuple[str | None, StaffMember | Unauthorized]:
    """Check the password and open a session: (token for the cookie, staff member), or (None, the refusal),
    returned so that the failure count is committed; the caller raises it after the transaction."""
    member, refusal = verify_credentials(connection, username, password, now)
    if member is None:
        return None, refusal  # type: ignore[return-value]
    token = secrets.token_urlsafe(32)
    connection.execute(delete(staff_sessions).where(staff_sessions.c.staff_id == member.id,
                                                    staff_sessions.c.expires_at <= now))  # keep the table small
    connection.execute(staff_sessions.insert(), {
        "merchant_id": member.merchant_id, "staff_id": member.id, "token_hash": _token_hash(token),
        "csrf_token": secrets.token_urlsafe(32), "language": language if language in LANGUAGES else "id",
        "created_at": now, "expires_at": now + SESSION_LENGTH})
    return token, member


def session_for(connection: Connection, token: str | None, now: datetime) -> tuple[StaffMember, str, str] | None:
    """(staff member, CSRF token, language) of a live session, or None."""
    if not token:
        return None
    row = connection.execute(
        select(staff, staff_sessions.c.csrf_token, staff_sessions.c.language, staff_sessions.c.expires_at)
        .join(staff_sessions, staff_sessions.c.staff_id == staff.c.id)
        .where(staff_sessions.c.token_hash == _token_hash(token), staff.c.active.is_(True))).first()
    if row is None or row.expires_at <= now:
        return None
    return _member(row), row.csrf_token, row.language


def sign_out(connection: Connection, token: str) -> None:
    connection.execute(delete(staff_sessions).where(staff_sessions.c.token_hash == _token_hash(token)))


def set_language(connection: Connection, token: str, language: str) -> None:
    if language not in LANGUAGES:
        raise ValidationFailed("Language is id or en.", field="language")
    connection.execute(update(staff_sessions).where(staff_sessions.c.token_hash == _token_hash(token))
                       .values(language=language))


def approve(connection: Connection, merchant_id: int, username: str, password: str, permission: str,
            now: datetime) -> StaffMember:
    """A manager's approval at the till: their own credentials, same merchant, a role that may do it."""
    if not (username or "").strip():
        raise ValidationFailed("A manager must approve this: enter their username and password.",
                               field="approver_username")
    approver, refusal = verify_credentials(connection, username, password, now)
    if approver is None:
        raise ValidationFailed(refusal.message, field="approver_password")  # type: ignore[union-attr]
    if approver.merchant_id != merchant_id or not approver.may(permission):
        raise Forbidden("This person can't approve it.", permission=permission)
    return approver


def get_staff_member(connection: Connection, merchant_id: int, staff_id: int) -> StaffMember:
    row = connection.execute(select(staff).where(staff.c.id == staff_id, staff.c.merchant_id == merchant_id)).first()
    if row is None:
        raise NotFound("Staff member not found.")
    return _member(row)


__all__ = ["AccountLocked", "REFUND_ANY", "approve", "create_staff", "session_for", "set_language", "sign_in",
           "sign_out", "verify_credentials"]
