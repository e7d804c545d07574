from typing import Any

app_name = "questions"

urlpatterns: list[Any] = []
