from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import UserFactory

PUBLIC = ["home", "accounts:signup", "accounts:login", "accounts:password_reset", "catalog:sn_help"]
MEMBER = [
    "accounts:overview",
    "accounts:profile",
    "accounts:newsletters",
    "accounts:password_change",
    "accounts:sessions",
    "products:mine",
    "products:register",
    "support:new",
    "support:history",
]


@pytest.mark.django_db
@pytest.mark.parametrize("name", PUBLIC)
def test_public_pages_render_with_labels(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert b"<html" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("name", MEMBER)
def test_member_pages_need_login_and_render(client, name):
    assert client.get(reverse(name)).status_code == 302
    client.force_login(UserFactory())
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert "Account Overview" in response.content.decode()


@pytest.mark.django_db
def test_an_oversized_form_gets_a_friendly_400_and_saves_nothing(client):
    from membercenter.accounts.models import User

    data = {"email": "x@example.com", "first_name": "x" * (3 * 1024 * 1024)}
    response = client.post(reverse("accounts:signup"), data)
    assert response.status_code == 400
    assert "Nothing was saved" in response.content.decode()
    assert not User.objects.exists()
