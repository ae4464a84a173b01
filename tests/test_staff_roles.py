"""Staff roles, permissions and the sign-in lock-out, as plain rules (no database)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from setia.domain.errors import Forbidden
from setia.domain.staff import (
    ADJUST_POINTS,
    MANAGE_STAFF,
    OVERRIDE_PRICE,
    REFUND,
    SELL,
    VIEW_REPORTS,
    StaffMember,
    after_failed_login,
    is_locked,
    refund_needs_approval,
)

NOW = datetime(2026, 12, 2, 7, 0, tzinfo=timezone.utc)


def person(role: str) -> StaffMember:
    return StaffMember(id=7, merchant_id=1, outlet_id=1, username="x", name="X", role=role)


def test_what_each_role_may_do():
    cashier, manager, owner = person("cashier"), person("manager"), person("owner")
    assert cashier.may(SELL) and cashier.may(REFUND)
    assert not any(cashier.may(p) for p in (OVERRIDE_PRICE, ADJUST_POINTS, VIEW_REPORTS, MANAGE_STAFF))
    assert all(manager.may(p) for p in (OVERRIDE_PRICE, ADJUST_POINTS, VIEW_REPORTS))
    assert not manager.may(MANAGE_STAFF) and owner.may(MANAGE_STAFF)
    with pytest.raises(Forbidden):
        cashier.require(ADJUST_POINTS)
    assert cashier.actor == "staff:7"


def test_a_cashier_needs_a_manager_above_rp100000_refunded_on_one_sale():
    assert not refund_needs_approval(person("cashier"), 100_000)
    assert refund_needs_approval(person("cashier"), 100_001)
    assert not refund_needs_approval(person("manager"), 10_000_000)


def test_the_fifth_failure_in_a_row_locks_for_fifteen_minutes():
    failed, locked_until = 0, None
    for _ in range(4):
        failed, locked_until = after_failed_login(failed, NOW)
        assert locked_until is None
    failed, locked_until = after_failed_login(failed, NOW)
    assert failed == 0 and locked_until == NOW + timedelta(minutes=15)
    assert is_locked(locked_until, NOW + timedelta(minutes=14, seconds=59))
    assert not is_locked(locked_until, NOW + timedelta(minutes=15))
