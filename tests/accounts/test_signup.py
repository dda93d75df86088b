"""Sign-up: the form a new member fills in, with its captcha, honeypot and consents."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from membercenter.accounts import services as account_services
from membercenter.accounts.models import Captcha, User
from tests.accounts.helpers import (
    SIGNUP_PASSWORD,
    login_post,
    page_text,
    sent_to,
    signup_data,
    signup_post,
    with_captcha,
)
from tests.conftest import captcha_answer, captcha_id
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = reverse("accounts:signup")
CAPTCHA_ERROR = "The captcha answer is wrong or has expired. Please answer the new question."


def open_signup(client: Client) -> str:
    response = client.get(SIGNUP)
    assert response.status_code == 200
    return page_text(response)


# --- success -------------------------------------------------------------------


def test_signup_with_every_field_stores_the_member(client, region, newsletter_lists):
    data = signup_data(
        region,
        email="New.Member@Example.COM",
        newsletters=[str(newsletter_lists[0].pk), str(newsletter_lists[2].pk)],
        accept_reward_terms="on",
    )
    before = timezone.now()

    response = signup_post(client, data)

    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "new.member@example.com"
    assert user.check_password(SIGNUP_PASSWORD)
    assert (user.first_name, user.last_name, user.region, user.phone) == ("Siti", "Rahayu", region, "+62 812-3456-7890")
    assert user.privacy_accepted_at >= before
    assert user.reward_terms_accepted_at >= before
    assert sorted(user.newsletters.values_list("slug", flat=True)) == ["events", "promotions"]
    assert not user.is_verified


def test_reward_terms_left_unticked_are_not_recorded_as_accepted(client, region):
    signup_post(client, signup_data(region))

    user = User.objects.get()
    assert user.privacy_accepted_at is not None
    assert user.reward_terms_accepted_at is None
    assert not user.newsletters.exists()


def test_signup_asks_to_check_the_mailbox_and_does_not_log_in(client, region):
    response = signup_post(client, signup_data(region), follow=True)

    assert response.redirect_chain == [(reverse("accounts:verify_sent"), 302)]
    assert "We sent an email to the address you entered." in page_text(response)
    assert not response.wsgi_request.user.is_authenticated


def test_the_new_member_logs_in_after_opening_the_link(client, region, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        signup_post(client, signup_data(region))
    [message] = sent_to("new.member@example.com")
    [link] = re.findall(r"https?://\S+", message.body)

    client.get(re.sub(r"^https?://[^/]+", "", link))
    response = login_post(client, "new.member@example.com", SIGNUP_PASSWORD, follow=True)

    assert response.redirect_chain == [(reverse("accounts:overview"), 302)]
    assert User.objects.get().is_verified


def test_signup_sends_the_verification_mail(client, region, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        signup_post(client, signup_data(region))

    [message] = sent_to("new.member@example.com")
    assert message.subject.startswith("Verify your email")
    assert "Hello Siti," in message.body
    assert re.search(r"https?://\S+/accounts/verify/\S+/", message.body)


def test_verification_mail_is_in_the_language_the_member_chose(
    client, region, indonesian, django_capture_on_commit_callbacks
):
    client.post(reverse("accounts:set_language"), {"language": "id", "next": SIGNUP})

    with django_capture_on_commit_callbacks(execute=True):
        signup_post(client, signup_data(region))

    assert User.objects.get().language == "id"
    [message] = mail.outbox
    assert message.subject.startswith("Verifikasi email Anda")


def test_a_logged_in_member_is_sent_to_the_account_overview(client):
    client.force_login(UserFactory())

    response = client.get(SIGNUP)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:overview")


# --- captcha -------------------------------------------------------------------


def test_wrong_captcha_answer_is_refused(client, region, django_capture_on_commit_callbacks):
    html = open_signup(client)
    wrong = str(int(captcha_answer(html)) + 1)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SIGNUP, {**signup_data(region), "captcha_id": captcha_id(html), "captcha_answer": wrong})

    assert response.status_code == 200
    assert CAPTCHA_ERROR in page_text(response)
    assert not User.objects.exists()
    assert mail.outbox == []


def test_after_a_wrong_answer_the_new_question_can_be_answered(client, region):
    html = open_signup(client)
    wrong = str(int(captcha_answer(html)) + 1)
    response = client.post(SIGNUP, {**signup_data(region), "captcha_id": captcha_id(html), "captcha_answer": wrong})
    retry = page_text(response)
    assert captcha_id(retry) != captcha_id(html)

    response = client.post(SIGNUP, with_captcha(retry, signup_data(region)))

    assert response.status_code == 302
    assert User.objects.filter(email="new.member@example.com").exists()


def test_a_solved_captcha_works_only_once(region):
    first, replay = Client(), Client()
    html = open_signup(first)
    solved = {"captcha_id": captcha_id(html), "captcha_answer": captcha_answer(html)}
    assert first.post(SIGNUP, {**signup_data(region), **solved}).status_code == 302

    # The same answer sent again, for a new address: only the captcha can refuse it.
    response = replay.post(SIGNUP, {**signup_data(region, email="second@example.com"), **solved})

    assert response.status_code == 200
    assert CAPTCHA_ERROR in page_text(response)
    assert not User.objects.filter(email="second@example.com").exists()


def test_an_expired_captcha_is_refused(client, region):
    html = open_signup(client)
    later = timezone.now() + timedelta(seconds=settings.CAPTCHA_MAX_AGE + 1)

    with mock.patch("django.utils.timezone.now", return_value=later):
        response = client.post(SIGNUP, with_captcha(html, signup_data(region)))

    assert response.status_code == 200
    assert CAPTCHA_ERROR in page_text(response)
    assert not User.objects.exists()


def test_new_question_button_shows_another_question_and_keeps_the_typed_values(client, region):
    html = open_signup(client)

    response = client.post(SIGNUP, {**signup_data(region), "captcha_id": captcha_id(html), "new_captcha": "1"})

    assert response.status_code == 200
    text = page_text(response)
    assert captcha_id(text) != captcha_id(html)
    assert 'value="new.member@example.com"' in text
    assert "This field is required." not in text
    assert CAPTCHA_ERROR not in text
    assert not User.objects.exists()


def test_the_question_from_the_new_question_button_can_be_answered(client, region):
    html = open_signup(client)
    refreshed = page_text(
        client.post(SIGNUP, {**signup_data(region), "captcha_id": captcha_id(html), "new_captcha": "1"})
    )

    response = client.post(SIGNUP, with_captcha(refreshed, signup_data(region)))

    assert response.status_code == 302
    assert User.objects.filter(email="new.member@example.com").exists()


def test_every_page_load_gets_its_own_question(client):
    first, second = open_signup(client), open_signup(client)

    assert captcha_id(first) != captcha_id(second)
    assert Captcha.objects.count() == 2


def test_every_field_has_a_label(client, region, newsletter_lists):
    text = open_signup(client)

    for field in ("email", "password1", "password2", "first_name", "last_name", "region", "phone"):
        assert f'<label for="id_{field}"' in text
    for field in ("newsletters_0", "accept_reward_terms", "accept_privacy", "captcha_answer"):
        assert f'<label for="id_{field}"' in text


def test_the_honeypot_is_out_of_reach_of_keyboard_and_autofill(client, region):
    [honeypot] = re.findall(r'<input[^>]*name="website"[^>]*>', open_signup(client))

    assert 'tabindex="-1"' in honeypot
    assert 'autocomplete="off"' in honeypot


# --- other refusals ----------------------------------------------------------


def test_a_filled_honeypot_is_refused(client, region):
    response = signup_post(client, signup_data(region, website="http://cheap-pills.example"))

    assert response.status_code == 200
    assert "Your request could not be checked. Please try again." in page_text(response)
    assert not User.objects.exists()


def test_an_address_that_has_an_account_gets_the_same_answer_and_its_owner_a_notice(
    client, region, django_capture_on_commit_callbacks
):
    owner = UserFactory(email="member@example.com", first_name="Ani")

    with django_capture_on_commit_callbacks(execute=True):
        response = signup_post(client, signup_data(region, email="Member@Example.com"), follow=True)

    assert response.redirect_chain == [(reverse("accounts:verify_sent"), 302)]
    assert "We sent an email to the address you entered." in page_text(response)
    assert not response.wsgi_request.user.is_authenticated
    assert User.objects.count() == 1
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD) and owner.first_name == "Ani"  # the account is untouched
    [message] = sent_to("member@example.com")
    assert message.subject == "You already have an account at Member Center"
    assert "Hello Ani," in message.body
    assert "/accounts/login/" in message.body and "/accounts/password-reset/" in message.body
    assert "/accounts/verify/" not in message.body


def test_a_duplicate_that_slips_past_the_first_check_gets_the_same_answer(
    client, region, monkeypatch, django_capture_on_commit_callbacks
):
    # Two sign-ups for one address at the same moment both find no account; the database's
    # unique constraint refuses the second, which then goes the way of a known address.
    UserFactory(email="member@example.com", first_name="Ani")
    real_filter = account_services.User.objects.filter
    calls = []

    def first_look_finds_nobody(*args, **kwargs):
        calls.append(kwargs)
        return User.objects.none() if len(calls) == 1 else real_filter(*args, **kwargs)

    monkeypatch.setattr(account_services.User.objects, "filter", first_look_finds_nobody)

    with django_capture_on_commit_callbacks(execute=True):
        response = signup_post(client, signup_data(region, email="member@example.com"))

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:verify_sent")
    assert User.objects.count() == 1
    [message] = sent_to("member@example.com")
    assert message.subject == "You already have an account at Member Center"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"password2": "another-password-entirely"}, "The two passwords do not match."),
        (
            {"password1": "short9", "password2": "short9"},
            "This password is too short. It must contain at least 10 characters.",
        ),
        ({"password1": "password123", "password2": "password123"}, "This password is too common."),
        ({"password1": "1234567890", "password2": "1234567890"}, "This password is entirely numeric."),
        (
            {"password1": "new.member@example.com", "password2": "new.member@example.com"},
            "The password is too similar to the email.",
        ),
        ({"accept_privacy": None}, "You must agree to the Privacy Policy to create an account."),
        ({"phone": "call me maybe"}, "Enter a phone number with digits only, e.g. 08123456789."),
        ({"email": "not-an-address"}, "Enter a valid email address."),
        ({"first_name": ""}, "This field is required."),
        ({"region": ""}, "This field is required."),
    ],
    ids=[
        "passwords-differ",
        "too-short",
        "too-common",
        "all-digits",
        "like-the-email",
        "no-privacy-consent",
        "bad-phone",
        "bad-email",
        "no-first-name",
        "no-region",
    ],
)
def test_bad_input_is_explained_and_nothing_is_saved(
    client, region, django_capture_on_commit_callbacks, changes, message
):
    with django_capture_on_commit_callbacks(execute=True):
        response = signup_post(client, signup_data(region, **changes))

    assert response.status_code == 200
    assert message in page_text(response)
    assert not User.objects.exists()
    assert mail.outbox == []


def test_a_refused_form_keeps_what_was_typed_and_asks_a_new_question(client, region):
    html = open_signup(client)

    response = client.post(SIGNUP, with_captcha(html, signup_data(region, password2="does-not-match-at-all")))

    text = page_text(response)
    assert 'value="new.member@example.com"' in text
    assert 'value="Rahayu"' in text
    assert captcha_id(text) != captcha_id(html)


# --- CSRF ----------------------------------------------------------------------


def test_a_form_without_its_security_token_gets_the_friendly_403_page(region):
    browser = Client(enforce_csrf_checks=True)
    html = open_signup(browser)

    response = browser.post(SIGNUP, with_captcha(html, signup_data(region)))

    assert response.status_code == 403
    assert "Please try again" in page_text(response)
    assert "Nothing was saved." in page_text(response)
    assert not User.objects.exists()


def test_the_same_form_with_its_security_token_is_accepted(region):
    browser = Client(enforce_csrf_checks=True)
    html = open_signup(browser)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    response = browser.post(SIGNUP, {**with_captcha(html, signup_data(region)), "csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert User.objects.filter(email="new.member@example.com").exists()
