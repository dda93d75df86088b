"""Logging in and out, the limits on wrong passwords, and where a member lands."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from membercenter.accounts.models import MemberSession
from tests.accounts.helpers import is_logged_out, login_post, page_text
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

WRONG = "The email or password is not correct."
TOO_MANY = "Too many attempts"


@pytest.fixture
def member():
    return UserFactory(email="member@example.com")


@pytest.fixture
def small_limits(settings):
    settings.LOGIN_RATE_PER_ACCOUNT = "3/h"
    settings.LOGIN_RATE_PER_IP = "5/h"


def fail_logins(client: Client, email: str, times: int) -> None:
    for _ in range(times):
        response = login_post(client, email, "not-the-password")
        assert WRONG in page_text(response)


def test_the_login_page_has_labelled_fields(client):
    text = page_text(client.get(reverse("accounts:login")))

    assert '<label for="id_email"' in text
    assert '<label for="id_password"' in text


def test_right_password_logs_in_and_lands_on_the_overview(client, member):
    response = login_post(client, "member@example.com", follow=True)

    assert response.redirect_chain == [(reverse("accounts:overview"), 302)]
    assert "Account Overview" in page_text(response)
    assert response.wsgi_request.user == member


def test_the_email_is_matched_in_any_letter_case(client, member):
    response = login_post(client, "  MEMBER@Example.COM ")

    assert response.status_code == 302
    assert not is_logged_out(client)


def test_a_wrong_password_is_refused_with_a_message(client, member):
    response = login_post(client, "member@example.com", "not-the-password")

    assert response.status_code == 200
    assert WRONG in page_text(response)
    assert is_logged_out(client)


def test_an_unknown_email_gets_the_same_message(client, member):
    response = login_post(client, "nobody@example.com")

    assert response.status_code == 200
    assert WRONG in page_text(response)


def test_a_deactivated_member_cannot_log_in(client):
    UserFactory(email="gone@example.com", is_active=False)

    response = login_post(client, "gone@example.com")

    assert WRONG in page_text(response)
    assert is_logged_out(client)


def test_logging_in_records_the_session_for_login_management(member):
    browser = Client(HTTP_USER_AGENT="Firefox on Android", REMOTE_ADDR="10.1.2.3")

    login_post(browser, "member@example.com")

    row = MemberSession.objects.get(user=member)
    assert row.session_key == browser.session.session_key
    assert (row.user_agent, row.ip_address) == ("Firefox on Android", "10.1.2.3")


# --- throttling -----------------------------------------------------------------


def test_after_the_allowed_failures_even_the_right_password_is_refused(client, member, small_limits):
    fail_logins(client, "member@example.com", 3)

    response = login_post(client, "member@example.com")

    assert response.status_code == 429
    assert TOO_MANY in page_text(response)
    assert is_logged_out(client)


def test_failures_count_for_the_address_in_any_letter_case(client, member, small_limits):
    fail_logins(client, "Member@Example.com", 2)
    fail_logins(client, "MEMBER@EXAMPLE.COM", 1)

    assert login_post(client, "member@example.com").status_code == 429


def test_failures_below_the_limit_do_not_stop_the_member(client, member, small_limits):
    fail_logins(client, "member@example.com", 2)

    response = login_post(client, "member@example.com")

    assert response.status_code == 302
    assert not is_logged_out(client)


def test_a_locked_account_does_not_lock_out_other_members_on_the_same_network(member, small_limits):
    UserFactory(email="neighbour@example.com")
    fail_logins(Client(), "member@example.com", 3)

    neighbour = Client()
    response = login_post(neighbour, "neighbour@example.com")

    assert response.status_code == 302
    assert not is_logged_out(neighbour)


def test_too_many_failures_from_one_ip_stop_every_account_from_it(member, small_limits):
    UserFactory(email="neighbour@example.com")
    fail_logins(Client(), "member@example.com", 3)
    fail_logins(Client(), "neighbour@example.com", 2)

    response = login_post(Client(), "neighbour@example.com")

    assert response.status_code == 429
    assert TOO_MANY in page_text(response)


def test_the_ip_limit_does_not_reach_other_ips(member, small_limits):
    UserFactory(email="neighbour@example.com")
    fail_logins(Client(), "member@example.com", 3)
    fail_logins(Client(), "neighbour@example.com", 2)

    response = login_post(Client(REMOTE_ADDR="192.0.2.44"), "neighbour@example.com")

    assert response.status_code == 302


# --- where the member lands -----------------------------------------------------


def test_a_member_page_sends_a_visitor_to_log_in_and_back(client, member):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    login_page = client.get(response["Location"])
    assert f'name="next" value="{reverse("accounts:profile")}"' in page_text(login_page)

    response = login_post(client, "member@example.com", next_url=reverse("accounts:profile"))

    assert response["Location"] == reverse("accounts:profile")


@pytest.mark.parametrize(
    "target", ["https://evil.example/phish", "//evil.example/phish", "http://testserver.evil.example/"]
)
def test_a_next_address_on_another_site_is_ignored(client, member, target):
    response = login_post(client, "member@example.com", next_url=target)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:overview")


def test_a_next_address_on_another_site_is_not_put_in_the_form(client):
    text = page_text(client.get(reverse("accounts:login"), {"next": "https://evil.example/"}))

    assert 'name="next" value=""' in text


# --- log out ------------------------------------------------------------------------


def test_log_out_ends_the_session_and_says_so(member):
    browser = Client()
    login_post(browser, "member@example.com")

    response = browser.post(reverse("accounts:logout"), follow=True)

    assert "You are logged out on every device." in page_text(response)
    assert is_logged_out(browser)
    assert not MemberSession.objects.filter(user=member).exists()


def test_log_out_needs_a_post(client, member):
    login_post(client, "member@example.com", PASSWORD)

    assert client.get(reverse("accounts:logout")).status_code == 405
    assert not is_logged_out(client)
