"""How much of a capped promotion is taken (its active claims), as the member pages show it.

My Products and the redeem page say whether a promotion with `max_redemptions` still has
room. Counting its active claims is the costliest query of those pages (every active claim
of the promotion, on every view of every member), so the count is kept in the cache for a
minute and dropped when a claim of the promotion enters or leaves the active statuses
(`Claim.move_to`, `claim_submit`), and again once that transaction has committed. Only the display
reads it: the submit counts exactly, under the promotion's lock (claims/services.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count

from membercenter.lib.cache import cache_forget

STOCK_USED_SECONDS = 60


def _key(promotion_id: int) -> str:
    return f"promotion:{promotion_id}:claims-active"


def promotions_stock_used(promotion_ids: Iterable[int]) -> dict[int, int]:
    """Each promotion's active claims: from the cache, counted (and kept) for those it does not hold."""
    from membercenter.claims.models import Claim

    keys = {pk: _key(pk) for pk in set(promotion_ids)}
    if not keys:
        return {}
    kept = cache.get_many(list(keys.values()))
    used = {pk: int(kept[key]) for pk, key in keys.items() if key in kept}
    missing = [pk for pk in keys if pk not in used]
    if missing:
        counted = dict.fromkeys(missing, 0)
        rows = (
            Claim.objects.filter(promotion_id__in=missing, status__in=Claim.ACTIVE)
            .values("promotion_id")
            .annotate(n=Count("pk"))
        )
        counted.update({row["promotion_id"]: row["n"] for row in rows})
        cache.set_many({keys[pk]: n for pk, n in counted.items()}, STOCK_USED_SECONDS)
        used.update(counted)
    return used


def promotion_stock_forget(promotion_id: int) -> None:
    """Count the promotion's claims afresh next time: now, and again once this transaction commits
    (another request may count meanwhile, from what was committed before)."""
    key = _key(promotion_id)
    cache_forget(key)
    transaction.on_commit(lambda: cache_forget(key), robust=True)
