from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "mofan.cases"
    label = "cases"
    verbose_name = "cases"
