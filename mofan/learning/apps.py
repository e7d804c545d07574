from importlib import import_module
from importlib.util import find_spec

from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "mofan.learning"
    label = "learning"
    verbose_name = "learning"

    def ready(self) -> None:
        if find_spec(f"{self.name}.figures") is not None:  # register the app's figures (mofan.core.figures)
            import_module(f"{self.name}.figures")
        from mofan.exams.signals import attempt_submitted
        from mofan.learning.points import on_attempt_submitted

        attempt_submitted.connect(on_attempt_submitted, dispatch_uid="learning.points.attempt_submitted")
