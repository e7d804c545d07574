from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "mofan.org"
    label = "org"
    verbose_name = "org"
