"""API routes of exams (included under /api/ by mofan/config/api_urls.py); see ``exams.api``."""

from django.urls import path

from mofan.exams import api, api_manage

urlpatterns = [
    path("exams/papers/", api.PaperListView.as_view(), name="exams-api-papers"),
    path("exams/papers/<int:pk>/start/", api.AttemptStartView.as_view(), name="exams-api-start"),
    path("exams/attempts/<int:pk>/", api.AttemptView.as_view(), name="exams-api-attempt"),
    path("exams/attempts/<int:pk>/answers/", api.AnswerView.as_view(), name="exams-api-answer"),
    path("exams/attempts/<int:pk>/submit/", api.SubmitView.as_view(), name="exams-api-submit"),
    path("exams/attempts/<int:pk>/result/", api.ResultView.as_view(), name="exams-api-result"),
    path("exams/manage/papers/", api_manage.PaperListView.as_view(), name="exams-api-manage-papers"),
    path("exams/manage/papers/<int:pk>/", api_manage.PaperView.as_view(), name="exams-api-manage-paper"),
    path("exams/manage/papers/<int:pk>/publish/", api_manage.PaperStepView.as_view(action="publish"),
         name="exams-api-manage-publish"),
    path("exams/manage/papers/<int:pk>/close/", api_manage.PaperStepView.as_view(action="close"),
         name="exams-api-manage-close"),
    path("exams/manage/papers/<int:pk>/results/", api_manage.ResultsView.as_view(), name="exams-api-manage-results"),
    path("exams/manage/papers/<int:pk>/analysis/", api_manage.AnalysisView.as_view(),
         name="exams-api-manage-analysis"),
    path("exams/manage/papers/<int:pk>/unfinished/", api_manage.UnfinishedView.as_view(),
         name="exams-api-manage-unfinished"),
    path("exams/manage/marking/", api_manage.MarkingQueueView.as_view(), name="exams-api-manage-marking"),
    path("exams/manage/marking/<int:pk>/", api_manage.MarkView.as_view(), name="exams-api-manage-mark"),
]
