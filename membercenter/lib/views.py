from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:overview")
    return render(request, "home.html")


def rate_limited(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "429.html", status=429)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "403_csrf.html", status=403)


def floor(request: HttpRequest) -> HttpResponse:
    """The framework's floor for the load test: every middleware, no query of ours, no template.

    Served only when LOADTEST_FLOOR is set, so that `make loadtest` can compare each page
    with what the same stack does for nothing (docs/performance.md).
    """
    return HttpResponse(b"ok", content_type="text/plain")
