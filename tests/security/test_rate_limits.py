"""Anti-automation: attempts per IP and per account on every limited action, as an attacker meets them.

Each action is tried from one address until it is refused (the figure for docs/security.md),
from one account across many addresses, with forged X-Forwarded-For headers, and behind a
trusted proxy. Requests reach Django the way they do in production: through
membercenter.wsgi's application (ForwardedFor when TRUSTED_PROXIES is set).
"""

from __future__ import annotations

import itertools
import math
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import django_ratelimit.core
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from membercenter import wsgi
from membercenter.accounts.models import Captcha
from membercenter.claims.models import Claim
from tests.accounts.helpers import signup_data
from tests.claims.conftest import PromotionFactory, make_claim
from tests.factories import PASSWORD, SerialFactory, UserFactory
from tests.threads import run_together

pytestmark = pytest.mark.django_db

Response = Any  # what the test client answers

ACTIONS = ["signup", "login", "password_reset", "captcha_refresh", "upload", "registration", "claim"]
HOME_IP = "203.0.113.7"  # the attacker's one address (TEST-NET-3)
PROXY_NET = "10.0.0.0/8"  # the load balancers, when TRUSTED_PROXIES is set
PROXY = "10.0.0.2"


@pytest.fixture(autouse=True)
def _one_window(monkeypatch):
    """The counters' clock stands still, so that no test straddles the end of a counting window."""
    now = time.time()
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: now))


def limit(settings: Any, action: str, scope: str) -> int:
    return int(settings.RATE_LIMITS[action][scope].split("/")[0])


def address(n: int) -> str:
    """A different public address for each n (TEST-NET-2 and onwards)."""
    return f"198.51.{100 + n // 250}.{1 + n % 250}"


# --- how each action is attempted -------------------------------------------------------------


@dataclass
class Visitor:
    """One attempt at an action from a browser (`client`); `account` tells whose attempt it is."""

    client: Client
    account: str  # the email typed (sign-up, log-in, reset) or the member's own


class Attempts:
    """Attempts at one action, made the way a person makes them.

    `visitor(client)` signs a new member in (a member's action) or picks a new email;
    `send(visitor, **environ)` makes one attempt, with request headers in `environ`.
    """

    def __init__(self, action: str, region: Any) -> None:
        self.action = action
        self.region = region
        self.promotion = PromotionFactory() if action == "claim" else None
        self.member_action = action in {"upload", "registration", "claim"}

    def visitor(self, client: Client) -> Visitor:
        if not self.member_action:
            return Visitor(client, f"visitor-{uuid.uuid4().hex[:10]}@example.com")
        member: Any = UserFactory(region=self.region)
        client.force_login(member)
        if self.action == "upload":  # the invoice step of the registration wizard
            serial = SerialFactory()
            assert client.post(reverse("products:register"), {"serial_number": serial.sn}).status_code == 302
            assert client.post(reverse("products:register_chk"), {"chk": serial.chk}).status_code == 302
        return Visitor(client, member.email)

    def send(self, visitor: Visitor, **environ: Any) -> Response:
        client, email = visitor.client, visitor.account
        if self.action == "signup":
            data = signup_data(self.region, email=email, captcha_id=str(uuid.uuid4()), captcha_answer="7")
            return client.post(reverse("accounts:signup"), data, **environ)
        if self.action == "login":
            return client.post(reverse("accounts:login"), {"email": email, "password": PASSWORD}, **environ)
        if self.action == "password_reset":
            return client.post(reverse("accounts:password_reset"), {"email": email}, **environ)
        if self.action == "captcha_refresh":
            data = {**signup_data(self.region, email=email), "new_captcha": "1"}
            return client.post(reverse("accounts:signup"), data, **environ)
        if self.action == "upload":
            picture = SimpleUploadedFile("invoice.jpg", b"not a picture at all", content_type="image/jpeg")
            data = {"check": "invoice", "invoice": picture}
            return client.post(reverse("products:register_purchase"), data, **environ)
        if self.action == "registration":
            return client.post(reverse("products:register"), {"serial_number": "ZZ9NOSUCH001"}, **environ)
        assert self.promotion is not None
        url = reverse("promotions:confirm", args=[self.promotion.slug])
        data = {"submit_token": str(uuid.uuid4()), "captcha_id": str(uuid.uuid4()), "captcha_answer": "7"}
        return client.post(url, data, **environ)


def first_refused(attempt: Callable[[int], Response], *, up_to: int) -> int:
    """The number of the first attempt answered 429 (0: none of `up_to` was)."""
    for n in range(1, up_to + 1):
        response = attempt(n)
        if response.status_code == 429:
            return n
        assert response.status_code < 500, f"attempt {n}: {response.status_code}"
    return 0


def login_visitor(attempts: Attempts, visitor: Visitor) -> Visitor:
    if attempts.action == "login":
        UserFactory(email=visitor.account)
    return visitor


def many_accounts(attempts: Attempts, client_for: Callable[[], Client], count: int) -> Iterator[Visitor]:
    """Visitors with accounts of their own; members are reused in turn, emails are new each time."""
    if attempts.member_action:
        members = [attempts.visitor(client_for()) for _ in range(count)]
        yield from itertools.cycle(members)
    while True:
        yield login_visitor(attempts, attempts.visitor(client_for()))


@pytest.fixture
def region(indonesia):
    return indonesia


@pytest.fixture
def small(settings):
    """Small limits for every action (the same counting as the defaults, in fewer requests)."""
    settings.RATE_LIMITS = {action: {"ip": "8/h", "account": "4/h"} for action in ACTIONS}


# --- per IP, per account -------------------------------------------------------------------------


@pytest.mark.parametrize("action", ACTIONS)
def test_one_address_is_refused_right_after_its_limit(action, region, settings, scorecard):
    per_ip, per_account = limit(settings, action, "ip"), limit(settings, action, "account")
    attempts = Attempts(action, region)
    # Enough accounts that none reaches its own limit first: only the address's count refuses.
    visitors = many_accounts(attempts, lambda: Client(REMOTE_ADDR=HOME_IP), per_ip // per_account + 1)

    refused_at = first_refused(lambda n: attempts.send(next(visitors)), up_to=per_ip + 5)

    scorecard.record(f"ratelimit.{action}.first_refused", refused_at)
    assert refused_at == per_ip + 1


@pytest.mark.parametrize("action", ACTIONS)
def test_one_account_is_refused_after_its_limit_from_any_number_of_addresses(action, region, settings):
    per_account = limit(settings, action, "account")
    attempts = Attempts(action, region)
    visitor = login_visitor(attempts, attempts.visitor(Client()))

    refused_at = first_refused(lambda n: attempts.send(visitor, REMOTE_ADDR=address(n)), up_to=per_account + 5)

    assert refused_at == per_account + 1


def test_the_account_is_the_email_in_any_letter_case_and_spacing(region, settings):
    per_account = limit(settings, "password_reset", "account")
    spellings = itertools.cycle(["member@example.com", " Member@Example.COM", "MEMBER@example.com "])

    def attempt(n: int) -> Response:
        data = {"email": next(spellings)}
        return Client(REMOTE_ADDR=address(n)).post(reverse("accounts:password_reset"), data)

    assert first_refused(attempt, up_to=per_account + 5) == per_account + 1


def test_one_action_over_its_limit_leaves_the_others_open(region, settings):
    per_ip = limit(settings, "password_reset", "ip")
    attempts = Attempts("password_reset", region)
    for _ in range(per_ip):
        attempts.send(attempts.visitor(Client(REMOTE_ADDR=HOME_IP)))
    assert attempts.send(attempts.visitor(Client(REMOTE_ADDR=HOME_IP))).status_code == 429

    UserFactory(email="member@example.com")
    client = Client(REMOTE_ADDR=HOME_IP)
    response = client.post(reverse("accounts:login"), {"email": "member@example.com", "password": PASSWORD})

    assert response.status_code == 302


def test_reading_the_pages_is_never_counted(region, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": {"ip": "2/h", "account": "2/h"}}
    client = Client(REMOTE_ADDR=HOME_IP)

    statuses = [client.get(reverse("accounts:login")).status_code for _ in range(10)]

    assert statuses == [200] * 10


def test_the_addresses_of_one_ipv6_subscriber_share_one_count(region, small):
    url = reverse("accounts:password_reset")

    def attempt(n: int) -> Response:
        return Client(REMOTE_ADDR=f"2001:db8:1:2::{n:x}").post(url, {"email": f"visitor-{n}@example.com"})

    assert first_refused(attempt, up_to=20) == 8 + 1
    neighbour = Client(REMOTE_ADDR="2001:db8:1:3::1").post(url, {"email": "neighbour@example.com"})
    assert neighbour.status_code == 302


def test_requests_without_an_address_are_counted_together_not_failed(region, small):
    url = reverse("accounts:password_reset")

    def attempt(n: int) -> Response:
        return Client(REMOTE_ADDR="").post(url, {"email": f"visitor-{n}@example.com"})

    assert first_refused(attempt, up_to=20) == 8 + 1


def test_a_member_is_one_account_whatever_email_they_type(region, small, client):
    client.force_login(UserFactory(region=region))
    url = reverse("promotions:confirm", args=[PromotionFactory().slug])

    def attempt(n: int) -> Response:
        data = {"new_captcha": "1", "email": f"someone-{n}@example.com"}
        return client.post(url, data, REMOTE_ADDR=address(n))

    assert first_refused(attempt, up_to=20) == 4 + 1


# --- every limited page, and the posts that only show the form again -----------------------------


@pytest.fixture
def tight(settings):
    """One attempt per hour for everything, per IP and per account."""
    settings.RATE_LIMITS = {action: {"ip": "1/h", "account": "1/h"} for action in ACTIONS}
    return settings


@pytest.mark.parametrize("page", ["registration serial", "registration CHK", "confirm", "redeem again"])
def test_each_member_page_that_sends_something_is_limited(page, tight, client, region):
    claim = make_claim(status=Claim.Status.SENT_BACK, reason="A clearer invoice, please.")
    client.force_login(claim.member)
    url = {
        "registration serial": reverse("products:register"),
        "registration CHK": reverse("products:register_chk"),
        "confirm": reverse("promotions:confirm", args=[claim.promotion.slug]),
        "redeem again": reverse("claims:again", args=[claim.pk]),
    }[page]

    statuses = [client.post(url, {"captcha_answer": "7"}).status_code for _ in range(2)]

    assert statuses[0] != 429 and statuses[1] == 429


def test_staff_uploads_are_limited_too(tight, client, manager):
    client.force_login(manager)

    def send() -> int:
        banner = SimpleUploadedFile("banner.png", b"not a picture", content_type="image/png")
        return client.post(reverse("backoffice:promotion_create"), {"banner": banner}).status_code

    assert [send(), send()] == [200, 429]


def test_a_new_captcha_question_counts_as_that_not_as_a_sign_up(tight, region):
    client = Client(REMOTE_ADDR=HOME_IP)
    data = signup_data(region, email="new@example.com")

    new_question = client.post(reverse("accounts:signup"), {**data, "new_captcha": "1"})
    sign_up = client.post(reverse("accounts:signup"), data)
    another_question = client.post(reverse("accounts:signup"), {**data, "new_captcha": "1"})
    another_sign_up = client.post(reverse("accounts:signup"), data)

    assert (new_question.status_code, sign_up.status_code) == (200, 200)
    assert (another_question.status_code, another_sign_up.status_code) == (429, 429)


@pytest.mark.parametrize("page", ["sign-up", "registration purchase", "confirm", "redeem again"])
def test_reloading_a_captcha_page_is_limited_and_stores_no_more_questions(page, small, settings, client, region):
    """Each showing of a captcha page stores a new question: reloads count like "new question"."""
    claim = make_claim(status=Claim.Status.SENT_BACK, reason="A clearer invoice, please.")
    url = {
        "sign-up": reverse("accounts:signup"),
        "registration purchase": reverse("products:register_purchase"),
        "confirm": reverse("promotions:confirm", args=[claim.promotion.slug]),
        "redeem again": reverse("claims:again", args=[claim.pk]),
    }[page]
    if page != "sign-up":
        client.force_login(claim.member)
    if page == "registration purchase":
        serial = SerialFactory()
        assert client.post(reverse("products:register"), {"serial_number": serial.sn}).status_code == 302
        assert client.post(reverse("products:register_chk"), {"chk": serial.chk}).status_code == 302
    per_visitor = limit(settings, "captcha_refresh", "account" if page != "sign-up" else "ip")
    before = Captcha.objects.count()

    refused_at = first_refused(lambda n: client.get(url, REMOTE_ADDR=HOME_IP), up_to=per_visitor + 5)
    stored = Captcha.objects.count() - before

    assert refused_at == per_visitor + 1
    assert stored <= per_visitor  # the refused reload stored no question


def test_a_button_name_from_another_form_does_not_slip_a_log_in_past_the_limit(tight):
    UserFactory(email="member@example.com")
    client = Client(REMOTE_ADDR=HOME_IP)
    data = {"email": "member@example.com", "password": "wrong-password-1", "new_captcha": "1", "check": "invoice"}

    statuses = [client.post(reverse("accounts:login"), data).status_code for _ in range(2)]

    assert statuses == [200, 429]


def test_a_picture_check_counts_as_an_upload_not_as_a_registration_step(tight, client, region):
    member = UserFactory(region=region)
    client.force_login(member)
    tight.RATE_LIMITS = {**tight.RATE_LIMITS, "registration": {"ip": "3/h", "account": "3/h"}}
    serial = SerialFactory()
    client.post(reverse("products:register"), {"serial_number": serial.sn})
    client.post(reverse("products:register_chk"), {"chk": serial.chk})
    url = reverse("products:register_purchase")

    def check() -> int:
        picture = SimpleUploadedFile("invoice.jpg", b"not a picture", content_type="image/jpeg")
        return client.post(url, {"check": "invoice", "invoice": picture}).status_code

    assert check() == 200
    assert check() == 429  # the second picture in the hour
    assert client.post(url, {"store": "", "captcha_answer": "1"}).status_code == 200  # the third registration post
    assert client.post(url, {"store": "", "captcha_answer": "1"}).status_code == 429


# --- forged and forwarded addresses --------------------------------------------------------------


class ThroughWsgi(Client):
    """A browser whose requests pass membercenter.wsgi's application, as gunicorn serves it.

    With TRUSTED_PROXIES set that is ForwardedFor; its Django part is the test client's own
    handler (no CSRF token needed), so that the address it sets is the one the views see.
    """

    def __init__(self, **defaults: Any) -> None:
        super().__init__(**defaults)
        app = wsgi.build_application()
        handler = self.handler
        if isinstance(app, wsgi.ForwardedFor):
            app.app = lambda environ, start_response: handler(environ)
            self.handler = lambda environ: app(environ, None)  # type: ignore[assignment, arg-type]


@pytest.fixture(params=["no trusted proxies", "a peer outside them"])
def untrusted_peer(request, settings):
    settings.TRUSTED_PROXIES = [PROXY_NET] if request.param == "a peer outside them" else []
    return request.param


@pytest.mark.parametrize("action", ACTIONS)
def test_a_forged_x_forwarded_for_does_not_reset_the_count(action, region, settings, small, untrusted_peer):
    per_ip, per_account = limit(settings, action, "ip"), limit(settings, action, "account")
    attempts = Attempts(action, region)
    visitors = many_accounts(attempts, lambda: ThroughWsgi(REMOTE_ADDR=HOME_IP), per_ip // per_account + 1)

    def attempt(n: int) -> Response:
        # A fresh forged address each time, and one that names a trusted proxy.
        forged = f"{address(n)}, {PROXY}" if n % 2 else address(n)
        return attempts.send(next(visitors), HTTP_X_FORWARDED_FOR=forged)

    assert first_refused(attempt, up_to=per_ip + 5) == per_ip + 1


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = [PROXY_NET]
    assert isinstance(wsgi.build_application(), wsgi.ForwardedFor)


@pytest.mark.parametrize("action", ACTIONS)
def test_behind_a_trusted_proxy_each_visitor_has_a_count_of_their_own(action, region, settings, small, behind_proxy):
    per_ip, per_account = limit(settings, action, "ip"), limit(settings, action, "account")
    attempts = Attempts(action, region)
    visitors = many_accounts(attempts, lambda: ThroughWsgi(REMOTE_ADDR=PROXY), per_ip // per_account + 2)
    first, second = "192.0.2.10", "192.0.2.20"

    for n in range(per_ip):
        assert attempts.send(next(visitors), HTTP_X_FORWARDED_FOR=first).status_code != 429, n
    refused = attempts.send(next(visitors), HTTP_X_FORWARDED_FOR=first)
    other = attempts.send(next(visitors), HTTP_X_FORWARDED_FOR=second)

    assert refused.status_code == 429
    assert other.status_code != 429


def test_behind_a_trusted_proxy_what_the_visitor_writes_in_front_changes_nothing(region, settings, small, behind_proxy):
    per_ip = limit(settings, "password_reset", "ip")
    attempts = Attempts("password_reset", region)

    def attempt(n: int) -> Response:
        # The visitor sends their own header; the balancer appends the address it saw.
        forwarded = f"{address(n)}, 192.0.2.10"
        return attempts.send(attempts.visitor(ThroughWsgi(REMOTE_ADDR=PROXY)), HTTP_X_FORWARDED_FOR=forwarded)

    assert first_refused(attempt, up_to=per_ip + 5) == per_ip + 1


def test_behind_a_proxy_on_a_unix_socket_each_visitor_has_a_count_of_their_own(region, settings, small):
    # gunicorn on BIND=unix:/run/membercenter.sock: the peer has no address (REMOTE_ADDR "").
    settings.TRUSTED_PROXIES = ["unix"]
    per_ip = limit(settings, "password_reset", "ip")
    attempts = Attempts("password_reset", region)

    def attempt(n: int) -> Response:
        return attempts.send(attempts.visitor(ThroughWsgi(REMOTE_ADDR="")), HTTP_X_FORWARDED_FOR="192.0.2.10")

    assert first_refused(attempt, up_to=per_ip + 5) == per_ip + 1
    other = attempts.send(attempts.visitor(ThroughWsgi(REMOTE_ADDR="")), HTTP_X_FORWARDED_FOR="192.0.2.20")
    assert other.status_code != 429


# --- the 429 page --------------------------------------------------------------------------------


def refused_reset(client: Client, settings: Any, **environ: Any) -> Response:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "password_reset": {"ip": "1/h", "account": "1/h"}}
    client.post(reverse("accounts:password_reset"), {"email": "member@example.com"}, **environ)
    response = client.post(reverse("accounts:password_reset"), {"email": "member@example.com"}, **environ)
    assert response.status_code == 429
    return response


def test_the_page_says_how_long_to_wait_in_english(client, settings):
    response = refused_reset(client, settings)
    text = response.content.decode()
    wait = int(response["Retry-After"])
    minutes = math.ceil(wait / 60)

    assert 0 < wait <= 3600
    assert "<h1>Too many attempts</h1>" in text
    assert f"Please wait {minutes} minute" in text
    assert '<html lang="en">' in text


def test_the_page_is_in_indonesian_for_an_indonesian_visitor(client, settings):
    response = refused_reset(client, settings, HTTP_ACCEPT_LANGUAGE="id")
    text = response.content.decode()
    minutes = math.ceil(int(response["Retry-After"]) / 60)

    assert '<html lang="id">' in text
    assert "<h1>Terlalu banyak percobaan</h1>" in text
    assert f"Silakan tunggu {minutes} menit, lalu coba lagi." in text  # locale/pending/ratelimit.po


def test_a_member_sees_it_in_the_language_of_their_profile(client, settings, region):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "registration": {"ip": "1/h", "account": "1/h"}}
    client.force_login(UserFactory(region=region, language="id"))
    client.post(reverse("products:register"), {"serial_number": "ZZ9NOSUCH001"}, HTTP_ACCEPT_LANGUAGE="en")

    response = client.post(reverse("products:register"), {"serial_number": "ZZ9NOSUCH001"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 429
    assert "Terlalu banyak percobaan" in response.content.decode()


def test_an_htmx_picture_check_gets_the_message_where_its_checks_go(client, settings, region):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "upload": {"ip": "1/h", "account": "1/h"}}
    client.force_login(UserFactory(region=region))
    url = reverse("promotions:redeem", args=[PromotionFactory().slug])

    def check() -> Response:
        picture = SimpleUploadedFile("photo.jpg", b"not a picture", content_type="image/jpeg")
        headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "checks-photo_1"}
        return client.post(url, {"check": "photo_1", "photo_1": picture}, **headers)

    assert check().status_code == 200
    response = check()
    text = response.content.decode()

    assert response.status_code == 429
    assert "<html" not in text and 'id="too-many-attempts"' in text and 'role="alert"' in text
    assert "Too many attempts" in text and "Please wait" in text
    # htmx swaps that element in at the top of the checks (base.html's responseHandling swaps a 429).
    assert (response["HX-Reselect"], response["HX-Reswap"]) == ("#too-many-attempts", "afterbegin")
    assert int(response["Retry-After"]) > 0


# --- atomic counters in Redis -------------------------------------------------------------------

REDIS_URL = "redis://127.0.0.1:6379/6"  # this suite's own database (REDIS_URL's when it is set)


@pytest.fixture
def redis_counters(settings):
    """The counters in Redis, under a key prefix of this test's own (deleted after)."""
    import redis

    url = settings.REDIS_URL or REDIS_URL
    client = redis.Redis.from_url(url)
    client.ping()  # no Redis is a failure, not a skip: CI always has one
    prefix = f"mc-h-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "KEY_PREFIX": prefix}
    }
    yield lambda: [key for key in client.scan_iter(f"{prefix}:*")]
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


@pytest.mark.concurrency
def test_parallel_attempts_in_redis_let_exactly_the_limit_through(redis_counters, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "password_reset": {"ip": "10/h", "account": "1000/h"}}
    url = reverse("accounts:password_reset")
    # Not an address, so that the form is only shown again: the threads need no database.
    jobs = [
        lambda n=n: Client(REMOTE_ADDR=HOME_IP).post(url, {"email": f"parallel-{n}"}).status_code for n in range(40)
    ]

    statuses = run_together(jobs)

    assert sorted(statuses) == [200] * 10 + [429] * 30
    assert redis_counters()  # the counters were in Redis, not in this process
