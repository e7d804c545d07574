"""Idle logout, forced password change and signed-in responses kept out of caches (level 3)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext as _

from mofan.accounts.sessions import JOB as IDLE_SWEEP
from mofan.accounts.sessions import LAST_SEEN, end_idle_request_session
from mofan.audit.context import RequestContext, reset_context, set_context
from mofan.audit.middleware import client_ip

__all__ = ["LAST_SEEN", "IdleTimeoutMiddleware", "PasswordChangeRequiredMiddleware", "PrivateResponseMiddleware"]


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


class IdleTimeoutMiddleware:
    """Signs a session out when it has been idle longer than MOFAN_IDLE_TIMEOUT_MINUTES, and audits it
    (IDLE_LOGOUT). The sessions nobody comes back to are ended by the idle sweep (mofan/accounts/sessions.py),
    which this middleware runs after a response in the embedded profile."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        IDLE_SWEEP.connect()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        IDLE_SWEEP.mark_due()
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            last = request.session.get(LAST_SEEN)
            limit = settings.MOFAN_IDLE_TIMEOUT_MINUTES * 60
            if last is not None and now - float(last) > limit:
                # The audit context is set further down the chain: give the row its address here.
                token = set_context(RequestContext(ip=client_ip(request),
                                                   user_agent=request.META.get("HTTP_USER_AGENT", "")[:200]))
                try:
                    end_idle_request_session(request, now - float(last))
                finally:
                    reset_context(token)
                logout(request)
                if _is_api(request):
                    return JsonResponse({"detail": _("Your session has expired. Please sign in again.")}, status=401)
                return redirect(f"{reverse(settings.LOGIN_URL)}?expired=1&next={request.path}")
            request.session[LAST_SEEN] = now
        return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    """Sends an account whose password must change (first sign-in, reset, expiry) to the change form."""

    ALLOWED = ("accounts:password_change", "accounts:logout", "set_language")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from mofan.accounts.services import password_change_due

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and password_change_due(user):
            allowed = {reverse(name) for name in self.ALLOWED}
            if request.path not in allowed and not request.path.startswith(settings.STATIC_URL):
                if _is_api(request):
                    return JsonResponse({"detail": _("You must change your password first.")}, status=403)
                return redirect("accounts:password_change")
        return self.get_response(request)


class PrivateResponseMiddleware:
    """剩余信息保护: a response to a signed-in session is never stored by the browser or a proxy (``no-store,
    private``), so what a person was shown — personal data, exports — does not stay behind on a shared PC after
    they sign out or are signed out."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        response = self.get_response(request)
        if signed_in:
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        return response
