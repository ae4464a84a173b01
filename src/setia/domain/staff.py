"""Staff roles and what each may do at the till; lock-out after repeated failed sign-ins.

Every web action names one permission; the server checks it (never the page). A cashier may refund up to
a limit on their own; above it a manager approves with their own password.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from setia.domain.errors import Forbidden, ValidationFailed

ROLES = ("owner", "manager", "cashier")

SELL = "sell"
REGISTER_MEMBER = "register_member"
REFUND = "refund"  # within the role's refund limit
REFUND_ANY = "refund_any"  # any amount, and approving a cashier's refund
VOID = "void"
OVERRIDE_PRICE = "override_price"
ADJUST_POINTS = "adjust_points"
VIEW_REPORTS = "view_reports"
MANAGE_STOCK = "manage_stock"
MANAGE_CATALOGUE = "manage_catalogue"
MANAGE_STAFF = "manage_staff"

_CASHIER = frozenset({SELL, REGISTER_MEMBER, REFUND})
_MANAGER = _CASHIER | {REFUND_ANY, VOID, OVERRIDE_PRICE, ADJUST_POINTS, VIEW_REPORTS, MANAGE_STOCK,
                       MANAGE_CATALOGUE}
PERMISSIONS: dict[str, frozenset[str]] = {
    "cashier": _CASHIER,
    "manager": frozenset(_MANAGER),
    "owner": frozenset(_MANAGER | {MANAGE_STAFF}),
}

CASHIER_REFUND_LIMIT = 100_000  # rupiah a cashier may refund on one sale without a manager
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MINIMUM_PASSWORD_LENGTH = 8


@dataclass(frozen=True)
class StaffMember:
    id: int
    merchant_id: int
    outlet_id: int | None
    username: str
    name: str
    role: str

    @property
    def actor(self) -> str:
        return f"staff:{self.id}"

    def may(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())

    def require(self, permission: str) -> None:
        """Raise Forbidden unless the role allows `permission`."""
        if not self.may(permission):
            raise Forbidden("Your role does not allow this.", permission=permission, role=self.role)


def refund_needs_approval(staff: StaffMember, money_refunded: int) -> bool:
    """A cashier refunding more than the limit (cumulatively, on one sale) needs a manager."""
    return not staff.may(REFUND_ANY) and money_refunded > CASHIER_REFUND_LIMIT


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and locked_until > now


def after_failed_login(failed_logins: int, now: datetime) -> tuple[int, datetime | None]:
    """The new failure count and lock: the 5th failure in a row locks the account for 15 minutes."""
    failed = failed_logins + 1
    if failed >= MAX_FAILED_LOGINS:
        return 0, now + LOCKOUT
    return failed, None


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ValidationFailed("Choose a role: owner, manager or cashier.", field="role")
    return role


def check_password(password: str) -> str:
    if len(password or "") < MINIMUM_PASSWORD_LENGTH:
        raise ValidationFailed(f"A password has at least {MINIMUM_PASSWORD_LENGTH} characters.", field="password")
    return password
