from __future__ import annotations

from django.urls import path

from membercenter.promotions import views

app_name = "promotions"

urlpatterns = [
    path("", views.promotion_list, name="list"),
    path("<slug:slug>/", views.redeem, name="redeem"),
    path("<slug:slug>/confirm/", views.confirm, name="confirm"),
    path("<slug:slug>/banner/", views.banner, name="banner"),
]
