"""/metrics: Prometheus text format: request latency, requests in flight, and the queues.

- `membercenter_http_request_duration_seconds{view, method, status}`: a histogram by the
  route's name (never the raw path: the number of series stays bounded) and status class.
- `membercenter_http_requests_in_progress`: requests being served now.
- Queue depths, read from the database (and Redis) when Prometheus scrapes: emails waiting
  and failed, pictures waiting to be read, rewards waiting for a code or for delivery,
  claims waiting for a decision and overdue, and the Celery queues' lengths.

Under gunicorn each worker is a process: with PROMETHEUS_MULTIPROC_DIR set (gunicorn.conf.py
sets it) every worker writes its samples to files there and a scrape sums them.

Access: from the addresses in METRICS_ALLOWED_IPS (default: this machine), or with
`Authorization: Bearer <METRICS_TOKEN>`. Anything else is 403.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Min, Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

REQUEST_LATENCY = Histogram(
    "membercenter_http_request_duration_seconds",
    "Time to answer a request, by route name, method and status class.",
    ["view", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
IN_PROGRESS = Gauge(
    "membercenter_http_requests_in_progress",
    "Requests being answered now.",
    multiprocess_mode="livesum",
)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def view_label(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None and match.view_name:
        return match.view_name
    if request.path_info.startswith(settings.STATIC_URL):
        return "static"  # answered by WhiteNoise before URL resolution
    return "unmatched"  # 404s, and requests a middleware answered


class RequestMetricsMiddleware:
    """Times every request; goes first in MIDDLEWARE (after the probes) so it sees the whole stack."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        IN_PROGRESS.inc()
        status = 500  # an exception escaping the stack is answered as a 500 by the handler
        try:
            response = self.get_response(request)
            status = response.status_code
            return response
        finally:
            IN_PROGRESS.dec()
            method = request.method if request.method in METHODS else "other"
            REQUEST_LATENCY.labels(view_label(request), method, f"{status // 100}xx").observe(
                time.perf_counter() - started
            )


# --- queues, read at scrape time -------------------------------------------------------------


def _gauge(name: str, documentation: str, labels: list[str] | None = None) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=labels)


def celery_queue_names() -> list[str]:
    """The queues workers listen on: the default one and any declared or routed to."""
    from membercenter.celery import app

    names = {app.conf.task_default_queue or "celery"}
    for queue in app.conf.task_queues or ():
        names.add(getattr(queue, "name", str(queue)))
    routes = app.conf.task_routes
    if isinstance(routes, dict):
        for route in routes.values():
            if isinstance(route, dict) and route.get("queue"):
                names.add(str(getattr(route["queue"], "name", route["queue"])))
    return sorted(names)


class QueueCollector(Collector):
    """Queue depths: one indexed COUNT per table, and LLEN per Celery queue in Redis."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            yield from self._database()
        except DatabaseError:
            log.warning("metrics: the database did not answer", exc_info=True)
        yield from self._celery()

    def _database(self) -> Iterator[GaugeMetricFamily]:
        from membercenter.claims.models import Claim
        from membercenter.evidence.models import Scan
        from membercenter.notifications.models import OutboxEmail
        from membercenter.rewards.models import RewardGrant

        now = timezone.now()
        # An email being sent (leased by a worker) is not sent yet: it counts as waiting.
        unsent = [OutboxEmail.Status.PENDING, OutboxEmail.Status.SENDING]
        outbox = OutboxEmail.objects.filter(status__in=[*unsent, OutboxEmail.Status.FAILED]).aggregate(
            pending=Count("pk", filter=Q(status=OutboxEmail.Status.PENDING)),
            sending=Count("pk", filter=Q(status=OutboxEmail.Status.SENDING)),
            failed=Count("pk", filter=Q(status=OutboxEmail.Status.FAILED)),
            oldest=Min("created_at", filter=Q(status__in=unsent)),
        )
        emails = _gauge(
            "membercenter_outbox_emails", "Emails in the outbox not sent: waiting, being sent or failed.", ["status"]
        )
        emails.add_metric(["pending"], outbox["pending"])
        emails.add_metric(["sending"], outbox["sending"])
        emails.add_metric(["failed"], outbox["failed"])
        yield emails
        oldest = outbox["oldest"]
        yield GaugeMetricFamily(
            "membercenter_outbox_oldest_pending_seconds",
            "Age of the oldest email still waiting to be sent (0 when none waits).",
            value=(now - oldest).total_seconds() if oldest else 0.0,
        )
        yield GaugeMetricFamily(
            "membercenter_evidence_scans_pending",
            "Pictures waiting to be read (OCR).",
            value=Scan.objects.filter(state=Scan.State.PENDING).count(),
        )
        grants = RewardGrant.objects.filter(due_at__lte=now).aggregate(
            code=Count("pk", filter=Q(status=RewardGrant.Status.WAITING)),
            delivery=Count("pk", filter=Q(status=RewardGrant.Status.ALLOCATED)),
            shipment=Count("pk", filter=Q(status=RewardGrant.Status.PREPARING)),
        )
        waiting = _gauge(
            "membercenter_reward_grants_waiting",
            "Rewards due and not yet given: waiting for a code, for delivery, or for shipment.",
            ["stage"],
        )
        for stage in ("code", "delivery", "shipment"):
            waiting.add_metric([stage], grants[stage])
        yield waiting
        today = timezone.localdate()
        claims = Claim.objects.filter(status=Claim.Status.SUBMITTED).aggregate(
            waiting=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=today))
        )
        yield GaugeMetricFamily(
            "membercenter_claims_awaiting_review", "Claims waiting for a reviewer's decision.", value=claims["waiting"]
        )
        yield GaugeMetricFamily(
            "membercenter_claims_overdue", "Claims waiting past their decision date.", value=claims["overdue"]
        )

    def _celery(self) -> Iterator[GaugeMetricFamily]:
        from membercenter.lib.health import broker_url, redis_client

        url = broker_url()
        if not url.startswith(("redis://", "rediss://", "unix://")):
            return  # in-process jobs: there is no queue to measure
        from membercenter.celery import app

        # Kombu keeps a queue as a Redis list of that name, after the deployment's key prefix.
        prefix = (app.conf.broker_transport_options or {}).get("global_keyprefix", "")
        family = _gauge("membercenter_celery_queue_length", "Tasks waiting in a Celery queue (Redis).", ["queue"])
        try:
            client = redis_client(url)
            for queue in celery_queue_names():
                family.add_metric([queue], client.llen(f"{prefix}{queue}"))
        except OSError:  # redis' ConnectionError and TimeoutError are OSErrors
            log.warning("metrics: the broker did not answer", exc_info=True)
            return
        yield family


# --- the view ---------------------------------------------------------------------------------


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        if given.startswith("Bearer ") and hmac.compare_digest(given[7:].strip().encode(), token.encode()):
            return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in settings.METRICS_ALLOWED_IPS)


def metrics(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    queues = CollectorRegistry()
    queues.register(QueueCollector())
    response = HttpResponse(generate_latest(registry) + generate_latest(queues), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
