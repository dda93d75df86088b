"""An administrator saving a promotion keeps its managers, even one who has since left the group."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from membercenter.backoffice.roles import PROMOTION_MANAGER
from tests.backoffice.conftest import PromotionFactory
from tests.backoffice.test_promotions import form_data
from tests.factories import staff

pytestmark = pytest.mark.django_db


def ticked_managers(page: str) -> list[int]:
    """The manager checkboxes a browser would send back as they are: the ticked ones."""
    boxes = re.findall(r"<input[^>]*name=\"managers\"[^>]*>", page)
    return [int(re.search(r'value="(\d+)"', box).group(1)) for box in boxes if " checked" in box]


def offered_managers(page: str) -> list[int]:
    return [int(v) for v in re.findall(r'<input[^>]*name="managers"[^>]*value="(\d+)"', page)]


def test_saving_a_promotion_keeps_a_manager_who_left_the_group(client, administrator, indonesia):
    staying = staff(PROMOTION_MANAGER, email="staying@example.com", promotions=[])
    leaving = staff(PROMOTION_MANAGER, email="leaving@example.com", promotions=[])
    bystander = staff(PROMOTION_MANAGER, email="bystander@example.com", promotions=[])
    promo = PromotionFactory(regions=[indonesia], managers=[staying, leaving])
    leaving.groups.remove(Group.objects.get(name=PROMOTION_MANAGER))
    client.force_login(administrator)
    edit = reverse("backoffice:promotion_edit", args=[promo.pk])

    page = client.get(edit).content.decode()
    # Offered, and ticked as the promotion's manager; the other managers offered unticked.
    assert sorted(ticked_managers(page)) == sorted([staying.pk, leaving.pk])
    assert bystander.pk in offered_managers(page)
    response = client.post(edit, form_data(indonesia, slug=promo.slug, managers=ticked_managers(page)))

    assert response.status_code == 302
    assert set(promo.managers.all()) == {staying, leaving}


def test_an_administrator_can_still_remove_the_manager_who_left(client, administrator, indonesia):
    staying = staff(PROMOTION_MANAGER, email="staying@example.com", promotions=[])
    leaving = staff(PROMOTION_MANAGER, email="leaving@example.com", promotions=[])
    promo = PromotionFactory(regions=[indonesia], managers=[staying, leaving])
    leaving.groups.remove(Group.objects.get(name=PROMOTION_MANAGER))
    client.force_login(administrator)
    edit = reverse("backoffice:promotion_edit", args=[promo.pk])

    response = client.post(edit, form_data(indonesia, slug=promo.slug, managers=[staying.pk]))

    assert response.status_code == 302
    assert list(promo.managers.all()) == [staying]
    # Someone outside the group who never managed it cannot be handed the promotion.
    outsider = staff(None, email="outsider@example.com")
    response = client.post(edit, form_data(indonesia, slug=promo.slug, managers=[staying.pk, outsider.pk]))
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert list(promo.managers.all()) == [staying]
