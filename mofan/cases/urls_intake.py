"""Intake (收集), the public pages and the category catalogue. Included by ``mofan.cases.urls`` (namespace
``cases``)."""

from django.urls import path

from mofan.cases import views_intake as views

urlpatterns = [
    path("intake/", views.staff_intake, name="intake"),
    path("intake/grid/", views.grid_intake, name="intake_grid"),
    path("intake/category-options/", views.category_options, name="category_options"),
    path("categories/", views.category_list, name="categories"),
    path("categories/export.xlsx", views.category_export, name="category_export"),
    path("categories/template.xlsx", views.category_template, name="category_template"),
    path("report/", views.public_report, name="report"),
    path("report/villages/", views.public_villages, name="report_villages"),
    path("report/done/", views.public_report_done, name="report_done"),
    path("track/", views.track_lookup, name="track"),
    path("track/<str:code>/", views.track_status, name="track_status"),
]
