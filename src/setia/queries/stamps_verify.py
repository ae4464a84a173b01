"""The stamp card and bonus part of `setia ledger verify`: cached counts against their movements."""

from __future__ import annotations

from sqlalchemy import Connection, and_, case, func, or_, select

from setia.adapters.db.tables import bonus_grants, sale_stamps, stamp_cards, stamp_movements, transfers


def verify_stamps(connection: Connection, merchant_id: int | None = None) -> list[str]:
    """Every stamp card whose cached stamps or stamps owed differ from its movements, or whose status doesn't
    fit its count; every sale whose recorded stamps differ from its movements; every bonus whose transfer
    doesn't match it."""
    scope = (lambda table: table.c.merchant_id == merchant_id) if merchant_id else (lambda table: True)
    problems: list[str] = []

    sums = (select(stamp_movements.c.card_id, func.sum(stamp_movements.c.stamps).label("stamps"),
                   func.sum(stamp_movements.c.owed).label("owed"),
                   func.sum(case((stamp_movements.c.kind == "redeem", 1), else_=0)).label("redeems"),
                   func.sum(case((stamp_movements.c.kind == "return", 1), else_=0)).label("returns"))
            .group_by(stamp_movements.c.card_id).subquery())
    c = stamp_cards.c
    zero = func.coalesce
    status_wrong = or_(
        and_(c.status.in_(("completed", "redeemed")), c.stamps != c.card_size),
        and_(c.status == "in_progress", c.stamps >= c.card_size),
        and_(c.status.in_(("expired", "cancelled")), or_(c.stamps != 0, c.stamps_owed != 0)),
        and_(c.stamps_owed > 0, c.stamps > 0),
        and_(c.status == "redeemed", zero(sums.c.redeems, 0) - zero(sums.c.returns, 0) != 1),
    )
    rows = connection.execute(
        select(c.id, c.status, c.card_size, c.stamps, c.stamps_owed, zero(sums.c.stamps, 0), zero(sums.c.owed, 0))
        .select_from(stamp_cards.outerjoin(sums, sums.c.card_id == c.id))
        .where(scope(stamp_cards))
        .where(or_(c.stamps != zero(sums.c.stamps, 0), c.stamps_owed != zero(sums.c.owed, 0), status_wrong))
    ).all()
    for card_id, status, size, stamps, owed, movement_stamps, movement_owed in rows:
        problems.append(f"stamp card {card_id} ({status}, size {size}): stamps {stamps} (movements "
                        f"{movement_stamps}), owed {owed} (movements {movement_owed})")

    by_kind = {"earned": ("earn", stamp_movements.c.stamps - stamp_movements.c.owed),
               "reversed": ("reverse", stamp_movements.c.owed - stamp_movements.c.stamps)}
    sale_sums = (select(stamp_movements.c.sale_id, stamp_cards.c.definition_id,
                        *[func.sum(case((stamp_movements.c.kind == kind, amount), else_=0)).label(name)
                          for name, (kind, amount) in by_kind.items()])
                 .join(stamp_cards, stamp_cards.c.id == stamp_movements.c.card_id)
                 .where(stamp_movements.c.sale_id.is_not(None))
                 .group_by(stamp_movements.c.sale_id, stamp_cards.c.definition_id).subquery())
    s = sale_stamps.c
    rows = connection.execute(
        select(s.sale_id, s.definition_id, s.stamps_earned, s.stamps_reversed, zero(sale_sums.c.earned, 0),
               zero(sale_sums.c.reversed, 0))
        .select_from(sale_stamps.outerjoin(sale_sums, and_(sale_sums.c.sale_id == s.sale_id,
                                                           sale_sums.c.definition_id == s.definition_id)))
        .where(scope(sale_stamps))
        .where(or_(s.stamps_earned != zero(sale_sums.c.earned, 0), s.stamps_reversed != zero(sale_sums.c.reversed, 0),
                   s.stamps_reversed + s.stamps_forgiven > s.stamps_earned))
    ).all()
    for sale_id, definition_id, earned, reversed_, movement_earned, movement_reversed in rows:
        problems.append(f"sale {sale_id} stamp card {definition_id}: recorded earned/reversed {(earned, reversed_)}, "
                        f"movements {(movement_earned, movement_reversed)}")

    rows = connection.execute(
        select(bonus_grants.c.id, bonus_grants.c.points, transfers.c.amount, transfers.c.member_id,
               bonus_grants.c.member_id)
        .select_from(bonus_grants.outerjoin(transfers, transfers.c.id == bonus_grants.c.transfer_id))
        .where(scope(bonus_grants))
        .where(or_(transfers.c.id.is_(None), transfers.c.amount != bonus_grants.c.points,
                   transfers.c.member_id != bonus_grants.c.member_id, transfers.c.to_account != "member"))
    ).all()
    for grant_id, points, amount, transfer_member, member_id in rows:
        problems.append(f"bonus grant {grant_id}: {points} points to member {member_id}, transfer {amount} "
                        f"to member {transfer_member}")
    return problems
