"""The cases API under /api/: each part registers its viewsets here (one line each)."""

from rest_framework.routers import DefaultRouter

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False

urlpatterns = router.urls
