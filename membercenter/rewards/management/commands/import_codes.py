"""`manage.py import_codes POOL FILE.csv`: load reward codes into a pool, then serve the claims waiting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from membercenter.accounts.models import User
from membercenter.rewards.models import CodePool, Reward
from membercenter.rewards.pools import codes_import_then_allocate, pool_for


class Command(BaseCommand):
    help = (
        "Import reward codes from a CSV file (one code per line, first column; an optional header `code`). "
        "Codes already in the pool or twice in the file are reported by line number, not loaded."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("pool", help="the pool's id, or reward:<id> for the pool of that digital-code reward")
        parser.add_argument("file", type=Path, help="CSV file of codes (UTF-8)")
        parser.add_argument(
            "--by", metavar="EMAIL", required=True, help="the staff member importing, named in the audit log"
        )

    def handle(self, *args: Any, pool: str, file: Path, by: str, **options: Any) -> None:
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        code_pool = _pool(pool)
        actor = _actor(by)
        try:
            text = file.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as err:
            raise CommandError(f"{file}: not UTF-8 text") from err
        report = codes_import_then_allocate(pool=code_pool, csv_text=text, actor=actor, source=f"file {file.name}")
        self.stdout.write(
            f"{report.added} codes added to pool {code_pool.pk} ({code_pool.reward.name_en}); "
            f"{len(report.problems)} rows refused"
        )
        for line, reason in report.problems:
            self.stderr.write(f"line {line}: {reason}")


def _pool(value: str) -> CodePool:
    if value.startswith("reward:"):
        reward = Reward.objects.filter(pk=_int(value.removeprefix("reward:"), value)).first()
        if reward is None:
            raise CommandError(f"{value}: no such reward")
        if reward.kind != Reward.Kind.DIGITAL_CODE:
            raise CommandError(f"{value}: “{reward.name_en}” is a physical gift, it has no codes")
        return pool_for(reward)
    pool = CodePool.objects.select_related("reward").filter(pk=_int(value, value)).first()
    if pool is None:
        raise CommandError(f"{value}: no such pool (give a pool id or reward:<id>)")
    return pool


def _int(text: str, original: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise CommandError(f"{original}: give a pool id or reward:<id>") from None


def _actor(email: str) -> User:
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None:
        raise CommandError(f"--by {email}: no such active user")
    return user
