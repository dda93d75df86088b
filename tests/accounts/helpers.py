"""Helpers for the accounts tests: they use the site the way a member does."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.conftest import captcha_answer, captcha_id
from tests.factories import PASSWORD

SIGNUP_PASSWORD = "violet-harbour-lantern-42"


def page_text(response) -> str:
    return response.content.decode()


def signup_data(region, /, **changes: object) -> dict[str, object]:
    """Everything a careful member types into the sign-up form."""
    data: dict[str, object] = {
        "email": "new.member@example.com",
        "password1": SIGNUP_PASSWORD,
        "password2": SIGNUP_PASSWORD,
        "first_name": "Siti",
        "last_name": "Rahayu",
        "region": str(region.pk),
        "phone": "+62 812-3456-7890",
        "accept_privacy": "on",
        "website": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def with_captcha(html: str, data: dict[str, object]) -> dict[str, object]:
    """Add the captcha id from the page and the answer a person would work out."""
    return {**data, "captcha_id": captcha_id(html), "captcha_answer": captcha_answer(html)}


def signup_post(client: Client, data: dict[str, object], **post: object):
    """Open the sign-up page, solve its captcha and send the form."""
    page = client.get(reverse("accounts:signup"))
    return client.post(reverse("accounts:signup"), with_captcha(page_text(page), data), **post)


def login_post(
    client: Client, email: str, password: str = PASSWORD, *, next_url: str | None = None, follow: bool = False
):
    data = {"email": email, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post(reverse("accounts:login"), data, follow=follow)


def member_client(email: str, password: str = PASSWORD, *, device: str, ip: str = "127.0.0.1") -> Client:
    """A browser on its own device, logged in through the log-in form."""
    client = Client(HTTP_USER_AGENT=device, REMOTE_ADDR=ip)
    response = login_post(client, email, password)
    assert response.status_code == 302, page_text(response)
    return client


def is_logged_out(client: Client) -> bool:
    """A member page sends a logged-out browser to the log-in page."""
    response = client.get(reverse("accounts:overview"))
    return response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def mail_links(message) -> list[str]:
    return re.findall(r"https?://\S+", message.body)


def site_path(link: str) -> str:
    """The path of a link from an email, to open it with the test client."""
    return re.sub(r"^https?://[^/]+", "", link)


def sent_to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]
