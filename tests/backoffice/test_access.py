"""Every back-office URL × every kind of visitor: others' objects are 404, never 403."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from membercenter.backoffice.roles import ADMINISTRATOR, PROMOTION_MANAGER, REVIEWER, roles_ensure
from membercenter.claims.models import Claim, ReasonTemplate
from membercenter.lib.authz import claim_for_reviewer, claims_visible_to
from membercenter.lib.files import SANDBOX_CSP
from membercenter.notifications.models import OutboxEmail
from tests.backoffice.conftest import ClaimFactory, ReasonTemplateFactory

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "member", "reviewer", "other_reviewer", "manager", "administrator"]
OK, LOGIN, NOT_FOUND = 200, "login", 404

# Expected answer per role, in the order of ROLES.
CLAIM_PAGE = (LOGIN, NOT_FOUND, OK, NOT_FOUND, NOT_FOUND, OK)
QUEUE = (LOGIN, NOT_FOUND, OK, OK, NOT_FOUND, OK)
HOME = (LOGIN, NOT_FOUND, OK, OK, OK, OK)
PROMOTIONS = (LOGIN, NOT_FOUND, NOT_FOUND, NOT_FOUND, OK, OK)
ADMIN_ONLY = (LOGIN, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, OK)


@pytest.fixture
def objects(claim, promotion):
    item = claim.items.get()
    return {
        "claim": claim,
        "item": item,
        "document": item.documents.get(),
        "promotion": promotion,
        "reason": ReasonTemplateFactory(),
        "email": OutboxEmail.objects.create(template="x", to="a@example.com", subject="s", body_text="b",
                                            status=OutboxEmail.Status.FAILED),
    }  # fmt: skip


def _urls(o: dict) -> list[tuple[str, tuple]]:
    claim = o["claim"].pk
    return [
        (reverse("backoffice:home"), HOME),
        (reverse("backoffice:queue"), QUEUE),
        (reverse("backoffice:claim", args=[claim]), CLAIM_PAGE),
        (reverse("backoffice:claim_document", args=[claim, o["document"].pk]), CLAIM_PAGE),
        (reverse("backoffice:claim_item_invoice", args=[claim, o["item"].pk]), CLAIM_PAGE),
        (reverse("backoffice:promotions"), PROMOTIONS),
        (reverse("backoffice:promotion_create"), PROMOTIONS),
        (reverse("backoffice:promotion_edit", args=[o["promotion"].pk]), PROMOTIONS),
        (reverse("backoffice:reasons"), ADMIN_ONLY),
        (reverse("backoffice:reason_create"), ADMIN_ONLY),
        (reverse("backoffice:reason_edit", args=[o["reason"].pk]), ADMIN_ONLY),
        (reverse("backoffice:audit"), ADMIN_ONLY),
        (reverse("backoffice:outbox"), ADMIN_ONLY),
    ]


def _log_in(client, request, role: str) -> None:
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))


@pytest.mark.parametrize("role", ROLES)
def test_every_page_answers_each_role_as_it_should(client, request, objects, role):
    _log_in(client, request, role)
    index = ROLES.index(role)
    for url, expected in _urls(objects):
        response = client.get(url)
        want = expected[index]
        if want == LOGIN:
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("accounts:login")), url
        else:
            assert response.status_code == want, f"{role} {url}: {response.status_code}"


POSTS = [
    ("backoffice:claim_approve", "claim", {}),
    ("backoffice:claim_send_back", "claim", {"send_back-text": "No invoice"}),
    ("backoffice:claim_reject", "claim", {"reject-text": "Not our product"}),
    ("backoffice:claim_release", "claim", {}),
]


@pytest.mark.parametrize("role", ["anonymous", "member", "other_reviewer", "manager"])
@pytest.mark.parametrize(("name", "key", "data"), POSTS)
def test_decisions_by_anyone_but_the_regions_reviewer_change_nothing(client, request, objects, role, name, key, data):
    _log_in(client, request, role)
    response = client.post(reverse(name, args=[objects[key].pk]), data)
    if role == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    else:
        assert response.status_code == 404
    objects["claim"].refresh_from_db()
    assert objects["claim"].status == Claim.Status.SUBMITTED


@pytest.mark.parametrize("role", ["member", "reviewer", "other_reviewer", "manager"])
def test_staff_posts_of_other_roles_are_404(client, request, objects, role):
    _log_in(client, request, role)
    promotion, reason, email = objects["promotion"], objects["reason"], objects["email"]
    posts = [
        reverse("backoffice:reason_delete", args=[reason.pk]),
        reverse("backoffice:outbox_resend", args=[email.pk]),
    ]
    if role != "manager":
        posts += [
            reverse("backoffice:promotion_close", args=[promotion.pk]),
            reverse("backoffice:promotion_create"),
        ]
    for url in posts:
        assert client.post(url, {}).status_code == 404, url
    assert ReasonTemplate.objects.filter(pk=reason.pk).exists()
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.FAILED


def test_a_document_of_another_claim_is_404_even_for_the_right_reviewer(client, reviewer, claim, indonesia):
    other = ClaimFactory(region=indonesia, promotion=claim.promotion)
    foreign_doc = other.items.get().documents.get()
    foreign_item = other.items.get()
    client.force_login(reviewer)
    assert client.get(reverse("backoffice:claim_document", args=[claim.pk, foreign_doc.pk])).status_code == 404
    assert client.get(reverse("backoffice:claim_item_invoice", args=[claim.pk, foreign_item.pk])).status_code == 404
    assert client.get(reverse("backoffice:claim", args=[999999])).status_code == 404


def test_pictures_are_private_and_never_run_as_a_page(client, reviewer, claim):
    client.force_login(reviewer)
    item = claim.items.get()
    for url in (
        reverse("backoffice:claim_document", args=[claim.pk, item.documents.get().pk]),
        reverse("backoffice:claim_item_invoice", args=[claim.pk, item.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"] == "private, no-store"
        assert response["Content-Security-Policy"] == SANDBOX_CSP
        assert b"".join(response.streaming_content).startswith(b"\xff\xd8")


def test_scope_of_each_role(reviewer, other_reviewer, manager, administrator, claim, malaysia):
    claim_my = ClaimFactory(region=malaysia)
    assert list(claims_visible_to(reviewer)) == [claim]
    assert list(claims_visible_to(other_reviewer)) == [claim_my]
    assert list(claims_visible_to(manager)) == []
    assert set(claims_visible_to(administrator)) == {claim, claim_my}
    assert claim_for_reviewer(reviewer, claim.pk) == claim


def test_a_reviewer_who_loses_the_role_loses_the_claims(reviewer, claim):
    reviewer.groups.clear()
    from membercenter.accounts.models import User

    reviewer = User.objects.get(pk=reviewer.pk)  # fresh permission cache
    assert list(claims_visible_to(reviewer)) == []


def test_roles_ensure_is_idempotent_and_grants_what_each_role_needs():
    first = roles_ensure()
    second = roles_ensure()
    assert {g.pk for g in first.values()} == {g.pk for g in second.values()}
    assert Group.objects.filter(name__in=[REVIEWER, PROMOTION_MANAGER, ADMINISTRATOR]).count() == 3

    def perms(name):
        return {f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name=name).permissions.all()}

    assert perms(REVIEWER) == {"claims.review_claim"}
    assert perms(PROMOTION_MANAGER) == {"promotions.manage_promotion"}
    assert {"claims.review_claim", "promotions.manage_promotion", "audit.view_auditentry"} <= perms(ADMINISTRATOR)
