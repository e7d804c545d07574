"""API routes of questions (included under /api/ by mofan/config/api_urls.py)."""

from mofan.core.api import Router
from mofan.questions.api import BankViewSet, ImportJobViewSet, QuestionViewSet

router = Router(trailing_slash=True)
router.include_root_view = False
router.register("question-banks", BankViewSet, basename="question-bank")
router.register(r"question-banks/(?P<bank_pk>[0-9]{1,19})/questions", QuestionViewSet, basename="question")
router.register("question-import-jobs", ImportJobViewSet, basename="question-import-job")

urlpatterns = router.urls
