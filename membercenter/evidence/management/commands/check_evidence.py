"""`manage.py check_evidence invoice|serial PATH …`: run the upload-time evidence checks on one file.

    check_evidence invoice PATH --model NAME [--model ALIAS …] --store NAME --from YYYY-MM-DD --to YYYY-MM-DD [--json]
    check_evidence serial PATH --serial SN [--json]

Needs no database rows: the model, store and window are given on the command
line. The file goes through the same upload pipeline as a member's upload
(JPEG, PNG, WebP, HEIC or a PDF's first page).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from membercenter.evidence.checks import invoice_check, serial_check
from membercenter.evidence.images import UploadRejected


def _iso_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date in the form YYYY-MM-DD") from None


class Command(BaseCommand):
    help = "Read an invoice or a serial-sticker photo and check it against a claim's model, store, window or serial."

    def add_arguments(self, parser: CommandParser) -> None:
        kinds = parser.add_subparsers(dest="kind", required=True, parser_class=CommandParser)
        invoice = kinds.add_parser("invoice", help="a purchase invoice, receipt or order summary")
        invoice.add_argument("path", type=Path)
        invoice.add_argument(
            "--model", action="append", required=True, help="the registered model's name; repeat for its aliases"
        )
        invoice.add_argument("--store", required=True, help="the registered store's name")
        invoice.add_argument("--from", dest="start", type=_iso_date, required=True, help="purchase window start")
        invoice.add_argument("--to", dest="end", type=_iso_date, required=True, help="purchase window end (included)")
        invoice.add_argument("--json", action="store_true", help="print one JSON object")
        serial = kinds.add_parser("serial", help="a photo of the serial-number sticker")
        serial.add_argument("path", type=Path)
        serial.add_argument("--serial", required=True, help="the registered serial number")
        serial.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, kind: str, path: Path, **options: Any) -> None:
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            if kind == "invoice":
                if options["start"] > options["end"]:
                    raise CommandError("--from must not be after --to")
                result = invoice_check(
                    path, models=options["model"], store=options["store"], start=options["start"], end=options["end"]
                )[0]
            else:
                result = serial_check(path, serial=options["serial"])[0]
        except UploadRejected as exc:
            raise CommandError(f"{path}: refused: {exc}") from exc
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        elif kind == "invoice":
            self._print_invoice(path, result, options)
        else:
            self._print_serial(path, result, options)

    def _print_invoice(self, path: Path, result: dict, options: dict[str, Any]) -> None:
        checks = result["checks"]
        window = f"{options['start']:%Y-%m-%d} to {options['end']:%Y-%m-%d}"
        self.stdout.write(f"Invoice {path} (read in {result['seconds']:.2f} s)")
        self.stdout.write(
            f"  date:    {result['invoice_date'] or '(not found)'} — in {window}: {_yes(checks['date_in_window'])}"
        )
        self.stdout.write(
            f"  store:   {result['store'] or '(not found)'} — is {options['store']!r}: {_yes(checks['store_match'])}"
        )
        self.stdout.write(f"  number:  {result['invoice_number'] or '(not found)'}")
        found = ", ".join(result["models_found"]) or "none of " + ", ".join(repr(m) for m in options["model"])
        self.stdout.write(f"  model:   {found} — found: {_yes(checks['model_found'])}")

    def _print_serial(self, path: Path, result: dict, options: dict[str, Any]) -> None:
        self.stdout.write(f"Sticker {path} (read in {result['seconds']:.2f} s)")
        self.stdout.write(f"  serials read: {', '.join(result['serials_found']) or '(none)'}")
        self.stdout.write(f"  is {options['serial']!r}: {_yes(result['checks']['serial_match'])}")


def _yes(value: bool) -> str:
    return "yes" if value else "NO"
