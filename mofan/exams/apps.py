from importlib import import_module
from importlib.util import find_spec

from django.apps import AppConfig


class ExamsConfig(AppConfig):
    name = "mofan.exams"
    label = "exams"
    verbose_name = "exams"

    def ready(self) -> None:
        if find_spec(f"{self.name}.figures") is not None:  # register the app's figures (mofan.core.figures)
            import_module(f"{self.name}.figures")
