"""Sign-in with lockout: after N failures in a row the account is locked for M minutes.

The user sees one generic message whatever went wrong (unknown user, wrong password, locked account).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from mofan.accounts import services


class LockoutModelBackend(ModelBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if not username or password is None:
            return None
        return services.login_attempt(username=username, password=password)

    def get_user(self, user_id: int) -> Any:
        user = super().get_user(user_id)
        return user if user is not None and not user.is_locked() else None
