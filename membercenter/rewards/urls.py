from __future__ import annotations

app_name = "rewards"

urlpatterns: list = []
