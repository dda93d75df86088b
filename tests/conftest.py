from __future__ import annotations

import os
import re
import uuid
from typing import Any

import pytest
from django.core import mail

os.environ.setdefault("TESTING", "1")

# Everything this test process keeps in Redis (cache, sessions, rate limits, Celery's queues when
# tests/integration runs a worker) lives under this prefix: pytest-xdist workers, parallel runs
# and whatever else uses the same Redis database never see or delete each other's keys.
REDIS_PREFIX = f"mctest-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{uuid.uuid4().hex[:10]}"
CELERY_KEY_PREFIX = f"{REDIS_PREFIX}-celery:"


def _redis_caches() -> list[str]:
    from django.conf import settings

    return [alias for alias, conf in settings.CACHES.items() if "redis" in conf["BACKEND"].lower()]


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings
    from django.test.signals import setting_changed

    for alias in _redis_caches():
        settings.CACHES[alias]["KEY_PREFIX"] = f"{REDIS_PREFIX}-{alias}"
    setting_changed.send(sender=None, setting="CACHES", value=settings.CACHES, enter=True)

    from membercenter.celery import app

    # Jobs run in-process at commit in tests, with or without REDIS_URL (the cache and sessions
    # still use Redis then); tests/integration starts real workers for what needs one.
    app.conf.task_always_eager = True
    app.conf.broker_transport_options = {
        **(app.conf.broker_transport_options or {}),
        "global_keyprefix": CELERY_KEY_PREFIX,
    }


def pytest_unconfigure(config: pytest.Config) -> None:
    from django.conf import settings

    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        try:
            _delete_matching(client, f"{REDIS_PREFIX}-*")
        except redis.RedisError:
            pass  # Redis went away: the run has already failed on it, this clean-up adds nothing
        finally:
            client.close()


def _delete_matching(client: Any, pattern: str) -> None:
    """Delete the keys matching `pattern` (SCAN, never KEYS or FLUSHDB: others share the database)."""
    batch = []
    for key in client.scan_iter(match=pattern, count=1000):
        batch.append(key)
        if len(batch) == 1000:
            client.delete(*batch)
            batch = []
    if batch:
        client.delete(*batch)


def clear_caches() -> None:
    """Empty every cache; for Redis only this test process's keys (Django's clear() is FLUSHDB)."""
    from django.core.cache import caches

    redis_aliases = _redis_caches()
    for alias in caches.settings:
        backend = caches[alias]
        if alias in redis_aliases:
            _delete_matching(backend._cache.get_client(write=True), f"{backend.key_prefix}:*")
        else:
            backend.clear()


@pytest.fixture(autouse=True)
def _isolated_settings(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.LANGUAGE_CODE = "en"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    clear_caches()
    yield


def captcha_answer(html: str) -> str:
    """Answer the arithmetic captcha the way a person reads it from the page."""
    match = re.search(r'id="captcha-question">\s*(\d+)\s*\+\s*(\d+)\s*=', html)
    assert match, "no captcha on the page"
    return str(int(match.group(1)) + int(match.group(2)))


def captcha_id(html: str) -> str:
    match = re.search(r'name="captcha_id" value="([0-9a-f-]+)"', html)
    assert match, "no captcha id on the page"
    return match.group(1)


def sent_links(subject_part: str = "") -> list[str]:
    links = []
    for message in mail.outbox:
        if subject_part in message.subject:
            links += re.findall(r"https?://\S+", message.body)
    return links


# --- the people most tests need; a test module may define its own with the same name ---


@pytest.fixture
def indonesia(db):
    from tests.factories import RegionFactory

    return RegionFactory(code="ID", name_en="Indonesia", name_id="Indonesia", time_zone="Asia/Jakarta")


@pytest.fixture
def reviewer(indonesia):
    from membercenter.backoffice.roles import REVIEWER
    from tests.factories import staff

    return staff(REVIEWER, regions=(indonesia,), first_name="Rina")


@pytest.fixture
def manager(db):
    from membercenter.backoffice.roles import PROMOTION_MANAGER
    from tests.factories import staff

    return staff(PROMOTION_MANAGER, first_name="Maya")


@pytest.fixture
def administrator(db):
    from membercenter.backoffice.roles import ADMINISTRATOR
    from tests.factories import staff

    return staff(ADMINISTRATOR, first_name="Adi")
