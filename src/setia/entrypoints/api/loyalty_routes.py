"""Routes for stamp cards, activity bonuses and referrals; each builds a request and calls one service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse

from setia.adapters.db.engine import Database
from setia.domain.errors import NotFound
from setia.entrypoints.api import schemas
from setia.entrypoints.api.errors import error_responses
from setia.queries import stamps as stamp_queries
from setia.services import bonuses as bonus_service
from setia.services.context import Caller


def _id(value: str, what: str) -> int:
    if not value.isdigit() or len(value) > 18:
        raise NotFound(f"{what.capitalize()} not found.")
    return int(value)


def add_loyalty_routes(router: APIRouter, database: Database, auth: Callable[..., Caller],
                       write: Callable[..., JSONResponse]) -> None:
    @router.get("/members/{member_id}/stamp-cards", summary="A member's stamp cards: progress and full cards",
                tags=["members"], responses=error_responses("not_found"))
    def stamp_cards(member_id: str, caller: Caller = Depends(auth),
                    include_closed: bool = Query(default=False, description="Also redeemed, expired, cancelled")
                    ) -> dict[str, Any]:
        """Cards in progress (stamps, card size, last day) and full cards whose reward a sale can redeem by
        naming them in `stamp_card_ids`."""
        with database.read() as connection:
            return {"items": stamp_queries.member_stamp_cards(connection, caller.merchant_id,
                                                              _id(member_id, "member"), include_closed)}

    @router.post("/members/{member_id}/activities", status_code=201,
                 summary="Give points for a non-purchase activity (survey, event, review...)", tags=["members"],
                 responses=error_responses("not_found", "validation_failed", "bonus_limit_reached",
                                           "bonus_already_given", "membership_pending", "idempotency_key_reused"))
    def activity(member_id: str, body: schemas.ActivityIn, request: Request, caller: Caller = Depends(auth),
                 idempotency_key: str | None = Header(default=None)) -> JSONResponse:
        """Points per activity type from the program's bonuses.activities, within its limit per day, week or
        month; the same reference earns once."""
        target = _id(member_id, "member")

        def action(connection, now):  # type: ignore[no-untyped-def]
            return bonus_service.record_activity(connection, caller, target, body.type, body.reference, now)

        return write(request, caller, idempotency_key, body, action, status_code=201)

    @router.post("/members/{member_id}/referral", status_code=201,
                 summary="Record who referred a member (before their first purchase)", tags=["members"],
                 responses=error_responses("not_found", "referral_refused", "invalid_member_number",
                                           "idempotency_key_reused"))
    def referral(member_id: str, body: schemas.ReferralIn, request: Request, caller: Caller = Depends(auth),
                 idempotency_key: str | None = Header(default=None)) -> JSONResponse:
        """Both members earn the referral bonus at this member's first purchase reaching the minimum spend.
        Refused for the member themselves, a second referral, or after the first purchase."""
        target = _id(member_id, "member")

        def action(connection, now):  # type: ignore[no-untyped-def]
            return bonus_service.add_referral(connection, caller, target, body.referred_by, now)

        return write(request, caller, idempotency_key, body, action, status_code=201)

