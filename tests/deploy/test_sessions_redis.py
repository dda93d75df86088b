"""With REDIS_URL: sessions in Redis (cached_db), and Login Management still ends them everywhere."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse

from membercenter.accounts.models import MemberSession
from tests.accounts.helpers import is_logged_out, member_client, page_text
from tests.deploy.conftest import REDIS_URL
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SESSIONS = reverse("accounts:sessions")


@pytest.fixture
def redis_sessions(settings, redis3):
    """The settings REDIS_URL gives (cache and sessions), under a key prefix of this test's own."""
    prefix = f"mc-e-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        "default": {
            "BACKEND": "membercenter.lib.cache.SharedClientRedisCache",  # what settings.py uses
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    yield lambda key: redis3.exists(f"{prefix}:1:django.contrib.sessions.cached_db{key}") == 1
    for key in redis3.scan_iter(f"{prefix}:*"):
        redis3.delete(key)


def test_the_cache_keeps_one_redis_client_and_counts_atomically(redis_sessions):
    from django.core.cache import cache

    assert cache._cache.get_client(write=True) is cache._cache.get_client(write=False)
    cache.set("n", 1)
    assert cache.incr("n") == 2 and cache.get_many(["n", "absent"]) == {"n": 2}
    assert cache.add("n", 5) is False and cache.get("n") == 2


def test_a_session_lives_in_redis_and_in_the_database(redis_sessions):
    UserFactory(email="member@example.com")
    laptop = member_client("member@example.com", device="Firefox on laptop")
    key = laptop.session.session_key

    assert redis_sessions(key)
    assert Session.objects.filter(session_key=key).exists()
    assert not is_logged_out(laptop)


def test_ending_other_sessions_logs_them_out_of_redis_too(redis_sessions):
    member = UserFactory(email="member@example.com")
    laptop = member_client("member@example.com", device="Firefox on laptop", ip="10.0.0.1")
    phone = member_client("member@example.com", device="Chrome on phone", ip="10.0.0.2")
    tablet = member_client("member@example.com", device="Safari on tablet", ip="10.0.0.3")
    keys = [phone.session.session_key, tablet.session.session_key]
    assert all(redis_sessions(key) for key in keys)

    response = laptop.post(SESSIONS, {"session_key": "__others__"}, follow=True)

    assert "Other sessions ended: 2." in page_text(response)
    assert is_logged_out(phone) and is_logged_out(tablet)
    assert not is_logged_out(laptop)
    assert not any(redis_sessions(key) for key in keys)
    assert not Session.objects.filter(session_key__in=keys).exists()
    assert list(MemberSession.objects.filter(user=member).values_list("user_agent", flat=True)) == ["Firefox on laptop"]


def test_ending_one_session_and_the_list_of_live_ones(redis_sessions):
    UserFactory(email="member@example.com")
    laptop = member_client("member@example.com", device="Firefox on laptop")
    phone = member_client("member@example.com", device="Chrome on phone")

    assert "Chrome on phone" in page_text(laptop.get(SESSIONS))
    laptop.post(SESSIONS, {"session_key": phone.session.session_key})

    assert is_logged_out(phone)
    assert "Chrome on phone" not in page_text(laptop.get(SESSIONS))


def test_a_session_survives_a_redis_flush(redis_sessions, redis3):
    """cached_db: losing Redis (restart, eviction) logs nobody out."""
    UserFactory(email="member@example.com")
    laptop = member_client("member@example.com", device="Firefox on laptop")
    key = laptop.session.session_key
    for cached in redis3.scan_iter(f"*cached_db{key}"):
        redis3.delete(cached)

    assert not is_logged_out(laptop)
