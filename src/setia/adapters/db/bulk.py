"""Bulk writes for imports: SQLAlchemy's SQL and type conversions, without its per-row bookkeeping.

`connection.execute(statement, rows)` spends most of its time building and converting each row's
parameters generically (measured: longer than SQLite takes to store the rows). Here the statement is
compiled once per call, each parameter is converted in one pass with each distinct value converted
once, and the rows go to the driver's `executemany` as the tuples or dicts it takes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy import JSON, Column, Connection, Table, func, select
from sqlalchemy.sql.dml import UpdateBase


BULK_CACHE_KIB = 65536
BULK_CHECKPOINT_PAGES = 16384  # 64 MB of WAL between checkpoints (the default is 1000 pages, 4 MB)
IN_LIST_LIMIT = 5000  # values per IN (...): well under SQLite's limit on a statement's parameters


def in_chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    """The values in lists short enough for one IN (...) each."""
    values = list(values)
    for start in range(0, len(values), IN_LIST_LIMIT):
        yield values[start:start + IN_LIST_LIMIT]


def make_room_for_bulk_writes(connection: Connection) -> None:
    """SQLite, for this connection: a 64 MB page cache instead of 2 MB, because a bulk insert adds to
    indexes (by member, by sale) all over and rereading their pages costs more than writing rows; and a
    checkpoint every 64 MB of WAL instead of every 4 MB, because a checkpoint after every batch syncs the
    database file each time. Every commit still syncs the WAL (synchronous=FULL): nothing is less safe."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
        connection.exec_driver_sql(f"PRAGMA wal_autocheckpoint={BULK_CHECKPOINT_PAGES}")


def insert_many(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows that all have the same keys (column names), in the caller's transaction."""
    if rows:
        # inline(): no RETURNING of generated ids, which an executemany can't give back anyway.
        _execute_many(connection, table.insert().inline(), rows, column_keys=list(rows[0]))


def update_many(connection: Connection, statement: UpdateBase, rows: list[dict[str, Any]]) -> None:
    """Run an UPDATE whose parameters are bindparams named as the rows' keys, once per row."""
    if rows:
        _execute_many(connection, statement, rows)


def insert_many_returning_ids(connection: Connection, table: Table, rows: list[dict[str, Any]],
                              key: Column, *conditions: Any) -> dict[Any, int]:
    """insert_many, then the new rows' ids by `key`, a column whose value is unique among them.

    Ids only grow, so the new rows are among those above the largest id before the insert; rows that
    other transactions add meanwhile may be there too, under keys of their own (narrow them with
    `conditions`). A range of the primary key is much cheaper to read than a lookup of each key.
    """
    before = connection.execute(select(func.max(table.c.id))).scalar() or 0
    insert_many(connection, table, rows)
    return dict(connection.execute(select(key, table.c.id).where(table.c.id > before, *conditions)).all())


def _execute_many(connection: Connection, statement: UpdateBase, rows: list[dict[str, Any]],
                  column_keys: list[str] | None = None) -> None:
    dialect = connection.dialect
    compiled = statement.compile(dialect=dialect, column_keys=column_keys)
    names = list(compiled.positiontup if compiled.positional else compiled.bind_names.values())
    parameters_by_name = []
    for name in names:
        values = [row[name] for row in rows]
        column_type = compiled.binds[name].type.dialect_impl(dialect)
        convert = column_type.bind_processor(dialect)
        if convert is not None:
            values = list(map(_memoized(convert, by_identity=isinstance(column_type, JSON)), values))
        parameters_by_name.append(values)
    if compiled.positional:
        parameters: list[Any] = list(zip(*parameters_by_name))
    else:
        parameters = [dict(zip(names, values)) for values in zip(*parameters_by_name)]
    connection.exec_driver_sql(compiled.string, parameters)


def _memoized(convert: Callable[[Any], Any], by_identity: bool) -> Callable[[Any], Any]:
    """Convert each distinct value once: a batch repeats its timestamps, days and documents over and over.
    JSON documents can't be hashed: the same document object is recognised by its identity."""
    if not by_identity:
        converted: dict[Any, Any] = {}

        def by_value(value: Any) -> Any:
            if value in converted:
                return converted[value]
            result = converted[value] = convert(value)
            return result

        return by_value
    converted_objects: dict[int, tuple[Any, Any]] = {}

    def same_object(value: Any) -> Any:
        known = converted_objects.get(id(value))
        if known is None or known[0] is not value:
            known = converted_objects[id(value)] = (value, convert(value))
        return known[1]

    return same_object
