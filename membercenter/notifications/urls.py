from __future__ import annotations

from django.urls import path

from membercenter.notifications import views

app_name = "inbox"

urlpatterns = [
    path("", views.inbox, name="list"),
    path("<int:pk>/", views.message, name="message"),
]
