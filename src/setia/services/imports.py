"""Importing past sales from a CSV, so members start with the points they earned (docs/import.md).

The file is read a batch at a time; each row is checked here, and a batch of good rows is written in
one transaction by import_batch. A bad row is reported with its line number and changes nothing; a
row imported by an earlier run is skipped, so running the same file again imports nothing twice.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from functools import lru_cache
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from tqdm import tqdm

from setia.adapters.db.engine import Database
from setia.adapters.db.tables import outlets
from setia.domain.errors import NotFound, SetiaError, ValidationFailed
from setia.domain.sale import MAX_AMOUNT
from setia.services.context import Caller, as_utc, business_date
from setia.services.identifiers import check_member_number, normalize_phone
from setia.services.import_batch import ImportContext, ImportRow, ImportSummary, import_batch
from setia.services.merchants import merchant_timezone
from setia.services.programs import load_program

__all__ = ["COLUMNS", "ImportSummary", "import_sales_csv"]

COLUMNS = ("external_id", "occurred_at", "member_phone", "member_number", "member_name", "total", "outlet_id",
           "description")
REQUIRED_COLUMNS = ("external_id", "occurred_at", "total")
DEFAULT_DESCRIPTION = "Imported sale"

# One parse per distinct phone or number, not per row: phonenumbers is the slowest step of a row.
_normalized_phone = lru_cache(maxsize=100_000)(normalize_phone)
_checked_member_number = lru_cache(maxsize=100_000)(check_member_number)


def import_sales_csv(database: Database, merchant_id: int, path: str, now: datetime, batch_size: int = 2000,
                     show_progress: bool = False, actor: str = "import") -> ImportSummary:
    """Import the sales in a CSV file, a batch per transaction; rows already imported are skipped."""
    if batch_size < 1:
        raise ValidationFailed("The batch size is at least 1.", field="batch_size")
    context = _context(database, merchant_id, now, actor)
    summary = ImportSummary()
    seen: dict[str, int] = {}  # external_id -> line number, to refuse a duplicate within the file
    with open(path, newline="", encoding="utf-8-sig") as file, \
            tqdm(total=_count_rows(path) if show_progress else None, unit=" sales", file=sys.stderr,
                 disable=not show_progress) as progress:
        records = _records(file)
        while batch := _next_batch(records, batch_size, summary):
            rows = _parse_batch(batch, context, seen, summary)
            if rows:
                with database.write() as connection:
                    result = import_batch(connection, context, rows)
                summary.add(result)  # counted once committed
            progress.update(len(batch))
    summary.errors.sort()
    return summary


def _next_batch(records: Iterator[tuple[int, dict[str, str] | str]], batch_size: int,
                summary: ImportSummary) -> list[tuple[int, dict[str, str] | str]]:
    try:
        return list(islice(records, batch_size))
    except UnicodeDecodeError:
        raise ValidationFailed(
            f"The file is not UTF-8 text (after {summary.imported + summary.skipped} sales imported or skipped): "
            "save it as 'CSV UTF-8' and run the import again.", field="file") from None


def _context(database: Database, merchant_id: int, now: datetime, actor: str) -> ImportContext:
    with database.read() as connection:
        timezone_name = merchant_timezone(connection, merchant_id)
        # History earns by the spend rule alone: what the configured rules look at (the hour, the outlet,
        # the member's tier then, what a cap had left that day) is not in a history file.
        program = replace(load_program(connection, merchant_id), earn_rules=())
        outlet_ids = frozenset(connection.execute(
            select(outlets.c.id).where(outlets.c.merchant_id == merchant_id)).scalars())
    return ImportContext(merchant_id, ZoneInfo(timezone_name), program, outlet_ids, Caller(merchant_id, actor),
                         as_utc(now), business_date(now, timezone_name))


# --- reading and checking rows ------------------------------------------------------------------


def _count_rows(path: str) -> int:
    """The progress bar's total: the lines after the header (as many as rows unless a value spans lines)."""
    lines, last = 0, b"\n"
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            lines, last = lines + chunk.count(b"\n"), chunk[-1:]
    return lines - (1 if last == b"\n" else 0)


def _records(file: Any) -> Iterator[tuple[int, dict[str, str] | str]]:
    """(line number, values by column) per record, or (line number, what is wrong with it)."""
    header_line = file.readline()
    delimiter = max(",;\t", key=header_line.count)  # spreadsheets in an Indonesian locale write ';'
    columns = [name.strip().lower() for name in next(csv.reader([header_line], delimiter=delimiter), [])]
    problems = {
        "missing": [name for name in REQUIRED_COLUMNS if name not in columns],
        "unknown": [name for name in columns if name not in COLUMNS],  # a misspelt column isn't ignored
        "repeated": sorted({name for name in columns if columns.count(name) > 1}),
    }
    if any(problems.values()):
        found = "; ".join(f"{kind} column(s) {', '.join(names)}" for kind, names in problems.items() if names)
        raise ValidationFailed(f"The header has {found}; the columns are {', '.join(COLUMNS)}.", field="header")
    reader = csv.reader(file, delimiter=delimiter)
    last_line = 1
    for record in reader:
        line_number, last_line = last_line + 1, reader.line_num + 1
        if not "".join(record).strip():  # a blank line
            continue
        if len(record) != len(columns):
            yield line_number, f"{len(record)} values for {len(columns)} columns"
        else:
            yield line_number, dict(zip(columns, record))


def _parse_batch(batch: list[tuple[int, dict[str, str] | str]], context: ImportContext, seen: dict[str, int],
                 summary: ImportSummary) -> list[ImportRow]:
    rows = []
    for line_number, values in batch:
        try:
            if isinstance(values, str):
                raise ValidationFailed(values)
            row = _parse_row(line_number, values, context)
        except SetiaError as error:
            summary.errors.append((line_number, error.message))
            continue
        first = seen.setdefault(row.external_id, line_number)
        if first != line_number:
            summary.errors.append((line_number, f"external_id '{row.external_id}' is already on line {first}."))
            continue
        rows.append(row)
    return rows


def _parse_row(line_number: int, values: dict[str, str], context: ImportContext) -> ImportRow:
    external_id = values["external_id"].strip()
    if not external_id or len(external_id) > 100:
        raise ValidationFailed("external_id is required, at most 100 characters.", field="external_id")
    description = values.get("description", "").strip() or DEFAULT_DESCRIPTION
    if len(description) > 200:
        raise ValidationFailed("description is at most 200 characters.", field="description")
    member_name = values.get("member_name", "").strip() or None
    if member_name and len(member_name) > 200:
        raise ValidationFailed("member_name is at most 200 characters.", field="member_name")
    phone, number = values.get("member_phone", "").strip(), values.get("member_number", "").strip()
    outlet = values.get("outlet_id", "").strip()
    return ImportRow(
        line_number=line_number, external_id=external_id,
        occurred_at=_occurred_at(values["occurred_at"].strip(), context), total=_total(values["total"].strip()),
        phone=_normalized_phone(phone) if phone else None,
        member_number=_checked_member_number(number) if number else None, member_name=member_name,
        outlet_id=_outlet(outlet, context) if outlet else None, description=description,
    )


def _occurred_at(text: str, context: ImportContext) -> datetime:
    try:
        if len(text) < 16:  # a date alone is not enough: the time decides the business day near midnight
            raise ValueError(text)
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"occurred_at '{text}' is not 'YYYY-MM-DD HH:MM' or ISO 8601 with an offset.",
                               field="occurred_at") from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=context.zone)  # a local time is the merchant's
    if instant > context.now:
        raise ValidationFailed(f"occurred_at '{text}' is in the future.", field="occurred_at")
    return instant


def _total(text: str) -> int:
    if not text:
        raise ValidationFailed("total is required.", field="total")
    if text.startswith("-") and text[1:].isdigit():
        raise ValidationFailed(f"total {text} is negative.", field="total")
    if not text.isdigit() or not text.isascii() or int(text) > MAX_AMOUNT:
        raise ValidationFailed(f"total '{text}' is not whole rupiah in digits (like 125000).", field="total")
    return int(text)


def _outlet(text: str, context: ImportContext) -> int:
    if not text.isdigit() or int(text) not in context.outlet_ids:
        raise NotFound(f"outlet_id '{text}' is not an outlet of this merchant.", field="outlet_id")
    return int(text)
