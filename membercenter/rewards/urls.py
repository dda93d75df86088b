from __future__ import annotations

from django.urls import path

from membercenter.rewards import views

app_name = "rewards"

urlpatterns = [
    path("grants/<int:pk>/reveal/", views.reveal, name="reveal"),
    path("grants/<int:pk>/resend/", views.resend, name="resend"),
]
