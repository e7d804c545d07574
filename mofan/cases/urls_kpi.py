"""The KPI pages: /cases/kpi/ (the figures), their export, and the cases behind each figure."""

from django.urls import path

from mofan.cases import views_kpi

urlpatterns = [
    path("", views_kpi.kpi_dashboard, name="kpi"),
    path("export.xlsx", views_kpi.kpi_export, name="kpi_export"),
    path("<slug:key>/cases/", views_kpi.kpi_cases, name="kpi_cases"),
    path("<slug:key>/cases/export.xlsx", views_kpi.kpi_cases_export, name="kpi_cases_export"),
]
