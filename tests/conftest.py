from __future__ import annotations

import os
import re

import pytest
from django.core import mail

os.environ.setdefault("TESTING", "1")


@pytest.fixture(autouse=True)
def _isolated_settings(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.LANGUAGE_CODE = "en"
    from django.core.cache import cache

    cache.clear()
    yield


def captcha_answer(html: str) -> str:
    """Answer the arithmetic captcha the way a person reads it from the page."""
    match = re.search(r'id="captcha-question">\s*(\d+)\s*\+\s*(\d+)\s*=', html)
    assert match, "no captcha on the page"
    return str(int(match.group(1)) + int(match.group(2)))


def captcha_id(html: str) -> str:
    match = re.search(r'name="captcha_id" value="([0-9a-f-]+)"', html)
    assert match, "no captcha id on the page"
    return match.group(1)


def sent_links(subject_part: str = "") -> list[str]:
    links = []
    for message in mail.outbox:
        if subject_part in message.subject:
            links += re.findall(r"https?://\S+", message.body)
    return links


# --- the people most tests need; a test module may define its own with the same name ---


@pytest.fixture
def indonesia(db):
    from tests.factories import RegionFactory

    return RegionFactory(code="ID", name_en="Indonesia", name_id="Indonesia", time_zone="Asia/Jakarta")


@pytest.fixture
def reviewer(indonesia):
    from membercenter.backoffice.roles import REVIEWER
    from tests.factories import staff

    return staff(REVIEWER, regions=(indonesia,), first_name="Rina")


@pytest.fixture
def manager(db):
    from membercenter.backoffice.roles import PROMOTION_MANAGER
    from tests.factories import staff

    return staff(PROMOTION_MANAGER, first_name="Maya")


@pytest.fixture
def administrator(db):
    from membercenter.backoffice.roles import ADMINISTRATOR
    from tests.factories import staff

    return staff(ADMINISTRATOR, first_name="Adi")
