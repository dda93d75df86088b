"""Review findings 1, 2 and 7: staff powers only after the staff area's two-factor check; one IP key."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from membercenter.backoffice.roles import ADMINISTRATOR, REVIEWER
from tests.accounts.helpers import login_post
from tests.factories import RegisteredProductFactory, UserFactory, staff, with_authenticator
from tests.twofactor.test_twofactor import SETUP, STAFF_HOME, VERIFY, code, logged_in, redirects_to

pytestmark = pytest.mark.django_db


def invoice_url(product) -> str:
    return reverse("products:invoice", args=[product.pk])


@pytest.fixture
def admin_without_device(db):
    return staff(ADMINISTRATOR, first_name="Adi", authenticator=False, email="adi@example.com")


@pytest.fixture
def members_product(indonesia):
    return RegisteredProductFactory(member=UserFactory(email="owner@example.com"), region=indonesia)


# --- 1: a password alone gives no staff scope outside the staff area --------------------------------


def test_an_administrator_without_a_device_cannot_open_a_members_invoice(admin_without_device, members_product):
    browser = logged_in(admin_without_device)  # the password only: no authenticator set up yet
    own = RegisteredProductFactory(member=admin_without_device)

    assert browser.get(invoice_url(members_product)).status_code == 404
    assert browser.get(invoice_url(own)).status_code == 200  # their own products, as any member


def test_after_setting_up_the_device_the_administrator_sees_every_invoice(admin_without_device, members_product):
    browser = logged_in(admin_without_device)
    browser.get(SETUP)
    browser.post(SETUP, {"code": code(TOTPDevice.objects.get(user=admin_without_device))})

    assert browser.get(invoice_url(members_product)).status_code == 200


def test_a_reviewer_whose_session_predates_the_device_sees_only_own_invoices(reviewer, members_product):
    browser = logged_in(reviewer)
    assert browser.get(invoice_url(members_product)).status_code == 200  # no device: staff scope as before

    device = with_authenticator(reviewer).otp_device  # added elsewhere (the admin's device pages)

    assert browser.get(invoice_url(members_product)).status_code == 404
    browser.post(VERIFY, {"code": code(device)})
    assert browser.get(invoice_url(members_product)).status_code == 200


# --- 2: a session older than the device gives the code before the staff area ----------------------


def test_a_session_that_predates_the_device_is_asked_for_the_code(reviewer):
    browser = logged_in(reviewer)
    assert browser.get(STAFF_HOME).status_code == 200

    device = with_authenticator(reviewer).otp_device  # not through the set-up page: no session ended

    response = browser.get(STAFF_HOME)
    assert redirects_to(response, VERIFY)
    assert browser.get(reverse("admin:index")).status_code == 302
    assert browser.get(reverse("accounts:overview")).status_code == 200  # member pages as before

    response = browser.post(VERIFY, {"code": code(device), "next": STAFF_HOME})
    assert response["Location"] == STAFF_HOME
    assert browser.get(STAFF_HOME).status_code == 200


def test_the_admin_never_shows_another_staff_members_totp_secret(db):
    root = UserFactory(email="root@example.com", is_staff=True, is_superuser=True, authenticator=False)
    admin = with_authenticator(root)
    browser = Client()
    browser.force_login(admin)  # the whole log-in, code included
    other = staff(REVIEWER, email="rina@example.com")
    device = with_authenticator(other).otp_device

    response = browser.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert device.key not in page
    assert device.config_url.split("secret=", 1)[1].split("&", 1)[0] not in page
    assert browser.get(reverse("admin:otp_totp_totpdevice_config", args=[device.pk])).status_code in (403, 404)


# --- 7: the log-in limit per IP counts an IPv6 /64 as one visitor -----------------------------------


def test_rotating_addresses_within_one_ipv6_slash_64_does_not_escape_the_login_limit(settings):
    settings.LOGIN_RATE_PER_IP = "5/h"
    settings.LOGIN_RATE_PER_ACCOUNT = "100/h"
    for n in range(5):
        browser = Client(REMOTE_ADDR=f"2001:db8:1:2::{n + 1:x}")
        assert login_post(browser, f"guess{n}@example.com", "wrong-password").status_code == 200

    response = login_post(Client(REMOTE_ADDR="2001:db8:1:2:ffff::9"), "guess9@example.com", "wrong-password")
    assert response.status_code == 429
    # Another subscriber (another /64) is not held back.
    other = login_post(Client(REMOTE_ADDR="2001:db8:1:3::1"), "guess9@example.com", "wrong-password")
    assert other.status_code == 200
