"""/health/: can this app server do its work? Database, cache, broker and file storage.

JSON for the load balancer and for people: 200 when every part answers, 503 otherwise.
Each check is one cheap round trip (SELECT 1, a cache set/get, a broker PING, a HEAD on
the bucket); nothing is written to the database or the storage. A failure names the
part and the kind of error, never a host name, a bucket or a message that might hold one.

`ProbeMiddleware` answers /health/ and /metrics before any other middleware: a load
balancer probes app servers by their address (not an ALLOWED_HOSTS name) and over plain
HTTP (no redirect to https), and a probe needs no session, language or cookie.
"""

from __future__ import annotations

import functools
import logging
import time
import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

from membercenter.lib.storage import storage_kind, storage_probe

log = logging.getLogger(__name__)

HEALTH_PATH = "/health/"
METRICS_PATH = "/metrics"
PROBE_TIMEOUT = 2.0  # seconds a Redis probe may take before the part counts as down


def _check_database() -> dict[str, object]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def _check_cache() -> dict[str, object]:
    # A key of its own per probe: servers probed at the same moment do not read each other's.
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=10)
    try:
        if cache.get(key) != "ok":
            raise RuntimeError("the cache did not return what was stored")
    finally:
        cache.delete(key)
    return {}


def broker_url() -> str:
    from membercenter.celery import app

    return str(app.conf.broker_url or "")


@functools.cache
def redis_client(url: str):  # noqa: ANN201 — redis.Redis, imported lazily
    """One client (and connection pool) per Redis URL, with short timeouts for probes."""
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=PROBE_TIMEOUT, socket_timeout=PROBE_TIMEOUT)


def _check_broker() -> dict[str, object]:
    url = broker_url()
    if not url or url.startswith("memory://"):
        # No REDIS_URL: tasks run in this process (CELERY_TASK_ALWAYS_EAGER); nothing to reach.
        return {"mode": "in-process"}
    if url.startswith(("redis://", "rediss://", "unix://")):
        redis_client(url).ping()
        return {"mode": "redis"}
    from kombu import Connection

    with Connection(url, connect_timeout=PROBE_TIMEOUT) as conn:
        conn.ensure_connection(max_retries=1)
    return {"mode": url.split(":", 1)[0]}


def _check_storage() -> dict[str, object]:
    storage_probe(default_storage)
    return {"backend": storage_kind(default_storage)}


CHECKS: dict[str, Callable[[], dict[str, object]]] = {
    "database": _check_database,
    "cache": _check_cache,
    "broker": _check_broker,
    "storage": _check_storage,
}


def run_checks() -> dict[str, dict[str, object]]:
    results: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            detail = check()
        except Exception as err:  # noqa: BLE001 — any failure is "this part is down"; it is logged in full
            log.warning("health check %s failed", name, exc_info=True)
            detail = {"status": "fail", "error": type(err).__name__}
        else:
            detail = {"status": "ok", **detail}
        detail["ms"] = round((time.perf_counter() - started) * 1000, 1)
        results[name] = detail
    return results


def health(request: HttpRequest) -> HttpResponse:
    checks = run_checks()
    ok = all(result["status"] == "ok" for result in checks.values())
    response = JsonResponse({"status": "ok" if ok else "fail", "checks": checks}, status=200 if ok else 503)
    response["Cache-Control"] = "no-store"
    return response


class ProbeMiddleware:
    """Answers the load balancer's and Prometheus' probes; everything else goes on down the stack."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from membercenter.lib.metrics import metrics

        self.get_response = get_response
        self.views: dict[str, Callable[[HttpRequest], HttpResponse]] = {HEALTH_PATH: health, METRICS_PATH: metrics}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = self.views.get(request.path_info)
        if view is not None and request.method in ("GET", "HEAD"):
            return view(request)
        return self.get_response(request)
