"""The second factor on every request (after the forced password change).

A signed-in session that has not passed the second factor is held on one page until it does:
- an account with an authenticator gives its code (a session signed in before the device was enrolled
  elsewhere, or any other way in that skipped the code step);
- an administrator without one (MOFAN_ADMIN_2FA on) enrolls first and can use nothing else meanwhile.
API requests of such a session get a 403 with a message. A verified session costs no query here, any other one
query.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from mofan.twofactor import services
from mofan.twofactor.session import is_verified

ALWAYS_ALLOWED = ("accounts:password_change", "accounts:logout", "accounts:login", "set_language")
ENROLL_ALLOWED = ("twofactor:enroll", "twofactor_api:status", "twofactor_api:enroll", "twofactor_api:confirm")
VERIFY_ALLOWED = ("twofactor:verify",)


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or is_verified(request):
            return self.get_response(request)
        if request.path.startswith(settings.STATIC_URL) or request.path in _paths(ALWAYS_ALLOWED):
            return self.get_response(request)
        has_device, device_required = services.device_state(user)
        if has_device:
            if request.path in _paths(VERIFY_ALLOWED):
                return self.get_response(request)
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": _("Enter the code of your authenticator first (two-factor "
                                                 "authentication).")}, status=403)
            return redirect(f"{reverse('twofactor:verify')}?next={request.path}")
        if device_required:
            if request.path in _paths(ENROLL_ALLOWED):
                return self.get_response(request)
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": _("Administrators must enroll an authenticator (two-factor "
                                                 "authentication) before anything else.")}, status=403)
            return redirect("twofactor:enroll")
        return self.get_response(request)


def _paths(names: tuple[str, ...]) -> set[str]:
    return {reverse(name) for name in names}
