from django.urls import path

from mofan.questions import views

app_name = "questions"

urlpatterns = [
    path("", views.bank_list, name="bank_list"),
    path("new/", views.bank_create, name="bank_create"),
    path("<int:pk>/", views.bank_detail, name="bank_detail"),
    path("<int:pk>/edit/", views.bank_edit, name="bank_edit"),
    path("<int:pk>/export.<str:fmt>", views.bank_export, name="bank_export"),
    path("<int:pk>/questions/new/", views.question_create, name="question_create"),
    path("<int:pk>/questions/<int:question_pk>/edit/", views.question_edit, name="question_edit"),
    path("<int:pk>/questions/<int:question_pk>/active/", views.question_active, name="question_active"),
    path("<int:pk>/import/", views.import_page, name="import"),
    path("template.<str:fmt>", views.import_template, name="import_template"),
    path("jobs/<int:pk>/", views.job_detail, name="job_detail"),
    path("jobs/<int:pk>/progress/", views.job_progress_fragment, name="job_progress"),
    path("jobs/<int:pk>/errors.xlsx", views.job_errors, name="job_errors"),
]
