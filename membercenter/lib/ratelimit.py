"""Limits on failed attempts (log-in, CHK guesses), on django-ratelimit's cache counters.

Only failures are counted, so a member who gets it right is never slowed down; the
limit is reached once `rate` failures have been recorded in the window.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django_ratelimit.core import get_usage

Key = str | Callable[[str, HttpRequest], str]


def failures_exhausted(request: HttpRequest, *, group: str, key: Key, rate: str) -> bool:
    usage = get_usage(request, group=group, key=key, rate=rate, increment=False)
    return usage is not None and usage["count"] >= usage["limit"]


def failure_record(request: HttpRequest, *, group: str, key: Key, rate: str) -> None:
    get_usage(request, group=group, key=key, rate=rate, increment=True)
