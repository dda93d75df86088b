from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def absolute_url(name: str, *args: object) -> str:
    """A link for an email: SITE_URL plus the named route."""
    return settings.SITE_URL + reverse(name, args=args)


def safe_next(request: HttpRequest, url: str) -> str:
    """`url` (a `next` parameter) only when it stays on this site, else "": no crafted link sends anyone elsewhere."""
    allowed = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if allowed else ""
