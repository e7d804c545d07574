from django.urls import path

from mofan.accounts.api import AccountViewSet, AdminRequestViewSet
from mofan.accounts.reauth import ReauthAPIView
from mofan.audit.api import AuditLogViewSet
from mofan.cases.api_urls import urlpatterns as cases_api_urls
from mofan.contests.api_urls import urlpatterns as contests_api_urls
from mofan.core.api import Router
from mofan.exams.api_urls import urlpatterns as exams_api_urls
from mofan.learning.api_urls import urlpatterns as learning_api_urls
from mofan.org.api import PersonViewSet, UnitViewSet
from mofan.org.api_import import ImportViewSet
from mofan.questions.api_urls import urlpatterns as questions_api_urls

router = Router()
router.register("units", UnitViewSet, basename="unit")
router.register("people", PersonViewSet, basename="person")
router.register("imports", ImportViewSet, basename="import")
router.register("accounts/requests", AdminRequestViewSet, basename="admin-request")
router.register("accounts", AccountViewSet, basename="account")
router.register("audit", AuditLogViewSet, basename="audit")

# Before the router: "accounts/reauth/" would otherwise be read as the account with the id "reauth".
urlpatterns = ([path("accounts/reauth/", ReauthAPIView.as_view(), name="api-reauth")] + router.urls + cases_api_urls
               + questions_api_urls + exams_api_urls + contests_api_urls + learning_api_urls)
