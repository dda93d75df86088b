"""The authorisation matrix: every URL that takes an object id × every kind of user × GET/POST.

Two of everything — members, regions, reviewers, promotions and their managers — and an
administrator (two-factor verified) and an anonymous visitor. Each URL is requested for the
objects of side "a" and of side "b" by every actor; the outcome must be the one the table says:

    ok     the page, a file, or a redirect that is not to the log-in page (the action ran);
    404    out of scope: the object's existence is not given away (never 403);
    login  anonymous: sent to the log-in page.

Every request runs in a savepoint rolled back afterwards, so each case starts from the same
data; a refused request must also have changed nothing: no INSERT, UPDATE or DELETE ran
(its own session row aside).

A URL with an id that the table does not know fails the test: a new page gets its rules here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from membercenter.accounts.models import User
from membercenter.backoffice.roles import ADMINISTRATOR, PROMOTION_MANAGER, REVIEWER
from membercenter.claims.models import Claim, ClaimDocument
from membercenter.evidence.models import Upload
from membercenter.notifications.models import InboxMessage, OutboxEmail
from membercenter.rewards.models import Reward, RewardGrant
from membercenter.rewards.pools import pool_for
from tests.backoffice.conftest import ClaimFactory, PromotionFactory, ReasonTemplateFactory
from tests.conftest import clear_caches
from tests.factories import CategoryFactory, RegionFactory, UserFactory, image_bytes, staff

pytestmark = pytest.mark.django_db

ACTORS = ("anonymous", "member_a", "member_b", "reviewer_a", "reviewer_b", "manager_a", "manager_b", "admin")
LOGGED_IN = frozenset(ACTORS) - {"anonymous"}
EVERYONE = frozenset(ACTORS)

# Routes with a converter that do not name an object a user could be refused, and why.
EXCLUDED = {
    "brand_css": "the stylesheet's version number (cache busting), the same file for everyone",
    "accounts:verify_email": "a signed one-time token, not an object id (tests/accounts)",
    "accounts:password_reset_confirm": "Django's signed reset token, not an object id (tests/accounts)",
}
# Django's admin has its own permission system (model permissions, has_*_permission; tests/deploy).
EXCLUDED_NAMESPACES = {"admin": "Django's admin: its own model-permission checks"}


def owner(side: str) -> frozenset[str]:
    return frozenset({f"member_{side}"})


def region_staff(side: str) -> frozenset[str]:
    return frozenset({f"reviewer_{side}", "admin"})


def promotion_staff(side: str) -> frozenset[str]:
    return frozenset({f"manager_{side}", "admin"})


def administrators(side: str) -> frozenset[str]:
    return frozenset({"admin"})


def owner_or_region_staff(side: str) -> frozenset[str]:
    return owner(side) | region_staff(side)


def logged_in(side: str) -> frozenset[str]:
    return LOGGED_IN


def everyone(side: str) -> frozenset[str]:
    return EVERYONE


@dataclass(frozen=True)
class Row:
    methods: tuple[str, ...]
    args: Callable[[dict], list]  # the side's objects → the URL's arguments
    allowed: Callable[[str], frozenset[str]]


def _claim(o: dict) -> list:
    return [o["claim"].pk]


def _promotion(o: dict) -> list:
    return [o["promotion"].pk]


def _reward(o: dict) -> list:
    return [o["code_reward"].pk]


G, P, GP = ("GET",), ("POST",), ("GET", "POST")

MATRIX: dict[str, Row] = {
    # The member's own objects.
    "claims:submitted": Row(G, _claim, owner),
    "claims:again": Row(GP, _claim, owner),
    "claims:withdraw": Row(P, _claim, owner),
    "claims:document": Row(G, lambda o: [o["claim"].pk, o["document"].pk], owner),
    "products:registered": Row(G, lambda o: [o["product"].pk], owner),
    "products:invoice": Row(G, lambda o: [o["product"].pk], owner_or_region_staff),
    "inbox:message": Row(G, lambda o: [o["message"].pk], owner),
    "rewards:reveal": Row(P, lambda o: [o["code_grant"].pk], owner),
    "rewards:resend": Row(P, lambda o: [o["code_grant"].pk], owner),
    "evidence:upload": Row(G, lambda o: [o["upload"].pk], owner),
    # Published promotions and catalog pictures: public objects (the redeem pages need a log-in).
    "promotions:redeem": Row(GP, lambda o: [o["promotion"].slug], logged_in),
    "promotions:confirm": Row(GP, lambda o: [o["promotion"].slug], logged_in),
    "promotions:banner": Row(G, lambda o: [o["promotion"].slug], everyone),
    "catalog:sn_help_image": Row(G, lambda o: [o["category"].slug], everyone),
    # Claims in the back office: reviewers of the claim's region, administrators.
    "backoffice:claim": Row(G, _claim, region_staff),
    "backoffice:claim_approve": Row(P, _claim, region_staff),
    "backoffice:claim_send_back": Row(P, _claim, region_staff),
    "backoffice:claim_reject": Row(P, _claim, region_staff),
    "backoffice:claim_release": Row(P, _claim, region_staff),
    "backoffice:claim_checks_again": Row(P, _claim, region_staff),
    "backoffice:claim_document": Row(G, lambda o: [o["claim"].pk, o["document"].pk], region_staff),
    "backoffice:claim_item_invoice": Row(G, lambda o: [o["claim"].pk, o["item"].pk], region_staff),
    # Promotions, their rewards, codes and gifts: the promotion's managers, administrators.
    "backoffice:promotion_edit": Row(GP, _promotion, promotion_staff),
    "backoffice:promotion_banner": Row(G, _promotion, promotion_staff),
    "backoffice:promotion_publish": Row(P, _promotion, promotion_staff),
    "backoffice:promotion_close": Row(P, _promotion, promotion_staff),
    "backoffice:rewards": Row(G, _promotion, promotion_staff),
    "backoffice:reward_create": Row(GP, _promotion, promotion_staff),
    "backoffice:reward": Row(G, _reward, promotion_staff),
    "backoffice:reward_edit": Row(GP, _reward, promotion_staff),
    "backoffice:reward_delete": Row(P, _reward, promotion_staff),
    "backoffice:codes_import": Row(GP, _reward, promotion_staff),
    "backoffice:grant_resend": Row(P, lambda o: [o["code_grant"].pk], promotion_staff),
    "backoffice:shipment_status": Row(P, lambda o: [o["gift_grant"].pk], promotion_staff),
    # Site-wide settings: administrators only.
    "backoffice:reason_edit": Row(GP, lambda o: [o["reason"].pk], administrators),
    "backoffice:reason_delete": Row(P, lambda o: [o["reason"].pk], administrators),
    "backoffice:outbox_resend": Row(P, lambda o: [o["outbox"].pk], administrators),
}

# Writes a refused request may make: its own session (messages, last seen).
SESSION_TABLES = ("django_session", "accounts_membersession")


def id_routes() -> set[str]:
    """Every named route whose pattern has a converter, outside the excluded namespaces."""
    found: set[str] = set()

    def walk(patterns: list, prefix: str, namespace: str) -> None:
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                if p.namespace in EXCLUDED_NAMESPACES:
                    continue
                inner = ":".join(filter(None, [namespace, p.namespace])) if p.namespace else namespace
                walk(p.url_patterns, route, inner)
            elif isinstance(p, URLPattern) and ("<" in route or "(?P" in route):
                assert p.name, f"{route} has no name: the matrix cannot know it"
                found.add(f"{namespace}:{p.name}" if namespace else p.name)

    walk(get_resolver().url_patterns, "", "")
    return found


def side_objects(side: str) -> dict:
    region = RegionFactory(code=f"R{side.upper()}", name_en=f"Region {side}", name_id=f"Wilayah {side}")
    member = UserFactory(region=region, email=f"member-{side}@example.com")
    promotion = PromotionFactory(regions=[region], managers=[], slug=f"promo-{side}")
    promotion.banner.save(f"banner-{side}.jpg", ContentFile(image_bytes()))
    claim = ClaimFactory(member=member, region=region, promotion=promotion)  # waiting for a decision
    # An approved claim with a code and a gift (a reviewer's claim URLs use the one above).
    rewarded = ClaimFactory(member=member, region=region, promotion=promotion, products=2, status=Claim.Status.APPROVED)
    items = list(rewarded.items.order_by("pk"))
    code_reward = Reward.objects.create(
        promotion=promotion, kind=Reward.Kind.DIGITAL_CODE, name_en="Code", name_id="Kode", value=100, currency="IDR"
    )
    pool_for(code_reward)
    gift_reward = Reward.objects.create(
        promotion=promotion, kind=Reward.Kind.GIFT, name_en="Backpack", name_id="Tas", stock=5,
        category=items[1].product.serial.product_model.category,
    )  # fmt: skip
    now = timezone.now()
    category = CategoryFactory(slug=f"category-{side}")
    category.sn_help_image.save(f"sn-{side}.png", ContentFile(image_bytes("PNG")))
    return {
        "region": region,
        "member": member,
        "promotion": promotion,
        "claim": claim,
        "item": claim.items.get(),
        "document": ClaimDocument.objects.get(item__claim=claim),
        "product": claim.items.get().product,
        "code_reward": code_reward,
        "code_grant": RewardGrant.objects.create(item=items[0], reward=code_reward, due_at=now),
        "gift_grant": RewardGrant.objects.create(
            item=items[1],
            reward=gift_reward,
            status=RewardGrant.Status.SHIPPED,
            due_at=now - dt.timedelta(days=1),
            shipped_at=now,
            courier="JNE",
            tracking_number=f"JNE-{side}",
        ),  # fmt: skip
        "message": InboxMessage.objects.create(user=member, subject="Hello", body="Your claim"),
        "upload": Upload.objects.create(
            owner=member, kind=Upload.Kind.SERIAL_PHOTO, file=ContentFile(image_bytes(), name=f"upload-{side}.jpg")
        ),
        "reason": ReasonTemplateFactory(title=f"Reason {side}"),
        "outbox": OutboxEmail.objects.create(
            user=member,
            template="claim_submitted",
            to=member.email,
            subject="Hi",
            body_text="Hi",
            status=OutboxEmail.Status.FAILED,
            attempts=5,
            last_error="refused",
        ),  # fmt: skip
        "category": category,
    }


@pytest.fixture
def world() -> tuple[dict[str, dict], dict[str, User | None]]:
    objects = {side: side_objects(side) for side in ("a", "b")}
    actors: dict[str, User | None] = {"anonymous": None}
    for side, o in objects.items():
        actors[f"member_{side}"] = o["member"]
        actors[f"reviewer_{side}"] = staff(REVIEWER, regions=(o["region"],), email=f"reviewer-{side}@example.com")
        actors[f"manager_{side}"] = staff(
            PROMOTION_MANAGER, promotions=[o["promotion"]], email=f"manager-{side}@example.com"
        )
    actors["admin"] = staff(ADMINISTRATOR, email="admin@example.com")  # with a verified authenticator
    return objects, actors


def writes(queries: list[dict]) -> list[str]:
    """The statements among `queries` that changed a row (outside the session tables)."""
    changed = []
    for query in queries:
        sql = query["sql"].lstrip().upper()
        if sql.startswith(("INSERT", "UPDATE", "DELETE")) and not any(t.upper() in sql for t in SESSION_TABLES):
            changed.append(query["sql"][:120])
    return changed


def outcome(response) -> str:  # noqa: ANN001
    status = response.status_code
    if status == 404:
        return "404"
    location = response.get("Location", "")
    if status in (301, 302, 303):
        if location.startswith(reverse("accounts:login")):
            return "login"
        if location.startswith("/staff/2fa/"):
            return "two-factor"  # the actor's session is not verified: a mismatch for everyone
        return "ok"
    if status == 200:
        return "ok"
    return f"status {status} {location}".strip()


def request_once(client: Client, method: str, url: str) -> tuple[str, list[str]]:
    """One request in a savepoint that is rolled back: its outcome, and the rows it wrote."""
    clear_caches()  # rate limits would count across cases otherwise
    connection.queries_log.clear()  # a full log (9,000 queries) would hide this request's queries
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
        response = client.get(url) if method == "GET" else client.post(url, {})
        result = outcome(response)
        if response.streaming:
            b"".join(response.streaming_content)  # the test client closes the file once it is read
        transaction.set_rollback(True)
    return result, writes(ctx.captured_queries)


def test_every_url_that_takes_an_object_id_is_in_the_matrix():
    routes = id_routes()
    unknown = routes - set(MATRIX) - set(EXCLUDED)
    gone = (set(MATRIX) | set(EXCLUDED)) - routes
    assert not unknown, f"URLs with an id the authorisation matrix does not know: {sorted(unknown)}"
    assert not gone, f"the matrix names URLs that no longer exist: {sorted(gone)}"


def test_authorisation_matrix(world, scorecard):
    objects, actors = world
    clients = {}
    for name, user in actors.items():
        clients[name] = Client()
        if user is not None:
            clients[name].force_login(user)

    cases, mismatches, allowed_writes = 0, [], 0
    for route, row in sorted(MATRIX.items()):
        for side, o in objects.items():
            url = reverse(route, args=row.args(o))
            allowed = row.allowed(side)
            for actor in ACTORS:
                expected = "ok" if actor in allowed else ("login" if actor == "anonymous" else "404")
                for method in row.methods:
                    got, wrote = request_once(clients[actor], method, url)
                    cases += 1
                    allowed_writes += bool(expected == "ok" and wrote)
                    if got != expected:
                        mismatches.append(
                            f"{method} {url} ({route}, side {side}) as {actor}: {got}, expected {expected}"
                        )
                    elif expected != "ok" and wrote:
                        mismatches.append(f"{method} {url} ({route}) as {actor}: refused, but it wrote {wrote}")

    scorecard.record("authz.urls", len(MATRIX))
    scorecard.record("authz.cases", cases)
    scorecard.record("authz.mismatches", len(mismatches))
    print("\n".join(mismatches))
    assert not mismatches, f"{len(mismatches)} of {cases} cases:\n" + "\n".join(mismatches)
    # The write check can see writes: the allowed actions (approve, withdraw, publish …) made some.
    assert allowed_writes >= 20
    # Every row ran for both sides, every actor and each of its methods.
    assert cases == sum(len(r.methods) for r in MATRIX.values()) * 2 * len(ACTORS)
