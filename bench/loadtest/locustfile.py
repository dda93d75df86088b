"""The load test's users: members and reviewers, in phases (bench/loadtest/run.py starts it).

    locust -f bench/loadtest/locustfile.py --headless -u USERS -r RATE --run-time LIMIT --host http://127.0.0.1:PORT

Environment: LOADTEST_PLAN (the seeder's plan), LOADTEST_RESULTS (where every request is
written at the end), LOADTEST_PHASES ("warmup:8,ratio:60,mix:100", seconds), LOADTEST_SLICE
(seconds of each turn of the ratio phase), LOADTEST_SATURATORS (members that send requests
back to back in the ratio phase), LOADTEST_REVIEWERS (reviewer users among USERS).

Phases, one after the other, with the same users and connections:

- warmup: every user logs in and opens a page or two (not reported). It lasts until every
  user is logged in, and at least its seconds.
- ratio: the saturating members send requests back to back, in turns of a few seconds that
  rotate through four kinds, so that anything else the machine does falls on all of them
  alike: `floor` (`/_floor/`, the view that does nothing, through every middleware, with the
  member's session), `floor_anon` (the same without cookies), `layout` (an account page with
  one form field and no query of its own: what the shared layout costs) and `pages` (the
  member pages, in turn).
- mix: every member and reviewer, with think time, doing what they do (the table in
  docs/performance.md): latency percentiles and errors.

Requests are named "phase | page", so that locust's own CSV is per phase too. The page
a request counts under is decided when it starts. A POST is sent without following its
redirect; the page it leads to is a request of its own, so each row is one request.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path

import gevent
from locust import FastHttpUser, events, task
from locust.contrib.fasthttp import FastHttpSession
from scrape import CLAIM_LINK, CSRF, SUBMIT_TOKEN, captcha, errors, multipart

PLAN = (
    json.loads(Path(os.environ.get("LOADTEST_PLAN", "plan.json")).read_text())
    if os.environ.get("LOADTEST_PLAN")
    else {"members": [], "reviewers": [], "password": "", "promotion": ""}
)
PHASES = [
    (name, float(seconds))
    for name, seconds in (p.split(":") for p in os.environ.get("LOADTEST_PHASES", "warmup:5,mix:20").split(","))
]
SATURATORS = int(os.environ.get("LOADTEST_SATURATORS", "24"))
SLICE = float(os.environ.get("LOADTEST_SLICE", "5"))
RATIO_KINDS = ("floor", "floor_anon", "layout", "pages")
# The layout's own cost: an account page with one form field and no query of its own.
LAYOUT_PAGE = ("Register: serial page", "/products/register/")
# The pages members browse (issue 6: promotions, My Products, Redeem History, inbox and overview):
# the throughput phase requests them in turn. The redeem page belongs to a claim: it is in the mix.
MEMBER_PAGES = [
    ("Overview", "/accounts/"),
    ("All Promotions", "/promotions/"),
    ("My Products", "/products/"),
    ("Redeem History", "/redeem-history/"),
    ("Inbox", "/inbox/"),
]
if os.environ.get("LOADTEST_PAGES"):  # an experiment: other pages in the throughput phase
    MEMBER_PAGES = [(url, url) for url in os.environ["LOADTEST_PAGES"].split(",")]


class Conductor:
    """The phase clock, the accounts handed out, and every request recorded."""

    def __init__(self) -> None:
        self.phase = "warmup"
        self.timeline: list[dict] = []
        self.logged_in = 0
        self.users_expected = 0
        self.members = list(PLAN["members"])
        self.reviewers = list(PLAN["reviewers"])
        self.next_member = 0
        self.next_reviewer = 0
        self.records: dict[str, list[list]] = {}
        self.failures: dict[tuple[str, str], int] = {}

    def take_member(self) -> tuple[int, dict]:
        index = self.next_member
        self.next_member += 1
        return index, self.members[index % len(self.members)]

    def take_reviewer(self) -> str:
        self.next_reviewer += 1
        return self.reviewers[(self.next_reviewer - 1) % len(self.reviewers)]

    def run(self, environment: object) -> None:
        """Move through the phases; stop locust at the end."""
        start = time.time()
        warmup = dict(PHASES).get("warmup", 5.0)
        # Every user spawned and logged in (or a minute at most: a failing log-in is an error, reported).
        while time.time() - start < warmup or (self.logged_in < self.users_expected and time.time() - start < 60):
            gevent.sleep(0.2)
        self.timeline.append({"phase": "warmup", "start": start, "end": time.time()})
        for name, seconds in PHASES:
            if name == "warmup":
                continue
            # The saturated phase: the floor, the floor without a session and the member pages take
            # turns in short slices, so that whatever else the machine does falls on all three alike.
            turns = max(1, round(seconds / SLICE / len(RATIO_KINDS)))
            slices = [(kind, SLICE) for _ in range(turns) for kind in RATIO_KINDS]
            for phase, length in slices if name == "ratio" else [(name, seconds)]:
                self.phase = phase
                began = time.time()
                gevent.sleep(length)
                self.timeline.append({"phase": phase, "start": began, "end": time.time()})
        self.phase = "done"
        gevent.sleep(0.5)
        environment.runner.quit()  # type: ignore[attr-defined]

    def record(self, name: str, start: float, ms: float, ok: bool, length: int, error: str) -> None:
        self.records.setdefault(name, []).append([round(start, 4), round(ms, 2), int(ok), length])
        if not ok:
            key = (name, error[:300])
            self.failures[key] = self.failures.get(key, 0) + 1

    def write(self, path: str) -> None:
        out = {
            "timeline": self.timeline,
            "requests": self.records,
            "failures": [{"name": n, "error": e, "count": c} for (n, e), c in sorted(self.failures.items())],
            "members_used": min(self.next_member, len(self.members)),
            "reviewers_used": min(self.next_reviewer, len(self.reviewers)),
        }
        Path(path).write_text(json.dumps(out))


CONDUCTOR = Conductor()


@events.test_start.add_listener
def _start(environment: object, **kwargs: object) -> None:
    CONDUCTOR.users_expected = environment.parsed_options.num_users if environment.parsed_options else 0  # type: ignore[attr-defined]
    gevent.spawn(CONDUCTOR.run, environment)


@events.request.add_listener
def _recorded(name: str, start_time: float, response_time: float, response_length: int, exception: object, **kw):  # noqa: ANN003, ANN202
    CONDUCTOR.record(name, start_time, response_time, exception is None, response_length or 0, repr(exception))


@events.quitting.add_listener
def _quit(environment: object, **kwargs: object) -> None:
    CONDUCTOR.write(os.environ.get("LOADTEST_RESULTS", "loadtest-results.json"))


class Browser(FastHttpUser):
    """A browser behind the TLS-ending load balancer: the balancer's X-Forwarded-Proto is on every request."""

    abstract = True
    default_headers = {"X-Forwarded-Proto": "https", "User-Agent": "Mozilla/5.0 (Linux; Android 14) loadtest"}
    # Generous: a log-in hashes the password (hundreds of milliseconds of CPU), and 51 users log in at
    # once; on a machine other work also loads, the last ones waited more than 30 s and gave up.
    network_timeout = 120.0
    connection_timeout = 10.0

    def __init__(self, environment: object) -> None:
        super().__init__(environment)
        # The browser speaks HTTPS to the balancer, which passes plain HTTP on: the session and CSRF
        # cookies are Secure, and the browser sends them. The cookie jar sees an http:// URL, so it is
        # told that this connection counts as secure.
        self.client.cookiejar.set_policy(DefaultCookiePolicy(secure_protocols=("https", "wss", "http")))

    def _name(self, page: str) -> str:
        return f"{CONDUCTOR.phase} | {page}"

    def _origin(self) -> dict[str, str]:
        return {"Origin": "https://" + self.host.split("://", 1)[1].rstrip("/")}

    def get(self, page: str, url: str, *, expect: int = 200, where: str = "") -> str:
        """GET a page; anything but the expected status (and place, for a redirect) is an error."""
        with self.client.get(url, name=self._name(page), catch_response=True, allow_redirects=False) as r:
            return self._check(r, expect, where)

    def post(self, page: str, url: str, data: dict | list, *, expect: int = 302, where: str = "", files=None) -> str:  # noqa: ANN001
        fields = list(data.items()) if isinstance(data, dict) else list(data)
        headers = {**self._origin(), "Referer": f"{self.host}{url}"}
        if files:
            body, content_type = multipart(fields, files)
            headers["Content-Type"] = content_type
        else:
            from urllib.parse import urlencode

            body = urlencode(fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        with self.client.request(
            "POST", url, name=self._name(page), data=body, headers=headers, catch_response=True, allow_redirects=False
        ) as r:
            return self._check(r, expect, where)

    def _check(self, r, expect: int, where: str) -> str:  # noqa: ANN001
        text = r.text or ""
        location = r.headers.get("Location", "") if r.headers else ""
        if r.status_code != expect:
            r.failure(f"status {r.status_code}, expected {expect} {location} {errors(text)[:200]}".strip())
        elif where and not re.search(where, location):
            r.failure(f"redirected to {location!r}, expected {where!r}")
        else:
            r.success()
        return location if expect == 302 else text

    def login(self, email: str) -> bool:
        page = self.get("Log in page", "/accounts/login/")
        token = CSRF.search(page)
        if not token:
            return False
        where = self.post(
            "Log in",
            "/accounts/login/",
            {"csrfmiddlewaretoken": token.group(1), "email": email, "password": PLAN["password"], "next": ""},
            where=r"/accounts/$|/staff/",
        )
        return bool(where)

    def idle(self) -> None:
        """Between phases, or outside its part: wait without sending anything."""
        gevent.sleep(0.2)

    def think(self, low: float = 1.0, high: float = 3.0) -> None:
        gevent.sleep(random.uniform(low, high))


class Member(Browser):
    weight = 12

    def on_start(self) -> None:
        self.index, self.account = CONDUCTOR.take_member()
        self.saturator = self.index < SATURATORS
        self.redeem = list(self.account["redeem"]) if self.index < len(CONDUCTOR.members) else []
        self.register = list(self.account["register"]) if self.index < len(CONDUCTOR.members) else []
        if self.login(self.account["email"]):
            CONDUCTOR.logged_in += 1
        self.turn = self.index
        self.anonymous: FastHttpSession | None = None
        self.arrived = False

    @task
    def act(self) -> None:
        phase = CONDUCTOR.phase
        if phase in RATIO_KINDS:
            if not self.saturator:
                return self.idle()
            if phase == "floor":
                return self.floor()
            if phase == "floor_anon":
                return self.floor_anonymous()
            if phase == "layout":
                self.get(*LAYOUT_PAGE)
                return None
            self.turn += 1
            page, url = MEMBER_PAGES[self.turn % len(MEMBER_PAGES)]
            self.get(page, url)
            return None
        if phase == "mix":
            return self.mixed()
        if phase == "warmup":
            self.get("Overview", "/accounts/")
            return self.think(0.5, 1.5)
        return self.idle()

    def floor(self) -> None:
        with self.client.get("/_floor/", name=self._name("/_floor/"), catch_response=True) as r:
            if r.status_code != 200 or r.text != "ok":
                r.failure(f"status {r.status_code}")

    def floor_anonymous(self) -> None:
        # A client of its own, without the member's cookies: no session to read, no user to load.
        if self.anonymous is None:
            self.anonymous = FastHttpSession(
                base_url=self.host, request_event=self.environment.events.request, user=self,
                headers=self.default_headers, network_timeout=self.network_timeout,
            )  # fmt: skip
        with self.anonymous.get("/_floor/", name=self._name("/_floor/"), catch_response=True) as r:
            if r.status_code != 200 or r.text != "ok":
                r.failure(f"status {r.status_code}")

    # --- the realistic mix ------------------------------------------------------------------------

    BROWSE = [
        ("Overview", "/accounts/", 10),
        ("All Promotions", "/promotions/", 16),
        ("My Products", "/products/", 16),
        ("Redeem History", "/redeem-history/", 14),
        ("Inbox", "/inbox/", 8),
    ]

    def mixed(self) -> None:
        if not self.arrived:
            # Members do not all click at the same instant: at the start of the mix each one first
            # waits a think time of its own, as if it had been reading the page it was on. Without
            # it, the 48 first requests (and the claims they start) would land in the same second.
            self.arrived = True
            return self.think(0, 3)
        roll = random.random()
        if roll < 0.05 and self.redeem:
            self.claim()
        elif roll < 0.08 and self.register:
            self.register_product()
        else:
            pages = self.BROWSE
            page, url, _w = random.choices(pages, weights=[w for *_x, w in pages])[0]
            self.get(page, url)
        self.think()

    def claim(self) -> None:
        """Redeem two products: the redeem page, its form with two sticker photos, confirm with captcha, submit."""
        slug = PLAN["promotion"]
        url = f"/promotions/{slug}/"
        page = self.get("Redeem page", url)
        token = CSRF.search(page)
        products, self.redeem = self.redeem[:2], self.redeem[2:]
        if not token or f'value="{products[0]["product"]}"' not in page:
            return
        self.think(2, 5)  # choosing the pictures
        a = self.account
        fields = [("csrfmiddlewaretoken", token.group(1))]
        fields += [("products", str(p["product"])) for p in products]
        fields += [
            ("full_name", a["name"]), ("email", a["email"]), ("phone", a["phone"]), ("address", a["address"]),
            ("city", a["city"]), ("province", a["province"]), ("postal_code", a["postal_code"]), ("unit", ""),
            ("contact_name", a["name"]), ("contact_phone", a["phone"]),
        ]  # fmt: skip
        files = [(f"photo_{p['product']}", Path(p["photo"])) for p in products]
        where = self.post("Redeem: send 2 sticker photos", url, fields, files=files, where=r"/confirm/$")
        if not where:
            return
        page = self.get("Redeem: confirm page", f"{url}confirm/")
        token, challenge, submit = CSRF.search(page), captcha(page), SUBMIT_TOKEN.search(page)
        if not (token and challenge and submit):
            return
        self.think(2, 4)  # reading the summary, answering the captcha
        where = self.post(
            "Redeem: submit (captcha)",
            f"{url}confirm/",
            {
                "csrfmiddlewaretoken": token.group(1), "submit_token": submit.group(1),
                "captcha_id": challenge[0], "captcha_answer": challenge[1], "website": "",
            },
            where=r"/redeem-history/\d+/submitted/$",
        )  # fmt: skip
        if where:
            self.get("Redeem: submitted page", where)

    def register_product(self) -> None:
        """The registration wizard: serial, CHK, purchase with the invoice and captcha, done."""
        item = self.register.pop(0)
        page = self.get("Register: serial page", "/products/register/")
        token = CSRF.search(page)
        if not token:
            return
        self.think()
        data = {"csrfmiddlewaretoken": token.group(1), "serial_number": item["sn"]}
        if not self.post("Register: send serial", "/products/register/", data, where=r"/register/chk/$"):
            return
        page = self.get("Register: CHK page", "/products/register/chk/")
        token = CSRF.search(page)
        if not token:
            return
        self.think()
        data = {"csrfmiddlewaretoken": token.group(1), "chk": item["chk"]}
        if not self.post("Register: send CHK", "/products/register/chk/", data, where=r"/register/purchase/$"):
            return
        page = self.get("Register: purchase page", "/products/register/purchase/")
        token, challenge = CSRF.search(page), captcha(page)
        if not (token and challenge):
            return
        self.think(2, 5)
        fields = {
            "csrfmiddlewaretoken": token.group(1), "region": str(item["region"]), "store": str(item["store"]),
            "purchase_date": item["purchase_date"], "channel": item["channel"], "captcha_id": challenge[0],
            "captcha_answer": challenge[1], "website": "",
        }  # fmt: skip
        where = self.post(
            "Register: send purchase + invoice",
            "/products/register/purchase/",
            fields,
            files=[("invoice", Path(item["invoice"]))],
            where=r"/products/\d+/registered/$",
        )
        if where:
            self.get("Register: done page", where)


class Reviewer(Browser):
    weight = 1
    fixed_count = int(os.environ.get("LOADTEST_REVIEWERS", "0"))

    def on_start(self) -> None:
        self.email = CONDUCTOR.take_reviewer()
        if self.login(self.email):
            CONDUCTOR.logged_in += 1
        self.current: str | None = None
        self.arrived = False

    @task
    def act(self) -> None:
        if CONDUCTOR.phase != "mix":
            return self.idle()
        if not self.arrived:
            self.arrived = True  # as members do (Member.mixed)
            return self.think(0, 3)
        if self.current is None:
            page = self.get("Staff: review queue", "/staff/claims/")
            links = CLAIM_LINK.findall(page)
            if not links:
                return self.think(3, 6)
            self.current = f"/staff/claims/{random.choice(links[:10])}/"
            self.think(1, 2)
        page = self.get("Staff: claim page", self.current)
        token = CSRF.search(page)
        if not token or 'name="send_back-text"' not in page:
            self.current = None  # decided meanwhile, or held by another reviewer
            return self.think(1, 2)
        self.think(4, 8)  # looking at the pictures and checks
        if random.random() < 0.7:
            where = self.post(
                "Staff: approve", f"{self.current}approve/", {"csrfmiddlewaretoken": token.group(1)},
                where=r"/staff/claims/",
            )  # fmt: skip
        else:
            where = self.post(
                "Staff: send back with reason",
                f"{self.current}send-back/",
                {
                    "csrfmiddlewaretoken": token.group(1), "send_back-template": "",
                    "send_back-text": "Please upload a sharper photo of the serial number sticker on the product.",
                },
                where=r"/staff/claims/",
            )  # fmt: skip
        # The decision leads to the next claim in the queue (or back to the queue when none is left).
        following = re.search(r"/staff/claims/\d+/", where or "")
        self.current = following.group(0) if following else None
        self.think(1, 2)
