"""Rewards in the back office (included in the "backoffice" namespace by backoffice/urls.py)."""

from __future__ import annotations

from django.urls import path

from membercenter.backoffice.views import rewards
from membercenter.lib.ratelimit import limited

urlpatterns = [
    path("promotions/<int:pk>/rewards/", rewards.reward_list, name="rewards"),
    path("promotions/<int:pk>/rewards/new/", rewards.reward_create, name="reward_create"),
    path("rewards/<int:pk>/", rewards.reward_detail, name="reward"),
    path("rewards/<int:pk>/edit/", rewards.reward_edit, name="reward_edit"),
    path("rewards/<int:pk>/delete/", rewards.reward_delete, name="reward_delete"),
    path("rewards/<int:pk>/import/", limited("upload")(rewards.codes_import), name="codes_import"),
    path("rewards/grants/<int:pk>/resend/", rewards.grant_resend, name="grant_resend"),
    path("exports/", rewards.export_page, name="exports"),
    path("exports/claims.csv", rewards.export_claims, name="export_claims"),
]
