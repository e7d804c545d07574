from typing import Any

app_name = "exams"

urlpatterns: list[Any] = []
