"""The migrations build exactly the schema tables.py describes, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from setia.adapters.db.tables import metadata


def test_the_migrated_schema_is_the_one_in_tables_py(database):
    with database.read() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []
