"""Read side of the register screen: the member panel, recent sales, the receipt, the staff list."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from setia.adapters.db.tables import (members, merchants, outlet_settings, outlets, sales, staff, stamp_cards,
                                      stamp_movements)
from setia.domain.errors import NotFound, SetiaError
from setia.domain.rewards import REDEEMED_ALONE_KINDS
from setia.queries.members import find_members, get_member
from setia.queries.sales import get_sale
from setia.queries.stamps import member_stamp_cards
from setia.services.context import business_date
from setia.services.programs import load_program
from setia.services.reward_catalogue import rewards_open_to
from setia.services.tiers import tier_document


def find_member_for_till(connection: Connection, merchant_id: int, text: str,
                         now: datetime) -> list[dict[str, Any]]:
    """Members for what the cashier typed or scanned: a member number (check digit), a phone, or a name."""
    text = (text or "").strip()
    if not text:
        return []
    digits = "".join(ch for ch in text if ch.isdigit())
    if digits and len(digits) == len(text.replace(" ", "").replace("-", "").lstrip("+")):
        for kind in ("member_number", "phone"):
            try:
                found, _ = find_members(connection, merchant_id, now, limit=5, **{kind: text})
            except SetiaError:
                continue
            if found:
                return found
        return []
    found, _ = find_members(connection, merchant_id, now, name=text, limit=5)
    return found


def member_panel(connection: Connection, merchant_id: int, member_id: int, now: datetime) -> dict[str, Any]:
    """The member as the till shows them: tier and progress, stamp cards, and the rewards they may take on this
    sale right now (points enough, and open to them by the catalogue's dates, tiers, limits and stock)."""
    member = get_member(connection, merchant_id, member_id, now)
    program = load_program(connection, merchant_id)
    balance = member["points"]["balance"]
    blocked = member["points"]["debt"] > 0
    today = business_date(now, _timezone(connection, merchant_id))
    on_sale = [reward for reward in program.rewards if reward.kind not in REDEEMED_ALONE_KINDS]
    open_to = [] if blocked else rewards_open_to(connection, merchant_id, member_id, on_sale, balance, today)
    member["rewards"] = [{"id": reward.id, "name": reward.name, "points_cost": reward.points_cost,
                          "affordable": True} for reward in open_to]
    member["tier"] = tier_document(connection, merchant_id, member_id, now) if program.tiers.enabled else None
    cards = member_stamp_cards(connection, merchant_id, member_id)
    member["stamp_cards"] = {
        "in_progress": [card for card in cards if card["status"] == "in_progress"],
        "full": redeemable_full_cards(cards),
    }
    payment = program.points_payment
    member["points_payment"] = {"enabled": payment.enabled and not blocked,
                                "rupiah_per_point": payment.rupiah_per_point,
                                "minimum_points": payment.minimum_points,
                                "maximum_share_percent": payment.maximum_share_percent}
    return member


def redeemable_full_cards(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The full cards a sale can redeem (a free product or a discount), oldest first."""
    return [card for card in reversed(cards) if card["status"] == "completed"
            and (card["reward"] or {}).get("kind") in ("free_product", "fixed_discount")]


def _timezone(connection: Connection, merchant_id: int) -> str:
    return connection.execute(select(merchants.c.timezone).where(merchants.c.id == merchant_id)).scalar_one()


def sale_stamps(connection: Connection, merchant_id: int, sale_id: int) -> dict[str, list[dict[str, Any]]]:
    """What a sale did to stamp cards, for the receipt: stamps earned per card, cards it filled and redeemed."""
    rows = connection.execute(
        select(stamp_movements.c.kind, stamp_movements.c.stamps, stamp_movements.c.card_id, stamp_cards.c.name,
               stamp_cards.c.stamps.label("card_stamps"), stamp_cards.c.card_size)
        .join(stamp_cards, stamp_cards.c.id == stamp_movements.c.card_id)
        .where(stamp_movements.c.sale_id == sale_id, stamp_movements.c.merchant_id == merchant_id,
               stamp_movements.c.refund_id.is_(None)).order_by(stamp_movements.c.id)).all()
    earned: dict[str, dict[str, Any]] = {}
    completed, redeemed = [], []
    for row in rows:
        if row.kind == "earn" and row.stamps > 0:
            entry = earned.setdefault(row.name, {"name": row.name, "stamps": 0})
            entry["stamps"] += row.stamps
        elif row.kind == "complete":
            completed.append({"name": row.name, "card_size": row.card_size})
        elif row.kind == "redeem":
            redeemed.append({"name": row.name, "card_size": row.card_size})
    return {"earned": list(earned.values()), "completed": completed, "redeemed": redeemed}


def recent_sales(connection: Connection, merchant_id: int, limit: int = 30) -> list[dict[str, Any]]:
    rows = connection.execute(
        select(sales.c.id, sales.c.occurred_at, sales.c.total_due, sales.c.status, sales.c.points_earned,
               sales.c.points_spent, sales.c.refunded_value, members.c.name.label("member_name"))
        .select_from(sales.outerjoin(members, members.c.id == sales.c.member_id))
        .where(sales.c.merchant_id == merchant_id).order_by(sales.c.id.desc()).limit(limit)).all()
    return [dict(row._mapping) for row in rows]


def receipt(connection: Connection, merchant_id: int, sale_id: int, now: datetime) -> dict[str, Any]:
    """A sale as the receipt prints it: shop, outlet, cashier, member, lines, tenders and points."""
    sale = get_sale(connection, merchant_id, sale_id, now)
    row = connection.execute(select(sales.c.actor, sales.c.outlet_id).where(sales.c.id == sale_id)).one()
    merchant = connection.execute(select(merchants.c.name, merchants.c.timezone)
                                  .where(merchants.c.id == merchant_id)).one()
    outlet_name, footer = None, None
    if row.outlet_id is not None:
        outlet_name = connection.execute(select(outlets.c.name).where(outlets.c.id == row.outlet_id)).scalar()
        footer = connection.execute(select(outlet_settings.c.receipt_footer)
                                    .where(outlet_settings.c.outlet_id == row.outlet_id)).scalar()
    cashier = None
    if row.actor.startswith("staff:"):
        staff_id = row.actor.split()[0].split(":")[1]
        cashier = connection.execute(select(staff.c.name).where(staff.c.id == int(staff_id))).scalar()
    member = None
    if sale["member_id"] is not None:
        member = connection.execute(select(members.c.name, members.c.member_number)
                                    .where(members.c.id == int(sale["member_id"]))).one()._asdict()
    tier, stamps = None, {"earned": [], "completed": [], "redeemed": []}
    if member is not None:
        if load_program(connection, merchant_id).tiers.enabled:
            tier = tier_document(connection, merchant_id, int(sale["member_id"]), now)
        stamps = sale_stamps(connection, merchant_id, sale_id)
    return {"sale": sale, "merchant_name": merchant.name, "timezone": merchant.timezone, "outlet_name": outlet_name,
            "cashier": cashier, "member": member, "footer": footer, "tier": tier, "stamps": stamps}


def printer_for(connection: Connection, merchant_id: int, outlet_id: int | None) -> dict[str, Any] | None:
    if outlet_id is None:
        return None
    row = connection.execute(select(outlet_settings).where(outlet_settings.c.outlet_id == outlet_id,
                                                           outlet_settings.c.merchant_id == merchant_id)).first()
    return dict(row._mapping) if row else None


def staff_list(connection: Connection, merchant_id: int) -> list[dict[str, Any]]:
    rows = connection.execute(
        select(staff.c.id, staff.c.username, staff.c.name, staff.c.role, staff.c.active, staff.c.locked_until,
               outlets.c.name.label("outlet_name"))
        .select_from(staff.outerjoin(outlets, outlets.c.id == staff.c.outlet_id))
        .where(staff.c.merchant_id == merchant_id).order_by(staff.c.name)).all()
    return [dict(row._mapping) for row in rows]


def merchant_context(connection: Connection, merchant_id: int) -> dict[str, Any]:
    row = connection.execute(select(merchants.c.name, merchants.c.timezone).where(merchants.c.id == merchant_id)
                             ).first()
    if row is None:
        raise NotFound("Merchant not found.")
    return {"name": row.name, "timezone": row.timezone}
