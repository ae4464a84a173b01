"""`setia ledger verify`: recompute every balance from the transfers and lots and report mismatches."""

from __future__ import annotations

from sqlalchemy import Connection, and_, case, func, or_, select

from setia.queries.stamps_verify import verify_stamps
from setia.adapters.db.tables import lot_movements, lots, members, sales, transfers


def _member_side(amount_column):  # type: ignore[no-untyped-def]
    return case((transfers.c.to_account == "member", amount_column), else_=-amount_column)


def verify_ledger(connection: Connection, merchant_id: int | None = None) -> list[str]:
    """Every mismatch found, as sentences; empty when the books balance."""
    problems: list[str] = []
    scope = (lambda table: table.c.merchant_id == merchant_id) if merchant_id else (lambda table: True)

    transfer_sums = (
        select(transfers.c.member_id, func.sum(_member_side(transfers.c.amount)).label("total"))
        .group_by(transfers.c.member_id).subquery()
    )
    lot_sums = (
        select(lots.c.member_id, func.sum(lots.c.remaining).label("open_points"))
        .group_by(lots.c.member_id).subquery()
    )
    rows = connection.execute(
        select(members.c.id, members.c.points_balance, members.c.points_debt,
               func.coalesce(transfer_sums.c.total, 0), func.coalesce(lot_sums.c.open_points, 0))
        .select_from(members.outerjoin(transfer_sums, transfer_sums.c.member_id == members.c.id)
                     .outerjoin(lot_sums, lot_sums.c.member_id == members.c.id))
        .where(scope(members))
        .where(or_(members.c.points_balance != func.coalesce(transfer_sums.c.total, 0),
                   members.c.points_balance != func.coalesce(lot_sums.c.open_points, 0) - members.c.points_debt,
                   members.c.points_debt < 0))
    ).all()
    for member_id, balance, debt, transfer_total, open_points in rows:
        problems.append(f"member {member_id}: cached balance {balance}, transfers sum {transfer_total}, "
                        f"open lots {open_points} minus debt {debt}")

    movement_sums = (
        select(lot_movements.c.lot_id, func.sum(lot_movements.c.delta).label("total"),
               func.sum(case((lot_movements.c.kind == "expire", -lot_movements.c.delta), else_=0)).label("expired"))
        .group_by(lot_movements.c.lot_id).subquery()
    )
    rows = connection.execute(
        select(lots.c.id, lots.c.remaining, lots.c.expired_amount, movement_sums.c.total, movement_sums.c.expired)
        .select_from(lots.outerjoin(movement_sums, movement_sums.c.lot_id == lots.c.id))
        .where(scope(lots))
        .where(or_(movement_sums.c.total.is_(None), lots.c.remaining != movement_sums.c.total,
                   lots.c.expired_amount != movement_sums.c.expired, lots.c.remaining < 0,
                   lots.c.remaining > lots.c.amount))
    ).all()
    for lot_id, remaining, expired, movement_total, movement_expired in rows:
        problems.append(f"lot {lot_id}: remaining {remaining} (movements {movement_total}), "
                        f"expired {expired} (movements {movement_expired})")

    by_reason = {
        "earned": transfers.c.reason == "earn",
        "spent": transfers.c.reason.in_(("redeem_reward", "pay_with_points")),
        "returned": transfers.c.reason == "refund_return",
        "taken_back": transfers.c.reason == "refund_take_back",
    }
    sale_sums = (
        select(transfers.c.sale_id,
               *[func.sum(case((condition, transfers.c.amount), else_=0)).label(name)
                 for name, condition in by_reason.items()])
        .where(transfers.c.sale_id.is_not(None)).group_by(transfers.c.sale_id).subquery()
    )
    zero = func.coalesce
    rows = connection.execute(
        select(sales.c.id, sales.c.points_earned, sales.c.points_spent, sales.c.points_returned,
               sales.c.points_taken_back, zero(sale_sums.c.earned, 0), zero(sale_sums.c.spent, 0),
               zero(sale_sums.c.returned, 0), zero(sale_sums.c.taken_back, 0))
        .select_from(sales.outerjoin(sale_sums, sale_sums.c.sale_id == sales.c.id))
        .where(scope(sales), sales.c.member_id.is_not(None))
        .where(or_(sales.c.points_earned != zero(sale_sums.c.earned, 0),
                   sales.c.points_spent != zero(sale_sums.c.spent, 0),
                   sales.c.points_returned != zero(sale_sums.c.returned, 0),
                   sales.c.points_taken_back != zero(sale_sums.c.taken_back, 0),
                   and_(sales.c.points_returned > sales.c.points_spent),
                   sales.c.points_taken_back + sales.c.points_forgiven + sales.c.points_let_go
                   > sales.c.points_earned))
    ).all()
    for row in rows:
        problems.append(f"sale {row[0]}: recorded earned/spent/returned/taken back {tuple(row[1:5])}, "
                        f"transfers {tuple(row[5:9])}")
    problems.extend(verify_stamps(connection, merchant_id))  # stamp cards and bonus grants
    return problems
