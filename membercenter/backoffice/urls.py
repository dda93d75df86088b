from __future__ import annotations

app_name = "backoffice"

urlpatterns: list = []
