"""Benchmark-only route (SETIA_BENCH_ENDPOINTS=true): one ledger-shaped write on the same stack, as the
baseline the checkout is measured against."""

from __future__ import annotations

import uuid
from datetime import timezone, datetime

from fastapi import APIRouter, Depends
from sqlalchemy import update

from setia.adapters.db.engine import Database
from setia.adapters.db.tables import idempotency_keys, members
from setia.services.context import Caller


def add_bench_routes(router: APIRouter, database: Database, auth) -> None:  # type: ignore[no-untyped-def]
    @router.post("/_bench/write/{member_id}", include_in_schema=False)
    def bare_write(member_id: int, caller: Caller = Depends(auth)) -> dict[str, int]:
        now = datetime.now(timezone.utc)
        with database.write() as connection:
            connection.execute(idempotency_keys.insert(), {
                "merchant_id": caller.merchant_id, "key": f"bench-{uuid.uuid4().hex}",
                "request_hash": "-", "status_code": 200, "response": {}, "created_at": now})
            connection.execute(update(members).where(members.c.id == member_id,
                                                     members.c.merchant_id == caller.merchant_id)
                               .values(updated_at=now))
        return {"ok": 1}
