from django.urls import path

from mofan.twofactor import views

app_name = "twofactor"
urlpatterns = [
    path("", views.enroll, name="enroll"),
    path("verify/", views.verify, name="verify"),
    path("recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("reset/<int:pk>/", views.reset, name="reset"),
]
