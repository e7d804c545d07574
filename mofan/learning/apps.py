from mofan.core.figures import FiguresAppConfig


class LearningConfig(FiguresAppConfig):
    default = True  # apps.py also imports FiguresAppConfig, so say which config is the app's
    name = "mofan.learning"
    label = "learning"
    verbose_name = "learning"

    def ready(self) -> None:
        super().ready()
        from mofan.exams.signals import attempt_submitted
        from mofan.learning.points import on_attempt_submitted

        attempt_submitted.connect(on_attempt_submitted, dispatch_uid="learning.points.attempt_submitted")
