"""/health/: what a load balancer and an operator see, and what they must not."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.db import OperationalError

from membercenter.lib import health
from tests.deploy.conftest import REDIS_URL, free_port

pytestmark = pytest.mark.django_db


def get_health(client, **headers):
    response = client.get("/health/", **headers)
    return response, json.loads(response.content)


def test_every_part_is_checked_and_timed(client):
    response, body = get_health(client)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker", "storage"}
    for check in body["checks"].values():
        assert check["status"] == "ok"
        assert isinstance(check["ms"], float)
    # Jobs run in-process without REDIS_URL; with it (CI's PostgreSQL stage) the broker is Redis.
    assert body["checks"]["broker"]["mode"] == ("redis" if settings.REDIS_URL else "in-process")
    assert body["checks"]["storage"]["backend"] == "local"


def test_a_probe_sets_no_cookie_and_needs_no_allowed_host_nor_https(client, settings):
    settings.ALLOWED_HOSTS = ["members.example.com"]
    settings.SECURE_SSL_REDIRECT = True

    response, body = get_health(client, HTTP_HOST="10.0.3.17:8000")  # the balancer probes by address

    assert response.status_code == 200 and body["status"] == "ok"
    assert not response.cookies
    assert "Set-Cookie" not in response
    assert "X-Request-ID" not in response  # answered before any other middleware
    # Everything else still checks the host and redirects to https.
    assert client.get("/", HTTP_HOST="members.example.com").status_code == 301
    assert client.get("/", HTTP_HOST="10.0.3.17:8000").status_code == 400


def test_a_part_that_fails_makes_it_503_and_says_which_without_details(client, monkeypatch):
    def broken_database():
        raise OperationalError('connection to server at "db.internal" (10.0.0.5), port 5432 failed')

    monkeypatch.setitem(health.CHECKS, "database", broken_database)

    response, body = get_health(client)

    assert response.status_code == 503
    assert body["status"] == "fail"
    assert body["checks"]["database"] == {"status": "fail", "error": "OperationalError", "ms": pytest.approx(0, abs=50)}
    assert body["checks"]["cache"]["status"] == "ok"
    assert b"db.internal" not in response.content and b"10.0.0.5" not in response.content


def test_with_redis_the_broker_is_pinged(client, monkeypatch, redis3):
    monkeypatch.setattr(health, "broker_url", lambda: REDIS_URL)

    response, body = get_health(client)

    assert response.status_code == 200
    assert body["checks"]["broker"]["status"] == "ok" and body["checks"]["broker"]["mode"] == "redis"


def test_a_broker_that_does_not_answer_fails_the_check(client, monkeypatch):
    monkeypatch.setattr(health, "broker_url", lambda: f"redis://127.0.0.1:{free_port()}/3")

    response, body = get_health(client)

    assert response.status_code == 503
    assert body["checks"]["broker"]["status"] == "fail"
    assert body["checks"]["broker"]["error"] == "ConnectionError"


def test_a_media_folder_that_cannot_be_made_fails_the_storage_check(client, settings, tmp_path):
    (tmp_path / "disk").write_text("a file where the media folder's parent should be")
    settings.MEDIA_ROOT = str(tmp_path / "disk" / "media")

    response, body = get_health(client)

    assert response.status_code == 503
    assert body["checks"]["storage"]["status"] == "fail"
    assert body["checks"]["storage"]["error"] in {"NotADirectoryError", "FileExistsError"}
    assert str(tmp_path).encode() not in response.content


def test_the_routed_view_answers_the_same(client, settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "membercenter.lib.health.ProbeMiddleware"]

    response, body = get_health(client)

    assert response.status_code == 200 and body["status"] == "ok"
