"""One error hierarchy with stable codes; entrypoints map codes to HTTP statuses and exit codes."""

from __future__ import annotations

from typing import Any


class SetiaError(Exception):
    """Base of every business error. `code` is stable and part of the API."""

    code = "error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ValidationFailed(SetiaError):
    """Input that does not make sense; `field` names the part at fault."""

    code = "validation_failed"

    def __init__(self, message: str, field: str | None = None, **details: Any) -> None:
        if field is not None:
            details["field"] = field
        super().__init__(message, **details)


class NotFound(SetiaError):
    code = "not_found"


class Unauthorized(SetiaError):
    code = "unauthorized"


class Conflict(SetiaError):
    code = "conflict"


class DuplicateMember(Conflict):
    code = "duplicate_member"


class DuplicateSale(Conflict):
    code = "duplicate_sale"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


class InvalidMemberNumber(ValidationFailed):
    code = "invalid_member_number"


class InvalidPhone(ValidationFailed):
    code = "invalid_phone"


class TotalsMismatch(ValidationFailed):
    code = "totals_mismatch"


class InsufficientPoints(SetiaError):
    code = "insufficient_points"

    def __init__(self, balance: int, requested: int) -> None:
        super().__init__(
            f"Not enough points: balance {balance}, requested {requested}.",
            balance=balance,
            requested=requested,
        )


class PointsDebtOpen(SetiaError):
    code = "points_debt_open"

    def __init__(self, debt: int) -> None:
        super().__init__(
            f"The member owes {debt} points from a refund; redemption is blocked until it is repaid.",
            debt=debt,
        )


class RewardNotApplicable(SetiaError):
    code = "reward_not_applicable"


class PointsPaymentNotAllowed(SetiaError):
    code = "points_payment_not_allowed"


class TenderInvalid(ValidationFailed):
    code = "tender_invalid"


class RefundInvalid(SetiaError):
    code = "refund_invalid"
