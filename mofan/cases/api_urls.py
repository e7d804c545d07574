"""The cases API under /api/: each part registers its viewsets here (one line each)."""

from mofan.cases.api import CaseViewSet
from mofan.cases.api_ops import CalendarDayViewSet, CaseOperationViewSet, DispatchViewSet
from mofan.core.api import Router

router = Router(trailing_slash=True)
router.include_root_view = False
router.register("cases", CaseViewSet, basename="case")
router.register("case-ops", CaseOperationViewSet, basename="case-op")
router.register("dispatches", DispatchViewSet, basename="dispatch")
router.register("calendar-days", CalendarDayViewSet, basename="calendar-day")

urlpatterns = router.urls
