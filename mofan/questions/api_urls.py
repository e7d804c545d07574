"""API routes of questions (included under /api/ by mofan/config/api_urls.py)."""

from typing import Any

urlpatterns: list[Any] = []
