from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "mofan.audit"
    label = "audit"
    verbose_name = "audit"
