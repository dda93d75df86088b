"""A change of role, region or promotion applies on the very next request.

Each test keeps one logged-in browser (the same session: in production a Redis-cached
session) while an administrator changes the user's rights elsewhere; the next request of
that browser must already be refused. Nothing about a user's rights is kept in the session
or in a cache between requests.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from membercenter.backoffice.roles import ADMINISTRATOR, PROMOTION_MANAGER, REVIEWER
from membercenter.claims.models import Claim
from tests.backoffice.conftest import ClaimFactory, PromotionFactory
from tests.factories import RegionFactory, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def jakarta_claim(indonesia):
    return ClaimFactory(region=indonesia, promotion=PromotionFactory(regions=[indonesia], managers=[]))


def logged_in(user) -> Client:  # noqa: ANN001
    client = Client()
    client.force_login(user)
    return client


def test_a_reviewer_whose_region_is_taken_away_is_refused_on_the_next_request(indonesia, jakarta_claim):
    reviewer = staff(REVIEWER, regions=(indonesia,))
    browser = logged_in(reviewer)
    url = reverse("backoffice:claim", args=[jakarta_claim.pk])
    assert browser.get(url).status_code == 200
    assert f"#{jakarta_claim.pk}" in browser.get(reverse("backoffice:queue") + "?status=all").content.decode()

    reviewer.review_regions.remove(indonesia)  # an administrator's change, elsewhere

    assert browser.get(url).status_code == 404
    assert browser.post(reverse("backoffice:claim_approve", args=[jakarta_claim.pk])).status_code == 404
    assert f"#{jakarta_claim.pk}" not in browser.get(reverse("backoffice:queue") + "?status=all").content.decode()
    jakarta_claim.refresh_from_db()
    assert jakarta_claim.status == Claim.Status.SUBMITTED


def test_a_reviewer_who_loses_the_role_loses_the_back_office_on_the_next_request(indonesia, jakarta_claim):
    reviewer = staff(REVIEWER, regions=(indonesia,))
    browser = logged_in(reviewer)
    assert browser.get(reverse("backoffice:home")).status_code == 200

    reviewer.groups.remove(Group.objects.get(name=REVIEWER))

    assert browser.get(reverse("backoffice:home")).status_code == 404
    assert browser.get(reverse("backoffice:claim", args=[jakarta_claim.pk])).status_code == 404
    assert browser.get(reverse("backoffice:queue")).status_code == 404


def test_a_manager_taken_off_a_promotion_is_refused_on_the_next_request(indonesia):
    promotion = PromotionFactory(regions=[indonesia], managers=[])
    manager = staff(PROMOTION_MANAGER, promotions=[promotion])
    browser = logged_in(manager)
    edit = reverse("backoffice:promotion_edit", args=[promotion.pk])
    assert browser.get(edit).status_code == 200
    assert promotion.name_en in browser.get(reverse("backoffice:promotions")).content.decode()

    promotion.managers.remove(manager)

    assert browser.get(edit).status_code == 404
    assert browser.get(reverse("backoffice:rewards", args=[promotion.pk])).status_code == 404
    assert promotion.name_en not in browser.get(reverse("backoffice:promotions")).content.decode()


def test_an_administrator_who_is_demoted_sees_only_their_own_regions_on_the_next_request(jakarta_claim):
    malaysia = RegionFactory(code="MY", name_en="Malaysia", name_id="Malaysia", currency="MYR")
    administrator = staff(ADMINISTRATOR, regions=(malaysia,))
    administrator.groups.add(Group.objects.get(name=REVIEWER))
    browser = logged_in(administrator)
    url = reverse("backoffice:claim", args=[jakarta_claim.pk])
    assert browser.get(url).status_code == 200  # an administrator sees every region

    administrator.groups.remove(Group.objects.get(name=ADMINISTRATOR))

    assert browser.get(url).status_code == 404  # now a reviewer of Malaysia only
    assert browser.get(reverse("backoffice:audit")).status_code == 404


def test_a_deactivated_user_is_logged_out_on_the_next_request(indonesia, jakarta_claim):
    reviewer = staff(REVIEWER, regions=(indonesia,))
    browser = logged_in(reviewer)
    assert browser.get(reverse("backoffice:claim", args=[jakarta_claim.pk])).status_code == 200

    reviewer.is_active = False
    reviewer.save(update_fields=["is_active"])

    response = browser.get(reverse("backoffice:claim", args=[jakarta_claim.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
