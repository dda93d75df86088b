from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from membercenter.lib.views import brand_css_version


def brand(request: HttpRequest) -> dict[str, object]:
    return {
        "BRAND_NAME": settings.BRAND_NAME,
        "BRAND_LOGO_URL": settings.BRAND_LOGO_URL,
        "BRAND_PRIMARY_COLOR": settings.BRAND_PRIMARY_COLOR,
        "BRAND_ACCENT_COLOR": settings.BRAND_ACCENT_COLOR,
        "BRAND_CSS_VERSION": brand_css_version(),
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
    }
