"""The JSON API under /api/v1: every route builds a request and calls one service."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from setia import __version__
from setia.adapters.db.engine import Database
from setia.config import Settings
from setia.domain.errors import NotFound, Unauthorized
from setia.entrypoints.api import schemas
from setia.entrypoints.api.errors import error_responses, install_error_handlers
from setia.entrypoints.api.idempotency import run_idempotent
from setia.queries import members as member_queries
from setia.queries import sales as sale_queries
from setia.services import members as member_service
from setia.services import merchants as merchant_service
from setia.services import programs as program_service
from setia.services import tiers as tier_service
from setia.services import reward_catalogue
from setia.entrypoints.api.voucher_routes import add_voucher_routes
from setia.entrypoints.api.loyalty_routes import add_loyalty_routes
from setia.services.context import Caller, utc_now
from setia.services.refunds import RefundRequest, refund_sale
from setia.services.sales import SaleRequest, quote_sale, record_sale
from setia.domain.sale import LineInput, TenderInput

API_KEY_CACHE_SECONDS = 30


def parse_id(value: str | None, what: str = "resource") -> int | None:
    """Ids are opaque strings to clients; anything that isn't one of ours is simply not found."""
    if value is None:
        return None
    if not value.isdigit() or len(value) > 18:
        raise NotFound(f"{what.capitalize()} not found.")
    return int(value)


class ApiKeyAuth:
    """Resolves `Authorization: Bearer <key>` (or X-API-Key) to a merchant; valid keys are cached briefly."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.cache: dict[str, tuple[float, int, int]] = {}

    async def __call__(self, authorization: str | None = Header(default=None),
                       x_api_key: str | None = Header(default=None)) -> Caller:
        # Async, so a cached key costs no trip through the thread pool; a miss reads the database in the pool.
        key = x_api_key or (authorization[7:] if authorization and authorization.startswith("Bearer ") else None)
        if not key:
            raise Unauthorized("Send your API key as 'Authorization: Bearer <key>'.")
        cached = self.cache.get(key)
        if cached and cached[0] > time.monotonic():
            merchant_id, key_id = cached[1], cached[2]
        else:
            merchant_id, key_id = await run_in_threadpool(self._authenticate, key)
            self.cache[key] = (time.monotonic() + API_KEY_CACHE_SECONDS, merchant_id, key_id)
        return Caller(merchant_id=merchant_id, actor=f"api_key:{key_id}")

    def _authenticate(self, key: str) -> tuple[int, int]:
        with self.database.read() as connection:
            return merchant_service.authenticate_api_key(connection, key)


def _sale_request(body: schemas.SaleIn) -> SaleRequest:
    return SaleRequest(
        lines=[LineInput(**line.model_dump()) for line in body.lines],
        member_id=parse_id(body.member_id, "member"), member_number=body.member_number,
        member_phone=body.member_phone, external_id=body.external_id, occurred_at=body.occurred_at,
        outlet_id=parse_id(body.outlet_id, "outlet"), order_discount=body.order_discount,
        reward_ids=body.reward_ids, tenders=[TenderInput(**t.model_dump()) for t in body.tenders],
        expected_total=body.expected_total, voucher_codes=body.voucher_codes,
        stamp_card_ids=body.stamp_card_ids,
    )


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or Settings()
    database = database or Database(settings.database_url)
    app = FastAPI(
        title="Setia API",
        version=__version__,
        description="Loyalty engine of the Setia cashier: members, points, rewards, sales and refunds. "
                    "Money and points are integers (rupiah, points); errors are `{code, message, details}`; "
                    "writes take an `Idempotency-Key` header.",
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.database = database
    app.state.settings = settings
    install_error_handlers(app)
    auth = ApiKeyAuth(database)
    router = APIRouter(prefix="/api/v1")

    def write(request: Request, caller: Caller, key: str | None, body: Any,
              action: Callable[..., Any], status_code: int = 200) -> JSONResponse:
        fingerprint = hashlib.sha256(
            f"{request.method} {request.url.path} ".encode() + (body.model_dump_json().encode() if body else b"")
        ).hexdigest()
        status, payload = run_idempotent(database, caller.merchant_id, key, fingerprint, status_code,
                                         lambda connection: action(connection, utc_now()))
        return JSONResponse(payload, status_code=status)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/api/docs")

    @router.get("/health", summary="Is the server up", tags=["system"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    # Members ---------------------------------------------------------------------------------------------
    @router.post("/members", status_code=201, summary="Register a member", tags=["members"],
                 responses=error_responses("duplicate_member", "invalid_phone", "validation_failed",
                                           "referral_refused", "invalid_member_number"))
    def register(body: schemas.MemberIn, request: Request, caller: Caller = Depends(auth),
                 idempotency_key: str | None = Header(default=None)) -> JSONResponse:
        details = member_service.MemberDetails(
            name=body.name, phone=body.phone, email=body.email, birthday=body.birthday,
            consents={k: v for k, v in body.consents.model_dump().items() if v is not None},
            referred_by=body.referred_by)

        def action(connection, now):  # type: ignore[no-untyped-def]
            member_id = member_service.register_member(connection, caller, details, now)
            return member_queries.get_member(connection, caller.merchant_id, member_id, now)

        return write(request, caller, idempotency_key, body, action, status_code=201)

    @router.get("/members", summary="Find members by phone, member number or name", tags=["members"],
                responses=error_responses("invalid_phone", "invalid_member_number"))
    def list_members(caller: Caller = Depends(auth), phone: str | None = None, member_number: str | None = None,
                     name: str | None = Query(default=None, max_length=100), cursor: str | None = None,
                     limit: int = Query(default=50, ge=1, le=200)) -> dict[str, Any]:
        with database.read() as connection:
            page, next_id = member_queries.find_members(
                connection, caller.merchant_id, utc_now(), phone=phone, member_number=member_number, name=name,
                after_id=parse_id(cursor, "cursor"), limit=limit)
        return {"items": page, "next_cursor": str(next_id) if next_id else None}

    @router.get("/members/{member_id}", summary="A member with points and expiring points", tags=["members"],
                responses=error_responses("not_found"))
    def get_member(member_id: str, caller: Caller = Depends(auth)) -> dict[str, Any]:
        with database.read() as connection:
            return member_queries.get_member(connection, caller.merchant_id, parse_id(member_id, "member"),
                                             utc_now())

    @router.patch("/members/{member_id}", summary="Update a member", tags=["members"],
                  responses=error_responses("not_found", "duplicate_member", "invalid_phone", "validation_failed"))
    def patch_member(member_id: str, body: schemas.MemberPatch, request: Request, caller: Caller = Depends(auth),
                     idempotency_key: str | None = Header(default=None)) -> JSONResponse:
        target = parse_id(member_id, "member")
        details = member_service.MemberDetails(
            name=body.name, phone=body.phone, email=body.email, birthday=body.birthday,
            consents={k: v for k, v in body.consents.model_dump().items() if v is not None})

        def action(connection, now):  # type: ignore[no-untyped-def]
            member_service.update_member(connection, caller, target, details, now)
            return member_queries.get_member(connection, caller.merchant_id, target, now)

        return write(request, caller, idempotency_key, body, action)

    @router.get("/members/{member_id}/history", summary="The member's points ledger, newest first",
                tags=["members"], responses=error_responses("not_found"))
    def history(member_id: str, caller: Caller = Depends(auth), cursor: str | None = None,
                limit: int = Query(default=50, ge=1, le=200)) -> dict[str, Any]:
        with database.read() as connection:
            page, next_id = member_queries.member_history(connection, caller.merchant_id,
                                                          parse_id(member_id, "member"),
                                                          after_id=parse_id(cursor, "cursor"), limit=limit)
        return {"items": page, "next_cursor": str(next_id) if next_id else None}

    @router.post("/members/{member_id}/adjustments", status_code=201, summary="Adjust points by hand, with a reason",
                 tags=["members"], responses=error_responses("not_found", "insufficient_points",
                                                             "points_debt_open", "validation_failed"))
    def adjust(member_id: str, body: schemas.AdjustmentIn, request: Request, caller: Caller = Depends(auth),
               idempotency_key: str | None = Header(default=None)) -> JSONResponse:
        target = parse_id(member_id, "member")

        def action(connection, now):  # type: ignore[no-untyped-def]
            balance = member_service.adjust_points(connection, caller, target, body.points, body.reason, now)
            return {"member_id": str(target), "points": body.points, "reason": body.reason,
                    "balance_after": balance, "actor": caller.actor}

        return write(request, caller, idempotency_key, body, action, status_code=201)

    @router.get("/members/{member_id}/tier", summary="The member's tier, next tier, what is missing, history",
                tags=["members"], responses=error_responses("not_found"))
    def get_tier(member_id: str, caller: Caller = Depends(auth)) -> dict[str, Any]:
        with database.read() as connection:
            return tier_service.tier_document(connection, caller.merchant_id, parse_id(member_id, "member"),
                                              utc_now())

    @router.put("/members/{member_id}/tier-floor", summary="Set (or clear) a manual tier: a floor",
                tags=["members"], responses=error_responses("not_found", "validation_failed"))
    def put_tier_floor(member_id: str, body: schemas.TierFloorIn, request: Request, caller: Caller = Depends(auth),
                       idempotency_key: str | None = Header(default=None)) -> JSONResponse:
        target = parse_id(member_id, "member")

        def action(connection, now):  # type: ignore[no-untyped-def]
            tier_service.set_tier_floor(connection, caller, target, body.tier_code, now)
            return tier_service.tier_document(connection, caller.merchant_id, target, now)

        return write(request, caller, idempotency_key, body, action)

    # Program and rewards ---------------------------------------------------------------------------------
    @router.get("/program/versions", summary="Every version of the program's settings, newest first",
                tags=["program"])
    def program_versions(caller: Caller = Depends(auth)) -> dict[str, Any]:
        with database.read() as connection:
            return {"items": program_service.list_program_versions(connection, caller.merchant_id)}

    @router.get("/program", summary="The loyalty program's settings and rewards", tags=["program"])
    def get_program(caller: Caller = Depends(auth)) -> dict[str, Any]:
        with database.read() as connection:
            return _program_document(connection, caller.merchant_id)

    @router.patch("/program", summary="Change the program (a new version)", tags=["program"],
                  responses=error_responses("validation_failed"))
    def patch_program(body: schemas.ProgramPatch, request: Request, caller: Caller = Depends(auth),
                      idempotency_key: str | None = Header(default=None)) -> JSONResponse:
        changes = body.model_dump(exclude_none=True)

        def action(connection, now):  # type: ignore[no-untyped-def]
            program_service.update_program(connection, caller.merchant_id, changes, caller.actor, now)
            return _program_document(connection, caller.merchant_id)

        return write(request, caller, idempotency_key, body, action)

    @router.post("/rewards", status_code=201, summary="Add a reward to the catalogue", tags=["program"],
                 responses=error_responses("validation_failed"))
    def add_reward(body: schemas.RewardIn, request: Request, caller: Caller = Depends(auth),
                   idempotency_key: str | None = Header(default=None)) -> JSONResponse:
        def action(connection, now):  # type: ignore[no-untyped-def]
            reward = program_service.create_reward(connection, caller.merchant_id, body.model_dump(), now)
            return reward_catalogue.reward_document(reward, body.stock)

        return write(request, caller, idempotency_key, body, action, status_code=201)

    @router.patch("/rewards/{reward_id}", summary="Change a reward's terms or stock, withdraw or restore it",
                  tags=["program"], responses=error_responses("not_found", "validation_failed"))
    def patch_reward(reward_id: str, body: schemas.RewardPatch, request: Request, caller: Caller = Depends(auth),
                     idempotency_key: str | None = Header(default=None)) -> JSONResponse:
        target = parse_id(reward_id, "reward")

        def action(connection, now):  # type: ignore[no-untyped-def]
            return reward_catalogue.update_reward(connection, caller.merchant_id, target,
                                                  body.model_dump(exclude_unset=True))

        return write(request, caller, idempotency_key, body, action)

    # Sales -------------------------------------------------------------------------------------------------
    sale_errors = error_responses("stamp_card_not_redeemable", "validation_failed", "totals_mismatch", "tender_invalid", "insufficient_points",
                                  "points_debt_open", "reward_not_applicable", "points_payment_not_allowed",
                                  "not_found", "duplicate_sale", "idempotency_key_reused",
                                  "reward_unavailable", "voucher_invalid", "voucher_not_applicable",
                                  "rate_limited")

    @router.post("/sales/quote", summary="Price a sale without recording it (for the cashier screen)",
                 tags=["sales"], responses=sale_errors)
    def quote(body: schemas.SaleIn, caller: Caller = Depends(auth)) -> dict[str, Any]:
        with database.read() as connection:
            return quote_sale(connection, caller, _sale_request(body), utc_now())

    @router.post("/sales", status_code=201, summary="Record a sale: totals, points earned and spent",
                 tags=["sales"], responses=sale_errors)
    def create_sale(body: schemas.SaleIn, request: Request, caller: Caller = Depends(auth),
                    idempotency_key: str | None = Header(default=None)) -> JSONResponse:
        sale_request = _sale_request(body)
        return write(request, caller, idempotency_key, body,
                     lambda connection, now: record_sale(connection, caller, sale_request, now), status_code=201)

    @router.get("/sales/{sale_id}", summary="A sale with its refunds", tags=["sales"],
                responses=error_responses("not_found"))
    def get_sale(sale_id: str, caller: Caller = Depends(auth)) -> dict[str, Any]:
        with database.read() as connection:
            return sale_queries.get_sale(connection, caller.merchant_id, parse_id(sale_id, "sale"), utc_now())

    @router.post("/sales/{sale_id}/refunds", status_code=201, summary="Refund lines (by quantity) or the rest",
                 tags=["sales"], responses=error_responses("not_found", "refund_invalid", "validation_failed"))
    def refund(sale_id: str, body: schemas.RefundIn, request: Request, caller: Caller = Depends(auth),
               idempotency_key: str | None = Header(default=None)) -> JSONResponse:
        refund_request = RefundRequest(sale_id=parse_id(sale_id, "sale"),
                                       lines=[(line.line_id, line.quantity) for line in body.lines],
                                       reason=body.reason)
        return write(request, caller, idempotency_key, body,
                     lambda connection, now: refund_sale(connection, caller, refund_request, now), status_code=201)

    @router.post("/sales/{sale_id}/void", status_code=201, summary="Void a whole sale", tags=["sales"],
                 responses=error_responses("not_found", "refund_invalid"))
    def void(sale_id: str, body: schemas.VoidIn, request: Request, caller: Caller = Depends(auth),
             idempotency_key: str | None = Header(default=None)) -> JSONResponse:
        refund_request = RefundRequest(sale_id=parse_id(sale_id, "sale"), reason=body.reason, void=True)
        return write(request, caller, idempotency_key, body,
                     lambda connection, now: refund_sale(connection, caller, refund_request, now), status_code=201)

    add_voucher_routes(router, database, auth, write)
    add_loyalty_routes(router, database, auth, write)
    if settings.bench_endpoints:
        from setia.entrypoints.api.bench import add_bench_routes

        add_bench_routes(router, database, auth)
    app.include_router(router)
    from setia.entrypoints.web import install_web

    install_web(app, database, settings)
    return app


def _reward_document(reward: Any) -> dict[str, Any]:
    return reward_catalogue.reward_document(reward)


def _program_document(connection: Any, merchant_id: int) -> dict[str, Any]:
    program_id, settings, version, name = program_service.program_settings(connection, merchant_id)
    program = program_service.load_program(connection, merchant_id)
    return {"id": str(program_id), "name": name, "version": version, **settings,
            "rewards": [_reward_document(reward) for reward in program.rewards]}
