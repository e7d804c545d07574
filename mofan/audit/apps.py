from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "mofan.audit"
    label = "audit"
    verbose_name = "audit"

    def ready(self) -> None:
        from mofan.audit import checks  # noqa: F401  (registers the deploy checks)
