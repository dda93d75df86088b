"""Email verification: the link in the mail, its expiry, and sending it again."""

from __future__ import annotations

import time
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from membercenter.accounts.models import User
from membercenter.accounts.views import VERIFY_RESEND_RATE
from tests.accounts.helpers import (
    SIGNUP_PASSWORD,
    login_post,
    mail_links,
    page_text,
    sent_to,
    signup_data,
    signup_post,
    site_path,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EMAIL = "new.member@example.com"
FAILED = "This link does not work"
RESEND = reverse("accounts:verify_resend")


@pytest.fixture
def verify_path(client, region, django_capture_on_commit_callbacks) -> str:
    """Sign up through the form, then log in (allowed before verifying); the path of the link in the mail."""
    with django_capture_on_commit_callbacks(execute=True):
        assert signup_post(client, signup_data(region, email=EMAIL)).status_code == 302
    assert login_post(client, EMAIL, SIGNUP_PASSWORD).status_code == 302
    [message] = sent_to(EMAIL)
    [link] = mail_links(message)
    return site_path(link)


def member() -> User:
    return User.objects.get(email=EMAIL)


def test_the_link_from_the_mail_verifies_the_address(client, verify_path):
    response = client.get(verify_path, follow=True)

    assert response.redirect_chain == [(reverse("accounts:overview"), 302)]
    assert "Thank you, your email address is verified." in page_text(response)
    assert "is not verified yet" not in page_text(response)
    assert member().is_verified


def test_the_link_also_works_in_a_browser_that_is_not_logged_in(verify_path):
    response = Client().get(verify_path, follow=True)

    assert response.redirect_chain == [(reverse("accounts:login"), 302)]
    assert "Thank you, your email address is verified." in page_text(response)
    assert member().is_verified


def test_opening_the_link_again_says_already_verified_and_changes_nothing(client, verify_path):
    client.get(verify_path)
    verified_at = member().email_verified_at

    response = client.get(verify_path, follow=True)

    assert response.status_code == 200
    assert "Your email address was already verified." in page_text(response)
    assert member().email_verified_at == verified_at


def test_a_tampered_link_shows_the_failure_page(client, verify_path):
    head, token, tail = verify_path.rsplit("/", 2)
    tampered = f"{head}/{token[:-1]}{'A' if token[-1] != 'A' else 'B'}/{tail}"

    response = client.get(tampered)

    assert response.status_code == 400
    assert FAILED in page_text(response)
    assert not member().is_verified


def test_a_made_up_link_shows_the_failure_page(client, db):
    response = client.get(reverse("accounts:verify_email", args=["not-a-token"]))

    assert response.status_code == 400
    assert FAILED in page_text(response)


def test_an_expired_link_shows_the_failure_page(client, verify_path):
    later = time.time() + settings.EMAIL_VERIFICATION_MAX_AGE + 60

    with mock.patch("time.time", return_value=later):
        response = client.get(verify_path)

    assert response.status_code == 400
    assert FAILED in page_text(response)
    assert not member().is_verified


def test_a_link_still_inside_its_lifetime_works(client, verify_path):
    nearly = time.time() + settings.EMAIL_VERIFICATION_MAX_AGE - 60

    with mock.patch("time.time", return_value=nearly):
        client.get(verify_path)

    assert member().is_verified


def test_a_link_for_an_address_the_member_changed_since_fails(client, verify_path):
    User.objects.filter(email=EMAIL).update(email="changed@example.com")

    response = client.get(verify_path)

    assert response.status_code == 400
    assert FAILED in page_text(response)
    assert not User.objects.get(email="changed@example.com").is_verified


def test_an_unverified_member_is_reminded_on_the_overview(client, verify_path):
    response = client.get(reverse("accounts:overview"))

    assert f"Your email address {EMAIL} is not verified yet." in page_text(response)
    assert "Send the verification link again" in page_text(response)


# --- sending the link again -------------------------------------------------------


def test_resend_sends_a_new_link_that_works(client, verify_path, django_capture_on_commit_callbacks):
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RESEND, follow=True)

    assert f"We sent a new verification link to {EMAIL}." in page_text(response)
    [message] = sent_to(EMAIL)
    [link] = mail_links(message)
    client.get(site_path(link))
    assert member().is_verified


def test_resend_is_limited(client, verify_path, django_capture_on_commit_callbacks):
    allowed = int(VERIFY_RESEND_RATE.split("/")[0])
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(allowed):
            assert client.post(RESEND).status_code == 302
        response = client.post(RESEND)

    assert response.status_code == 429
    assert "Too many attempts" in page_text(response)
    assert len(sent_to(EMAIL)) == allowed


def test_resend_for_a_verified_member_sends_nothing(client, django_capture_on_commit_callbacks):
    client.force_login(UserFactory(email="done@example.com"))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RESEND, follow=True)

    assert "Your email address was already verified." in page_text(response)
    assert mail.outbox == []


def test_resend_needs_a_post(client, verify_path):
    assert client.get(RESEND).status_code == 405


def test_resend_needs_a_logged_in_member(db):
    response = Client().post(RESEND)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
