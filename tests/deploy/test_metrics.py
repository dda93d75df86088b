"""/metrics: Prometheus text with request latency by route name and the queues' depths."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from membercenter.evidence.models import Scan
from membercenter.lib import health, metrics
from membercenter.notifications.models import OutboxEmail
from tests.deploy.conftest import REDIS_URL
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def scrape(client, **headers) -> dict[str, dict[tuple, float]]:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def test_only_allowed_addresses_or_the_token_may_scrape(client, settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.5.10/32"]
    settings.METRICS_TOKEN = "scrape-me-0123456789"

    assert client.get("/metrics").status_code == 403  # from 127.0.0.1, not allowed now
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="10.0.5.10").status_code == 200
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me-0123456789").status_code == 200


def test_latency_is_labelled_by_route_name_not_path(client):
    member = UserFactory()
    client.force_login(member)
    before = scrape(client).get("membercenter_http_request_duration_seconds_count", {})

    client.get(reverse("products:mine"))
    client.get(reverse("products:invoice", args=[987654]))  # someone else's or no product: 404
    client.get("/no/such/page/")
    after = scrape(client)["membercenter_http_request_duration_seconds_count"]

    def grew(view: str, status: str) -> float:
        key = (("method", "GET"), ("status", status), ("view", view))
        return after.get(key, 0) - before.get(key, 0)

    assert grew("products:mine", "2xx") == 1
    assert grew("products:invoice", "4xx") == 1
    assert grew("unmatched", "4xx") == 1
    assert not any("987654" in value for labels in after for _, value in labels)
    # Every request above is finished (the scrape itself is answered before the timing middleware).
    assert scrape(client)["membercenter_http_requests_in_progress"][()] == 0


def test_queue_depths_are_read_when_scraped(client):
    from tests.backoffice.conftest import ClaimFactory

    member = UserFactory()
    for status in ("pending", "pending", "sending", "failed", "sent"):
        OutboxEmail.objects.create(
            user=member, template="t", to=member.email, subject="s", body_text="b", status=status
        )
    OutboxEmail.objects.filter(status="pending").update(created_at=timezone.now() - dt.timedelta(minutes=10))
    for state in ("pending", "pending", "pending", "done"):
        Scan.objects.create(owner=member, kind=Scan.Kind.INVOICE, file="uploads/x.jpg", state=state)
    ClaimFactory(due_on=timezone.localdate() - dt.timedelta(days=1))  # overdue
    ClaimFactory()  # waiting, not yet due

    samples = scrape(client)

    assert samples["membercenter_outbox_emails"] == {
        (("status", "pending"),): 2,
        (("status", "sending"),): 1,
        (("status", "failed"),): 1,
    }
    assert samples["membercenter_outbox_oldest_pending_seconds"][()] >= 600
    assert samples["membercenter_evidence_scans_pending"][()] == 3
    assert samples["membercenter_claims_awaiting_review"][()] == 2
    assert samples["membercenter_claims_overdue"][()] == 1
    assert samples["membercenter_reward_grants_waiting"][(("stage", "code"),)] == 0
    if settings.REDIS_URL:  # a broker: its queue is read too
        assert all(v >= 0 for v in samples["membercenter_celery_queue_length"].values())
    else:  # in-process jobs: no queue
        assert "membercenter_celery_queue_length" not in samples


def test_reward_grants_waiting_for_a_code_and_for_delivery(client):
    from membercenter.claims.models import Claim
    from membercenter.rewards.models import CodePool, Reward, RewardCode, RewardGrant
    from tests.backoffice.conftest import ClaimFactory

    claim = ClaimFactory(products=3, status=Claim.Status.APPROVED)
    reward = Reward.objects.create(
        promotion=claim.promotion, kind=Reward.Kind.DIGITAL_CODE, name_en="Code", name_id="Kode"
    )
    pool = CodePool.objects.create(reward=reward)
    past = timezone.now() - dt.timedelta(hours=1)
    items = list(claim.items.all())
    RewardGrant.objects.create(item=items[0], reward=reward, due_at=past)  # waiting for a code
    code = RewardCode.objects.create(pool=pool, ciphertext="x", fingerprint="f")
    RewardGrant.objects.create(item=items[1], reward=reward, due_at=past, status="allocated", code=code)
    RewardGrant.objects.create(item=items[2], reward=reward, due_at=timezone.now() + dt.timedelta(days=5))

    samples = scrape(client)["membercenter_reward_grants_waiting"]

    assert samples[(("stage", "code"),)] == 1
    assert samples[(("stage", "delivery"),)] == 1  # the third is not due yet


def test_with_redis_the_celery_queues_are_measured(client, monkeypatch, redis3):
    from membercenter.celery import app

    queue = f"mc-e-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(health, "broker_url", lambda: REDIS_URL)
    monkeypatch.setattr(metrics, "celery_queue_names", lambda: [queue])
    options = app.conf.broker_transport_options
    app.conf.broker_transport_options = {**(options or {}), "global_keyprefix": "mc-e-deploy:"}
    redis3.rpush(f"mc-e-deploy:{queue}", b"task-1", b"task-2", b"task-3")  # how kombu keeps a queue
    try:
        samples = scrape(client)
    finally:
        redis3.delete(f"mc-e-deploy:{queue}")
        app.conf.broker_transport_options = options

    assert samples["membercenter_celery_queue_length"] == {(("queue", queue),): 3}


def test_the_default_queue_and_routed_queues_are_listed():
    names = metrics.celery_queue_names()

    assert "celery" in names
    assert all(re.fullmatch(r"[\w.-]+", name) for name in names)
