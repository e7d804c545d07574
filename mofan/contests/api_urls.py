"""API routes of contests (included under /api/ by mofan/config/api_urls.py)."""

from django.urls import path

from mofan.contests import api_manage as manage
from mofan.contests.api import AnswerView, CurrentQuestionView, LeaderboardView, ResultsView

urlpatterns = [
    path("contests/competitions/", manage.CompetitionListView.as_view(), name="contest-competitions"),
    path("contests/competitions/<int:pk>/", manage.CompetitionView.as_view(), name="contest-competition"),
    path("contests/competitions/<int:pk>/rounds/", manage.RoundCreateView.as_view(), name="contest-rounds"),
    path("contests/rounds/<int:pk>/heats/", manage.HeatCreateView.as_view(), name="contest-heats"),
    path("contests/rounds/<int:pk>/heats/schedule/", manage.HeatScheduleView.as_view(), name="contest-heats-schedule"),
    path("contests/rounds/<int:pk>/draw/", manage.DrawView.as_view(), name="contest-draw"),
    path("contests/rounds/<int:pk>/enrol/", manage.EnrolView.as_view(), name="contest-enrol"),
    path("contests/rounds/<int:pk>/open/", manage.RoundStateView.as_view(action="open"), name="contest-open"),
    path("contests/rounds/<int:pk>/close/", manage.RoundStateView.as_view(action="close"), name="contest-close"),
    path("contests/rounds/<int:pk>/qualify/", manage.RoundStateView.as_view(action="qualify"),
         name="contest-qualify"),
    path("contests/rounds/<int:pk>/live/", manage.LiveOpenView.as_view(), name="contest-live"),
    path("contests/rounds/<int:pk>/leaderboard/", LeaderboardView.as_view(), name="contest-leaderboard"),
    path("contests/rounds/<int:pk>/results/", ResultsView.as_view(), name="contest-results"),
    path("contests/rounds/<int:pk>/current/", CurrentQuestionView.as_view(), name="contest-current"),
    path("contests/rounds/<int:pk>/answers/", AnswerView.as_view(), name="contest-answer"),
]
