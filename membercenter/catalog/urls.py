from __future__ import annotations

from django.urls import path

from membercenter.catalog import views

app_name = "catalog"

urlpatterns = [
    path("serial-number-help/", views.sn_help, name="sn_help"),
    path("categories/<slug:slug>/sn-help.png", views.sn_help_image, name="sn_help_image"),
]
