"""Bulk writes for imports: SQLAlchemy's SQL and type conversions, without its per-row bookkeeping.

`connection.execute(statement, rows)` spends most of its time building and converting each row's
parameters generically (measured: longer than SQLite takes to store the rows). A BulkWriter compiles
each statement once, converts each parameter in one pass, each distinct value once (a batch repeats
its timestamps, days and documents over and over, and one sale's time goes into several tables), and
hands the rows to the driver's `executemany` as the tuples or dicts it takes.
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


class BulkWriter:
    """Many rows at a time, in the caller's transaction on `connection`."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._converted: dict[str, dict[Any, Any]] = {}  # per kind of column type: value -> driver value
        if connection.dialect.name == "sqlite":
            # For this connection: a 64 MB page cache instead of 2 MB, because a bulk insert adds to indexes
            # (by member, by sale) all over and rereading their pages costs more than writing rows; and a
            # checkpoint every 64 MB of WAL instead of every 4 MB, because each checkpoint syncs the database
            # file. Every commit still syncs the WAL (synchronous=FULL): nothing is less safe.
            connection.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
            connection.exec_driver_sql(f"PRAGMA wal_autocheckpoint={BULK_CHECKPOINT_PAGES}")

    def insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """Insert rows that all have the same keys (column names)."""
        if rows:
            # inline(): no RETURNING of generated ids, which an executemany can't give back anyway.
            self._execute_many(table.insert().inline(), rows, column_keys=list(rows[0]))

    def insert_returning_ids(self, table: Table, rows: list[dict[str, Any]], key: Column,
                             *conditions: Any) -> dict[Any, int]:
        """Insert, then the new rows' ids by `key`, a column whose value is unique among them.

        Ids only grow, so the new rows are among those above the largest id before the insert; rows that
        other transactions add meanwhile may be there too, under keys of their own (narrow them with
        `conditions`). A range of the primary key is much cheaper to read than a lookup of each key.
        """
        before = self.connection.execute(select(func.max(table.c.id))).scalar() or 0
        self.insert(table, rows)
        return dict(self.connection.execute(select(key, table.c.id).where(table.c.id > before, *conditions)).all())

    def update(self, statement: UpdateBase, rows: list[dict[str, Any]]) -> None:
        """Run an UPDATE whose parameters are bindparams named as the rows' keys, once per row."""
        if rows:
            self._execute_many(statement, rows)

    def _execute_many(self, statement: UpdateBase, rows: list[dict[str, Any]],
                      column_keys: list[str] | None = None) -> None:
        dialect = self.connection.dialect
        compiled = statement.compile(dialect=dialect, column_keys=column_keys)
        names = list(compiled.positiontup if compiled.positional else compiled.bind_names.values())
        columns = []
        for name in names:
            values = [row[name] for row in rows]
            column_type = compiled.binds[name].type.dialect_impl(dialect)
            convert = column_type.bind_processor(dialect)
            if convert is not None:
                values = list(map(self._memoized(convert, column_type), values))
            columns.append(values)
        if compiled.positional:
            parameters: list[Any] = list(zip(*columns))
        else:
            parameters = [dict(zip(names, values)) for values in zip(*columns)]
        self.connection.exec_driver_sql(compiled.string, parameters)

    def _memoized(self, convert: Callable[[Any], Any], column_type: Any) -> Callable[[Any], Any]:
        """`convert`, once per distinct value for all columns of the same type. JSON documents can't be
        hashed: the same document object is recognised by its identity, within one statement."""
        if isinstance(column_type, JSON):
            by_identity: dict[int, tuple[Any, Any]] = {}

            def same_object(value: Any) -> Any:
                known = by_identity.get(id(value))
                if known is None or known[0] is not value:
                    known = by_identity[id(value)] = (value, convert(value))
                return known[1]

            return same_object
        converted = self._converted.setdefault(f"{type(column_type).__module__}.{column_type!r}", {})

        def by_value(value: Any) -> Any:
            if value in converted:
                return converted[value]
            result = converted[value] = convert(value)
            return result

        return by_value
