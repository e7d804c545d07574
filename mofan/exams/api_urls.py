"""API routes of exams (included under /api/ by mofan/config/api_urls.py)."""

from typing import Any

urlpatterns: list[Any] = []
