"""The shared layout's fixed parts are rendered once per language ({% memo %}, membercenter/lib/memo.py).

What a member would notice if the memo were wrong: the menu in another member's language,
another member's name or the back-office link on their page, a form without its CSRF
token, or links that ignore the site's prefix.
"""

from __future__ import annotations

import re

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.test import Client
from django.urls import reverse, set_script_prefix
from django.utils import translation

from membercenter.backoffice.roles import REVIEWER
from membercenter.lib import memo
from membercenter.lib.memo import memo_clear
from tests.factories import UserFactory, staff

MENU_LINKS = [
    "accounts:overview",
    "inbox:list",
    "promotions:list",
    "claims:history",
    "products:mine",
    "products:register",
    "support:new",
    "support:history",
    "support:faq",
    "catalog:sn_help",
    "accounts:profile",
    "accounts:sessions",
    "accounts:password_change",
    "accounts:newsletters",
]


def _menu(html: str) -> str:
    match = re.search(r'<details class="sidemenu".*?</details>', html, re.S)
    assert match, "no account menu on the page"
    return match.group(0)


def _page(user, url_name: str = "accounts:overview") -> str:
    client = Client()
    client.force_login(user)
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_each_language_gets_its_own_menu(indonesian):
    english, indonesian_member = UserFactory(language="en"), UserFactory(language="id")
    for _ in range(2):  # alternating: each language's memo is made once and then served again
        en_menu, id_menu = _menu(_page(english)), _menu(_page(indonesian_member))
        assert "My Profile" in en_menu and "Profil Saya" not in en_menu
        assert "Profil Saya" in id_menu and "My Profile" not in id_menu
    assert re.search(r'<html lang="en">', _page(english))
    assert re.search(r'<html lang="id">', _page(indonesian_member))


@pytest.mark.django_db
def test_menu_links_every_account_page():
    menu = _menu(_page(UserFactory()))
    for name in MENU_LINKS:
        assert f'href="{reverse(name)}"' in menu, name


@pytest.mark.django_db
def test_a_page_never_shows_another_members_data():
    first = UserFactory(first_name="Alicia", last_name="Anggraini", email="alicia@example.com")
    second = UserFactory(first_name="Bambang", last_name="Budiman", email="bambang@example.com")
    for url_name in ("accounts:overview", "products:mine", "promotions:list", "claims:history", "inbox:list"):
        first_page, second_page = _page(first, url_name), _page(second, url_name)
        assert "Alicia Anggraini" in first_page and "alicia@example.com" in first_page
        assert "Bambang Budiman" in second_page and "bambang@example.com" in second_page
        assert "Alicia" not in second_page and "alicia@example.com" not in second_page
        assert "Bambang" not in first_page and "bambang@example.com" not in first_page


@pytest.mark.django_db
def test_back_office_link_only_for_staff():
    back_office = f'href="{reverse("backoffice:home")}"'
    member, reviewer = UserFactory(), staff(REVIEWER)
    for _ in range(2):  # either order: the staff flag is part of the memo's key
        assert back_office not in _page(member)
        assert back_office in _page(reviewer)


@pytest.mark.django_db
def test_forms_keep_a_csrf_token_and_the_current_address_per_request():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    tokens = []  # one a page: both forms of a page carry the same masked token
    for url_name in ("accounts:overview", "inbox:list"):
        html = client.get(reverse(url_name)).content.decode()
        logout = re.search(r'action="/accounts/logout/"[^>]*>(.*?)</form>', html, re.S)
        language = re.search(r'class="langform">(.*?)</form>', html, re.S)
        assert logout and language
        page_tokens = set()
        for form in (logout.group(1), language.group(1)):
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
            assert token, "a form of the layout lost its CSRF token"
            page_tokens.add(token.group(1))
        assert len(page_tokens) == 1
        tokens += page_tokens
        assert f'name="next" value="{reverse(url_name)}"' in language.group(1)
    assert tokens[0] != tokens[1]  # masked afresh on every page, never a memo's copy
    # and the token works: the language form is accepted
    response = client.post(reverse("accounts:set_language"), {"language": "id", "csrfmiddlewaretoken": tokens[-1]})
    assert response.status_code == 302


@pytest.mark.django_db
def test_links_follow_the_script_prefix():
    user = UserFactory()
    with translation.override("en"):
        plain = Template("{% load memo %}{% memo 'prefix-test' %}{% url 'accounts:profile' %}{% endmemo %}")
        assert plain.render(Context()) == "/accounts/profile/"
        set_script_prefix("/members/")
        try:
            assert plain.render(Context()) == "/members/accounts/profile/"
        finally:
            set_script_prefix("/")
        assert plain.render(Context()) == "/accounts/profile/"
    assert user.pk


def test_a_fragment_sees_only_the_values_it_names():
    template = Template("{% load memo %}{% memo 'only-named' shown=visible %}[{{ shown }}|{{ secret }}]{% endmemo %}")
    with translation.override("en"):
        assert template.render(Context({"visible": "a", "secret": "s3cr3t"})) == "[a|]"
        # the named value is part of the key: another value, another fragment
        assert template.render(Context({"visible": "b", "secret": "other"})) == "[b|]"
        assert template.render(Context({"visible": "a"})) == "[a|]"


def test_a_fragment_is_escaped_and_kept_per_language():
    template = Template(
        "{% load i18n memo %}{% memo 'lang' v=value %}{% get_current_language as L %}{{ L }}:{{ v }}{% endmemo %}"
    )
    with translation.override("en"):
        assert template.render(Context({"value": "<b>"})) == "en:&lt;b&gt;"
    with translation.override("id"):
        assert template.render(Context({"value": "<b>"})) == "id:&lt;b&gt;"


def test_settings_changes_empty_the_store(settings):
    with translation.override("en"):
        Template("{% load memo %}{% memo 'x' %}x{% endmemo %}").render(Context())
    assert memo._store
    settings.BRAND_NAME = "Another brand"  # fires setting_changed
    assert not memo._store


def test_the_store_is_bounded():
    memo_clear()
    template = Template("{% load memo %}{% memo 'bounded' n=n %}{{ n }}{% endmemo %}")
    with translation.override("en"):
        for n in range(memo.MEMO_MAX + 10):
            assert template.render(Context({"n": n})) == str(n)
    assert len(memo._store) <= memo.MEMO_MAX


@pytest.mark.parametrize(
    "source",
    ["{% memo %}{% endmemo %}", "{% memo name %}{% endmemo %}", "{% memo 'a' b %}{% endmemo %}", "{% memo 'a' %}"],
)
def test_malformed_tags_fail_at_compile_time(source):
    with pytest.raises(TemplateSyntaxError):
        Template("{% load memo %}" + source)
