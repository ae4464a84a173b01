"""The one place where error codes become HTTP statuses."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from setia.domain import errors

STATUS_BY_ERROR: list[tuple[type[errors.SetiaError], int]] = [
    (errors.Unauthorized, 401),
    (errors.Forbidden, 403),
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.RateLimited, 429),
    (errors.ValidationFailed, 422),
    (errors.SetiaError, 422),  # business refusals: insufficient points, reward not applicable, ...
]


def status_for(error_class: type[errors.SetiaError]) -> int:
    return next(status for kind, status in STATUS_BY_ERROR if issubclass(error_class, kind))


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"code": code, "message": message, "details": details or {}}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(errors.SetiaError)
    async def _setia_error(_request: Request, error: errors.SetiaError) -> JSONResponse:
        return JSONResponse(error_body(error.code, error.message, error.details), status_code=status_for(type(error)))

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        problems = [{"field": ".".join(str(part) for part in problem["loc"][1:]), "message": problem["msg"]}
                    for problem in error.errors()]
        first = problems[0] if problems else {"field": None, "message": "invalid request"}
        return JSONResponse(
            error_body("validation_failed", f"{first['field']}: {first['message']}",
                       {"field": first["field"], "errors": problems}),
            status_code=422,
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(_request: Request, _error: IntegrityError) -> JSONResponse:
        # A concurrent request won a race on a unique key or a balance constraint; nothing was written.
        return JSONResponse(error_body("conflict", "The request conflicts with a concurrent change; retry."),
                            status_code=409)


def error_responses(*codes: str) -> dict:
    """OpenAPI documentation of the error codes an endpoint answers with."""
    by_status: dict[int, list[str]] = {}
    for code in codes:
        kind = next((k for k in vars(errors).values() if isinstance(k, type) and issubclass(k, errors.SetiaError)
                     and k.code == code), errors.SetiaError)
        by_status.setdefault(status_for(kind), []).append(code)
    return {
        status: {"description": "Error codes: " + ", ".join(sorted(codes_here)),
                 "content": {"application/json": {"example": error_body(codes_here[0], "…", {})}}}
        for status, codes_here in by_status.items()
    }
