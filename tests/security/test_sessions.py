"""Sessions: a new key at log-in; log-out, password change or reset and deactivation end every
session of the member; the session and CSRF cookies are Secure and HttpOnly in production."""

from __future__ import annotations

import runpy
from importlib import import_module
from pathlib import Path
from typing import cast

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from membercenter.accounts.models import MemberSession, User
from membercenter.accounts.services import member_deactivate
from tests.accounts.helpers import is_logged_out, login_post, mail_links, member_client, sent_to, site_path
from tests.deploy.conftest import production_env
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

EMAIL = "member@example.com"
NEW_PASSWORD = "copper-kettle-morning-77"


@pytest.fixture
def member():
    return UserFactory(email=EMAIL)


@pytest.fixture
def devices(member) -> list[Client]:
    """The member logged in on three devices, each through the log-in form."""
    return [member_client(EMAIL, device=name) for name in ("Laptop", "Phone", "Tablet")]


@pytest.fixture
def stranger() -> Client:
    UserFactory(email="stranger@example.com")
    return member_client("stranger@example.com", device="Stranger's phone")


# --- fixation --------------------------------------------------------------------------------


def test_log_in_gives_a_new_session_key_and_a_planted_one_stays_anonymous(member):
    # An attacker makes a session and gets its key into the victim's browser.
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store["planted"] = True
    store.create()
    planted = store.session_key
    victim = Client()
    victim.cookies[settings.SESSION_COOKIE_NAME] = planted

    response = login_post(victim, EMAIL)

    assert response.status_code == 302
    assert victim.cookies[settings.SESSION_COOKIE_NAME].value != planted
    assert not is_logged_out(victim)
    attacker = Client()
    attacker.cookies[settings.SESSION_COOKIE_NAME] = planted
    assert is_logged_out(attacker)


def test_every_log_in_gets_its_own_key(member):
    first, second = member_client(EMAIL, device="A"), member_client(EMAIL, device="B")

    assert first.session.session_key != second.session.session_key


# --- ending every session ------------------------------------------------------------------------


def test_log_out_ends_every_session_of_the_member(member, devices, stranger):
    laptop, phone, tablet = devices

    laptop.post(reverse("accounts:logout"))

    assert all(is_logged_out(device) for device in devices)
    assert not MemberSession.objects.filter(user=member).exists()
    assert not is_logged_out(stranger)


def test_password_change_ends_every_other_session(member, devices, stranger):
    laptop, phone, tablet = devices

    response = laptop.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert not is_logged_out(laptop)
    assert is_logged_out(phone) and is_logged_out(tablet)
    assert not is_logged_out(stranger)


def test_password_reset_ends_every_session(member, devices, stranger, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(reverse("accounts:password_reset"), {"email": EMAIL})
    [link] = mail_links(sent_to(EMAIL)[0])
    browser = Client()
    form_url = browser.get(site_path(link), follow=True).redirect_chain[-1][0]

    browser.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert all(is_logged_out(device) for device in devices)
    assert not is_logged_out(stranger)


def test_deactivation_ends_every_session(member, devices, stranger):
    ended = member_deactivate(user=member)

    assert ended == 3
    assert all(is_logged_out(device) for device in devices)
    assert not User.objects.get(pk=member.pk).is_active
    assert not is_logged_out(stranger)
    assert login_post(Client(), EMAIL).status_code == 200  # and no new one starts


def test_a_deactivated_members_session_stops_at_its_next_request(member, devices):
    # Even a session nothing ended (the flag set straight in the database) is refused.
    User.objects.filter(pk=member.pk).update(is_active=False)

    assert all(is_logged_out(device) for device in devices)


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(cast(User, UserFactory(email="root@example.com", is_staff=True, is_superuser=True)))
    return client


def test_the_admin_action_deactivates_and_ends_every_session(member, devices, stranger, admin_client):
    response = admin_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate", "_selected_action": [str(member.pk)]},
        follow=True,
    )

    assert "Accounts deactivated; sessions ended: 3." in response.content.decode()
    assert all(is_logged_out(device) for device in devices)
    assert not is_logged_out(stranger)


def test_unticking_active_in_the_admin_ends_every_session(member, devices, admin_client):
    url = reverse("admin:accounts_user_change", args=[member.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if field.disabled or value is None:
            continue
        widget_data = field.widget.format_value(value) if hasattr(field.widget, "widgets") else None
        if isinstance(widget_data, list):  # a split date and time
            for n, part in enumerate(widget_data):
                data[f"{name}_{n}"] = part or ""
        elif isinstance(value, list):
            data[name] = [str(v) for v in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = str(value)
    data.pop("is_active", None)

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert not User.objects.get(pk=member.pk).is_active
    assert all(is_logged_out(device) for device in devices)


# --- production cookies ------------------------------------------------------------------------


def production_settings(monkeypatch) -> dict:
    """The settings a production process gets (settings.py run afresh with the production environment)."""
    for key in list(__import__("os").environ):
        monkeypatch.delenv(key)
    for key, value in production_env().items():
        monkeypatch.setenv(key, value)
    return runpy.run_path(str(Path(settings.BASE_DIR) / "membercenter" / "settings.py"))


COOKIE_FLAGS = ["SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_SECURE", "CSRF_COOKIE_HTTPONLY"]


def test_in_production_the_session_and_csrf_cookies_are_secure_and_httponly(member, monkeypatch, settings):
    prod = production_settings(monkeypatch)
    monkeypatch.undo()  # the test process's own environment back
    for name in COOKIE_FLAGS:
        setattr(settings, name, prod[name])
    for name in ("SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SAMESITE"):  # Django's default ("Lax") unless set
        setattr(settings, name, prod.get(name, "Lax"))
    browser = Client()

    page = browser.get(reverse("accounts:login"), secure=True)
    response = login_post_secure(browser)

    csrf = page.cookies[settings.CSRF_COOKIE_NAME]
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    for cookie in (csrf, session):
        assert cookie["secure"] is True, cookie.OutputString()
        assert cookie["httponly"] is True, cookie.OutputString()
        assert cookie["samesite"] == "Lax", cookie.OutputString()
    assert all(prod[name] is True for name in COOKIE_FLAGS)


def login_post_secure(browser: Client):
    response = browser.post(reverse("accounts:login"), {"email": EMAIL, "password": PASSWORD}, secure=True)
    assert response.status_code == 302
    return response


def test_in_development_the_cookies_are_still_httponly(member):
    browser = Client()

    page = browser.get(reverse("accounts:login"))
    response = login_post(browser, EMAIL)

    assert page.cookies[settings.CSRF_COOKIE_NAME]["httponly"] is True
    assert response.cookies[settings.SESSION_COOKIE_NAME]["httponly"] is True
