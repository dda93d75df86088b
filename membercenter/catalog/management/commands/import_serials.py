"""`manage.py import_serials FILE.csv`: load a factory file into the serial registry."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from membercenter.catalog.services import DEFAULT_BATCH_SIZE, ImportReport, SerialImportError, serials_import

REJECTS_SHOWN = 50


class Command(BaseCommand):
    help = "Import the serial registry from a CSV file with the header sn,chk,model,manufactured_on."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="CSV file: sn,chk,model,manufactured_on (YYYY-MM-DD)")
        parser.add_argument("--rejects", type=Path, help="write every rejected row to this CSV (line,reason)")
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="rows per transaction")

    def handle(self, *args: Any, file: Path, rejects: Path | None, batch_size: int, **options: Any) -> None:
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        rejects_stream = rejects.open("w", encoding="utf-8", newline="") if rejects else None
        try:
            report = self._import(file, batch_size, rejects_stream)
        except SerialImportError as exc:
            raise CommandError(f"{file}: {exc}") from exc
        finally:
            if rejects_stream is not None:
                rejects_stream.close()
        self._print_summary(report, rejects)

    def _import(self, file: Path, batch_size: int, rejects_stream: TextIO | None) -> ImportReport:
        on_reject = _rejects_writer(rejects_stream) if rejects_stream is not None else None
        # The bar writes to stderr so the summary on stdout stays clean for scripts;
        # it is shown only to a person watching a terminal.
        with tqdm(total=_data_line_count(file), unit=" rows", unit_scale=True, disable=not self.stdout.isatty()) as bar:

            def on_progress(rows_read: int) -> None:
                bar.update(rows_read - bar.n)

            return serials_import(source=file, batch_size=batch_size, on_progress=on_progress, on_reject=on_reject)

    def _print_summary(self, report: ImportReport, rejects: Path | None) -> None:
        self.stdout.write(
            f"Rows read: {report.rows_read:,}  accepted: {report.accepted:,} "
            f"(new {report.created:,}, updated {report.updated:,}, unchanged {report.unchanged:,})  "
            f"rejected: {report.rejected:,}"
        )
        for line, reason in report.rejects[:REJECTS_SHOWN]:
            self.stderr.write(f"line {line}: {reason}")
        if report.rejected > REJECTS_SHOWN:
            where = f"all of them are in {rejects}" if rejects else "use --rejects FILE to get all of them"
            self.stderr.write(f"… and {report.rejected - REJECTS_SHOWN:,} more rejected rows ({where})")
        elif rejects and report.rejected:
            self.stderr.write(f"Rejected rows written to {rejects}")


def _rejects_writer(stream: TextIO) -> Callable[[int, str], None]:
    writer = csv.writer(stream)
    writer.writerow(["line", "reason"])

    def write(line: int, reason: str) -> None:
        writer.writerow([line, reason])

    return write


def _data_line_count(path: Path) -> int:
    """Rows in the file, minus the header: a byte count of newlines, fast on gigabytes."""
    lines = 0
    last = b"\n"
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        lines += 1  # last line without a newline
    return max(lines - 1, 0)
