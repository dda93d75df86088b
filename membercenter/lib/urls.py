from __future__ import annotations

from django.conf import settings
from django.urls import reverse


def absolute_url(name: str, *args: object) -> str:
    """A link for an email: SITE_URL plus the named route."""
    return settings.SITE_URL + reverse(name, args=args)
