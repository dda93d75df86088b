"""Benchmark the serial registry import against a plain bulk insert (the floor).

    .venv/bin/python bench/bench_import.py [--rows 1000000] [--batch-size 20000]
        [--database-url postgres://postgres@127.0.0.1:5432/bench_import]

Without --database-url it runs on a fresh SQLite file in a temporary folder, with
the same connection settings as the site (WAL, synchronous=NORMAL). The PostgreSQL
database is created when missing; its serial table is emptied before and after.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import shutil
import string
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
MODEL_COUNT = 20
SEED = 2024


def main() -> None:
    args = _parse_args()
    with _database(args.database_url) as database_url:
        os.environ["DATABASE_URL"] = database_url
        _django_setup()
        from django.core.management import call_command

        from membercenter.catalog.services import DEFAULT_BATCH_SIZE

        args.batch_size = args.batch_size or DEFAULT_BATCH_SIZE
        call_command("migrate", verbosity=0, interactive=False)
        model_ids = _product_models()
        _refuse_a_real_database(model_ids)
        with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
            csv_path = Path(folder) / "serials.csv"
            print(f"Writing {args.rows:,} rows to {csv_path} …", flush=True)
            _write_csv(csv_path, args.rows, list(model_ids))
            results = _run(csv_path, model_ids, args.batch_size)
        _empty_serials()
        from django.db import connections

        connections.close_all()
    _print_table(results, args.rows, args.batch_size)


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=0, help="rows per transaction; default: the import's")
    parser.add_argument("--database-url", default="", help="PostgreSQL URL; default: a temporary SQLite file")
    return parser.parse_args()


@contextmanager
def _database(url: str) -> Iterator[str]:
    """A database URL to run against: the given PostgreSQL one, or a throw-away SQLite file."""
    if url:
        if not url.startswith(("postgres://", "postgresql://")):
            sys.exit("--database-url must be a PostgreSQL URL (SQLite is the default)")
        _create_postgres_database(url)
        yield url
        return
    folder = tempfile.mkdtemp(prefix="bench-import-db-")
    try:
        yield f"sqlite:///{folder}/bench.sqlite3"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _create_postgres_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"Created database {name}")


def _django_setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "membercenter.settings")
    import django

    django.setup()


def _product_models() -> dict[str, int]:
    from membercenter.catalog.models import Category, ProductModel

    category, _ = Category.objects.get_or_create(slug="bench", defaults={"name_en": "Bench", "name_id": "Bench"})
    models = {}
    for n in range(MODEL_COUNT):
        model, _ = ProductModel.objects.get_or_create(
            code=f"BENCH{n:02d}-X", defaults={"category": category, "name": f"Bench Model {n}"}
        )
        models[model.code] = model.pk
    return models


def _write_csv(path: Path, rows: int, model_codes: list[str]) -> None:
    """Valid, unique, deterministic rows: the same file on every run."""
    rng = random.Random(SEED)
    alphabet = string.ascii_uppercase + string.digits
    first_day = dt.date(2020, 1, 1).toordinal()
    days = [dt.date.fromordinal(first_day + n).isoformat() for n in range(5 * 365)]
    seen: set[str] = set()
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["sn", "chk", "model", "manufactured_on"])
        while len(seen) < rows:
            sn = "".join(rng.choices(alphabet, k=12))
            if sn in seen:
                continue
            seen.add(sn)
            writer.writerow([sn, f"{rng.randrange(1000):03d}", rng.choice(model_codes), rng.choice(days)])


def _run(csv_path: Path, model_ids: dict[str, int], batch_size: int) -> list[tuple[str, float]]:
    from membercenter.catalog.services import serials_import

    _empty_serials()
    results = []
    seconds, report = _timed(lambda: serials_import(source=csv_path, batch_size=batch_size))
    _expect(report.accepted == report.rows_read and report.created == report.rows_read, "import", report)
    results.append(("import (empty table)", seconds))

    _empty_serials()
    results.append(("floor: plain INSERT", _timed_plain_insert(csv_path, model_ids, batch_size)))

    seconds, report = _timed(lambda: serials_import(source=csv_path, batch_size=batch_size))
    _expect(report.created == 0 and report.unchanged == report.rows_read, "re-import", report)
    results.append(("re-import (same file)", seconds))
    return results


def _timed_plain_insert(csv_path: Path, model_ids: dict[str, int], batch_size: int) -> float:
    rows = _parsed_rows(csv_path, model_ids)
    seconds, _ = _timed(lambda: _plain_insert(rows, batch_size))
    return seconds


def _timed(work: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def _expect(ok: bool, step: str, report: object) -> None:
    if not ok:
        sys.exit(f"{step}: unexpected result {report}")


def _parsed_rows(csv_path: Path, model_ids: dict[str, int]) -> list[tuple[str, str, str, int, dt.date]]:
    """The file's rows as the floor inserts them, parsed before the clock starts."""
    from membercenter.catalog.serials import sn_skeleton

    with csv_path.open(encoding="utf-8", newline="") as stream:
        reader = csv.reader(stream)
        next(reader)
        return [
            (sn, sn_skeleton(sn), chk, model_ids[model], dt.date.fromisoformat(made)) for sn, chk, model, made in reader
        ]


def _plain_insert(rows: list[tuple[str, str, str, int, dt.date]], batch_size: int) -> None:
    """The floor: the same rows, batches and transactions; no checks, no conflict clause."""
    from django.db import connection, transaction

    from membercenter.catalog.services import IMPORT_SQLITE_CACHE_KIB

    sql = (
        "INSERT INTO catalog_serial (sn, skeleton, chk, product_model_id, manufactured_on) VALUES (%s, %s, %s, %s, %s)"
    )
    if connection.vendor == "sqlite":
        sql = sql.replace("%s", "?")
        # The same page cache as the import gets, so that only the work differs.
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {-IMPORT_SQLITE_CACHE_KIB}")
    for start in range(0, len(rows), batch_size):
        with transaction.atomic():
            # The driver's own cursor: not even Django's thin wrapper in the way.
            cursor = connection.connection.cursor()
            cursor.executemany(sql, rows[start : start + batch_size])
            cursor.close()


def _empty_serials() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # CASCADE only because tables that reference serials exist; _refuse_a_real_database
            # checked that they are empty.
            cursor.execute("TRUNCATE catalog_serial CASCADE")
        else:
            cursor.execute("DELETE FROM catalog_serial")
            # Give the freed pages back and empty the WAL, so that every step starts
            # from the same file state as the first import did.
            cursor.execute("VACUUM")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _refuse_a_real_database(bench_model_ids: dict[str, int]) -> None:
    """The bench empties the serial registry: never on a database that holds real data."""
    from membercenter.catalog.models import Serial

    foreign = Serial.objects.exclude(product_model_id__in=bench_model_ids.values()).exists()
    referenced = [
        rel.related_model._meta.label
        for rel in Serial._meta.related_objects
        if rel.related_model._default_manager.exists()
    ]
    if foreign or referenced:
        sys.exit(
            "This database holds serials or registrations that are not the benchmark's own "
            f"({', '.join(referenced) or 'catalog.Serial'}); use an empty database for the benchmark."
        )


def _print_table(results: list[tuple[str, float]], rows: int, batch_size: int) -> None:
    from django.db import connection

    print(f"\n{connection.vendor}, {rows:,} rows, batches of {batch_size:,}")
    print(f"{'step':<24}{'rows':>12}{'seconds':>10}{'rows/s':>12}")
    for label, seconds in results:
        print(f"{label:<24}{rows:>12,}{seconds:>10.2f}{rows / seconds:>12,.0f}")
    timings = dict(results)
    ratio = timings["floor: plain INSERT"] / timings["import (empty table)"]
    print(f"\nimport speed / floor speed = {ratio:.0%} (target ≥ 30%)")


if __name__ == "__main__":
    main()
