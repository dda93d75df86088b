from __future__ import annotations

from django.urls import path

from membercenter.evidence import views

app_name = "evidence"

urlpatterns = [path("<uuid:pk>/", views.upload_image, name="upload")]
