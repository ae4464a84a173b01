"""Bonus points and membership: sign-up, birthday, activities, referral; pending members until a purchase.

Every bonus is a credit to the member's points ledger from the issuance account (so it makes a lot under
the expiry policy and repays a refund debt first) plus one row in bonus_grants, whose unique key (member,
kind, key) makes "once" a database constraint behind the check made under the member's lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update

from setia.adapters.db.ledger_store import LedgerStore
from setia.adapters.db.tables import bonus_grants, members, memberships, referrals, sales
from setia.domain import bonuses as rules
from setia.domain import ledger
from setia.domain.errors import (
    BonusAlreadyGiven,
    BonusLimitReached,
    InvalidMemberNumber,
    MembershipPending,
    NotFound,
    ReferralRefused,
    ValidationFailed,
)
from setia.domain.program import Program
from setia.services.context import Caller, business_date
from setia.services.identifiers import check_member_number
from setia.services.member_ledger import MemberLedger, Movement
from setia.services.programs import load_program_for_sale

PENDING, ACTIVE = "pending", "active"
REASON_BY_KIND = {rules.SIGNUP: ledger.BONUS_SIGNUP, rules.BIRTHDAY: ledger.BONUS_BIRTHDAY,
                  rules.ACTIVITY: ledger.BONUS_ACTIVITY, rules.REFERRAL_REFERRER: ledger.BONUS_REFERRAL,
                  rules.REFERRAL_REFERRED: ledger.BONUS_REFERRAL}


@dataclass(frozen=True)
class Grant:
    kind: str
    key: str
    points: int
    actor: str
    occurred_at: datetime
    earned_on: date
    sale_id: int | None = None
    activity_type: str | None = None
    reference: str | None = None
    note: str | None = None


_GRANT = select(bonus_grants.c.id).where(bonus_grants.c.member_id == bindparam("member_id"),
                                          bonus_grants.c.kind == bindparam("kind"),
                                          bonus_grants.c.grant_key == bindparam("key"))
_INSERT_GRANT = bonus_grants.insert()


def already_given(connection: Connection, member_id: int, kind: str, key: str) -> bool:
    return connection.execute(_GRANT, {"member_id": member_id, "kind": kind, "key": key}).first() is not None


def give(connection: Connection, member_ledger: MemberLedger, program: Program, grant: Grant) -> dict[str, Any]:
    """Credit the bonus and record the grant; the caller has checked it wasn't given (member locked)."""
    # No sale_id on the transfer: a refund of that sale takes back what the sale's own lots hold, and a bonus
    # is not part of them (the grant row keeps the sale).
    movement = Movement(actor=grant.actor, occurred_at=grant.occurred_at, note=grant.note,
                        program_version=program.version)
    transfer_id = member_ledger.credit(movement, grant.points, ledger.ISSUANCE, REASON_BY_KIND[grant.kind],
                                       grant.earned_on, program.expiry.expiry_day(grant.earned_on))
    connection.execute(_INSERT_GRANT, {
        "merchant_id": member_ledger.store.merchant_id, "member_id": member_ledger.member_id, "kind": grant.kind,
        "grant_key": grant.key, "activity_type": grant.activity_type, "reference": grant.reference,
        "points": grant.points, "transfer_id": transfer_id, "sale_id": grant.sale_id,
        "business_date": grant.earned_on, "actor": grant.actor, "created_at": member_ledger.store.now})
    return {"kind": grant.kind, "member_id": str(member_ledger.member_id), "points": grant.points}


def membership_status(connection: Connection, member_id: int) -> str:
    status = connection.execute(select(memberships.c.status).where(memberships.c.member_id == member_id)).scalar()
    return status or ACTIVE


# Registration --------------------------------------------------------------------------------------------

def on_member_registered(connection: Connection, caller: Caller, member_id: int, referred_by: str | None,
                         now: datetime) -> None:
    """A new member: pending or a member (membership setting), the referral, the sign-up bonus."""
    program, timezone_name = load_program_for_sale(connection, caller.merchant_id)
    pending = program.membership.mode == "minimum_purchase"
    connection.execute(memberships.insert(), {"merchant_id": caller.merchant_id, "member_id": member_id,
                                              "status": PENDING if pending else ACTIVE,
                                              "activated_at": None if pending else now, "created_at": now})
    if referred_by:
        add_referral(connection, caller, member_id, referred_by, now)
    if not pending:
        give_signup_bonus(connection, caller.actor, program, member_id, now, business_date(now, timezone_name))


def give_signup_bonus(connection: Connection, actor: str, program: Program, member_id: int, now: datetime,
                      today: date, member_ledger: MemberLedger | None = None,
                      sale_id: int | None = None) -> list[dict[str, Any]]:
    points = program.bonuses.signup_points
    if not points or already_given(connection, member_id, rules.SIGNUP, rules.SIGNUP):
        return []
    if member_ledger is None:
        store = LedgerStore(connection, _merchant_of(connection, member_id), now)
        member_ledger = MemberLedger.open(store, member_id, today, actor)
    return [give(connection, member_ledger, program, Grant(rules.SIGNUP, rules.SIGNUP, points, actor, now, today,
                                                           sale_id=sale_id))]


def _merchant_of(connection: Connection, member_id: int) -> int:
    return connection.execute(select(members.c.merchant_id).where(members.c.id == member_id)).scalar_one()


def add_referral(connection: Connection, caller: Caller, member_id: int, referrer_number: str,
                 now: datetime) -> dict[str, Any]:
    """Record who referred a member: not themselves, once per member, and only before their first purchase."""
    try:
        number = check_member_number(referrer_number)
    except InvalidMemberNumber as error:
        raise InvalidMemberNumber(error.message, field="referred_by") from error
    referrer = connection.execute(select(members.c.id, members.c.phone).where(
        members.c.merchant_id == caller.merchant_id, members.c.member_number == number)).first()
    member = connection.execute(select(members.c.id, members.c.phone).where(
        members.c.merchant_id == caller.merchant_id, members.c.id == member_id)).first()
    if member is None:
        raise NotFound("Member not found.", member_id=str(member_id))
    if referrer is None:
        raise ReferralRefused(f"No member has the number {referrer_number}.", field="referred_by")
    if referrer.id == member.id or referrer.phone == member.phone:
        raise ReferralRefused("A member can't refer themselves.", field="referred_by")
    existing = connection.execute(select(referrals.c.id).where(referrals.c.referred_member_id == member_id)).first()
    if existing is not None:
        raise ReferralRefused("This member was referred already; a member is referred once.", field="referred_by",
                              referral_id=str(existing.id))
    if connection.execute(select(sales.c.id).where(sales.c.member_id == member_id).limit(1)).first() is not None:
        raise ReferralRefused("A referral is recorded before the member's first purchase.", field="referred_by")
    referral_id = connection.execute(referrals.insert().returning(referrals.c.id), {
        "merchant_id": caller.merchant_id, "referrer_member_id": referrer.id, "referred_member_id": member_id,
        "status": "pending", "created_at": now}).scalar_one()
    return {"id": str(referral_id), "referrer_member_id": str(referrer.id), "referred_member_id": str(member_id),
            "status": "pending"}


# Activities ----------------------------------------------------------------------------------------------

def record_activity(connection: Connection, caller: Caller, member_id: int, activity_type: str, reference: str,
                    now: datetime) -> dict[str, Any]:
    """Points for a non-purchase activity (a survey answered, an event attended, a review...), within the
    limit per day, week or month; the same reference earns once."""
    program, timezone_name = load_program_for_sale(connection, caller.merchant_id)
    today = business_date(now, timezone_name)
    bonus = program.bonuses.activity(activity_type)
    if bonus is None:
        raise ValidationFailed(f"The program gives no points for '{activity_type}'.", field="type")
    reference = (reference or "").strip()
    if not reference:
        raise ValidationFailed("An activity names its reference (survey answer, event, review...).",
                               field="reference")
    member_ledger = MemberLedger.open(LedgerStore(connection, caller.merchant_id, now), member_id, today,
                                      caller.actor)
    if membership_status(connection, member_id) == PENDING and program.membership.mode == "minimum_purchase":
        raise MembershipPending("Not a member yet: membership starts with a first qualifying purchase.")
    key = f"{activity_type}:{reference}"
    if already_given(connection, member_id, rules.ACTIVITY, key):
        raise BonusAlreadyGiven(f"Points for {activity_type} '{reference}' were given already.", field="reference")
    if bonus.limit_per is not None:
        since = rules.period_start(today, bonus.limit_per)
        used = connection.execute(select(func.count()).select_from(bonus_grants).where(
            bonus_grants.c.member_id == member_id, bonus_grants.c.kind == rules.ACTIVITY,
            bonus_grants.c.activity_type == activity_type, bonus_grants.c.business_date >= since)).scalar_one()
        if used >= bonus.limit_count:
            raise BonusLimitReached(
                f"The limit of {bonus.limit_count} {activity_type} bonus(es) per {bonus.limit_per} is reached.",
                limit=bonus.limit_count, per=bonus.limit_per, period_start=since.isoformat())
    give(connection, member_ledger, program, Grant(rules.ACTIVITY, key, bonus.points, caller.actor, now, today,
                                                   activity_type=activity_type, reference=reference))
    return {"member_id": str(member_id), "type": activity_type, "reference": reference, "points": bonus.points,
            "balance_after": member_ledger.balance, "business_date": today.isoformat()}


# Sales: activation and referral --------------------------------------------------------------------------

def activate_if_qualifying(connection: Connection, member_ledger: MemberLedger, program: Program, money_paid: int,
                           sale_id: int, actor: str, occurred_at: datetime, today: date) -> tuple[bool, list]:
    """(the member is a member now, bonuses given): a pending member's purchase reaching the minimum makes
    them a member, and the sign-up bonus they waited for is given."""
    if program.membership.mode != "minimum_purchase":
        return True, []
    if membership_status(connection, member_ledger.member_id) != PENDING:
        return True, []
    if not program.membership.activates(money_paid):
        return False, []
    connection.execute(update(memberships).where(memberships.c.member_id == member_ledger.member_id).values(
        status=ACTIVE, activated_at=occurred_at, activation_sale_id=sale_id))
    return True, give_signup_bonus(connection, actor, program, member_ledger.member_id, occurred_at, today,
                                   member_ledger=member_ledger, sale_id=sale_id)


def reward_referral(connection: Connection, member_ledger: MemberLedger, program: Program, money_paid: int,
                    sale_id: int, actor: str, occurred_at: datetime, today: date) -> list[dict[str, Any]]:
    """At the referred member's first purchase reaching the referral minimum, both members earn, once.

    Locks the referrer after the member: a referrer was registered before whoever they referred, so locks are
    always taken from the newer member to the older and two sales can't wait on each other in a circle.
    """
    bonuses = program.bonuses
    if not bonuses.referral_enabled:
        return []
    referral = connection.execute(select(referrals.c.id, referrals.c.referrer_member_id).where(
        referrals.c.referred_member_id == member_ledger.member_id, referrals.c.status == "pending")).first()
    if referral is None or money_paid <= 0 or money_paid < bonuses.referral_minimum_spend:
        return []
    given = []
    note = f"referral {referral.id}"
    if bonuses.referred_points:
        given.append(give(connection, member_ledger, program, Grant(
            rules.REFERRAL_REFERRED, "referral", bonuses.referred_points, actor, occurred_at, today, sale_id=sale_id,
            note=note)))
    if bonuses.referrer_points:
        referrer_ledger = MemberLedger.open(member_ledger.store, referral.referrer_member_id, today, actor)
        given.append(give(connection, referrer_ledger, program, Grant(
            rules.REFERRAL_REFERRER, str(member_ledger.member_id), bonuses.referrer_points, actor, occurred_at,
            today, sale_id=sale_id, note=note)))
    connection.execute(update(referrals).where(referrals.c.id == referral.id).values(
        status="rewarded", qualifying_sale_id=sale_id, rewarded_at=occurred_at))
    return given
