from __future__ import annotations

from django.urls import path

from membercenter.claims import views
from membercenter.lib.ratelimit import limited

# Redeem Again sends the claim anew, with new pictures (checked as they are chosen) and a captcha.
again = limited("upload")(limited("captcha_refresh")(limited("claim", unless=("new_captcha", "check"))(views.again)))

app_name = "claims"

urlpatterns = [
    path("", views.history, name="history"),
    path("<int:pk>/submitted/", views.submitted, name="submitted"),
    path("<int:pk>/again/", again, name="again"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/documents/<int:doc_pk>/", views.document, name="document"),
]
