"""API routes of learning (included under /api/ by mofan/config/api_urls.py)."""

from typing import Any

from django.urls import path

from mofan.core.api import PlainRouter
from mofan.learning import api, api_manage

router = PlainRouter()
router.register("learning/materials", api.MaterialViewSet, basename="learning-material")

urlpatterns: list[Any] = [
    *router.urls,
    path("learning/readings/", api.ReadingView.as_view(), name="learning-reading"),
    path("learning/daily/<int:pk>/answer/", api.IssueAnswerView.as_view(), name="learning-issue-answer"),
    path("learning/points/me/", api.MyPointsView.as_view(), name="learning-my-points"),
    path("learning/boards/", api.BoardView.as_view(), name="learning-boards"),
    path("learning/points/rules/", api.RulesView.as_view(), name="learning-points-rules"),
    path("learning/books/", api.BookListView.as_view(), name="learning-books"),
    path("learning/books/<int:pk>/borrow/", api.BorrowView.as_view(), name="learning-book-borrow"),
    path("learning/loans/<int:pk>/return/", api.ReturnView.as_view(), name="learning-loan-return"),
    path("learning/manage/<str:what>/", api_manage.CreateView.as_view(), name="learning-manage-create"),
    path("learning/plans/<int:pk>/sessions/", api_manage.SessionView.as_view(), name="learning-plan-sessions"),
    path("learning/plans/<int:pk>/progress/", api_manage.PlanProgressView.as_view(), name="learning-plan-progress"),
    path("learning/daily/<int:pk>/progress/", api_manage.IssueProgressView.as_view(),
         name="learning-issue-progress"),
    path("learning/talent/<int:pk>/rounds/", api_manage.TalentRoundView.as_view(), name="learning-talent-rounds"),
    path("learning/talent/<int:pk>/selections/", api_manage.TalentSelectView.as_view(),
         name="learning-talent-selections"),
]
