"""My Profile, newsletter preferences and the language switcher."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from membercenter.accounts.models import User
from tests.accounts.helpers import page_text
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROFILE = reverse("accounts:profile")
NEWSLETTERS = reverse("accounts:newsletters")
SET_LANGUAGE = reverse("accounts:set_language")


@pytest.fixture
def member(region):
    return UserFactory(email="member@example.com", first_name="Budi", last_name="Santoso", phone="0811111111")


@pytest.fixture
def browser(member) -> Client:
    client = Client()
    client.force_login(member)
    return client


def profile_data(member: User, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "first_name": member.first_name,
        "last_name": member.last_name,
        "region": str(member.region_id),
        "phone": member.phone,
        "language": member.language,
    }
    data.update(changes)
    return data


def fresh(member: User) -> User:
    return User.objects.get(pk=member.pk)


# --- profile ------------------------------------------------------------------------


def test_the_profile_form_shows_what_is_stored(browser):
    text = page_text(browser.get(PROFILE))

    assert 'value="Budi"' in text
    assert 'value="Santoso"' in text
    assert 'value="0811111111"' in text
    assert "member@example.com" in text


def test_name_region_and_phone_are_saved(browser, member, other_region):
    changes = {"first_name": "Budiman", "last_name": "", "region": str(other_region.pk), "phone": "+60 12-345 6789"}

    response = browser.post(PROFILE, profile_data(member, **changes), follow=True)

    assert response.redirect_chain == [(PROFILE, 302)]
    assert "Your profile is saved." in page_text(response)
    member = fresh(member)
    assert (member.first_name, member.last_name, member.region, member.phone) == (
        "Budiman",
        "",
        other_region,
        "+60 12-345 6789",
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"phone": "0812-ABC"}, "Enter a phone number with digits only, e.g. 08123456789."),
        ({"first_name": ""}, "This field is required."),
        ({"region": ""}, "This field is required."),
        ({"language": "fr"}, "Select a valid choice. fr is not one of the available choices."),
    ],
    ids=["bad-phone", "no-first-name", "no-region", "unknown-language"],
)
def test_bad_profile_input_is_explained_and_nothing_is_saved(browser, member, changes, message):
    response = browser.post(PROFILE, profile_data(member, **{"first_name": "Changed", **changes}))

    assert response.status_code == 200
    assert message in page_text(response)
    assert fresh(member).first_name == "Budi"


def test_choosing_indonesian_shows_the_next_page_in_indonesian(browser, member, indonesian):
    browser.post(PROFILE, profile_data(member, language="id"))

    response = browser.get(PROFILE)

    assert fresh(member).language == "id"
    assert '<html lang="id">' in page_text(response)
    assert "Profil Saya" in page_text(response)


@pytest.mark.skipif(
    not (Path(settings.BASE_DIR) / "locale/id/LC_MESSAGES/django.mo").exists(),
    reason="the project's Indonesian catalogue is not compiled",
)
def test_the_projects_own_catalogue_serves_the_member_in_indonesian(browser, member):
    browser.post(PROFILE, profile_data(member, language="id"))

    assert "Profil Saya" in page_text(browser.get(PROFILE))


# --- newsletters ----------------------------------------------------------------------


def subscribed(member: User) -> list[str]:
    return sorted(member.newsletters.values_list("slug", flat=True))


def test_the_newsletter_page_offers_every_list(browser, newsletter_lists):
    text = page_text(browser.get(NEWSLETTERS))

    for name in ("Promotions", "New products", "Events"):
        assert name in text


def test_subscribing_to_newsletters(browser, member, newsletter_lists):
    promotions, products, _events = newsletter_lists

    response = browser.post(NEWSLETTERS, {"newsletters": [promotions.pk, products.pk]}, follow=True)

    assert "Your newsletter preferences are saved." in page_text(response)
    assert subscribed(member) == ["products", "promotions"]
    assert page_text(response).count("checked") == 2


def test_unsubscribing_from_one_keeps_the_others(browser, member, newsletter_lists):
    promotions, products, events = newsletter_lists
    browser.post(NEWSLETTERS, {"newsletters": [promotions.pk, products.pk, events.pk]})

    browser.post(NEWSLETTERS, {"newsletters": [promotions.pk, events.pk]})

    assert subscribed(member) == ["events", "promotions"]


def test_unticking_every_box_unsubscribes_from_all(browser, member, newsletter_lists):
    browser.post(NEWSLETTERS, {"newsletters": [n.pk for n in newsletter_lists]})

    browser.post(NEWSLETTERS, {})

    assert subscribed(member) == []


def test_a_list_no_longer_offered_cannot_be_subscribed(browser, member, newsletter_lists):
    retired = newsletter_lists[0]
    retired.is_active = False
    retired.save()

    response = browser.post(NEWSLETTERS, {"newsletters": [retired.pk]})

    assert "Select a valid choice." in page_text(response)
    assert subscribed(member) == []


# --- language switcher ----------------------------------------------------------------


def test_the_switcher_sets_the_language_cookie_for_a_visitor(client, db):
    response = client.post(SET_LANGUAGE, {"language": "id", "next": reverse("accounts:login")})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "id"
    assert '<html lang="id">' in page_text(client.get(reverse("accounts:login")))


def test_the_switcher_saves_the_language_of_a_member(browser, member, indonesian):
    response = browser.post(SET_LANGUAGE, {"language": "id", "next": PROFILE})

    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "id"
    assert fresh(member).language == "id"
    assert "Profil Saya" in page_text(browser.get(PROFILE))


def test_the_saved_language_follows_the_member_to_another_browser(browser, member, indonesian):
    browser.post(SET_LANGUAGE, {"language": "id", "next": PROFILE})
    other = Client()
    other.force_login(fresh(member))

    assert "Profil Saya" in page_text(other.get(PROFILE))


def test_an_unknown_language_changes_nothing(browser, member):
    response = browser.post(SET_LANGUAGE, {"language": "xx", "next": PROFILE})

    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert fresh(member).language == "en"


def test_the_switcher_does_not_send_the_browser_to_another_site(client, db):
    response = client.post(SET_LANGUAGE, {"language": "en", "next": "https://evil.example/"})

    assert response["Location"] == "/"


def test_the_switcher_needs_a_post(client, db):
    assert client.get(SET_LANGUAGE).status_code == 405
