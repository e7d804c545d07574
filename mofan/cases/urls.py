"""Case pages. Each part of the case work has its own URL module (and its own owner): intake (收集 and the
public form), operations on a case, the workbench and case page, and the KPIs."""

from django.urls import include, path

app_name = "cases"
urlpatterns = [
    path("", include("mofan.cases.urls_work")),
    path("", include("mofan.cases.urls_intake")),
    path("", include("mofan.cases.urls_ops")),
    path("kpi/", include("mofan.cases.urls_kpi")),
]
