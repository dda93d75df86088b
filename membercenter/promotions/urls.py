from __future__ import annotations

from django.urls import path

from membercenter.lib.ratelimit import limited
from membercenter.promotions import views

app_name = "promotions"

urlpatterns = [
    path("", views.promotion_list, name="list"),
    path("<slug:slug>/", limited("upload")(views.redeem), name="redeem"),
    path(
        "<slug:slug>/confirm/",
        limited("captcha_refresh")(limited("claim", unless=("new_captcha",))(views.confirm)),
        name="confirm",
    ),
    path("<slug:slug>/banner/", views.banner, name="banner"),
]
