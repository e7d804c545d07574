from django.apps import AppConfig


class TwoFactorConfig(AppConfig):
    name = "mofan.twofactor"
    label = "twofactor"
    verbose_name = "two factors"

    def ready(self) -> None:
        from mofan.twofactor import checks  # noqa: F401  (registers the deploy check)
