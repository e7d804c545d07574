from typing import Any

app_name = "learning"

urlpatterns: list[Any] = []
