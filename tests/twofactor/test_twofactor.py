"""Two-factor authentication (TOTP) for staff: setting it up, the code step at log-in, the
administrators who must use it, and the recovery command."""

from __future__ import annotations

import base64
import re
import time

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from membercenter.backoffice.roles import ADMINISTRATOR, REVIEWER
from tests.accounts.helpers import is_logged_out, login_post, member_client, page_text
from tests.factories import UserFactory, staff, with_authenticator

pytestmark = pytest.mark.django_db

SETUP = reverse("twofactor:setup")
VERIFY = reverse("twofactor:verify")
STAFF_HOME = reverse("backoffice:home")
ADMIN_HOME = reverse("admin:index")
WRONG = "That code is not correct or was already used."


def code(device: TOTPDevice, *, steps: int = 0) -> str:
    """What the staff member's authenticator app shows now (or `steps` periods later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps * device.step
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    right = {code(device, steps=s) for s in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in right)


def logged_in(user) -> Client:
    """A browser where `user` gave the password on the log-in form (and nothing more)."""
    browser = Client()
    response = login_post(browser, user.email)
    assert response.status_code == 302, page_text(response)
    return browser


def redirects_to(response, url: str) -> bool:
    return response.status_code == 302 and response["Location"].split("?")[0] == url


@pytest.fixture
def admin_without_device(db):
    return staff(ADMINISTRATOR, first_name="Adi", authenticator=False, email="adi@example.com")


@pytest.fixture
def reviewer_with_device(indonesia):
    user = staff(REVIEWER, regions=(indonesia,), first_name="Rina", email="rina@example.com")
    return with_authenticator(user)


# --- setting it up ---------------------------------------------------------------------------


def test_staff_set_up_an_authenticator_with_a_real_code(reviewer):
    browser = logged_in(reviewer)

    page = browser.get(SETUP)

    assert page.status_code == 200
    html = page_text(page)
    assert "<svg" in html and 'class="qr"' in html  # the QR code, drawn on the server
    assert "style=" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert '<label for="id_code"' in html
    device = TOTPDevice.objects.get(user=reviewer)
    assert not device.confirmed
    shown = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', html).group(1).replace(" ", "")
    assert base64.b32decode(shown) == device.bin_key  # the key to type in, if the QR code cannot be scanned

    response = browser.post(SETUP, {"code": code(device)}, follow=True)

    assert "Two-factor authentication is on." in page_text(response)
    device.refresh_from_db()
    assert device.confirmed
    assert browser.get(STAFF_HOME).status_code == 200


def test_the_qr_code_holds_the_otpauth_address_and_no_style(reviewer):
    browser = logged_in(reviewer)

    html = page_text(browser.get(SETUP))

    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    assert "style" not in svg
    assert "<path" in svg
    device = TOTPDevice.objects.get(user=reviewer)
    assert device.config_url.startswith("otpauth://totp/")
    assert "issuer=Member%20Center" in device.config_url


def test_a_wrong_code_is_refused_with_a_clear_message(reviewer):
    browser = logged_in(reviewer)
    browser.get(SETUP)
    device = TOTPDevice.objects.get(user=reviewer)

    response = browser.post(SETUP, {"code": wrong_code(device)})

    assert response.status_code == 200
    assert WRONG in page_text(response)
    device.refresh_from_db()
    assert not device.confirmed


def test_a_code_that_is_not_six_digits_is_explained(reviewer):
    browser = logged_in(reviewer)
    browser.get(SETUP)

    response = browser.post(SETUP, {"code": "12ab"})

    assert "Enter the 6 digits your authenticator app shows, without spaces." in page_text(response)


def test_a_member_cannot_open_the_set_up_page(db):
    member = UserFactory()
    browser = logged_in(member)

    assert browser.get(SETUP).status_code == 404
    assert not TOTPDevice.objects.exists()


def test_turning_it_on_ends_the_other_sessions(reviewer):
    other = logged_in(reviewer)
    browser = logged_in(reviewer)
    browser.get(SETUP)

    browser.post(SETUP, {"code": code(TOTPDevice.objects.get(user=reviewer))})

    assert is_logged_out(other)
    assert not is_logged_out(browser)


# --- administrators must have it -------------------------------------------------------------------


@pytest.mark.parametrize("page", [STAFF_HOME, reverse("backoffice:queue"), ADMIN_HOME, "/admin/accounts/user/"])
def test_an_administrator_without_a_device_is_sent_to_set_it_up(admin_without_device, page):
    browser = logged_in(admin_without_device)

    response = browser.get(page)

    assert redirects_to(response, SETUP)
    assert f"next={page}".replace("/", "%2F") in response["Location"]


def test_a_superuser_without_a_device_is_sent_to_set_it_up(db):
    root = UserFactory(email="root@example.com", is_staff=True, is_superuser=True, authenticator=False)
    browser = logged_in(root)

    assert redirects_to(browser.get(ADMIN_HOME), SETUP)


def test_after_setting_it_up_the_administrator_reaches_the_page_asked_for(admin_without_device):
    browser = logged_in(admin_without_device)
    browser.get(SETUP)
    device = TOTPDevice.objects.get(user=admin_without_device)

    response = browser.post(SETUP, {"code": code(device), "next": ADMIN_HOME})

    assert response["Location"] == ADMIN_HOME
    assert browser.get(ADMIN_HOME).status_code == 200
    assert browser.get(STAFF_HOME).status_code == 200


def test_an_administrator_without_a_device_still_uses_the_member_pages(admin_without_device):
    browser = logged_in(admin_without_device)

    assert browser.get(reverse("accounts:overview")).status_code == 200


def test_a_reviewer_without_a_device_is_not_held_back(reviewer):
    browser = logged_in(reviewer)

    assert browser.get(STAFF_HOME).status_code == 200
    assert browser.get(reverse("backoffice:queue")).status_code == 200


def test_the_admin_log_in_form_is_the_sites(db):
    response = Client().get(reverse("admin:login") + "?next=/admin/")

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login") + "?next=/admin/"


# --- the code at log-in ------------------------------------------------------------------------------


def test_staff_with_a_device_give_the_code_after_the_password(reviewer_with_device):
    browser = Client()
    device = TOTPDevice.objects.get(user=reviewer_with_device)

    response = login_post(browser, reviewer_with_device.email, next_url=reverse("backoffice:queue"))

    assert redirects_to(response, VERIFY)
    # Until the code is given, every page (member pages too) leads to the code step.
    for page in (STAFF_HOME, reverse("accounts:overview"), reverse("accounts:profile")):
        assert redirects_to(browser.get(page), VERIFY), page
    verify_page = browser.get(response["Location"])
    assert '<label for="id_code"' in page_text(verify_page)

    response = browser.post(VERIFY, {"code": code(device), "next": reverse("backoffice:queue")})

    assert response["Location"] == reverse("backoffice:queue")
    assert browser.get(STAFF_HOME).status_code == 200


def test_the_code_step_gives_a_new_session_key(reviewer_with_device):
    browser = Client()
    login_post(browser, reviewer_with_device.email)
    before = browser.session.session_key

    browser.post(VERIFY, {"code": code(TOTPDevice.objects.get(user=reviewer_with_device))})

    assert browser.session.session_key != before


def test_a_wrong_code_at_log_in_keeps_the_door_shut(reviewer_with_device):
    browser = Client()
    login_post(browser, reviewer_with_device.email)
    device = TOTPDevice.objects.get(user=reviewer_with_device)

    response = browser.post(VERIFY, {"code": wrong_code(device)})

    assert response.status_code == 200
    assert WRONG in page_text(response)
    assert redirects_to(browser.get(STAFF_HOME), VERIFY)


def test_a_used_code_cannot_be_used_again(reviewer_with_device):
    device = TOTPDevice.objects.get(user=reviewer_with_device)
    first, second = Client(), Client()
    login_post(first, reviewer_with_device.email)
    login_post(second, reviewer_with_device.email)
    now = code(device)
    assert first.post(VERIFY, {"code": now}).status_code == 302

    response = second.post(VERIFY, {"code": now})  # seen over a shoulder, replayed

    assert response.status_code == 200
    assert WRONG in page_text(response)
    assert redirects_to(second.get(STAFF_HOME), VERIFY)


def test_after_a_wrong_code_even_the_right_one_waits(reviewer_with_device, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60  # a minute's wait after the first wrong code
    device = TOTPDevice.objects.get(user=reviewer_with_device)
    browser = Client()
    login_post(browser, reviewer_with_device.email)
    browser.post(VERIFY, {"code": wrong_code(device)})

    response = browser.post(VERIFY, {"code": code(device)})

    assert "Too many wrong codes." in page_text(response)
    assert redirects_to(browser.get(STAFF_HOME), VERIFY)


def test_the_code_step_can_be_left_by_logging_out(reviewer_with_device):
    browser = Client()
    login_post(browser, reviewer_with_device.email)

    response = browser.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert is_logged_out(browser)


def test_a_member_without_a_device_logs_in_as_before(db):
    member = UserFactory(email="plain@example.com")

    browser = member_client(member.email, device="Phone")

    assert browser.get(reverse("accounts:overview")).status_code == 200


# --- recovery ------------------------------------------------------------------------------------------


def test_the_reset_command_removes_the_devices_and_ends_the_sessions(reviewer_with_device, capsys):
    device = TOTPDevice.objects.get(user=reviewer_with_device)
    browser = Client()
    login_post(browser, reviewer_with_device.email)
    browser.post(VERIFY, {"code": code(device)})

    call_command("twofactor_reset", reviewer_with_device.email.upper())

    assert "1 authenticator device(s) removed, 1 session(s) ended." in capsys.readouterr().out
    assert not TOTPDevice.objects.filter(user=reviewer_with_device).exists()
    assert is_logged_out(browser)
    again = Client()
    assert login_post(again, reviewer_with_device.email)["Location"] == reverse("accounts:overview")


def test_the_reset_command_names_an_unknown_address(db):
    with pytest.raises(CommandError, match="No user with the email nobody@example.com."):
        call_command("twofactor_reset", "nobody@example.com")


def test_logging_out_before_the_code_does_not_end_the_other_sessions(reviewer_with_device):
    device = TOTPDevice.objects.get(user=reviewer_with_device)
    owner = Client()
    login_post(owner, reviewer_with_device.email)
    owner.post(VERIFY, {"code": code(device)})
    intruder = Client()  # knows the password, not the code
    login_post(intruder, reviewer_with_device.email)

    intruder.post(reverse("accounts:logout"))

    assert is_logged_out(intruder)
    assert owner.get(STAFF_HOME).status_code == 200


def test_the_status_page_says_whether_it_is_on(reviewer, reviewer_with_device, admin_without_device):
    off = page_text(logged_in(reviewer).get(reverse("twofactor:index")))
    required = page_text(logged_in(admin_without_device).get(reverse("twofactor:index")))
    browser = Client()
    login_post(browser, reviewer_with_device.email)
    browser.post(VERIFY, {"code": code(TOTPDevice.objects.get(user=reviewer_with_device))})
    on = page_text(browser.get(reverse("twofactor:index")))

    assert "Two-factor authentication is off." in off and f'href="{SETUP}"' in off
    assert "Administrators must turn it on." in required
    assert "Two-factor authentication is on" in on and f'href="{SETUP}"' not in on
