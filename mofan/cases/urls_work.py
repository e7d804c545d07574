"""The 工作台 (workbench) and the case page."""

from django.urls import path

from mofan.cases import views_work

urlpatterns = [
    path("", views_work.workbench, name="workbench"),
    path("<int:pk>/", views_work.case_detail, name="case_detail"),
    path("<int:pk>/reporter/", views_work.reporter_reveal, name="case_reporter_reveal"),
    path("<int:pk>/attachments/<int:attachment_pk>/", views_work.attachment_download, name="case_attachment"),
]
