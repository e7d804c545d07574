from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "mofan.core"
    label = "core"
    verbose_name = "core"
