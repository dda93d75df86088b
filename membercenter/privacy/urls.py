from __future__ import annotations

from django.urls import path

from membercenter.privacy import views

app_name = "privacy"

urlpatterns = [
    path("download/", views.export, name="export"),
    path("delete/", views.delete, name="delete"),
]
