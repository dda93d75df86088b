"""Measure the evidence checks on the project's own synthetic invoices and sticker photos.

    .venv/bin/python bench/bench_evidence.py [--seed 5] [--invoices 60] [--stickers 30] [--save DIR]

Each picture goes through the same code as `manage.py check_evidence` (upload
pipeline, OCR, reading, checks) on one core. Prints, per check, how often it gave
the right answer, and the median seconds per picture; exits 1 when a check is
right less than 95% of the time. --save writes the pictures and a failures list
to look at.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

# One core: set before onnxruntime (or numpy's BLAS) is loaded.
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["EVIDENCE_OCR_THREADS"] = "1"

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_import import _django_setup  # noqa: E402 — the same Django setup as the other benches

if TYPE_CHECKING:
    from membercenter.evidence.samples import InvoiceSample

THRESHOLD = 0.95
INVOICE_CHECKS = ("model_found", "date_in_window", "store_match")


def main() -> None:
    args = _parse_args()
    os.environ.setdefault("TESTING", "1")
    _django_setup()
    from django.conf import settings

    from membercenter.evidence.checks import invoice_check, serial_check
    from membercenter.evidence.samples import sample_set

    settings.EVIDENCE_OCR_THREADS = 1
    started = time.perf_counter()
    invoices, stickers = sample_set(seed=args.seed, invoices=args.invoices, stickers=args.stickers)
    print(
        f"Generated {len(invoices)} invoices and {len(stickers)} sticker photos (seed {args.seed}) "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    save = Path(args.save) if args.save else None
    if save:
        save.mkdir(parents=True, exist_ok=True)

    right = {check: 0 for check in (*INVOICE_CHECKS, "serial_match")}
    totals = dict.fromkeys(right, 0)
    by_truth: Counter[tuple[str, bool, bool]] = Counter()  # (check, right answer, answered right)
    extra = {"invoice_date": 0, "invoice_number": 0}
    invoice_seconds: list[float] = []
    sticker_seconds: list[float] = []
    cpu_seconds: list[float] = []  # not disturbed by other programs on the machine, unlike the wall time
    failures: list[dict] = []

    for i, sample in enumerate(invoices):
        data = sample.jpeg()
        cpu = time.process_time()
        result, _reading = invoice_check(
            data, models=sample.claim_models, store=sample.claim_store, start=sample.start, end=sample.end
        )
        cpu_seconds.append(time.process_time() - cpu)
        invoice_seconds.append(result["seconds"])
        wrong = [check for check in INVOICE_CHECKS if result["checks"][check] != sample.expected[check]]
        for check in INVOICE_CHECKS:
            totals[check] += 1
            right[check] += check not in wrong
            by_truth[check, sample.expected[check], check not in wrong] += 1
        extra["invoice_date"] += result["invoice_date"] == sample.date.isoformat()
        extra["invoice_number"] += result["invoice_number"] == sample.number
        name = f"invoice-{i:03d}-{sample.layout}.jpg"
        if save:
            (save / name).write_bytes(data)
        if wrong:
            failures.append({"file": name, "wrong": wrong, **_invoice_truth(sample), "result": result})
        _progress(i + 1, len(invoices), "invoices")

    for i, sample in enumerate(stickers):
        data = sample.jpeg()
        cpu = time.process_time()
        result, _reading = serial_check(data, serial=sample.registered_sn)
        cpu_seconds.append(time.process_time() - cpu)
        sticker_seconds.append(result["seconds"])
        totals["serial_match"] += 1
        ok = result["checks"]["serial_match"] == sample.expected["serial_match"]
        right["serial_match"] += ok
        by_truth["serial_match", sample.expected["serial_match"], ok] += 1
        name = f"sticker-{i:03d}-{sample.kind}.jpg"
        if save:
            (save / name).write_bytes(data)
        if not ok:
            truth = {"note": sample.note, "printed": sample.sn, "registered": sample.registered_sn}
            failures.append({"file": name, "wrong": ["serial_match"], **truth, "result": result})
        _progress(i + 1, len(stickers), "stickers")

    print()
    print(f"{'check':<16} {'right':>9} {'share':>7}  {'when yes':>10}{'when no':>10}")
    below = False
    for check, count in right.items():
        share = count / totals[check] if totals[check] else 1.0
        below |= share < THRESHOLD
        flag = "" if share >= THRESHOLD else f"  < {THRESHOLD:.0%}"
        split = "".join(
            f" {by_truth[check, truth, True]:>4}/{by_truth[check, truth, True] + by_truth[check, truth, False]:<4}"
            for truth in (True, False)
        )
        print(f"{check:<16} {count:>4}/{totals[check]:<4} {share:>7.1%}  {split}{flag}")
    print(
        f"(not checks) invoice date read exactly: {extra['invoice_date']}/{len(invoices)}, "
        f"invoice number read exactly: {extra['invoice_number']}/{len(invoices)}"
    )
    all_seconds = invoice_seconds + sticker_seconds
    if all_seconds:
        print(
            f"median seconds per picture on one core: {statistics.median(all_seconds):.2f} "
            f"(invoices {_median(invoice_seconds)}, stickers {_median(sticker_seconds)}; "
            f"slowest {max(all_seconds):.2f})\n"
            f"median CPU seconds per picture: {_median(cpu_seconds)} (without time spent waiting for other programs)"
        )
    for failure in failures:
        print("  wrong:", json.dumps(failure, ensure_ascii=False))
    if save:
        (save / "failures.json").write_text(json.dumps(failures, indent=2, ensure_ascii=False))
        print(f"pictures and failures.json written to {save}")
    sys.exit(1 if below else 0)


def _invoice_truth(sample: InvoiceSample) -> dict:
    """What was printed and what the claim said, for reading a failure."""
    return {
        "note": sample.note,
        "claim_models": sample.claim_models,
        "printed_model": sample.model,
        "claim_store": sample.claim_store,
        "printed_store": sample.store,
        "date": sample.date.isoformat(),
        "window": [sample.start.isoformat(), sample.end.isoformat()],
    }


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}" if values else "-"


def _progress(done: int, total: int, what: str) -> None:
    if sys.stdout.isatty() or done == total:
        print(f"\r  {what}: {done}/{total}", end="" if done < total else "\n", flush=True)


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--invoices", type=int, default=60)
    parser.add_argument("--stickers", type=int, default=30)
    parser.add_argument("--save", default="", help="folder to write the pictures and failures.json to")
    return parser.parse_args()


if __name__ == "__main__":
    main()
