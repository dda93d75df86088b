"""Login Management: a member sees where they are logged in and ends the sessions they do not want."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from membercenter.accounts.models import MemberSession
from membercenter.accounts.selectors import session_store
from tests.accounts.helpers import is_logged_out, member_client, page_text
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SESSIONS = reverse("accounts:sessions")


@pytest.fixture
def member():
    return UserFactory(email="member@example.com")


@pytest.fixture
def laptop(member) -> Client:
    return member_client("member@example.com", device="Firefox 128 on Windows laptop", ip="10.0.0.1")


@pytest.fixture
def phone(member) -> Client:
    return member_client("member@example.com", device="Chrome 126 on Android phone", ip="10.0.0.2")


def end_buttons(html: str) -> list[str]:
    """The session keys behind the page's "End session" buttons."""
    return [key for key in re.findall(r'name="session_key" value="([^"]+)"', html) if key != "__others__"]


def end_session(client: Client, session_key: str):
    return client.post(SESSIONS, {"session_key": session_key}, follow=True)


def test_the_page_lists_every_device_with_its_ip(laptop, phone):
    text = page_text(laptop.get(SESSIONS))

    assert "Firefox 128 on Windows laptop" in text
    assert "10.0.0.1" in text
    assert "Chrome 126 on Android phone" in text
    assert "10.0.0.2" in text


def test_the_current_device_is_marked_and_only_the_others_can_be_ended(laptop, phone):
    text = page_text(laptop.get(SESSIONS))

    assert text.count("This device") == 1
    assert end_buttons(text) == [phone.session.session_key]
    assert "End all other sessions" in text


def test_a_single_session_offers_no_end_all_button(laptop):
    text = page_text(laptop.get(SESSIONS))

    assert "This device" in text
    assert end_buttons(text) == []
    assert "End all other sessions" not in text


def test_ending_the_other_session_logs_that_device_out(laptop, phone):
    [other] = end_buttons(page_text(laptop.get(SESSIONS)))

    response = end_session(laptop, other)

    assert "The session is ended." in page_text(response)
    assert "Chrome 126 on Android phone" not in page_text(response)
    assert is_logged_out(phone)
    assert not is_logged_out(laptop)


def test_the_ended_device_is_sent_to_log_in_from_any_member_page(laptop, phone):
    end_session(laptop, phone.session.session_key)

    response = phone.get(reverse("accounts:profile"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_ending_a_session_twice_says_it_has_ended_already(laptop, phone):
    key = phone.session.session_key
    end_session(laptop, key)

    response = end_session(laptop, key)

    assert "That session has already ended." in page_text(response)


def test_a_member_cannot_end_someone_elses_session(laptop):
    UserFactory(email="stranger@example.com")
    stranger = member_client("stranger@example.com", device="Stranger's tablet")

    response = end_session(laptop, stranger.session.session_key)

    assert "That session has already ended." in page_text(response)
    assert not is_logged_out(stranger)
    assert MemberSession.objects.filter(session_key=stranger.session.session_key).exists()


def test_someone_elses_session_is_never_listed(laptop):
    UserFactory(email="stranger@example.com")
    member_client("stranger@example.com", device="Stranger's tablet")

    text = page_text(laptop.get(SESSIONS))

    assert "tablet" not in text


def test_the_current_session_is_not_ended_from_this_page(laptop):
    response = end_session(laptop, laptop.session.session_key)

    assert "This is the session you are using. Use Log out to end it." in page_text(response)
    assert not is_logged_out(laptop)


def test_end_all_other_sessions(member, laptop, phone):
    tablet = member_client("member@example.com", device="Safari on iPad", ip="10.0.0.3")

    response = laptop.post(SESSIONS, {"session_key": "__others__"}, follow=True)

    assert "Other sessions ended: 2." in page_text(response)
    assert is_logged_out(phone)
    assert is_logged_out(tablet)
    assert not is_logged_out(laptop)
    assert list(MemberSession.objects.filter(user=member).values_list("user_agent", flat=True)) == [
        "Firefox 128 on Windows laptop"
    ]


def test_end_all_other_sessions_leaves_other_members_alone(laptop, phone):
    UserFactory(email="stranger@example.com")
    stranger = member_client("stranger@example.com", device="Stranger's tablet")

    laptop.post(SESSIONS, {"session_key": "__others__"})

    assert not is_logged_out(stranger)


def expire(session_key: str) -> None:
    """Let a session run out, wherever the session engine keeps it (database; Redis too with cached_db)."""
    Session.objects.filter(session_key=session_key).update(expire_date=timezone.now())
    store = session_store(session_key)
    if hasattr(store, "cache_key"):
        caches[settings.SESSION_CACHE_ALIAS].delete(store.cache_key)


def test_an_expired_session_is_no_longer_listed(laptop, phone):
    expire(phone.session.session_key)

    text = page_text(laptop.get(SESSIONS))

    assert "Chrome 126 on Android phone" not in text
    assert "End all other sessions" not in text


def test_end_all_counts_only_sessions_that_were_still_live(laptop, phone):
    tablet = member_client("member@example.com", device="Safari on iPad", ip="10.0.0.3")
    expire(tablet.session.session_key)

    response = laptop.post(SESSIONS, {"session_key": "__others__"}, follow=True)

    assert "Other sessions ended: 1." in page_text(response)


def test_the_page_needs_a_logged_in_member(db):
    response = Client().get(SESSIONS)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
