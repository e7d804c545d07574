from django.urls import path

from mofan.accounts import reauth, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change_view, name="password_change"),
    path("reauth/", reauth.reauth_view, name="reauth"),
    path("reauth/resume/", reauth.resume_view, name="reauth_resume"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/export.xlsx", views.user_export, name="user_export"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path("users/<int:pk>/grant/", views.user_grant, name="user_grant"),
    path("users/<int:pk>/roles/<int:membership_pk>/revoke/", views.user_revoke, name="user_revoke"),
    path("users/<int:pk>/unlock/", views.user_unlock, name="user_unlock"),
    path("users/<int:pk>/password/", views.user_password_reset, name="user_password_reset"),
    path("users/<int:pk>/deactivate/", views.user_deactivate, name="user_deactivate"),
    path("users/<int:pk>/request/", views.user_request, name="user_request"),
    path("requests/", views.request_list, name="request_list"),
    path("requests/<int:pk>/decide/", views.request_decide, name="request_decide"),
]
