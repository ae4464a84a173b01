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


class Forbidden(SetiaError):
    """The signed-in person's role does not allow this action."""

    code = "forbidden"


class RewardUnavailable(SetiaError):
    """The reward exists but can't be had now: out of stock, a limit reached, outside its dates, another tier.
    `details["reason"]` says which."""

    code = "reward_unavailable"


class VoucherInvalid(SetiaError):
    """A voucher code that can't be used. One code and one message whatever the reason (unknown, expired, used
    up, cancelled, another merchant's, another member's), so codes can't be probed."""

    code = "voucher_invalid"

    def __init__(self) -> None:
        super().__init__("This voucher code can't be used.")


class VoucherNotApplicable(SetiaError):
    """A valid voucher that this sale doesn't qualify for (minimum spend, no applicable product, too large)."""

    code = "voucher_not_applicable"


class RateLimited(SetiaError):
    code = "rate_limited"


class BonusLimitReached(SetiaError):
    """An activity bonus past its limit for the day, week or month."""

    code = "bonus_limit_reached"


class BonusAlreadyGiven(Conflict):
    code = "bonus_already_given"


class MembershipPending(SetiaError):
    """A customer who is not a member yet (membership after a first purchase reaching a minimum spend)."""

    code = "membership_pending"


class ReferralRefused(SetiaError):
    """Self-referral, a second referral of the same member, or a referral after the first purchase."""

    code = "referral_refused"


class StampCardNotRedeemable(SetiaError):
    """A stamp card that isn't this member's, isn't full, was redeemed already or doesn't fit the sale."""

    code = "stamp_card_not_redeemable"
