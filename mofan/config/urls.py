from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

urlpatterns = [
    path("", include("mofan.core.urls")),
    path("accounts/2fa/", include("mofan.twofactor.urls")),
    path("accounts/", include("mofan.accounts.urls")),
    path("org/", include("mofan.org.urls")),
    path("audit/", include("mofan.audit.urls")),
    path("cases/", include("mofan.cases.urls")),
    path("open311/v2/", include("mofan.cases.open311_urls")),
    path("learning/questions/", include("mofan.questions.urls")),
    path("learning/exams/", include("mofan.exams.urls")),
    path("learning/contests/", include("mofan.contests.urls")),
    path("learning/", include("mofan.learning.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/2fa/", include("mofan.twofactor.api_urls")),
    path("api/", include("mofan.config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
]
