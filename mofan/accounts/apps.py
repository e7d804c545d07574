from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "mofan.accounts"
    label = "accounts"
    verbose_name = "accounts"

    def ready(self) -> None:
        from mofan.accounts import (
            checks,  # noqa: F401  (registers the level-3 system checks)
            sessions,  # noqa: F401  (every sign-in starts the idle clock: user_logged_in)
        )
