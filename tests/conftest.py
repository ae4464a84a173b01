"""Fixtures: the same suite runs on SQLite and on PostgreSQL; the ledger is verified after every test.

PostgreSQL runs when SETIA_TEST_POSTGRES_URL is set (the README's test command sets it); with
SETIA_REQUIRE_POSTGRES=1 (CI) an unreachable server fails the run instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from setia.adapters.db.engine import Database
from setia.adapters.db.migrate import upgrade
from setia.queries.ledger_verify import verify_ledger

from tests.shop import Shop

POSTGRES_URL = os.environ.get("SETIA_TEST_POSTGRES_URL")
REQUIRE_POSTGRES = os.environ.get("SETIA_REQUIRE_POSTGRES") == "1"


def _postgres_database(migrate: bool = True) -> Iterator[Database]:
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("SETIA_REQUIRE_POSTGRES=1 but SETIA_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL not configured (set SETIA_TEST_POSTGRES_URL)")
    name = f"setia_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001 - any failure to reach the server
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required but unreachable: {error}")
        pytest.skip(f"PostgreSQL unreachable: {error}")
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    if migrate:
        upgrade(url)
    database = Database(url)
    try:
        yield database
    finally:
        database.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _sqlite_database(tmp_path_factory: pytest.TempPathFactory, migrate: bool = True) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'setia.db'}"
    if migrate:
        upgrade(url)
    database = Database(url)
    yield database
    database.dispose()


def fresh_database(kind: str, tmp_path_factory: pytest.TempPathFactory, migrate: bool = True) -> Iterator[Database]:
    """A new, empty database of this kind ("sqlite" or "postgres"), dropped afterwards."""
    if kind == "sqlite":
        yield from _sqlite_database(tmp_path_factory, migrate)
    else:
        yield from _postgres_database(migrate)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    yield from fresh_database(request.param, tmp_path_factory)


@pytest.fixture(scope="module")
def own_database(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A database of the same kind as `database`, for this module alone: for jobs and commands that act on
    every merchant (the expiry job, `setia ledger verify`), whose effects must not reach other tests."""
    yield from fresh_database("sqlite" if database.is_sqlite else "postgres", tmp_path_factory)


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 3, 10, 5, 0, tzinfo=timezone.utc)  # 12:00 in Jakarta


def verified_shop(database: Database, now: datetime) -> Iterator[Shop]:
    """A fresh merchant on `database`; the whole ledger must verify after the test."""
    shop = Shop.open(database, now)
    yield shop
    with database.read() as connection:
        assert verify_ledger(connection) == []


@pytest.fixture
def shop(database: Database, now: datetime) -> Iterator[Shop]:
    """A fresh merchant on the database under test; the whole ledger must verify after the test."""
    yield from verified_shop(database, now)


@pytest.fixture
def own_shop(own_database: Database, now: datetime) -> Iterator[Shop]:
    """As `shop`, on the module's own database (for modules whose jobs act on every merchant)."""
    yield from verified_shop(own_database, now)
