"""Voucher codes: issuing them (bought with points, in bulk for a campaign, to a chosen member), looking them up,
cancelling one bought with points (its points come back).

A lookup that fails says the same thing whatever the reason (`voucher_invalid`), and failed lookups are rate
limited per API key (or staff account) and per member, so codes can't be probed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, select, update

from setia.adapters.db.ledger_store import LedgerStore
from setia.adapters.db.tables import members, reward_redemptions, voucher_batches, voucher_uses, vouchers
from setia.adapters.rate_limit import SlidingWindowLimiter, voucher_lookup_failures
from setia.domain import ledger
from setia.domain.errors import NotFound, RateLimited, ValidationFailed, VoucherInvalid
from setia.domain.vouchers import Voucher, VoucherTerms, code_key, new_code, terms_from_dict, validate_prefix
from setia.services.context import Caller, business_date
from setia.services.member_ledger import MemberLedger, Movement
from setia.services.merchants import merchant_timezone

MAX_BATCH = 100_000
MAX_USES = 1_000_000
LOOKUP_CHUNK = 1000


@dataclass(frozen=True)
class IssueTerms:
    """What every code of one issue shares."""

    terms: VoucherTerms
    max_uses: int = 1
    once_per_member: bool = False
    expires_on: date | None = None
    prefix: str = ""

    def __post_init__(self) -> None:
        if not 1 <= self.max_uses <= MAX_USES:
            raise ValidationFailed(f"A voucher can be used 1 to {MAX_USES} times.", field="max_uses")
        object.__setattr__(self, "prefix", validate_prefix(self.prefix))


def issue_terms_from_dict(data: dict[str, Any]) -> IssueTerms:
    expires_on = data.get("expires_on")
    if isinstance(expires_on, str):
        try:
            expires_on = date.fromisoformat(expires_on)
        except ValueError as error:
            raise ValidationFailed("Dates are YYYY-MM-DD.", field="expires_on") from error
    return IssueTerms(terms=terms_from_dict(data.get("voucher") or {}), max_uses=int(data.get("max_uses") or 1),
                      once_per_member=bool(data.get("once_per_member")), expires_on=expires_on,
                      prefix=data.get("prefix") or "")


def issue_vouchers(connection: Connection, caller: Caller, issue: IssueTerms, count: int, now: datetime,
                   member_id: int | None = None, reward_id: int | None = None, redemption_id: int | None = None,
                   points_cost: int = 0, batch_id: int | None = None) -> list[dict[str, Any]]:
    """Make `count` new codes; returns their rows. Codes come from `secrets`; the unique key is the backstop."""
    codes: dict[str, str] = {}
    while len(codes) < count:  # a clash is astronomically rare; it is simply drawn again
        fresh = {code_key(code): code for code in (new_code(issue.prefix) for _ in range(count - len(codes)))}
        taken = set(_existing(connection, caller.merchant_id, [key for key in fresh if key not in codes]))
        codes.update({key: code for key, code in fresh.items() if key not in taken})
    rows = [{"merchant_id": caller.merchant_id, "code": code, "code_key": key, "batch_id": batch_id,
             "reward_id": reward_id, "redemption_id": redemption_id, "member_id": member_id,
             "terms": issue.terms.as_dict(), "max_uses": issue.max_uses, "uses": 0,
             "once_per_member": issue.once_per_member, "expires_on": issue.expires_on, "points_cost": points_cost,
             "status": "active", "actor": caller.actor, "created_at": now, "cancelled_at": None}
            for key, code in codes.items()]
    connection.execute(vouchers.insert(), rows)
    ids = dict(_existing(connection, caller.merchant_id, list(codes), with_ids=True))
    for row in rows:
        row["id"] = ids[row["code_key"]]
    return rows


def _existing(connection: Connection, merchant_id: int, keys: list[str], with_ids: bool = False) -> list[Any]:
    """The stored codes among `keys` (with their ids), asked in chunks: SQLite takes only so many parameters."""
    found: list[Any] = []
    columns = (vouchers.c.code_key, vouchers.c.id) if with_ids else (vouchers.c.code_key,)
    for start in range(0, len(keys), LOOKUP_CHUNK):
        query = select(*columns).where(vouchers.c.merchant_id == merchant_id,
                                       vouchers.c.code_key.in_(keys[start:start + LOOKUP_CHUNK]))
        found.extend(tuple(row) if with_ids else row[0] for row in connection.execute(query))
    return found


def create_batch(connection: Connection, caller: Caller, name: str, count: int, issue: IssueTerms,
                 now: datetime) -> dict[str, Any]:
    """Codes in bulk for a campaign, usable by anyone (members or not, as the terms say)."""
    if not 1 <= count <= MAX_BATCH:
        raise ValidationFailed(f"A batch has 1 to {MAX_BATCH} codes.", field="count")
    if not (name or "").strip():
        raise ValidationFailed("A batch needs a name.", field="name")
    batch_id = connection.execute(voucher_batches.insert().returning(voucher_batches.c.id), {
        "merchant_id": caller.merchant_id, "name": name.strip(), "prefix": issue.prefix, "count": count,
        "terms": issue.terms.as_dict(), "max_uses": issue.max_uses, "once_per_member": issue.once_per_member,
        "expires_on": issue.expires_on, "actor": caller.actor, "created_at": now}).scalar_one()
    issue_vouchers(connection, caller, issue, count, now, batch_id=batch_id)
    return {"id": str(batch_id), "name": name.strip(), "count": count, "prefix": issue.prefix,
            "voucher": issue.terms.as_dict(), "max_uses": issue.max_uses, "once_per_member": issue.once_per_member,
            "expires_on": issue.expires_on.isoformat() if issue.expires_on else None,
            "codes_csv": f"/api/v1/voucher-batches/{batch_id}/codes.csv"}


def batch_codes_csv(connection: Connection, merchant_id: int, batch_id: int) -> str:
    """The batch's codes as CSV (code, expires_on, max_uses, uses, status), for printing or mailing."""
    found = connection.execute(select(voucher_batches.c.id).where(
        voucher_batches.c.id == batch_id, voucher_batches.c.merchant_id == merchant_id)).first()
    if found is None:
        raise NotFound("Voucher batch not found.", batch_id=str(batch_id))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["code", "expires_on", "max_uses", "uses", "status"])
    for row in connection.execute(select(vouchers.c.code, vouchers.c.expires_on, vouchers.c.max_uses,
                                         vouchers.c.uses, vouchers.c.status)
                                  .where(vouchers.c.batch_id == batch_id).order_by(vouchers.c.id)):
        writer.writerow([row.code, row.expires_on.isoformat() if row.expires_on else "", row.max_uses, row.uses,
                         row.status])
    return out.getvalue()


def issue_to_member(connection: Connection, caller: Caller, member_id: int, issue: IssueTerms,
                    now: datetime) -> dict[str, Any]:
    """A code for one member only (a gift, an apology): no points change hands."""
    found = connection.execute(select(members.c.id).where(members.c.id == member_id,
                                                          members.c.merchant_id == caller.merchant_id)).first()
    if found is None:
        raise NotFound("Member not found.", member_id=str(member_id))
    return voucher_document(issue_vouchers(connection, caller, issue, 1, now, member_id=member_id)[0])


def voucher_document(row: Any) -> dict[str, Any]:
    get = row.get if isinstance(row, dict) else row.__getitem__
    expires_on = get("expires_on")
    return {"id": str(get("id")), "code": get("code"), "voucher": get("terms"),
            "member_id": str(get("member_id")) if get("member_id") is not None else None,
            "max_uses": get("max_uses"), "uses": get("uses"), "once_per_member": get("once_per_member"),
            "expires_on": expires_on.isoformat() if expires_on else None, "points_cost": get("points_cost"),
            "status": get("status")}


def _limiter_keys(caller: Caller, member_id: int | None) -> list[str]:
    keys = [f"{caller.merchant_id}:{caller.actor}"]
    if member_id is not None:
        keys.append(f"{caller.merchant_id}:member:{member_id}")
    return keys


def find_usable(connection: Connection, caller: Caller, code: str, member_id: int | None, today: date,
                limiter: SlidingWindowLimiter = voucher_lookup_failures) -> Any:
    """The voucher's row if this customer can use it today; otherwise `voucher_invalid`, whatever the reason."""
    keys = _limiter_keys(caller, member_id)
    if limiter.blocked(keys):
        raise RateLimited("Too many failed voucher lookups; wait a minute.", retry_after_seconds=60)
    row = connection.execute(select(vouchers).where(vouchers.c.merchant_id == caller.merchant_id,
                                                    vouchers.c.code_key == code_key(code))).mappings().first()
    if row is None or not _usable(connection, row, member_id, today):
        limiter.record(keys)
        raise VoucherInvalid()
    return row


def _usable(connection: Connection, row: Any, member_id: int | None, today: date) -> bool:
    if row["status"] != "active" or row["uses"] >= row["max_uses"]:
        return False
    if row["expires_on"] is not None and row["expires_on"] < today:
        return False
    if row["member_id"] is not None and row["member_id"] != member_id:
        return False
    if row["once_per_member"]:
        if member_id is None:
            return False
        used = connection.execute(select(voucher_uses.c.id).where(
            voucher_uses.c.voucher_id == row["id"], voucher_uses.c.member_key == member_id)).first()
        return used is None
    return True


def as_domain(row: Any) -> Voucher:
    return Voucher(id=str(row["id"]), code=row["code"], terms=terms_from_dict(row["terms"]))


def check_voucher(connection: Connection, caller: Caller, code: str, member_id: int | None,
                  now: datetime) -> dict[str, Any]:
    """Whether a code can be used now by this customer, and what it is worth (the cashier's 'check' button)."""
    today = business_date(now, merchant_timezone(connection, caller.merchant_id))
    return voucher_document(find_usable(connection, caller, code, member_id, today))


def cancel_voucher(connection: Connection, caller: Caller, voucher_id: int, now: datetime) -> dict[str, Any]:
    """Cancel an unused, unexpired voucher bought with points: its points come back as a new lot under the
    program's expiry policy (transfer reason `voucher_cancelled`), and its redemption stops counting."""
    from setia.services.programs import load_program
    from setia.services.reward_catalogue import release_usage

    row = connection.execute(select(vouchers).where(vouchers.c.id == voucher_id,
                                                    vouchers.c.merchant_id == caller.merchant_id)).mappings().first()
    if row is None:
        raise NotFound("Voucher not found.", voucher_id=str(voucher_id))
    today = business_date(now, merchant_timezone(connection, caller.merchant_id))
    member_ledger = (MemberLedger.open(LedgerStore(connection, caller.merchant_id, now), row["member_id"], today,
                                       caller.actor) if row["member_id"] is not None else None)
    if row["expires_on"] is not None and row["expires_on"] < today:
        raise ValidationFailed("An expired voucher can't be cancelled.", field="voucher_id")
    # The guard makes cancelling and using race-free: only an active voucher with no use is cancelled.
    cancelled = connection.execute(update(vouchers).where(
        vouchers.c.id == voucher_id, vouchers.c.status == "active", vouchers.c.uses == 0)
        .values(status="cancelled", cancelled_at=now)).rowcount
    if cancelled != 1:
        raise ValidationFailed("Only an active voucher that was never used can be cancelled.", field="voucher_id")
    points_back = 0
    if row["points_cost"] and member_ledger is not None:
        program = load_program(connection, caller.merchant_id)
        movement = Movement(actor=caller.actor, occurred_at=now, note=f"voucher {row['code']} cancelled",
                            program_version=program.version)
        member_ledger.credit(movement, row["points_cost"], ledger.REDEMPTION, ledger.VOUCHER_CANCELLED, today,
                             program.expiry.expiry_day(today))
        points_back = row["points_cost"]
    if row["redemption_id"] is not None:
        redemption = connection.execute(select(reward_redemptions).where(
            reward_redemptions.c.id == row["redemption_id"])).mappings().one()
        connection.execute(update(reward_redemptions).where(reward_redemptions.c.id == redemption["id"])
                           .values(status="cancelled", cancelled_at=now))
        release_usage(connection, redemption["reward_id"], redemption["member_id"], redemption["usage_period"])
    document = voucher_document({**row, "status": "cancelled"})
    document.update(points_returned=points_back,
                    balance_after=member_ledger.balance if member_ledger is not None else None)
    return document


def member_vouchers(connection: Connection, merchant_id: int, member_id: int) -> list[dict[str, Any]]:
    """The member's own vouchers, newest first."""
    rows = connection.execute(select(vouchers).where(and_(vouchers.c.merchant_id == merchant_id,
                                                          vouchers.c.member_id == member_id))
                              .order_by(vouchers.c.id.desc())).mappings().all()
    return [voucher_document(row) for row in rows]
