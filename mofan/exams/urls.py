"""Pages of tests, mounted at /learning/exams/: the learner's (views) and the organiser's (views_manage)."""

from django.urls import path

from mofan.exams import views, views_manage

app_name = "exams"

urlpatterns = [
    path("", views.my_tests, name="my_tests"),
    path("<int:pk>/", views.paper_start_page, name="paper"),
    path("<int:pk>/start/", views.attempt_start, name="start"),
    path("attempts/<int:pk>/", views.attempt_page, name="attempt"),
    path("attempts/<int:pk>/submit/", views.attempt_submit, name="submit"),
    path("attempts/<int:pk>/result/", views.attempt_result, name="result"),
    path("manage/", views_manage.paper_list, name="manage"),
    path("manage/new/", views_manage.paper_new, name="manage_new"),
    path("manage/<int:pk>/", views_manage.paper_manage, name="manage_paper"),
    path("manage/<int:pk>/edit/", views_manage.paper_edit, name="manage_edit"),
    path("manage/<int:pk>/publish/", views_manage.paper_publish, name="manage_publish"),
    path("manage/<int:pk>/close/", views_manage.paper_close, name="manage_close"),
    path("manage/<int:pk>/analysis/", views_manage.paper_analysis, name="manage_analysis"),
    path("manage/<int:pk>/unfinished.xlsx", views_manage.unfinished_export, name="manage_unfinished"),
    path("manage/marking/", views_manage.marking_queue, name="marking"),
    path("manage/marking/<int:pk>/", views_manage.answer_mark, name="mark"),
]
