"""Rate limits on django-ratelimit's cache counters: attempts per action, and failed attempts.

Attempts (`limited`): every attempt at an action counts, right or wrong, per IP and per
account, with the limits of settings.RATE_LIMITS; one over either gets the 429 page with
Retry-After. Views are wrapped in the urls.py files: `limited("login")(views.login_view)`.

Failures (`failures_exhausted`, `failure_record`): only failures are counted (log-in, CHK
guesses), so a member who gets it right is never slowed down; the limit is reached once
`rate` failures have been recorded in the window.

The counters live in the default cache. With REDIS_URL that is Redis: the first attempt of a
window is an `add` (SET NX) and the others an `INCR`, single Redis commands, so parallel
requests on any number of servers never both get the last allowed attempt. The IP is
REMOTE_ADDR, which membercenter.wsgi.ForwardedFor takes from X-Forwarded-For only when the
request came through one of TRUSTED_PROXIES (a visitor's own X-Forwarded-For changes
nothing); IPv6 addresses count by /64.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django_ratelimit.core import get_usage

from membercenter.lib.views import rate_limited

Key = str | Callable[[str, HttpRequest], str]
View = Callable[..., HttpResponseBase]


def failures_exhausted(request: HttpRequest, *, group: str, key: Key, rate: str) -> bool:
    usage = get_usage(request, group=group, key=key, rate=rate, increment=False)
    return usage is not None and usage["count"] >= usage["limit"]


def failure_record(request: HttpRequest, *, group: str, key: Key, rate: str) -> None:
    get_usage(request, group=group, key=key, rate=rate, increment=True)


def _asks_new_captcha(request: HttpRequest, unless: tuple[str, ...]) -> bool:
    """Each showing of a captcha page stores a new question: a reload (GET) as much as "New question".

    Other posts are counted by the page's own action (a failed one shows a new question too).
    """
    return request.method != "POST" or "new_captcha" in request.POST


def _carries_files(request: HttpRequest, unless: tuple[str, ...]) -> bool:
    return request.method == "POST" and bool(request.FILES)


def _sends_form(request: HttpRequest, unless: tuple[str, ...]) -> bool:
    """A POST, unless it carries a button that makes the view show the form again without acting.

    Only a non-empty value skips the count: the views treat such a post as a re-render, so
    adding the field to a real attempt cannot slip it past the limit.
    """
    return request.method == "POST" and not any(request.POST.get(name) for name in unless)


# What counts as an attempt at each action.
ATTEMPTS: dict[str, Callable[[HttpRequest, tuple[str, ...]], bool]] = {
    "signup": _sends_form,
    "login": _sends_form,
    "password_reset": _sends_form,
    "captcha_refresh": _asks_new_captcha,
    "upload": _carries_files,
    "registration": _sends_form,
    "claim": _sends_form,
}


def ip_key(group: str, request: HttpRequest) -> str:
    """The visitor's address; IPv6 by /64, what one subscriber is given (so not one count per address)."""
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR") or "")
    except ValueError:
        return "unknown"  # no address (a Unix socket without a trusted proxy): one count for all such requests
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


# The forms that name their account by the email typed, whoever is signed in.
_EMAIL_FORMS = {"signup", "login", "password_reset"}


def account_key(request: HttpRequest, action: str) -> str:
    """Whose attempt: on the sign-up, log-in and reset forms the email typed (any letter case).

    Elsewhere the member signed in, or for a visitor's "new question" on the sign-up form the
    email typed there; "" (only the address counts) when there is neither.
    """
    user = getattr(request, "user", None)
    if action not in _EMAIL_FORMS and user is not None and user.is_authenticated:
        return f"member:{user.pk}"
    email = request.POST.get("email", "").strip().lower()
    return f"email:{email}" if email and action in _EMAIL_FORMS | {"captcha_refresh"} else ""


def attempt_record(request: HttpRequest, *, action: str) -> int | None:
    """Count an attempt at `action`; the seconds to wait when it is over a limit, else None."""
    limits = settings.RATE_LIMITS.get(action, {})
    account = account_key(request, action)
    keys: dict[str, Key] = {"ip": ip_key, "account": lambda group, request: account}
    waits = []
    for scope, key in keys.items():
        rate = limits.get(scope)
        if not rate or (scope == "account" and not account):
            continue
        usage = get_usage(request, group=f"attempts:{action}:{scope}", key=key, rate=rate, increment=True)
        if usage is not None and usage["should_limit"]:
            waits.append(max(1, usage["time_left"]))
    return max(waits) if waits else None


def limited(action: str, *, unless: tuple[str, ...] = ()) -> Callable[[View], View]:
    """Wrap a view: attempts at `action` over the IP's or the account's limit get the 429 page.

    `unless`: the names of buttons that make the view only show the form again ("new_captcha",
    "change_region", "check"): such posts are not attempts at the action.
    """
    counts = ATTEMPTS[action]  # an unknown action fails when the URLs load, not on a request

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if counts(request, unless):
                wait = attempt_record(request, action=action)
                if wait is not None:
                    return rate_limited(request, retry_after=wait)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
