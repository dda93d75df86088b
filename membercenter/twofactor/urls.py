from __future__ import annotations

from django.urls import path

from membercenter.twofactor import views

app_name = "twofactor"

urlpatterns = [
    path("", views.index, name="index"),
    path("setup/", views.setup, name="setup"),
    path("verify/", views.verify, name="verify"),
]
