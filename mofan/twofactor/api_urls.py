from django.urls import path

from mofan.twofactor import api

app_name = "twofactor_api"
urlpatterns = [
    path("status/", api.status, name="status"),
    path("enroll/", api.enroll, name="enroll"),
    path("confirm/", api.confirm, name="confirm"),
    path("recovery-codes/", api.recovery_codes, name="recovery_codes"),
    path("reset/<int:pk>/", api.reset, name="reset"),
]
