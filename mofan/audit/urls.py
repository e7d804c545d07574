from django.urls import path

from mofan.audit import views

app_name = "audit"
urlpatterns = [path("", views.log_list, name="log_list")]
