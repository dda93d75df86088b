"""Security headers on every kind of response, and how stored files are served (issue 7.4).

What a browser (or an attacker trying to frame, sniff or script the site) would meet:
a strict Content-Security-Policy on every page, the baseline headers on every response
(pages, errors, probes, files), and stored uploads that can only ever be a picture or a
download, never a page of this site.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path, reverse

import membercenter.urls
from membercenter.backoffice.roles import ADMINISTRATOR
from membercenter.claims.models import ClaimDocument
from membercenter.evidence.models import Upload
from membercenter.evidence.services import upload_store
from membercenter.lib.files import SANDBOX_CSP, download_name, image_type
from membercenter.lib.views import brand_css_text, brand_css_version
from tests.backoffice.conftest import ClaimFactory, PromotionFactory
from tests.deploy.conftest import production_env
from tests.deploy.test_settings import load_settings
from tests.factories import CategoryFactory, RegionFactory, UserFactory, image_bytes, staff

ROOT = Path(__file__).resolve().parents[2]


# A URL configuration with the site's own routes and one view that fails, for the 500 page.
def _fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug, on purpose")


urlpatterns = [path("__fails__/", _fails), *membercenter.urls.urlpatterns]

BASELINE = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
DENIED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb", "serial", "hid", "display-capture")
PAGE_CSP = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "connect-src": {"'self'"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
}


def csp_directives(header: str) -> dict[str, set[str]]:
    directives: dict[str, set[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = set(words[1:])
    return directives


def header_problems(response: HttpResponse, *, kind: str) -> list[str]:
    """What is missing or wrong in the headers of a response of this kind ("page", "file", "probe", "static")."""
    problems = []
    for name, value in BASELINE.items():
        if response.get(name) != value:
            problems.append(f"{name}: {response.get(name)!r}, expected {value!r}")
    policy = response.get("Permissions-Policy", "")
    for feature in DENIED_FEATURES:
        if f"{feature}=()" not in policy:
            problems.append(f"Permissions-Policy does not deny {feature}: {policy!r}")
    csp = response.get("Content-Security-Policy", "")
    if kind == "file":
        if csp != SANDBOX_CSP:
            problems.append(f"a stored file's CSP is {csp!r}, expected the sandbox {SANDBOX_CSP!r}")
    else:
        directives = csp_directives(csp)
        for directive, sources in PAGE_CSP.items():
            if directives.get(directive) != sources:
                problems.append(f"CSP {directive}: {directives.get(directive)}, expected {sources}")
        loose = {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "data:", "http:", "https:", "blob:"}
        if directives.get("script-src", set()) & loose:
            problems.append(f"CSP script-src allows {directives['script-src'] & loose}")
    return problems


@dataclass
class World:
    member: object
    admin: object
    claim: object
    document: ClaimDocument
    upload: Upload
    promotion: object
    category: object


@pytest.fixture
def world(db) -> World:
    region = RegionFactory()
    member = UserFactory()
    admin = staff(ADMINISTRATOR, regions=(region,), is_superuser=True)
    promotion = PromotionFactory(regions=[region])
    promotion.banner.save("banner-0123456789abcdef0123456789abcdef.jpg", ContentFile(image_bytes()), save=True)
    category = CategoryFactory()
    category.sn_help_image.save("where-is-the-sticker.png", ContentFile(image_bytes("PNG")), save=True)
    claim = ClaimFactory(member=member, region=region, promotion=promotion)
    document = ClaimDocument.objects.filter(item__claim=claim).first()
    # A hostile name and a claimed content type: neither may reach the stored or served file.
    hostile = SimpleUploadedFile("<script>alert(1)</script>.html", image_bytes("PNG"), content_type="text/html")
    upload = upload_store(owner=member, kind=Upload.Kind.SERIAL_PHOTO, upload=hostile)
    return World(member, admin, claim, document, upload, promotion, category)


def client_for(user: object | None) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def walk(world: World) -> list[tuple[str, str, int, HttpResponse]]:
    """(kind, what, expected status, response) for every kind of response the site gives."""
    anonymous, member, admin = client_for(None), client_for(world.member), client_for(world.admin)
    item = world.claim.items.first()
    product = item.product
    cases: list[tuple[str, str, int, Client, str, dict]] = [
        ("page", "home", 200, anonymous, reverse("home"), {}),
        ("page", "log-in", 200, anonymous, reverse("accounts:login"), {}),
        ("page", "sign-up", 200, anonymous, reverse("accounts:signup"), {}),
        ("page", "serial number help", 200, anonymous, reverse("catalog:sn_help"), {}),
        ("page", "faq", 200, anonymous, reverse("support:faq"), {}),
        ("page", "redirect to log-in", 302, anonymous, reverse("accounts:overview"), {}),
        ("page", "404", 404, anonymous, "/no-such-page/", {}),
        ("page", "overview", 200, member, reverse("accounts:overview"), {}),
        ("page", "my products", 200, member, reverse("products:mine"), {}),
        ("page", "promotions", 200, member, reverse("promotions:list"), {}),
        ("page", "redeem", 200, member, reverse("promotions:redeem", args=[world.promotion.slug]), {}),
        ("page", "redeem history", 200, member, reverse("claims:history"), {}),
        ("page", "inbox", 200, member, reverse("inbox:list"), {}),
        ("page", "member on a staff page: 403 or 404", -1, member, reverse("backoffice:queue"), {}),
        ("page", "staff home", 200, admin, reverse("backoffice:home"), {}),
        ("page", "review queue", 200, admin, reverse("backoffice:queue"), {}),
        ("page", "staff claim page", 200, admin, reverse("backoffice:claim", args=[world.claim.pk]), {}),
        ("page", "staff promotions", 200, admin, reverse("backoffice:promotions"), {}),
        ("page", "django admin", 200, admin, "/admin/", {}),
        ("page", "django admin change list", 200, admin, "/admin/accounts/user/", {}),
        ("page", "500", 500, anonymous, "/__fails__/", {}),
        ("page", "brand stylesheet", 200, anonymous, reverse("brand_css", args=[brand_css_version()]), {}),
        ("probe", "health", -1, anonymous, "/health/", {}),
        ("probe", "metrics", 200, anonymous, "/metrics", {}),
        ("file", "pending upload", 200, member, reverse("evidence:upload", args=[world.upload.pk]), {}),
        ("file", "member's invoice", 200, member, reverse("products:invoice", args=[product.pk]), {}),
        (
            "file",
            "member's claim document",
            200,
            member,
            reverse("claims:document", args=[world.claim.pk, world.document.pk]),
            {},
        ),
        (
            "file",
            "staff claim document",
            200,
            admin,
            reverse("backoffice:claim_document", args=[world.claim.pk, world.document.pk]),
            {},
        ),
        (
            "file",
            "staff invoice",
            200,
            admin,
            reverse("backoffice:claim_item_invoice", args=[world.claim.pk, item.pk]),
            {},
        ),
        ("file", "promotion banner", 200, member, reverse("promotions:banner", args=[world.promotion.slug]), {}),
        ("file", "staff banner", 200, admin, reverse("backoffice:promotion_banner", args=[world.promotion.pk]), {}),
        ("file", "serial help picture", 200, anonymous, reverse("catalog:sn_help_image", args=["laptop"]), {}),
        ("file", "claims export", 200, admin, reverse("backoffice:export_claims"), {}),
    ]
    responses = []
    for kind, what, status, client, url, data in cases:
        response = client.get(url, data)
        responses.append((kind, what, status, response))
    responses.append(("file", "shipments export", 200, admin.post(reverse("backoffice:shipments_export"))))
    responses.append(("file", "member's data export", 200, member.post(reverse("privacy:export"))))
    # A form sent without its CSRF token: Django's 403 page, ours in its template.
    strict = Client(enforce_csrf_checks=True)
    responses.append(("page", "csrf failure", 403, strict.post(reverse("accounts:login"), {"email": "a@b.c"})))
    return responses


@pytest.mark.urls("tests.security.test_headers")
def test_every_kind_of_response_carries_the_security_headers(world, scorecard):
    problems = []
    responses = walk(world)
    for kind, what, status, response in responses:
        if status != -1 and response.status_code != status:
            problems.append(f"{what}: status {response.status_code}, expected {status}")
        problems += [f"{what}: {problem}" for problem in header_problems(response, kind=kind)]
    scorecard.record("headers.responses_checked", len(responses))
    scorecard.record("headers.problems", len(problems))
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_a_rate_limited_answer_carries_the_security_headers(client, settings):
    settings.LOGIN_RATE_PER_ACCOUNT = "1/h"
    user = UserFactory()
    for _attempt in range(3):
        response = client.post(reverse("accounts:login"), {"email": user.email, "password": "wrong-password-1"})
    assert response.status_code == 429
    assert header_problems(response, kind="page") == []


@pytest.mark.django_db
def test_csp_of_pages_allows_no_inline_script_or_style_and_no_eval(client):
    csp = client.get(reverse("accounts:login"))["Content-Security-Policy"]
    directives = csp_directives(csp)
    assert "unsafe" not in csp
    assert directives["script-src"] == {"'self'"}
    assert directives["style-src"] == {"'self'"}
    assert directives["frame-ancestors"] == {"'none'"}
    assert directives["object-src"] == {"'none'"}
    assert "Content-Security-Policy-Report-Only" not in client.get(reverse("home"))


def test_production_sends_hsts_and_the_same_policy(monkeypatch, client, settings, db):
    production = load_settings(monkeypatch, production_env(BRAND_LOGO_URL="https://cdn.example.com/brand/logo.svg"))
    assert production["SECURE_HSTS_SECONDS"] >= 31536000
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and production["SECURE_HSTS_PRELOAD"]
    assert production["SECURE_SSL_REDIRECT"]
    directives = production["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]
    # The logo's origin, and only that, joins the pictures a page may show.
    assert directives["img-src"] == ["'self'", "data:", "https://cdn.example.com"]
    assert directives["script-src"] == ["'self'"]
    for name in ("SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD"):
        setattr(settings, name, production[name])
    response = client.get(reverse("accounts:login"), secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_a_relative_logo_adds_no_origin_to_the_policy(monkeypatch):
    development = load_settings(monkeypatch, {"BRAND_LOGO_URL": "/static/logo.svg", "TESTING": "1"})
    assert development["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["img-src"] == ["'self'", "data:"]


# --- stored files -----------------------------------------------------------------------------


def test_an_upload_is_served_as_a_picture_under_its_generated_name(world):
    response = client_for(world.member).get(reverse("evidence:upload", args=[world.upload.pk]))
    stored = Path(world.upload.file.name).name
    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", stored), stored
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == f'inline; filename="{stored}"'
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Security-Policy"] == SANDBOX_CSP
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xff\xd8\xff")
    assert "script" not in str(response.headers).lower() and ".html" not in str(response.headers)


def test_a_stored_file_that_is_not_a_picture_is_only_ever_a_download(world):
    # A file from before the re-encoding pipeline (or put there by mistake), named like a picture.
    page = b"<html><script>alert(document.cookie)</script></html>"
    world.document.file.save("legacy-invoice.jpg", ContentFile(page), save=True)
    url = reverse("backoffice:claim_document", args=[world.claim.pk, world.document.pk])
    response = client_for(world.admin).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="legacy-invoice.bin"'
    assert response["Content-Security-Policy"] == SANDBOX_CSP
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_content_type_comes_from_the_bytes_not_the_name(world):
    # The serial-help picture is a PNG stored as .png, served at an address ending .png; a JPEG
    # stored under a .png name is still said to be a JPEG.
    url = reverse("catalog:sn_help_image", args=["laptop"])
    assert client_for(None).get(url)["Content-Type"] == "image/png"
    world.category.sn_help_image.save("really-a-jpeg.png", ContentFile(image_bytes("JPEG")), save=True)
    response = client_for(None).get(url)
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == 'inline; filename="really-a-jpeg.jpg"'
    assert response["Cache-Control"] == "public, max-age=86400"  # not personal: the same for everyone


@pytest.mark.urls("tests.security.test_headers")
def test_exports_are_private_sandboxed_downloads(world):
    admin = client_for(world.admin)
    for response in (
        admin.get(reverse("backoffice:export_claims")),
        admin.post(reverse("backoffice:shipments_export")),
    ):
        assert response.status_code == 200
        assert re.fullmatch(r'attachment; filename="[a-z]+-[0-9-]+\.csv"', response["Content-Disposition"])
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Cache-Control"] == "private, no-store"
        assert response["Content-Security-Policy"] == SANDBOX_CSP


def test_no_upload_is_under_the_static_root_or_served_as_static(world):
    static_roots = [Path(settings.STATIC_ROOT).resolve(), *(Path(d).resolve() for d in settings.STATICFILES_DIRS)]
    media = Path(settings.MEDIA_ROOT).resolve()
    files = [world.upload.file, world.document.file, world.promotion.banner, world.category.sn_help_image]
    anonymous, member = client_for(None), client_for(world.member)
    for file in files:
        stored = Path(file.path).resolve()
        assert stored.is_relative_to(media)
        assert not any(stored.is_relative_to(root) for root in static_roots), stored
        for client in (anonymous, member):
            assert client.get(f"{settings.STATIC_URL}{file.name}").status_code == 404
            assert client.get(f"{settings.MEDIA_URL}{file.name}").status_code == 404
    for root in static_roots:
        assert not media.is_relative_to(root) and not root.is_relative_to(media)


# --- templates and the brand stylesheet --------------------------------------------------------

_INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
_JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def page_templates() -> list[Path]:
    """Every template a page can be rendered from (emails are mail, not pages: their inline styles stay)."""
    found = list((ROOT / "templates").rglob("*.html"))
    found += [p for p in (ROOT / "membercenter").rglob("templates/**/*.html") if "/email/" not in p.as_posix()]
    return sorted(found)


def test_no_template_has_inline_script_style_or_event_handlers(scorecard):
    templates = page_templates()
    offences = []
    for template in templates:
        text = template.read_text()
        for rule, pattern in (
            ("inline <script>", _INLINE_SCRIPT),
            ("on* handler", _HANDLER),
            ("inline style", _STYLE),
            ("javascript: URL", _JS_URL),
        ):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                offences.append(f"{template.relative_to(ROOT)}:{line}: {rule}: {match.group(0)[:60]}")
    scorecard.record("headers.templates_scanned", len(templates))
    scorecard.record("headers.template_inline_code", len(offences))
    assert len(templates) > 50
    assert not offences, "\n".join(offences)


def test_the_template_scan_finds_what_it_looks_for():
    samples = {
        "<script>alert(1)</script>": _INLINE_SCRIPT,
        '<button type="button" onclick="go()">': _HANDLER,
        '<p style="color:red">': _STYLE,
        "<style>p{}</style>": _STYLE,
        '<a href="javascript:go()">': _JS_URL,
    }
    for sample, pattern in samples.items():
        assert pattern.search(sample), sample
    for innocent in ('<script src="/static/js/site.js"></script>', '<p class="stylish" data-online="1">'):
        assert not any(p.search(innocent) for p in (_INLINE_SCRIPT, _HANDLER, _STYLE, _JS_URL)), innocent


@pytest.mark.django_db
def test_the_brand_stylesheet_is_linked_cached_long_and_has_the_colours(client, settings):
    settings.BRAND_PRIMARY_COLOR, settings.BRAND_ACCENT_COLOR = "#123456", "#abcdef"
    page = client.get(reverse("accounts:login")).content.decode()
    href = reverse("brand_css", args=[brand_css_version()])
    assert f'<link rel="stylesheet" href="{href}">' in page
    response = client.get(href)
    assert response["Content-Type"] == "text/css; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.content.decode() == brand_css_text() == ":root{--brand:#123456;--accent:#abcdef}\n"
    # An address from before a colour change: today's colours, not cached for a year.
    settings.BRAND_PRIMARY_COLOR = "#654321"
    stale = client.get(href)
    assert "#654321" in stale.content.decode() and stale["Cache-Control"] == "no-cache"
    assert reverse("brand_css", args=[brand_css_version()]) in client.get(reverse("accounts:login")).content.decode()


def test_uploads_cannot_be_configured_into_the_static_root(monkeypatch, tmp_path):
    env = {"TESTING": "1", "STATIC_ROOT": str(tmp_path / "static"), "MEDIA_ROOT": str(tmp_path / "static" / "media")}
    with pytest.raises(ImproperlyConfigured, match="MEDIA_ROOT, STATIC_ROOT: must be separate folders"):
        load_settings(monkeypatch, env)
    env["MEDIA_ROOT"] = str(tmp_path / "media")
    assert load_settings(monkeypatch, env)["MEDIA_ROOT"] == str(tmp_path / "media")


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("GIF", "image/gif"), ("WEBP", "image/webp")],
)
def test_picture_formats_are_known_by_their_bytes(fmt, content_type):
    assert image_type(image_bytes(fmt)[:16]) == (content_type, content_type.split("/")[1].replace("jpeg", "jpg"))


def test_what_is_not_a_plain_picture_is_not_one_to_the_browser():
    for head in (b"<svg xmlns='http://www.w3.org/2000/svg'>", b"<html><script>", b"%PDF-1.7", b"", b"\xff\xd8"):
        assert image_type(head) is None, head


def test_a_file_name_a_sender_could_have_chosen_never_reaches_the_browser():
    assert download_name("uploads/2026/11/0123456789abcdef0123456789abcdef.jpg", "jpg") == (
        "0123456789abcdef0123456789abcdef.jpg"
    )
    for stored in ('catalog/sn-help/"; filename=evil.html', "claims/2026/11/invoice\r\nSet-Cookie: x=1.jpg"):
        name = download_name(stored, "jpg")
        assert re.fullmatch(r"[0-9a-f]{32}\.jpg", name), name
