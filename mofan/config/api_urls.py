from rest_framework.routers import DefaultRouter

from mofan.accounts.api import AccountViewSet
from mofan.audit.api import AuditLogViewSet
from mofan.cases.api_urls import urlpatterns as cases_api_urls
from mofan.org.api import PersonViewSet, UnitViewSet
from mofan.org.api_import import ImportViewSet

router = DefaultRouter()
router.register("units", UnitViewSet, basename="unit")
router.register("people", PersonViewSet, basename="person")
router.register("imports", ImportViewSet, basename="import")
router.register("accounts", AccountViewSet, basename="account")
router.register("audit", AuditLogViewSet, basename="audit")

urlpatterns = router.urls + cases_api_urls
