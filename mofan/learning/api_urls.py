"""API routes of learning (included under /api/ by mofan/config/api_urls.py)."""

from typing import Any

urlpatterns: list[Any] = []
