"""Code pools: import codes (CSV), count what is left, warn before they run out."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Q

from membercenter.accounts.models import User
from membercenter.audit.services import audit_record
from membercenter.rewards.crypto import code_encrypt, code_fingerprint
from membercenter.rewards.models import CodePool, Reward, RewardCode, RewardGrant

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-]{3,63}$")


@dataclass
class CodeImportReport:
    added: int = 0
    # (line number, reason): never the code itself, which must not reach logs or screens.
    problems: list[tuple[int, str]] = field(default_factory=list)


def pool_for(reward: Reward) -> CodePool:
    pool, _ = CodePool.objects.get_or_create(reward=reward)
    return pool


def codes_import(*, pool: CodePool, csv_text: str, actor: User | None, source: str = "upload") -> CodeImportReport:
    """Load codes (one per row, first column; an optional header `code`). Duplicates are reported, not loaded."""
    report = CodeImportReport()
    seen: dict[str, int] = {}
    rows: list[tuple[int, str, str]] = []
    for line_no, row in enumerate(csv.reader(io.StringIO(csv_text)), start=1):
        value = (row[0] if row else "").strip()
        if line_no == 1 and value.lower() == "code":
            continue
        if not value:
            continue
        if not CODE_PATTERN.match(value):
            report.problems.append((line_no, "not a valid code (4–64 letters, digits or dashes)"))
            continue
        fp = code_fingerprint(value)
        if fp in seen:
            report.problems.append((line_no, f"the same code as line {seen[fp]}"))
            continue
        seen[fp] = line_no
        rows.append((line_no, value, fp))
    with transaction.atomic():
        existing = set(
            RewardCode.objects.filter(pool=pool, fingerprint__in=[fp for _, _, fp in rows]).values_list(
                "fingerprint", flat=True
            )
        )
        new = []
        for line_no, value, fp in rows:
            if fp in existing:
                report.problems.append((line_no, "already in the pool"))
            else:
                new.append(RewardCode(pool=pool, ciphertext=code_encrypt(value), fingerprint=fp))
        RewardCode.objects.bulk_create(new, batch_size=1000)
        report.added = len(new)
        if actor is not None:
            audit_record(
                actor=actor,
                action="codes.import",
                target=pool,
                summary=f"{report.added} codes added to {pool} from {source}; {len(report.problems)} rows refused",
            )
    report.problems.sort()
    return report


@dataclass
class PoolStats:
    total: int
    allocated: int
    delivered: int
    left: int
    waiting_claims: int

    @property
    def running_low(self) -> bool:
        return self.left < self.waiting_claims


def pool_stats(pool: CodePool) -> PoolStats:
    counts = RewardCode.objects.filter(pool=pool).aggregate(
        total=Count("pk"),
        allocated=Count("pk", filter=Q(grant__isnull=False)),
        delivered=Count("pk", filter=Q(grant__status=RewardGrant.Status.DELIVERED)),
    )
    waiting = RewardGrant.objects.filter(reward=pool.reward, status=RewardGrant.Status.WAITING).count()
    return PoolStats(
        total=counts["total"],
        allocated=counts["allocated"],
        delivered=counts["delivered"],
        left=counts["total"] - counts["allocated"],
        waiting_claims=waiting,
    )
