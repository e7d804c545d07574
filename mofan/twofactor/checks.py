"""``mofan check --deploy`` fails when the second factor is off for administrators (level 3)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register

MIDDLEWARE = "mofan.twofactor.middleware.TwoFactorMiddleware"


@register(Tags.security, deploy=True)
def check_admin_two_factor(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors: list[Error] = []
    if not getattr(settings, "MOFAN_ADMIN_2FA", False):
        errors.append(Error("Administrators must sign in with two factors (MOFAN_ADMIN_2FA is off).",
                            id="mofan.E030"))
    middleware = list(settings.MIDDLEWARE)
    if MIDDLEWARE not in middleware:
        errors.append(Error("The two-factor middleware is not installed.", id="mofan.E031"))
    elif "django.contrib.auth.middleware.AuthenticationMiddleware" not in middleware or (
        middleware.index(MIDDLEWARE) < middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware")
    ):
        errors.append(Error("The two-factor middleware must come after the authentication middleware.",
                            id="mofan.E032"))
    return errors
