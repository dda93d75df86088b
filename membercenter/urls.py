from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from membercenter.lib import health, metrics
from membercenter.lib import views as lib_views

admin.site.site_header = admin.site.site_title = "Member Center — staff"

urlpatterns = [
    path("", lib_views.home, name="home"),
    path("brand-<str:version>.css", lib_views.brand_css, name="brand_css"),
    path("accounts/privacy/", include("membercenter.privacy.urls")),
    path("accounts/", include("membercenter.accounts.urls")),
    path("products/", include("membercenter.products.urls")),
    path("catalog/", include("membercenter.catalog.urls")),
    path("support/", include("membercenter.support.urls")),
    path("staff/2fa/", include("membercenter.twofactor.urls")),
    path("staff/", include("membercenter.backoffice.urls")),
    path("promotions/", include("membercenter.promotions.urls")),
    path("redeem-history/", include("membercenter.claims.urls")),
    path("inbox/", include("membercenter.notifications.urls")),
    path("uploads/", include("membercenter.evidence.urls")),
    path("rewards/", include("membercenter.rewards.urls")),
    path("admin/", admin.site.urls),
    # Answered by membercenter.lib.health.ProbeMiddleware before any other middleware;
    # routed too, so that they have names and work if that middleware is left out.
    path("health/", health.health, name="health"),
    path("metrics", metrics.metrics, name="metrics"),
]

if settings.LOADTEST_FLOOR:
    urlpatterns.append(path("_floor/", lib_views.floor, name="floor"))
