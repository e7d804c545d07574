"""API routes of learning (included under /api/ by mofan/config/api_urls.py)."""

from typing import Any

from django.urls import path
from rest_framework.routers import SimpleRouter

from mofan.learning import api

router = SimpleRouter()
router.register("learning/materials", api.MaterialViewSet, basename="learning-material")

urlpatterns: list[Any] = [
    *router.urls,
    path("learning/readings/", api.ReadingView.as_view(), name="learning-reading"),
    path("learning/daily/<int:pk>/answer/", api.IssueAnswerView.as_view(), name="learning-issue-answer"),
    path("learning/points/me/", api.MyPointsView.as_view(), name="learning-my-points"),
    path("learning/boards/", api.BoardView.as_view(), name="learning-boards"),
]
