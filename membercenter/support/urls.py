from __future__ import annotations

from django.urls import path

from membercenter.support import views

app_name = "support"

urlpatterns = [
    path("", views.history, name="history"),
    path("new/", views.new_request, name="new"),
    path("faq/", views.faq, name="faq"),
]
