"""The cashier's web pages (Jinja2 + htmx), served by the same process as the API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from setia.adapters.db.engine import Database
from setia.config import Settings

STATIC = Path(__file__).with_name("static")


def install_web(app: FastAPI, database: Database, settings: Settings) -> None:
    """Mount the pages and their local assets (no CDN: the till works on a LAN without internet)."""
    from setia.entrypoints.web import admin, auth_pages, pos, sales_pages, shift_pages
    from setia.entrypoints.web.security import RateLimiter

    app.state.login_limiter = RateLimiter(limit=10, window_seconds=60)  # per client address
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    for module in (auth_pages, pos, sales_pages, shift_pages, admin):
        app.include_router(module.router, include_in_schema=False)

    @app.get("/cashier", include_in_schema=False)
    def cashier() -> RedirectResponse:
        return RedirectResponse("/pos")
