from django.urls import path

from mofan.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.log_list, name="log_list"),
    path("export.csv", views.log_export, {"file_format": "csv"}, name="log_export_csv"),
    path("verify/", views.chain_verify, name="chain_verify"),
    path("export.xlsx", views.log_export, {"file_format": "xlsx"}, name="log_export_xlsx"),
]
