"""Write demo/serials.csv: the 1,000 demo serials, in the factory import format.

    .venv/bin/python demo/make_serials.py

Deterministic (the same file on every run); the output is committed and loaded by
`manage.py load_demo_catalog` through the same import as real factory files.
An SN reads like a factory's: plant letter, year, month, line letter, sequence,
e.g. K2403N0123456. Plant and line letters include O, I, S and B, and the digits
0, 1, 5 and 8, so the look-alike "did you mean" help can be tried on them.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from membercenter.catalog.demo_data import PRODUCT_MODELS  # noqa: E402
from membercenter.catalog.serials import is_valid_sn, sn_skeleton  # noqa: E402

COUNT = 1_000
PLANTS = "KBSOHT"
LINES = "NPIOSB"
FIRST_DAY = dt.date(2023, 1, 1)
LAST_DAY = dt.date(2025, 6, 30)
LOOKALIKES = set("O0I1S5B8")


def demo_serials(rng: random.Random) -> list[tuple[str, str, str, str]]:
    codes = [code for code, *_ in PRODUCT_MODELS]
    span = (LAST_DAY - FIRST_DAY).days
    rows, skeletons = [], set()
    while len(rows) < COUNT:
        made = FIRST_DAY + dt.timedelta(days=rng.randrange(span + 1))
        digits = rng.randint(6, 8)  # 12 to 14 characters in all
        sn = f"{rng.choice(PLANTS)}{made:%y%m}{rng.choice(LINES)}{rng.randrange(10**digits):0{digits}d}"
        # One serial per skeleton, so a look-alike typo points to exactly one serial.
        if sn_skeleton(sn) in skeletons:
            continue
        assert is_valid_sn(sn) and 12 <= len(sn) <= 14, sn
        skeletons.add(sn_skeleton(sn))
        model = codes[len(rows) % len(codes)]  # every model gets serials
        rows.append((sn, f"{rng.randrange(1000):03d}", model, made.isoformat()))
    return rows


def main() -> None:
    rows = demo_serials(random.Random(2024))
    path = ROOT / "demo" / "serials.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["sn", "chk", "model", "manufactured_on"])
        writer.writerows(rows)
    with_lookalikes = sum(1 for sn, *_ in rows if LOOKALIKES & set(sn))
    print(f"{path}: {len(rows)} serials, {with_lookalikes} with look-alike characters")


if __name__ == "__main__":
    main()
