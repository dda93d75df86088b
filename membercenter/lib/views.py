from __future__ import annotations

import hashlib
import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:overview")
    return render(request, "home.html")


def brand_css_text() -> str:
    """The brand's colours as CSS variables (settings, checked to be plain hex colours at start-up)."""
    return f":root{{--brand:{settings.BRAND_PRIMARY_COLOR};--accent:{settings.BRAND_ACCENT_COLOR}}}\n"


def brand_css_version() -> str:
    """Part of the stylesheet's address, so a colour change reaches browsers despite the long cache."""
    return hashlib.sha256(brand_css_text().encode()).hexdigest()[:12]


@require_GET
def brand_css(request: HttpRequest, version: str) -> HttpResponse:
    """A stylesheet rather than an inline <style>, so the Content-Security-Policy allows no inline style."""
    response = HttpResponse(brand_css_text(), content_type="text/css; charset=utf-8")
    if version == brand_css_version():
        response["Cache-Control"] = "public, max-age=31536000, immutable"
    else:  # an old address (colours changed since): the current colours, not cached
        response["Cache-Control"] = "no-cache"
    return response


def rate_limited(
    request: HttpRequest, exception: Exception | None = None, *, retry_after: int | None = None
) -> HttpResponse:
    """The "too many attempts" page in the member's language, with how long to wait when it is known.

    An htmx request (a picture's check) gets only the message, added at the top of the part
    of the page it was to replace, so the member sees it there instead of nothing.
    """
    context = {"minutes": math.ceil(retry_after / 60) if retry_after else None}
    if getattr(request, "htmx", False):
        response = render(request, "429_message.html", context, status=429)
        response["HX-Reselect"] = "#too-many-attempts"
        response["HX-Reswap"] = "afterbegin"
    else:
        response = render(request, "429.html", context, status=429)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "403_csrf.html", status=403)


def floor(request: HttpRequest) -> HttpResponse:
    """The framework's floor for the load test: every middleware, no query of ours, no template.

    Served only when LOADTEST_FLOOR is set, so that `make loadtest` can compare each page
    with what the same stack does for nothing (docs/performance.md).
    """
    return HttpResponse(b"ok", content_type="text/plain")
