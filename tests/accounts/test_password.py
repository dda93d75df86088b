"""Forgotten password (reset by mail) and changing the password while logged in."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from membercenter.accounts.models import MemberSession
from membercenter.accounts.views import RESET_MAIL_RATE
from tests.accounts.helpers import is_logged_out, login_post, mail_links, member_client, page_text, sent_to, site_path
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

RESET = reverse("accounts:password_reset")
CHANGE = reverse("accounts:password_change")
NEW_PASSWORD = "copper-kettle-morning-77"


@pytest.fixture
def member():
    return UserFactory(email="member@example.com", first_name="Budi")


@pytest.fixture
def ask_reset(django_capture_on_commit_callbacks):
    def ask(client: Client, email: str, **post: object):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(RESET, {"email": email}, **post)

    return ask


def without_csrf_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def reset_link(email: str) -> str:
    [message] = sent_to(email)
    [link] = mail_links(message)
    return site_path(link)


def choose_new_password(client: Client, link: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    """Open the link from the mail and fill in the new-password form."""
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in page_text(form_page)
    form_url = form_page.redirect_chain[-1][0]
    return client.post(form_url, {"new_password1": password, "new_password2": confirm or password}, follow=True)


# --- reset: nothing is revealed ---------------------------------------------------


def test_known_and_unknown_addresses_get_the_same_answer(member, ask_reset):
    known = ask_reset(Client(), "member@example.com")
    unknown = ask_reset(Client(), "stranger@example.com")

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("accounts:password_reset_done")


def test_known_and_unknown_addresses_see_the_same_page(member, ask_reset):
    known = ask_reset(Client(), "member@example.com", follow=True)
    unknown = ask_reset(Client(), "stranger@example.com", follow=True)

    assert "If the address belongs to an account" in page_text(known)
    assert without_csrf_tokens(page_text(known)) == without_csrf_tokens(page_text(unknown))


def test_a_mail_goes_only_to_a_known_address(member, ask_reset):
    ask_reset(Client(), "stranger@example.com")
    assert mail.outbox == []

    ask_reset(Client(), "member@example.com")

    [message] = mail.outbox
    assert message.to == ["member@example.com"]
    assert "Hello Budi," in message.body


def test_the_address_is_matched_in_any_letter_case(member, ask_reset):
    ask_reset(Client(), "MEMBER@Example.com")

    assert len(sent_to("member@example.com")) == 1


def test_the_reset_mail_is_in_the_members_language(ask_reset, indonesian):
    UserFactory(email="ani@example.com", language="id")

    ask_reset(Client(), "ani@example.com")

    [message] = mail.outbox
    assert message.subject.startswith("Atur ulang kata sandi")


def test_reset_mails_to_one_address_are_capped_without_a_different_answer(member, ask_reset):
    cap = int(RESET_MAIL_RATE.split("/")[0])

    answers = [ask_reset(Client(), "member@example.com") for _ in range(cap + 2)]

    assert {(a.status_code, a["Location"]) for a in answers} == {(302, reverse("accounts:password_reset_done"))}
    assert len(sent_to("member@example.com")) == cap


# --- reset: the link --------------------------------------------------------------


def test_the_link_sets_a_new_password_and_the_old_one_stops_working(member, ask_reset):
    ask_reset(Client(), "member@example.com")

    response = choose_new_password(Client(), reset_link("member@example.com"))

    assert "Your new password is saved" in page_text(response)
    assert "The email or password is not correct." in page_text(login_post(Client(), "member@example.com", PASSWORD))
    assert login_post(Client(), "member@example.com", NEW_PASSWORD).status_code == 302


def test_resetting_ends_the_members_other_sessions(member, ask_reset):
    phone = member_client("member@example.com", device="Phone browser")
    ask_reset(Client(), "member@example.com")

    choose_new_password(Client(), reset_link("member@example.com"))

    assert is_logged_out(phone)
    assert not MemberSession.objects.filter(user=member).exists()


def test_the_link_works_only_once(member, ask_reset):
    ask_reset(Client(), "member@example.com")
    link = reset_link("member@example.com")
    choose_new_password(Client(), link)

    response = Client().get(link, follow=True)

    assert "This link is wrong, has expired or was already used." in page_text(response)


def test_a_tampered_link_is_refused(member, ask_reset):
    ask_reset(Client(), "member@example.com")
    link = reset_link("member@example.com")
    tampered = re.sub(
        r"/([^/]+)/$", lambda m: "/" + m.group(1)[:-1] + ("x" if m.group(1)[-1] != "x" else "y") + "/", link
    )

    response = Client().get(tampered, follow=True)

    assert "This link is wrong, has expired or was already used." in page_text(response)
    assert login_post(Client(), "member@example.com", PASSWORD).status_code == 302


def test_a_weak_new_password_is_refused(member, ask_reset):
    ask_reset(Client(), "member@example.com")

    response = choose_new_password(Client(), reset_link("member@example.com"), password="short9")

    assert "This password is too short." in page_text(response)
    assert login_post(Client(), "member@example.com", PASSWORD).status_code == 302


# --- change password --------------------------------------------------------------


def change_password(client: Client, old: str = PASSWORD, new: str = NEW_PASSWORD, confirm: str | None = None):
    data = {"old_password": old, "new_password1": new, "new_password2": confirm or new}
    return client.post(CHANGE, data, follow=True)


def test_changing_the_password_works(member):
    laptop = member_client("member@example.com", device="Laptop browser")

    response = change_password(laptop)

    assert response.redirect_chain == [(reverse("accounts:overview"), 302)]
    assert "Your password is changed." in page_text(response)
    assert login_post(Client(), "member@example.com", NEW_PASSWORD).status_code == 302
    assert login_post(Client(), "member@example.com", PASSWORD).status_code == 200


def test_changing_the_password_ends_the_other_sessions_but_keeps_this_one(member):
    laptop = member_client("member@example.com", device="Laptop browser")
    phone = member_client("member@example.com", device="Phone browser")

    response = change_password(laptop)

    assert "Other sessions ended: 1." in page_text(response)
    assert is_logged_out(phone)
    assert not is_logged_out(laptop)


def test_after_a_change_login_management_still_shows_this_device(member):
    laptop = member_client("member@example.com", device="Laptop browser")
    member_client("member@example.com", device="Phone browser")
    change_password(laptop)

    text = page_text(laptop.get(reverse("accounts:sessions")))

    assert "Laptop browser" in text
    assert "This device" in text
    assert "Phone browser" not in text


def test_a_wrong_current_password_changes_nothing(member):
    laptop = member_client("member@example.com", device="Laptop browser")
    phone = member_client("member@example.com", device="Phone browser")

    response = change_password(laptop, old="not-my-password")

    assert "Your old password was entered incorrectly." in page_text(response)
    assert not is_logged_out(phone)
    assert login_post(Client(), "member@example.com", PASSWORD).status_code == 302


def test_new_passwords_that_differ_are_refused(member):
    laptop = member_client("member@example.com", device="Laptop browser")

    response = change_password(laptop, confirm="something-else-entirely-5")

    assert "The two password fields didn’t match." in page_text(response)
    assert login_post(Client(), "member@example.com", PASSWORD).status_code == 302
