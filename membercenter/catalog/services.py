"""Catalog operations: importing the serial registry from factory files."""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol, TextIO

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Field
from django.utils import timezone
from django.utils.translation import gettext as _

from membercenter.catalog.models import ProductModel, Serial
from membercenter.catalog.serials import is_valid_chk, is_valid_sn, normalize_sn, sn_skeleton

SERIAL_CSV_COLUMNS = ("sn", "chk", "model", "manufactured_on")
# Rows per transaction. SNs are random, so every batch dirties index pages all
# over the table and each commit rewrites them: on SQLite, 20,000-row batches load
# a million serials about twice as fast as 5,000-row ones, and one batch still
# holds the write lock for well under a second.
DEFAULT_BATCH_SIZE = 20_000
# A broken factory file can reject millions of rows; the report keeps the first
# ones for people to read and counts the rest (`on_reject` sees every one).
MAX_KEPT_REJECTS = 10_000
# SQLite's default page cache (2 MiB) is far smaller than the SN indexes of a big
# registry, so every batch would read its index pages from the OS again.
IMPORT_SQLITE_CACHE_KIB = 256 * 1024
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

# The columns of SerialParams, and how many SNs one registry look-up asks for
# (SQLite accepts at most 32,766 parameters per statement).
_SERIAL_COLUMNS = ("sn", "skeleton", "chk", "product_model", "manufactured_on")
_LOOKUP_CHUNK = 10_000
# One row as written to the database: sn, skeleton, chk, product_model_id, manufactured_on.
SerialParams = tuple[str, str, str, int, dt.date]


class _CsvReader(Iterator[list[str]], Protocol):
    line_num: int


class SerialImportError(ValueError):
    """The file cannot be imported at all (wrong or missing header)."""


@dataclass
class ImportReport:
    rows_read: int = 0
    accepted: int = 0
    rejected: int = 0
    created: int = 0  # accepted rows that were new serials
    changed: int = 0  # accepted rows that were new or differed from the registry
    rejects: list[tuple[int, str]] = field(default_factory=list)

    @property
    def updated(self) -> int:
        return self.changed - self.created

    @property
    def unchanged(self) -> int:
        return self.accepted - self.changed

    @property
    def rejects_truncated(self) -> bool:
        return self.rejected > len(self.rejects)


def serials_import(
    *,
    source: str | os.PathLike[str] | TextIO,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Callable[[int], None] | None = None,
    on_reject: Callable[[int, str], None] | None = None,
    today: dt.date | None = None,
) -> ImportReport:
    """Validate a `sn,chk,model,manufactured_on` CSV and upsert its good rows.

    `source` is a path or an open text stream. Rows are checked one by one; a bad
    row is reported as (line number, reason) and never written, the good ones are
    upserted by SN in batches of `batch_size`, one transaction per batch, so that
    running the same file twice changes nothing. `on_progress(rows_read)` is called
    after each batch; `on_reject(line, reason)` for every rejected row.
    Raises SerialImportError, before writing anything, when the header is wrong.

    Memory: the SNs already seen in the file are kept to reject duplicates, about
    150 bytes per row (150 MB for a million rows).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    with _open_text(source) as stream:
        reader = csv.reader(stream)
        positions = _header_positions(next(reader, None))
        report = ImportReport()
        total_before = Serial.objects.count()
        batches = _serial_batches(
            reader, positions, report, batch_size=batch_size, today=today or timezone.localdate(), on_reject=on_reject
        )
        sql = _serial_upsert_sql()
        with _sqlite_page_cache(IMPORT_SQLITE_CACHE_KIB):
            for batch in batches:
                report.changed += _serials_upsert(sql, batch)
                report.accepted += len(batch)
                if on_progress is not None:
                    on_progress(report.rows_read)
        report.created = Serial.objects.count() - total_before
    if on_progress is not None:
        on_progress(report.rows_read)
    return report


@contextmanager
def _open_text(source: str | os.PathLike[str] | TextIO) -> Iterator[TextIO]:
    if isinstance(source, (str, os.PathLike)):
        # utf-8-sig: spreadsheet programs put a BOM before the header. Undecodable
        # bytes become U+FFFD, which fails the row's checks instead of the import.
        with open(source, encoding="utf-8-sig", errors="replace", newline="") as stream:
            yield stream
    else:
        yield source


def _header_positions(header: list[str] | None) -> tuple[int, int, int, int]:
    """Where each expected column sits; any order is fine, nothing missing or extra."""
    expected = ",".join(SERIAL_CSV_COLUMNS)
    if not header:
        raise SerialImportError(
            _("The file is empty: the first line must be the header %(expected)s.") % {"expected": expected}
        )
    names = [name.strip().lstrip("\ufeff").lower() for name in header]
    missing = [c for c in SERIAL_CSV_COLUMNS if c not in names]
    extra = [n for n in names if n not in SERIAL_CSV_COLUMNS]
    repeated = sorted({n for n in names if names.count(n) > 1})
    problems = []
    if missing:
        problems.append(_("missing column(s): %s") % ", ".join(missing))
    if extra:
        problems.append(_("unexpected column(s): %s") % ", ".join(n or _("(empty)") for n in extra))
    if repeated:
        problems.append(_("repeated column(s): %s") % ", ".join(repeated))
    if problems:
        raise SerialImportError(
            _("Wrong header (%(problems)s). The first line must be exactly: %(expected)s")
            % {"problems": "; ".join(problems), "expected": expected}
        )
    sn, chk, model, made = (names.index(c) for c in SERIAL_CSV_COLUMNS)
    return sn, chk, model, made


def _serial_batches(
    reader: _CsvReader,
    positions: tuple[int, int, int, int],
    report: ImportReport,
    *,
    batch_size: int,
    today: dt.date,
    on_reject: Callable[[int, str], None] | None,
) -> Iterator[list[SerialParams]]:
    """The valid rows in batches; counts and records the rest in `report`.

    This loop runs once per row of multi-million-row files, so a good row costs a
    few C-level calls; the reasons are worked out only for a row that failed.
    """
    model_ids = dict(ProductModel.objects.values_list("code", "pk"))
    # A factory file repeats a few hundred dates: parse each text once. Only valid
    # dates are kept, so the cache stays small whatever the file holds.
    dates: dict[str, dt.date] = {}
    first_line_of: dict[str, int] = {}
    p_sn, p_chk, p_model, p_made = positions
    batch: list[SerialParams] = []
    rows_read = 0
    for fields in reader:
        if not fields:
            continue  # blank line, e.g. a trailing newline added by an editor
        rows_read += 1
        line = reader.line_num
        if len(fields) != len(SERIAL_CSV_COLUMNS):
            reason = _("expected %(expected)d fields, found %(found)d") % {
                "expected": len(SERIAL_CSV_COLUMNS),
                "found": len(fields),
            }
        else:
            sn = normalize_sn(fields[p_sn])
            chk = fields[p_chk].strip()
            model_id = model_ids.get(fields[p_model].strip())
            made = dates.get(fields[p_made])
            if made is None and (made := _parse_date(fields[p_made])) is not None:
                dates[fields[p_made]] = made
            if (
                sn not in first_line_of
                and is_valid_sn(sn)
                and is_valid_chk(chk)
                and model_id is not None
                and made is not None
                and made <= today
            ):
                first_line_of[sn] = line
                batch.append((sn, sn_skeleton(sn), chk, model_id, made))
                if len(batch) >= batch_size:
                    report.rows_read = rows_read
                    yield batch
                    batch = []
                continue
            reason = _row_problems(fields, positions, sn, chk, model_id, made, today, first_line_of)
            if is_valid_sn(sn):
                first_line_of.setdefault(sn, line)
        _reject(report, line, reason, on_reject)
    report.rows_read = rows_read
    if batch:
        yield batch


def _parse_date(raw: str) -> dt.date | None:
    raw = raw.strip()
    if not _ISO_DATE.match(raw):
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


def _row_problems(
    fields: list[str],
    positions: tuple[int, int, int, int],
    sn: str,
    chk: str,
    model_id: int | None,
    made: dt.date | None,
    today: dt.date,
    first_line_of: dict[str, int],
) -> str:
    """Every reason a row is refused, so one fix-up pass over the file is enough."""
    p_sn, p_chk, p_model, p_made = positions
    problems = []
    if not is_valid_sn(sn):
        problems.append(_("invalid SN %r (6–32 letters and digits)") % fields[p_sn])
    elif sn in first_line_of:
        problems.append(_("duplicate SN %(sn)s, first seen on line %(line)d") % {"sn": sn, "line": first_line_of[sn]})
    if not is_valid_chk(chk):
        problems.append(_("invalid CHK %r (3 digits)") % fields[p_chk])
    if model_id is None:
        problems.append(_("unknown model %r") % fields[p_model])
    if made is None:
        problems.append(_("invalid manufacture date %r (YYYY-MM-DD)") % fields[p_made])
    elif made > today:
        problems.append(_("manufacture date %s is in the future") % made.isoformat())
    return "; ".join(problems)


def _reject(report: ImportReport, line: int, reason: str, on_reject: Callable[[int, str], None] | None) -> None:
    report.rejected += 1
    if len(report.rejects) < MAX_KEPT_REJECTS:
        report.rejects.append((line, reason))
    if on_reject is not None:
        on_reject(line, reason)


@contextmanager
def _sqlite_page_cache(kib: int) -> Iterator[None]:
    """A bigger page cache on this connection while it imports; memory only, no effect on durability."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (previous,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = {-int(kib)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def _serials_upsert(sql: str, batch: list[SerialParams]) -> int:
    """Insert or update one batch in one transaction; the number of rows written."""
    with transaction.atomic(), connection.cursor() as cursor:
        # Rows the registry already holds as they are are left out: PostgreSQL would
        # lock (and so write) each one even when the upsert changes nothing.
        rows = _rows_not_in_registry(cursor, batch)
        if not rows:
            return 0
        cursor.executemany(sql, rows)
        return max(cursor.rowcount, 0)


def _serial_column(name: str) -> str:
    """The column of one of the serial registry's own fields (not a relation seen from the other side)."""
    field = Serial._meta.get_field(name)
    if not isinstance(field, Field) or not field.column:
        raise TypeError(f"Serial.{name} has no column")
    return field.column


def _rows_not_in_registry(cursor: CursorWrapper, batch: list[SerialParams]) -> list[SerialParams]:
    """The batch without the rows that the registry already holds with the same values."""
    meta = Serial._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(_serial_column(name)) for name in _SERIAL_COLUMNS)
    # Quoted identifiers from the model's metadata only; the values go as parameters.
    sn_column = quote(_serial_column("sn"))
    select = f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {sn_column} IN "  # noqa: S608  # nosec B608
    stored: set[tuple[object, ...]] = set()
    for start in range(0, len(batch), _LOOKUP_CHUNK):
        chunk = batch[start : start + _LOOKUP_CHUNK]
        cursor.execute(f"{select}({', '.join(['%s'] * len(chunk))})", [row[0] for row in chunk])
        stored.update(cursor.fetchall())
    return [row for row in batch if row not in stored] if stored else batch


def _serial_upsert_sql() -> str:
    """INSERT … ON CONFLICT (sn) DO UPDATE, valid on both SQLite and PostgreSQL.

    Unchanged rows are mostly filtered out before; the WHERE clause also keeps
    one that another import stored meanwhile from being rewritten and counted.
    """
    meta = Serial._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    key, *values = (quote(_serial_column(name)) for name in _SERIAL_COLUMNS)
    columns = ", ".join([key, *values])
    placeholders = ", ".join(["%s"] * (1 + len(values)))
    assignments = ", ".join(f"{c} = excluded.{c}" for c in values)
    differs = " OR ".join(f"{table}.{c} <> excluded.{c}" for c in values)
    # Only quoted identifiers from the model's metadata go into the string; the
    # values travel as parameters.
    return (
        f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) "  # noqa: S608  # nosec B608
        f"ON CONFLICT ({key}) DO UPDATE SET {assignments} WHERE {differs}"
    )
