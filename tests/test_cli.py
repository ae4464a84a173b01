"""The `setia` command through click's runner: schema, merchants, API keys, ledger verify, the expiry job.

Commands that act on every merchant (the expiry job) run on a database of this module's own, and the
ledger is broken on purpose only in a scratch SQLite file, so the shared test database stays as every
other test expects it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from setia.adapters.db.engine import Database
from setia.adapters.db.tables import api_keys, members, merchants
from setia.entrypoints.api.app import create_app
from setia.entrypoints.cli import main
from setia.services.merchants import authenticate_api_key

from tests.conftest import fresh_database
from tests.shop import Shop

EARNED_AT = datetime(2026, 3, 10, 5, 0, tzinfo=timezone.utc)  # 12:00 in Jakarta


def setia(url: str, *arguments: str) -> Result:
    """Run `setia --database-url URL ARGUMENTS...` as a user would, stdout and stderr apart."""
    return CliRunner().invoke(main, ["--database-url", url, *arguments], catch_exceptions=False)


def upgraded(url: str) -> None:
    result = setia(url, "db", "upgrade")
    assert (result.exit_code, result.stdout) == (0, "database is up to date\n"), result.stderr


def created_merchant(url: str, name: str, *options: str) -> int:
    result = setia(url, "merchant", "create", name, *options)
    assert result.exit_code == 0, result.stderr
    match = re.fullmatch(r"merchant (\d+) created\n", result.stdout)
    assert match, result.stdout
    return int(match.group(1))


@pytest.fixture(scope="module")
def new_database(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """An empty database of the kind under test, brought to the current schema by `setia db upgrade`; the
    tests of this module share it and only it."""
    for fresh in fresh_database("sqlite" if database.is_sqlite else "postgres", tmp_path_factory, migrate=False):
        upgraded(fresh.url)
        yield fresh


def test_ledger_verify_is_clean_on_the_test_database(database):
    result = setia(database.url, "ledger", "verify")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "ledger verify: clean\n", "")


def test_a_new_sqlite_file_upgraded_verifies_clean_until_a_cached_balance_is_edited(tmp_path):
    # Given a new SQLite file brought to the schema (twice: the second run finds nothing to do)
    url = f"sqlite:///{tmp_path / 'scratch.db'}"
    upgraded(url)
    upgraded(url)
    assert setia(url, "ledger", "verify").stdout == "ledger verify: clean\n"
    scratch = Database(url)
    try:
        # And two merchants with a member of 10 points each
        broken_shop = Shop(scratch, created_merchant(url, "Toko Rusak"), EARNED_AT)
        sound_shop = Shop(scratch, created_merchant(url, "Toko Sehat"), EARNED_AT)
        siti, budi = broken_shop.member("Siti"), sound_shop.member("Budi")
        broken_shop.sell(siti, ("Sepatu", 1, 100000))
        sound_shop.sell(budi, ("Sepatu", 1, 100000))
        clean = setia(url, "ledger", "verify")
        assert (clean.exit_code, clean.stdout, clean.stderr) == (0, "ledger verify: clean\n", "")

        # When someone edits Siti's cached balance behind the ledger's back
        with scratch.write() as connection:
            connection.execute(text("UPDATE members SET points_balance = points_balance + 1 WHERE id = :id"),
                               {"id": siti})
    finally:
        scratch.dispose()

    # Then verify exits 1 and names her, with what the ledger says instead
    result = setia(url, "ledger", "verify")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        f"member {siti}: cached balance 11, transfers sum 10, open lots 10 minus debt 0",
        "ledger verify: 1 mismatch(es)",
    ]
    # The other merchant's books are fine on their own
    sound = setia(url, "ledger", "verify", "--merchant", str(sound_shop.merchant_id))
    assert (sound.exit_code, sound.stdout) == (0, "ledger verify: clean\n")
    broken = setia(url, "ledger", "verify", "--merchant", str(broken_shop.merchant_id))
    assert broken.exit_code == 1 and broken.stderr.startswith(f"member {siti}: cached balance 11,")


def test_jobs_expire_as_of_a_day_is_idempotent(new_database):
    shop = Shop(new_database, created_merchant(new_database.url, "Toko Kedaluwarsa"), EARNED_AT)
    shop.configure(expiry={"kind": "days", "length": 30})
    dewi = shop.member("Dewi")
    shop.sell(dewi, ("Tas", 1, 250000))  # 25 points, last day 2026-04-09

    def expire(day: str) -> str:
        result = setia(new_database.url, "jobs", "expire", "--as-of", day)
        assert (result.exit_code, result.stderr) == (0, ""), result.stderr
        return result.stdout

    assert expire("2026-04-09") == "expired 0 points of 0 members\n"  # still spendable on its last day
    assert expire("2026-04-10") == "expired 25 points of 1 members\n"
    assert expire("2026-04-10") == "expired 0 points of 0 members\n"  # again: nothing left to do
    assert expire("2026-05-01") == "expired 0 points of 0 members\n"  # late: nothing twice
    with new_database.read() as connection:
        assert connection.execute(select(members.c.points_balance).where(members.c.id == dewi)).scalar_one() == 0
    assert setia(new_database.url, "ledger", "verify").stdout == "ledger verify: clean\n"


def test_merchant_create_makes_a_merchant_with_its_time_zone(new_database):
    merchant_id = created_merchant(new_database.url, "Warung Bu Sri", "--timezone", "Asia/Makassar")
    with new_database.read() as connection:
        row = connection.execute(select(merchants.c.name, merchants.c.timezone)
                                 .where(merchants.c.id == merchant_id)).one()
    assert tuple(row) == ("Warung Bu Sri", "Asia/Makassar")


def test_api_key_create_prints_a_key_that_authenticates(database):
    merchant_id = created_merchant(database.url, "Toko Kunci")
    result = setia(database.url, "api-key", "create", "--merchant", str(merchant_id), "--name", "till 2")
    assert result.exit_code == 0, result.stderr
    key = result.stdout.strip()
    assert result.stdout == key + "\n" and key.startswith("setia_")

    with database.read() as connection:
        assert authenticate_api_key(connection, key)[0] == merchant_id
    client = TestClient(create_app(database=database))
    response = client.get("/api/v1/program", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    assert response.json()["version"] == 1
    assert client.get("/api/v1/program", headers={"Authorization": f"Bearer {key}x"}).status_code == 401


def test_a_business_error_prints_its_message_exits_1_and_changes_nothing(new_database):
    def count(table) -> int:  # type: ignore[no-untyped-def]
        with new_database.read() as connection:
            return connection.execute(select(func.count()).select_from(table)).scalar_one()

    keys, merchants_before = count(api_keys), count(merchants)
    result = setia(new_database.url, "api-key", "create", "--merchant", "987654")
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", "error: Merchant not found.\n")
    result = setia(new_database.url, "merchant", "create", "Toko Mars", "--timezone", "Mars/Olympus")
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", "error: Unknown time zone 'Mars/Olympus'.\n")
    result = setia(new_database.url, "merchant", "create", "   ")
    assert (result.exit_code, result.stderr) == (1, "error: A merchant needs a name.\n")
    assert (count(api_keys), count(merchants)) == (keys, merchants_before)
