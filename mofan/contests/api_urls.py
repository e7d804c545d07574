"""API routes of contests (included under /api/ by mofan/config/api_urls.py)."""

from django.urls import path

from mofan.contests.api import AnswerView, CurrentQuestionView, LeaderboardView, ResultsView

urlpatterns = [
    path("contests/rounds/<int:pk>/leaderboard/", LeaderboardView.as_view(), name="contest-leaderboard"),
    path("contests/rounds/<int:pk>/results/", ResultsView.as_view(), name="contest-results"),
    path("contests/rounds/<int:pk>/current/", CurrentQuestionView.as_view(), name="contest-current"),
    path("contests/rounds/<int:pk>/answers/", AnswerView.as_view(), name="contest-answer"),
]
