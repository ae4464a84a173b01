"""Routes for redeeming rewards on their own and for voucher codes; each builds a request and calls one service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse, Response

from setia.adapters.db.engine import Database
from setia.domain.errors import NotFound
from setia.entrypoints.api.errors import error_responses
from setia.entrypoints.api.schemas import VoucherBatchIn, VoucherCheckIn, VoucherIssueIn
from setia.services import vouchers as voucher_service
from setia.services.context import Caller, utc_now
from setia.services.reward_catalogue import redeem_reward


def _id(value: str | None, what: str) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or len(value) > 18:
        raise NotFound(f"{what.capitalize()} not found.")
    return int(value)


def _issue(body: VoucherIssueIn) -> voucher_service.IssueTerms:
    return voucher_service.issue_terms_from_dict(body.model_dump())


def add_voucher_routes(router: APIRouter, database: Database, auth: Any, write: Callable[..., JSONResponse]) -> None:
    @router.post("/members/{member_id}/rewards/{reward_id}/redeem", status_code=201, tags=["rewards"],
                 summary="Redeem a voucher or merchandise reward with points (a code to use later, or an item)",
                 responses=error_responses("not_found", "insufficient_points", "points_debt_open",
                                           "reward_unavailable", "reward_not_applicable"))
    def redeem(member_id: str, reward_id: str, request: Request, caller: Caller = Depends(auth),
               idempotency_key: str | None = Header(default=None)) -> JSONResponse:
        member = _id(member_id, "member")
        reward = str(_id(reward_id, "reward"))
        return write(request, caller, idempotency_key, None,
                     lambda connection, now: redeem_reward(connection, caller, member, reward, now), status_code=201)

    @router.get("/members/{member_id}/vouchers", summary="The member's vouchers, newest first", tags=["vouchers"],
                responses=error_responses("not_found"))
    def member_vouchers(member_id: str, caller: Caller = Depends(auth)) -> dict[str, Any]:
        with database.read() as connection:
            return {"items": voucher_service.member_vouchers(connection, caller.merchant_id,
                                                             _id(member_id, "member"))}

    @router.post("/members/{member_id}/vouchers", status_code=201, tags=["vouchers"],
                 summary="Give one member a voucher only they can use (no points change hands)",
                 responses=error_responses("not_found", "validation_failed"))
    def give_voucher(member_id: str, body: VoucherIssueIn, request: Request, caller: Caller = Depends(auth),
                     idempotency_key: str | None = Header(default=None)) -> JSONResponse:
        member = _id(member_id, "member")
        issue = _issue(body)
        return write(request, caller, idempotency_key, body,
                     lambda connection, now: voucher_service.issue_to_member(connection, caller, member, issue, now),
                     status_code=201)

    @router.post("/voucher-batches", status_code=201, tags=["vouchers"],
                 summary="Issue codes in bulk for a campaign; export them as CSV",
                 responses=error_responses("validation_failed"))
    def create_batch(body: VoucherBatchIn, request: Request, caller: Caller = Depends(auth),
                     idempotency_key: str | None = Header(default=None)) -> JSONResponse:
        issue = _issue(body)
        return write(request, caller, idempotency_key, body,
                     lambda connection, now: voucher_service.create_batch(connection, caller, body.name, body.count,
                                                                          issue, now),
                     status_code=201)

    @router.get("/voucher-batches/{batch_id}/codes.csv", tags=["vouchers"], response_class=Response,
                summary="A batch's codes as CSV: code, expires_on, max_uses, uses, status",
                responses=error_responses("not_found"))
    def batch_codes(batch_id: str, caller: Caller = Depends(auth)) -> Response:
        with database.read() as connection:
            text = voucher_service.batch_codes_csv(connection, caller.merchant_id, _id(batch_id, "voucher batch"))
        return Response(text, media_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="vouchers-{batch_id}.csv"'})

    @router.post("/vouchers/check", tags=["vouchers"],
                 summary="Whether a code can be used now (by this member) and what it is worth",
                 responses=error_responses("voucher_invalid", "rate_limited"))
    def check(body: VoucherCheckIn, caller: Caller = Depends(auth)) -> dict[str, Any]:
        with database.read() as connection:
            return voucher_service.check_voucher(connection, caller, body.code, _id(body.member_id, "member"),
                                                 utc_now())

    @router.post("/vouchers/{voucher_id}/cancel", tags=["vouchers"],
                 summary="Cancel an unused voucher; if it was bought with points, they come back",
                 responses=error_responses("not_found", "validation_failed"))
    def cancel(voucher_id: str, request: Request, caller: Caller = Depends(auth),
               idempotency_key: str | None = Header(default=None)) -> JSONResponse:
        target = _id(voucher_id, "voucher")
        return write(request, caller, idempotency_key, None,
                     lambda connection, now: voucher_service.cancel_voucher(connection, caller, target, now))
