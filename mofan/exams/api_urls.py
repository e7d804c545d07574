"""API routes of exams (included under /api/ by mofan/config/api_urls.py); see ``exams.api``."""

from django.urls import path

from mofan.exams import api

urlpatterns = [
    path("exams/papers/", api.PaperListView.as_view(), name="exams-api-papers"),
    path("exams/papers/<int:pk>/start/", api.AttemptStartView.as_view(), name="exams-api-start"),
    path("exams/attempts/<int:pk>/", api.AttemptView.as_view(), name="exams-api-attempt"),
    path("exams/attempts/<int:pk>/answers/", api.AnswerView.as_view(), name="exams-api-answer"),
    path("exams/attempts/<int:pk>/submit/", api.SubmitView.as_view(), name="exams-api-submit"),
    path("exams/attempts/<int:pk>/result/", api.ResultView.as_view(), name="exams-api-result"),
]
