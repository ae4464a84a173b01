"""Members as screens and the API show them: profile, points, expiring points, ledger history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, or_, select

from setia.adapters.db.ledger_store import LedgerStore
from setia.adapters.db.tables import members, merchants, transfers
from setia.domain.clock import business_date
from setia.domain.errors import NotFound
from setia.queries.sales import upcoming_expiries
from setia.services.identifiers import check_member_number, normalize_phone

CHANNELS = ("whatsapp", "sms", "email")


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def member_document(row: Any, lots: list[Any], today: Any) -> dict[str, Any]:
    # Points past their day count as gone even before the expiry job has run.
    lapsed = sum(lot.remaining for lot in lots if lot.expires_on is not None and lot.expires_on < today)
    return {
        "id": str(row.id),
        "member_number": row.member_number,
        "name": row.name,
        "phone": row.phone,
        "email": row.email,
        "birthday": _iso(row.birthday),
        "consents": {channel: {"given": getattr(row, f"consent_{channel}_at") is not None,
                               "given_at": _iso(getattr(row, f"consent_{channel}_at"))} for channel in CHANNELS},
        "points": {
            "balance": row.points_balance - lapsed,
            "debt": row.points_debt,
            "expiring": upcoming_expiries(lots, today),
        },
        "created_at": _iso(row.created_at),
    }


def _today(connection: Connection, merchant_id: int, now: datetime) -> Any:
    timezone_name = connection.execute(select(merchants.c.timezone).where(merchants.c.id == merchant_id)).scalar_one()
    return business_date(now, timezone_name)


def get_member(connection: Connection, merchant_id: int, member_id: int, now: datetime) -> dict[str, Any]:
    row = connection.execute(
        select(members).where(members.c.id == member_id, members.c.merchant_id == merchant_id)
    ).first()
    if row is None:
        raise NotFound("Member not found.", member_id=str(member_id))
    lots = LedgerStore(connection, merchant_id, now).open_lots(member_id)
    return member_document(row, lots, _today(connection, merchant_id, now))


# Built once (every sale resolves its member): building a Core statement costs more than executing it.
_MEMBER_BY_ID, _MEMBER_BY_NUMBER, _MEMBER_BY_PHONE = (
    select(members.c.id).where(members.c.merchant_id == bindparam("merchant_id"), column == bindparam("value"))
    for column in (members.c.id, members.c.member_number, members.c.phone)
)


def resolve_member_id(connection: Connection, merchant_id: int, member_id: int | None = None,
                      member_number: str | None = None, phone: str | None = None) -> int | None:
    """The member a request names by id, member number or phone; None if it names none."""
    if member_id is not None:
        query, value = _MEMBER_BY_ID, member_id
    elif member_number:
        query, value = _MEMBER_BY_NUMBER, check_member_number(member_number)
    elif phone:
        query, value = _MEMBER_BY_PHONE, normalize_phone(phone)
    else:
        return None
    found = connection.execute(query, {"merchant_id": merchant_id, "value": value}).scalar_one_or_none()
    if found is None:
        raise NotFound("Member not found.")
    return found


def find_members(connection: Connection, merchant_id: int, now: datetime, phone: str | None = None,
                 member_number: str | None = None, name: str | None = None, after_id: int | None = None,
                 limit: int = 50) -> tuple[list[dict[str, Any]], int | None]:
    """Members matching a phone, a member number or part of a name, with the cursor for the next page."""
    query = select(members).where(members.c.merchant_id == merchant_id)
    if phone:
        query = query.where(members.c.phone == normalize_phone(phone))
    if member_number:
        query = query.where(members.c.member_number == check_member_number(member_number))
    if name:
        # What the cashier typed is text, not a pattern: '%' and '_' in it match only themselves.
        typed = name.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(or_(func.lower(members.c.name).like(f"%{typed}%", escape="\\")))
    if after_id is not None:
        query = query.where(members.c.id > after_id)
    rows = connection.execute(query.order_by(members.c.id).limit(limit + 1)).all()
    today = _today(connection, merchant_id, now)
    store = LedgerStore(connection, merchant_id, now)
    page = [member_document(row, store.open_lots(row.id), today) for row in rows[:limit]]
    return page, (rows[limit - 1].id if len(rows) > limit else None)


def member_history(connection: Connection, merchant_id: int, member_id: int, after_id: int | None = None,
                   limit: int = 50) -> tuple[list[dict[str, Any]], int | None]:
    """The member's ledger, newest first: each transfer with its reason, reference and actor."""
    exists = connection.execute(select(members.c.id).where(members.c.id == member_id,
                                                           members.c.merchant_id == merchant_id)).first()
    if exists is None:
        raise NotFound("Member not found.", member_id=str(member_id))
    query = select(transfers).where(transfers.c.member_id == member_id, transfers.c.merchant_id == merchant_id)
    if after_id is not None:
        query = query.where(transfers.c.id < after_id)
    rows = connection.execute(query.order_by(transfers.c.id.desc()).limit(limit + 1)).all()
    page = [
        {
            "id": str(row.id),
            "points": row.amount if row.to_account == "member" else -row.amount,
            "reason": row.reason,
            "from_account": row.from_account,
            "to_account": row.to_account,
            "sale_id": str(row.sale_id) if row.sale_id else None,
            "refund_id": str(row.refund_id) if row.refund_id else None,
            "note": row.note,
            "actor": row.actor,
            "program_version": row.program_version,
            "occurred_at": _iso(row.occurred_at),
            "recorded_at": _iso(row.created_at),
        }
        for row in rows[:limit]
    ]
    return page, (rows[limit - 1].id if len(rows) > limit else None)
