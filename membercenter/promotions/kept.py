"""Promotions as the member pages list them, kept in the cache between changes.

All Promotions and My Products read the open promotions of the member's region, their rule
sets and their eligible names on every view, though promotions change a few times a day.
They are kept in the cache under a version that any change to a promotion, its relations or
the names it shows replaces (signals: at once, and again once the change commits), and for a
minute at most; the key also holds the day, as promotions open and close with the date.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from membercenter.lib.cache import cache_forget

T = TypeVar("T")

VERSION_KEY = "promotions:version"
KEPT_SECONDS = 60


def _version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)  # add: readers that race agree on one
        version = cache.get(VERSION_KEY) or "unversioned"
    return str(version)


def promotions_kept(name: str, parts: tuple[Hashable, ...], load: Callable[[], T]) -> T:
    """`load()`'s result, from the cache when the promotions have not changed since it was kept.

    The version is read from the shared cache on every call, so a change is seen at once by
    every process. The value under that version is kept with the time it was loaded plus a
    minute, and each process also holds what it read until then (`_held`): a page does not
    read and unpickle the same promotions from Redis on every view, and no value outlives
    its minute, wherever it is held. What is returned is shared: callers read it and do not
    change it.
    """
    key = f"promotions:{_version()}:{name}:until:" + ":".join(str(p) for p in parts)
    now = time.time()  # wall clock: the minute is counted alike in every process
    held = _held.get(key)
    if held is not None and held[0] > now:
        return cast(T, held[1])
    kept = cache.get(key)
    if kept is None:
        kept = (now + KEPT_SECONDS, load())
        cache.set(key, kept, KEPT_SECONDS)
    if len(_held) >= HELD_MAX:
        _held.clear()  # keys of earlier versions and days, no longer asked for
    _held[key] = kept
    return cast(T, kept[1])


# (until, value) under their versioned key, in this process. Dict reads and writes are atomic,
# and a value is never changed once held, so the threads of a worker share it safely.
_held: dict[str, tuple[float, Any]] = {}
HELD_MAX = 256


def promotions_changed(**kwargs: Any) -> None:
    """A promotion (or what its cards and rules read) changed: nothing kept is used any more.

    Forgotten now (this transaction reads its own change) and again once it commits (another
    request may have kept the old promotions meanwhile, from what was committed before).
    """
    cache_forget(VERSION_KEY)
    transaction.on_commit(lambda: cache_forget(VERSION_KEY), robust=True)


def connect() -> None:
    from membercenter.catalog.models import Category, ProductModel
    from membercenter.promotions.models import Promotion

    for model in (Promotion, Category, ProductModel):
        uid = f"promotions.kept.{model.__name__}"
        post_save.connect(promotions_changed, sender=model, dispatch_uid=f"{uid}.save")
        post_delete.connect(promotions_changed, sender=model, dispatch_uid=f"{uid}.delete")
    for name in ("regions", "eligible_categories", "eligible_models", "eligible_stores"):
        through = Promotion._meta.get_field(name).remote_field.through  # type: ignore[union-attr]
        m2m_changed.connect(promotions_changed, sender=through, dispatch_uid=f"promotions.kept.{name}")
