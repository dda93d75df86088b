"""Rewards: which reward a product earns, allocation of codes exactly once, delivery.

Exactly once is held by the database (a code belongs to at most one grant, a claim
item has at most one grant) and by row locks: a grant is locked while it changes
status, codes are taken with SKIP LOCKED so concurrent workers take different ones.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from membercenter.accounts.models import User
from membercenter.audit.services import audit_record
from membercenter.claims.models import Claim
from membercenter.lib.urls import absolute_url
from membercenter.notifications.services import notify
from membercenter.promotions.models import Promotion
from membercenter.rewards.crypto import code_decrypt
from membercenter.rewards.models import Reward, RewardCode, RewardGrant

ALLOCATE_BATCH = 500
_ALLOCATE_SQL = "UPDATE rewards_rewardgrant SET code_id = %s, status = %s, allocated_at = %s WHERE id = %s"
# Emails name a code by this placeholder; the outbox puts the code in only when it sends,
# so the code is never stored unencrypted (not in the outbox, not in the inbox).
_CODE_PLACEHOLDER = re.compile(r"\[\[reward-code:(\d+)\]\]")


def code_placeholder(grant: RewardGrant) -> str:
    return f"[[reward-code:{grant.pk}]]"


def placeholders_expand(text: str) -> str:
    """The text with each code placeholder replaced by the decrypted code (at send time only)."""

    def real(match: re.Match[str]) -> str:
        grant = RewardGrant.objects.select_related("code").filter(pk=int(match.group(1))).first()
        return code_decrypt(grant.code.ciphertext) if grant and grant.code else ""

    return _CODE_PLACEHOLDER.sub(real, text)


def placeholders_hide(text: str) -> str:
    return _CODE_PLACEHOLDER.sub(_("(shown in Redeem History)"), text)


# --- which reward ------------------------------------------------------------------


def reward_for(*, product_model_id: int, category_id: int, rewards: Iterable[Reward]) -> Reward | None:
    """The most specific reward of a promotion's tier table for a product: model, category, default."""
    rewards = list(rewards)
    for match in (
        lambda r: r.product_model_id == product_model_id,
        lambda r: r.category_id == category_id and r.product_model_id is None,
        lambda r: r.product_model_id is None and r.category_id is None,
    ):
        found = [r for r in rewards if match(r)]
        if found:
            return found[0]
    return None


def reward_due_at(promotion: Promotion, region_tz: str) -> dt.datetime:
    if promotion.reward_delivery == Promotion.Delivery.ON_APPROVAL:
        return timezone.now()
    # The end of the promotion period: midnight after its last redemption day, in the region.
    day_after = promotion.redeem_end + dt.timedelta(days=1)
    return dt.datetime.combine(day_after, dt.time.min, tzinfo=ZoneInfo(region_tz))


# --- approval: grants and stock ------------------------------------------------------


def grants_create(*, claim: Claim) -> list[RewardGrant]:
    """Called in the approving transaction (claim row locked): one grant per product.

    Refuses the approval when the promotion or a gift has no stock left.
    """
    promotion = Promotion.objects.select_for_update().get(pk=claim.promotion_id)
    if promotion.max_redemptions is not None:
        granted = Claim.objects.filter(promotion=promotion, status__in=Claim.GRANTED).exclude(pk=claim.pk)
        if granted.count() >= promotion.max_redemptions:
            raise ValidationError(
                _("This promotion has given all its %(n)s rewards; the claim cannot be approved.")
                % {"n": promotion.max_redemptions},
                code="stock",
            )
    rewards = list(Reward.objects.filter(promotion=promotion))
    items = list(claim.items.select_related("product__serial__product_model"))
    due_at = reward_due_at(promotion, claim.region.time_zone)
    grants = []
    for item in items:
        model = item.product.serial.product_model
        reward = reward_for(product_model_id=model.pk, category_id=model.category_id, rewards=rewards)
        if reward is None:
            continue  # a promotion without a reward table: the description says what is given
        status = RewardGrant.Status.WAITING if reward.kind == Reward.Kind.DIGITAL_CODE else RewardGrant.Status.PREPARING
        grants.append(RewardGrant(item=item, reward=reward, status=status, due_at=due_at))
    _gift_stock_check(grants)
    RewardGrant.objects.bulk_create(grants)
    return grants


def _gift_stock_check(grants: list[RewardGrant]) -> None:
    needed: dict[int, int] = {}
    for grant in grants:
        if grant.reward.kind == Reward.Kind.GIFT and grant.reward.stock is not None:
            needed[grant.reward_id] = needed.get(grant.reward_id, 0) + 1
    if not needed:
        return
    locked = {r.pk: r for r in Reward.objects.select_for_update().filter(pk__in=needed)}
    used = dict(
        RewardGrant.objects.filter(reward_id__in=needed)
        .exclude(status=RewardGrant.Status.RETURNED)
        .values_list("reward_id")
        .annotate(n=Count("pk"))
        .values_list("reward_id", "n")
    )
    for reward_id, n in needed.items():
        reward = locked[reward_id]
        if used.get(reward_id, 0) + n > (reward.stock or 0):
            raise ValidationError(
                _("No %(reward)s left in stock (%(stock)s given); the claim cannot be approved.")
                % {"reward": reward.name, "stock": reward.stock},
                code="stock",
            )


# --- allocation --------------------------------------------------------------------


def rewards_allocate(*, now: dt.datetime | None = None, batch: int = ALLOCATE_BATCH) -> int:
    """Give free codes to due waiting grants; returns how many were given. Safe to run twice, or at once."""
    now = now or timezone.now()
    given = 0
    rewards = (
        RewardGrant.objects.filter(status=RewardGrant.Status.WAITING, due_at__lte=now)
        .values_list("reward_id", "reward__pool")
        .distinct()
    )
    for reward_id, pool_id in [(r, p) for r, p in rewards if p is not None]:
        # Grants and codes are taken in id order, so each batch goes on after the last grant and
        # code of the one before: looking from the start again would step over every grant and
        # code given so far, for each batch (quadratic on a large promotion).
        grants_after = codes_after = 0
        while True:
            pairs = _allocate_batch(
                reward_id=reward_id,
                pool_id=pool_id,
                now=now,
                batch=batch,
                grants_after=grants_after,
                codes_after=codes_after,
            )
            given += len(pairs)
            if len(pairs) < batch:
                break
            grants_after, codes_after = max(g for g, _ in pairs), max(c for _, c in pairs)
    return given


def _allocate_batch(
    *, reward_id: int, pool_id: int, now: dt.datetime, batch: int, grants_after: int, codes_after: int
) -> list[tuple[int, int]]:
    """One transaction: lock up to `batch` due waiting grants and give them codes; returns (grant, code) ids."""
    with transaction.atomic():
        # Ordered by id, which is the order of approval; for a promotion that sends at period end all
        # grants are due at the same moment, and ordering by due date would sort all of them for each batch.
        grant_ids = list(
            RewardGrant.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(reward_id=reward_id, status=RewardGrant.Status.WAITING, due_at__lte=now, pk__gt=grants_after)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not grant_ids:
            return []
        code_ids = _codes_take(pool_id=pool_id, count=len(grant_ids), after=codes_after)
        # Fewer codes than grants when the pool runs dry: the grants left over keep waiting.
        pairs = list(zip(grant_ids, code_ids, strict=False))
        at = connection.ops.adapt_datetimefield_value(now)
        allocated = RewardGrant.Status.ALLOCATED.value
        # One plain UPDATE per grant, sent as one executemany: bulk_update would build a CASE
        # with a branch per row for each column, which made the job ~30 times slower.
        with connection.cursor() as cursor:
            cursor.executemany(_ALLOCATE_SQL, [(code, allocated, at, grant) for grant, code in pairs])
        return pairs


def _codes_take(*, pool_id: int, count: int, after: int = 0) -> list[int]:
    """Lock up to `count` free codes of the pool in the calling transaction; returns their ids.

    Codes are given in id order: a job that gives many looks first after the last code it gave
    (`after`), and only when that finds too few, at the lower ids too (codes that a concurrent
    worker locked and then left).

    The link lives on the grant row, not on the code row: under READ COMMITTED the locking
    query can still see a code as free whose allocation committed just before the lock was
    taken (PostgreSQL re-checks a locked row only when that row itself changed). Every
    allocation holds the code's lock until it commits, so once the lock is ours a fresh
    statement sees any allocation of it; those codes are dropped and others taken instead.
    """
    taken: list[int] = []
    seen: list[int] = []
    for lowest in [after, 0] if after else [0]:
        # NOT EXISTS with the same lower bound inside: PostgreSQL then reads the grants' code
        # index from there on, where a LEFT JOIN made it hash every grant of the table each time.
        given = RewardGrant.objects.filter(code_id=OuterRef("pk"), code_id__gt=lowest)
        while len(taken) < count:
            candidates = list(
                RewardCode.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(~Exists(given), pool_id=pool_id, pk__gt=lowest)
                .exclude(pk__in=seen)
                .order_by("pk")
                .values_list("pk", flat=True)[: count - len(taken)]
            )
            if not candidates:
                break
            seen += candidates
            now_given = set(RewardGrant.objects.filter(code_id__in=candidates).values_list("code_id", flat=True))
            taken += [pk for pk in candidates if pk not in now_given]
    return taken


def grant_allocate(*, grant_id: int) -> bool:
    """Allocate one grant (True when this call gave it a code)."""
    with transaction.atomic():
        # of=self: the pool is joined by an outer join, which PostgreSQL refuses to lock.
        grant = RewardGrant.objects.select_for_update(of=("self",)).select_related("reward__pool").get(pk=grant_id)
        if grant.status != RewardGrant.Status.WAITING or not hasattr(grant.reward, "pool"):
            return False
        code_ids = _codes_take(pool_id=grant.reward.pool.pk, count=1)
        if not code_ids:
            return False
        grant.code_id, grant.status, grant.allocated_at = code_ids[0], RewardGrant.Status.ALLOCATED, timezone.now()
        grant.save(update_fields=["code", "status", "allocated_at"])
        return True


# --- delivery ----------------------------------------------------------------------


def rewards_deliver(*, now: dt.datetime | None = None) -> int:
    """Email every allocated, due code once and mark it delivered; returns how many."""
    now = now or timezone.now()
    ids = list(
        RewardGrant.objects.filter(status=RewardGrant.Status.ALLOCATED, due_at__lte=now).values_list("pk", flat=True)
    )
    return sum(grant_deliver(grant_id=pk) for pk in ids)


def grant_deliver(*, grant_id: int) -> bool:
    with transaction.atomic():
        # Only the grant row: PostgreSQL would otherwise also lock the joined reward, claim,
        # member and promotion rows, queueing every delivery (and every submit, which locks
        # the promotion) behind the one in progress.
        grant = (
            RewardGrant.objects.select_for_update(of=("self",))
            .select_related("reward", "item__claim__member", "item__claim__promotion")
            .get(pk=grant_id)
        )
        if grant.status != RewardGrant.Status.ALLOCATED:
            return False  # delivered by another run meanwhile
        grant.status, grant.delivered_at = RewardGrant.Status.DELIVERED, timezone.now()
        grant.save(update_fields=["status", "delivered_at"])
        _notify_code(grant)
        claim_mark_reward_sent_if_complete(grant.item.claim_id)
    return True


def _notify_code(grant: RewardGrant) -> None:
    claim = grant.item.claim
    notify(
        user=claim.member,
        template="reward_code",
        context={"claim": claim, "promotion": claim.promotion, "reward": grant.reward, "code": code_placeholder(grant)},
        link=absolute_url("claims:history"),
    )


def claim_mark_reward_sent_if_complete(claim_id: int) -> None:
    """The claim is "reward sent" once every product's reward has left."""
    claim = Claim.objects.select_for_update().get(pk=claim_id)
    if claim.status != Claim.Status.APPROVED:
        return
    pending = RewardGrant.objects.filter(item__claim_id=claim_id).filter(
        ~Q(status__in=[RewardGrant.Status.DELIVERED, RewardGrant.Status.SHIPPED])
    )
    if not pending.exists():
        claim.move_to(Claim.Status.REWARD_SENT, by=None, note=_("Reward sent"))


def code_reveal(*, grant: RewardGrant, member: User) -> str:
    """The member's own code, shown on screen; every reveal is in the audit log."""
    mine = grant.item.claim.member_id == member.pk
    code = grant.code if mine and grant.code_id is not None else None
    if code is None or grant.status != RewardGrant.Status.DELIVERED:
        raise ValidationError(_("Your code has not been sent yet: it is shown here once it is."), code="unavailable")
    with transaction.atomic():
        audit_record(actor=member, action="reward.reveal", target=grant, summary=f"Code of grant {grant.pk} shown")
    return code_decrypt(code.ciphertext)


def code_email_resend(*, grant: RewardGrant, by: User) -> None:
    """Send the code email again (the member asks, or staff do); audited."""
    if grant.status != RewardGrant.Status.DELIVERED or grant.code_id is None:
        raise ValidationError(_("This code has not been delivered yet."), code="undelivered")
    with transaction.atomic():
        grant = RewardGrant.objects.select_related("reward", "item__claim__member", "item__claim__promotion").get(
            pk=grant.pk
        )
        _notify_code(grant)
        audit_record(
            actor=by, action="reward.resend", target=grant, summary=f"Code email of grant {grant.pk} sent again"
        )
