"""Django's Redis cache, with one Redis client per connection pool instead of one per operation;
and `cache_forget`, for values kept for display that a decision makes stale.

Django's RedisCacheClient makes a new `redis.Redis` for every cache operation; building one
sets up its table of reply handlers (a few hundred entries), which cost more CPU than the
round trip to Redis itself. A `redis.Redis` is safe to share between threads (each command
takes a connection from the pool), so one per pool is kept. The pools stay Django's: created
on first use, in each worker process.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        django: Any = self  # Django's private attributes, which its type stubs do not declare
        index = django._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in django._pools:
                django._pools[index] = django._pool_class.from_url(django._servers[index], **django._pool_options)
            client = self._clients.setdefault(index, django._client(connection_pool=django._pools[index]))
        return client


class SharedClientRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient


def cache_forget(key: str) -> None:
    """Delete a kept value; a cache that does not answer must not fail the decision that changed it.

    What was kept then lives out its time (a minute): the display is late, the decision stands.
    """
    try:
        cache.delete(key)
    except Exception:  # noqa: BLE001 — whatever the cache backend raises
        logger.warning("cache unavailable: %s not forgotten", key, exc_info=True)
