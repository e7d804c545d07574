from typing import Any

app_name = "contests"

urlpatterns: list[Any] = []
