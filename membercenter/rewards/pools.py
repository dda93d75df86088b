"""Code pools: import codes (CSV), count what is left, warn before they run out; the tier table's rows."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from membercenter.accounts.models import User
from membercenter.audit.services import audit_record
from membercenter.promotions.models import Promotion
from membercenter.rewards.crypto import code_decrypt, code_encrypt, code_fingerprint, code_mask
from membercenter.rewards.models import CodePool, Reward, RewardCode, RewardGrant

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-]{3,63}$")


@dataclass
class CodeImportReport:
    added: int = 0
    # (line number, reason): never the code itself, which must not reach logs or screens.
    problems: list[tuple[int, str]] = field(default_factory=list)


_LOOKUP_CHUNK = 10_000  # codes looked up in one query


def pool_for(reward: Reward) -> CodePool:
    """The reward's pool of codes (made on first use); only a digital-code reward has one."""
    if reward.kind != Reward.Kind.DIGITAL_CODE:
        raise ValidationError(_("Only a digital-code reward has a pool of codes."), code="not_code")
    pool, _created = CodePool.objects.get_or_create(reward=reward)
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
        # In chunks: a statement carries at most 65,535 parameters (prepared statements), and a
        # file may hold hundreds of thousands of codes.
        fingerprints = [fp for _, _, fp in rows]
        existing: set[str] = set()
        for start in range(0, len(fingerprints), _LOOKUP_CHUNK):
            chunk = fingerprints[start : start + _LOOKUP_CHUNK]
            existing.update(
                RewardCode.objects.filter(pool=pool, fingerprint__in=chunk).values_list("fingerprint", flat=True)
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


def codes_import_then_allocate(
    *, pool: CodePool, csv_text: str, actor: User | None, source: str = "upload"
) -> CodeImportReport:
    """Import, then (after commit) give the new codes to the claims left waiting when the pool ran dry."""
    from membercenter.rewards.tasks import allocate_and_deliver

    with transaction.atomic():
        report = codes_import(pool=pool, csv_text=csv_text, actor=actor, source=source)
        if report.added:
            # Delivery only sends what is due, so period-end rewards still wait for their date.
            transaction.on_commit(allocate_and_deliver.delay)
    return report


def pool_codes(pool: CodePool) -> QuerySet[RewardCode]:
    """The pool's codes with the grant (and claim) each went to, for the masked code list."""
    return RewardCode.objects.filter(pool=pool).select_related("grant__item").order_by("pk")


@dataclass
class CodeRow:
    """A code as staff see it: masked, with where it went."""

    code: RewardCode
    masked: str
    status: str  # "free", or the status of the grant it went to
    grant: RewardGrant | None


def code_rows(codes: Iterable[RewardCode]) -> list[CodeRow]:
    """Masked rows for a page of codes (each is decrypted here only to cut it down to its last characters)."""
    rows = []
    for code in codes:
        grant = getattr(code, "grant", None)
        rows.append(
            CodeRow(code=code, masked=code_mask(code_decrypt(code.ciphertext)),
                    status=grant.status if grant else "free", grant=grant)
        )  # fmt: skip
    return rows


def waiting_grants(reward: Reward) -> QuerySet[RewardGrant]:
    """The grants of `reward` still waiting for a code, first due first."""
    return (
        RewardGrant.objects.filter(reward=reward, status=RewardGrant.Status.WAITING)
        .select_related("item__claim__member", "item__claim__region")
        .order_by("due_at", "pk")
    )


# --- the tier table: the rewards of a promotion ------------------------------------

REWARD_FIELDS = ("kind", "name_en", "name_id", "value", "currency", "stock", "product_model", "category")
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")


@dataclass
class RewardStats:
    """What the tier table shows for one reward: code counts for codes, stock for gifts."""

    total: int = 0
    allocated: int = 0
    delivered: int = 0
    waiting_claims: int = 0
    granted: int = 0  # grants of any status but "returned" (gift stock used)
    stock: int | None = None

    @property
    def left(self) -> int:
        return self.total - self.allocated

    @property
    def running_low(self) -> bool:
        return self.left < self.waiting_claims

    @property
    def stock_left(self) -> int | None:
        return None if self.stock is None else max(self.stock - self.granted, 0)


def rewards_with_stats(promotion: Promotion) -> list[tuple[Reward, RewardStats]]:
    """The promotion's rewards and their counts, in three queries whatever the number of rewards."""
    rewards = list(
        Reward.objects.filter(promotion=promotion).select_related("product_model", "category", "pool").order_by("pk")
    )
    stats = {r.pk: RewardStats(stock=r.stock) for r in rewards}
    codes = (
        RewardCode.objects.filter(pool__reward__promotion=promotion)
        .values("pool__reward")
        .annotate(
            total=Count("pk"),
            allocated=Count("pk", filter=Q(grant__isnull=False)),
            delivered=Count("pk", filter=Q(grant__status=RewardGrant.Status.DELIVERED)),
        )
    )
    for row in codes:
        s = stats[row["pool__reward"]]
        s.total, s.allocated, s.delivered = row["total"], row["allocated"], row["delivered"]
    grants = (
        RewardGrant.objects.filter(reward__promotion=promotion)
        .values("reward")
        .annotate(
            waiting=Count("pk", filter=Q(status=RewardGrant.Status.WAITING)),
            granted=Count("pk", filter=~Q(status=RewardGrant.Status.RETURNED)),
        )
    )
    for grant in grants:
        s = stats[grant["reward"]]
        s.waiting_claims, s.granted = grant["waiting"], grant["granted"]
    return [(r, stats[r.pk]) for r in rewards]


def reward_validate(*, promotion: Promotion, data: dict[str, Any], reward: Reward | None = None) -> None:
    """The rules a tier row keeps; the form and the services both run them."""
    errors: dict[str, str] = {}
    kind = data.get("kind")
    if kind == Reward.Kind.DIGITAL_CODE:
        if data.get("value") is None:
            errors["value"] = _("A digital code needs its value.")
        elif data["value"] <= 0:
            errors["value"] = _("The value must be more than zero.")
        if not CURRENCY_PATTERN.match(data.get("currency") or ""):
            errors["currency"] = _("Give the currency as three letters, such as IDR.")
    if data.get("product_model") and data.get("category"):
        errors["category"] = _("Choose a product model or a category, not both.")
    elif kind:
        siblings = Reward.objects.filter(promotion=promotion)
        if reward is not None:
            siblings = siblings.exclude(pk=reward.pk)
        if data.get("product_model"):
            clash, field = siblings.filter(product_model=data["product_model"]), "product_model"
        elif data.get("category"):
            clash, field = siblings.filter(category=data["category"]), "category"
        else:
            clash, field = siblings.filter(product_model__isnull=True, category__isnull=True), "product_model"
        taken = clash.first()
        if taken is not None:
            errors[field] = _("This promotion already has a reward for these products: %(reward)s.") % {
                "reward": taken.name_en
            }
    if reward is not None and kind and kind != reward.kind and _reward_in_use(reward):
        errors["kind"] = _("This reward has codes or claims already; its kind cannot change.")
    if errors:
        raise ValidationError(errors)


def _reward_in_use(reward: Reward) -> bool:
    return reward.grants.exists() or RewardCode.objects.filter(pool__reward=reward).exists()


def _reward_clean_data(data: dict[str, Any]) -> dict[str, Any]:
    """A code has no stock and a gift no value: drop what the other kind would have used."""
    data = {f: data.get(f) for f in REWARD_FIELDS}
    if data["kind"] == Reward.Kind.DIGITAL_CODE:
        data["stock"] = None
    else:
        data["value"], data["currency"] = None, ""
    data["currency"] = (data["currency"] or "").upper()
    return data


def _reward_summary(reward: Reward) -> str:
    if reward.kind == Reward.Kind.DIGITAL_CODE:
        what = f"code worth {reward.value} {reward.currency}"
    else:
        what = f"gift, stock {'unlimited' if reward.stock is None else reward.stock}"
    tier = reward.product_model or reward.category or "every other product"
    return f"“{reward.name_en}” ({what}) for {tier}"


def reward_create(*, actor: User, promotion: Promotion, data: dict[str, Any]) -> Reward:
    with transaction.atomic():
        Promotion.objects.select_for_update().get(pk=promotion.pk)  # one tier change at a time per promotion
        reward_validate(promotion=promotion, data=data)
        reward = Reward(promotion=promotion, **_reward_clean_data(data))
        reward.full_clean()
        reward.save()
        if reward.kind == Reward.Kind.DIGITAL_CODE:
            pool_for(reward)
        audit_record(
            actor=actor, action="reward.create", target=reward,
            summary=f"Reward {_reward_summary(reward)} added to promotion “{promotion.name_en}”",
        )  # fmt: skip
    return reward


def reward_update(*, actor: User, reward: Reward, data: dict[str, Any]) -> Reward:
    with transaction.atomic():
        Promotion.objects.select_for_update().get(pk=reward.promotion_id)
        reward = Reward.objects.select_for_update().get(pk=reward.pk)
        reward_validate(promotion=reward.promotion, data=data, reward=reward)
        clean = _reward_clean_data(data)
        changed = [f for f, v in clean.items() if getattr(reward, f) != v]
        for f in changed:
            setattr(reward, f, clean[f])
        reward.full_clean()
        reward.save()
        if reward.kind == Reward.Kind.DIGITAL_CODE:
            pool_for(reward)
        else:  # a code reward that became a gift had no code (reward_validate said so): its pool goes
            CodePool.objects.filter(reward=reward).delete()
        audit_record(
            actor=actor, action="reward.update", target=reward,
            summary=f"Reward {_reward_summary(reward)} changed: {', '.join(changed) or 'nothing'}",
        )  # fmt: skip
    return reward


def reward_delete(*, actor: User, reward: Reward) -> None:
    """Only a reward nothing depends on: no claim was granted it and its pool holds no code."""
    with transaction.atomic():
        reward = Reward.objects.select_for_update().select_related("promotion").get(pk=reward.pk)
        if _reward_in_use(reward):
            raise ValidationError(_("This reward has codes or claims already and cannot be deleted."), code="in_use")
        audit_record(
            actor=actor, action="reward.delete", target=reward,
            summary=f"Reward {_reward_summary(reward)} deleted from promotion “{reward.promotion.name_en}”",
        )  # fmt: skip
        CodePool.objects.filter(reward=reward).delete()
        reward.delete()
