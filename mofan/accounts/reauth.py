"""Re-authentication before sensitive actions (level 3: 重要操作前再次鉴别).

Unmasking personal data, exports of personal data and role grants or revokes need the signed-in person to
have confirmed who they are within the last ``MOFAN_REAUTH_MINUTES``: their password again and, when they
have an authenticator, its code. The session records when (``REAUTH_AT``); signing in does not count, so
a session left open or taken over cannot unmask or export without the password (and the second factor).

- ``require_recent_auth(request)`` raises ``ReauthRequired`` when the confirmation is missing or too old.
  The API answers it with a 403 ``{"code": "reauth_required", …}`` (a DRF exception); pages are sent to
  ``/accounts/reauth/?next=…`` by ``ReauthMiddleware`` (HTMX requests through ``HX-Redirect``).
- ``@recent_auth_required`` does the same for a whole page view (an export).
- Nothing typed is lost: a page POST interrupted so keeps its non-secret fields in the session (bounded, never
  a password, code or token: ``keep_interrupted_post``); after the confirmation ``/accounts/reauth/resume/``
  shows them as hidden inputs with a fresh CSRF token and a 继续 button that sends them to where they were going
  (the view then answers as to the first POST: an error re-fills the form, a success carries the action out).
- The confirmation itself: the page ``/accounts/reauth/`` and ``POST /api/accounts/reauth/``. A wrong
  password counts towards the lockout exactly as at sign-in (``services.login_attempt``), a wrong code as
  at the sign-in code step (``twofactor.services.check_code``); both are audited (``REAUTH_FAILED`` beside
  the policy's own rows), and a session whose account gets locked is signed out.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, NoReturn
from urllib.parse import urlencode, urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from mofan.accounts import services
from mofan.audit.events import AuditEvent
from mofan.audit.services import audit_record
from mofan.twofactor import services as twofactor
from mofan.twofactor.session import mark_verified

REAUTH_AT = "mofan_reauth_at"  # seconds since the epoch of the last successful re-authentication
REAUTH_REQUIRED = "reauth_required"


def window_seconds() -> int:
    return int(settings.MOFAN_REAUTH_MINUTES) * 60


def recent_auth_until(request: HttpRequest) -> float | None:
    """Until when (epoch seconds) the session's last re-authentication holds, or None when it does not."""
    value = request.session.get(REAUTH_AT)
    if value is None:
        return None
    try:
        at = float(value)
    except (TypeError, ValueError):
        return None
    now = time.time()
    until = at + window_seconds()
    return until if at <= now <= until else None


def has_recent_auth(request: HttpRequest) -> bool:
    return recent_auth_until(request) is not None


def _message() -> str:
    return _("Confirm your identity first: enter your password (and your authenticator code) again. "
             "Unmasking personal data, exporting it and granting roles need a confirmation from the last "
             "%(minutes)s minutes.") % {"minutes": settings.MOFAN_REAUTH_MINUTES}


class ReauthRequired(exceptions.PermissionDenied):
    """A sensitive action without a recent re-authentication: 403 ``reauth_required`` on the API, a redirect
    to the re-authentication page for pages (``ReauthMiddleware``)."""

    default_code = REAUTH_REQUIRED

    def __init__(self) -> None:
        super().__init__(detail={
            "detail": _message(),
            "code": REAUTH_REQUIRED,
            "reauth_url": reverse("api-reauth"),
        }, code=REAUTH_REQUIRED)


def require_recent_auth(request: HttpRequest) -> None:
    """Refuse (``ReauthRequired``) unless the session re-authenticated within MOFAN_REAUTH_MINUTES."""
    if not has_recent_auth(request):
        raise ReauthRequired()


def recent_auth_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page view that as a whole is a sensitive action (an export of personal data)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        require_recent_auth(request)
        return view(request, *args, **kwargs)

    return wrapped


# Sending pages to the re-authentication page ----------------------------------------------------------

def _local(url: str, request: HttpRequest) -> str:
    """``url`` as a path on this site, or "" when it points elsewhere."""
    if not url or not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                                       require_https=request.is_secure()):
        return ""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _return_to(request: HttpRequest) -> str:
    """Where to come back after confirming: the page itself for a plain GET (an export starts again), else
    the page the person was on (a POST cannot be repeated by a redirect; they press the button again)."""
    if request.headers.get("HX-Request"):
        return _local(request.headers.get("HX-Current-URL", ""), request)
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    return _local(request.META.get("HTTP_REFERER", ""), request)


def reauth_url(next_url: str = "") -> str:
    base = reverse("accounts:reauth")
    return f"{base}?{urlencode({'next': next_url}, safe='/')}" if next_url else base


# Keeping what the person typed --------------------------------------------------------------------------

RESUME = "mofan_reauth_resume"  # the interrupted POST: {"action", "next", "fields", "at"}
RESUME_MAX_FIELDS = 100
RESUME_MAX_CHARS = 16_000  # names and values together; a bigger form is not kept (the session stays small)
# Never kept: passwords, authenticator or recovery codes, tokens, secrets (they are typed again).
SECRET_FIELD = re.compile(r"pass|pwd|secret|token|csrf|otp|recovery|^code$", re.IGNORECASE)


def keep_interrupted_post(request: HttpRequest, return_to: str) -> bool:
    """Keep the non-secret fields of a page POST that needs re-authentication, for ``resume_view``; False when
    there is nothing to keep (not a POST, a file upload, too big). One at a time: the last interrupted wins."""
    request.session.pop(RESUME, None)
    if request.method != "POST" or request.FILES:
        return False
    fields = [(name, value) for name, values in request.POST.lists() if not SECRET_FIELD.search(name)
              for value in values]
    if len(fields) > RESUME_MAX_FIELDS or sum(len(n) + len(v) for n, v in fields) > RESUME_MAX_CHARS:
        return False
    request.session[RESUME] = {"action": request.get_full_path(), "next": return_to, "fields": fields,
                               "at": time.time()}
    return True


def _pending_resume(request: HttpRequest, next_url: str) -> dict[str, Any] | None:
    """The kept POST that this confirmation interrupted (same way back, kept within the re-authentication
    window), else None."""
    kept = request.session.get(RESUME)
    if not isinstance(kept, dict) or kept.get("next", "") != next_url:
        return None
    try:
        fresh = 0 <= time.time() - float(kept.get("at", 0)) <= window_seconds()
    except (TypeError, ValueError):
        fresh = False
    action = str(kept.get("action", ""))
    if not fresh or not action.startswith("/") or action.startswith("//"):
        return None
    return kept


def reauth_redirect(request: HttpRequest) -> HttpResponse:
    return_to = _return_to(request)
    keep_interrupted_post(request, return_to)
    target = reauth_url(return_to)
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


class ReauthMiddleware:
    """Turns ``ReauthRequired`` raised by a page view into the way to the re-authentication page (the API's
    DRF views answer it themselves with a 403)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ReauthRequired):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse(exception.detail, status=exception.status_code)
        messages.info(request, _message())
        return reauth_redirect(request)


# The confirmation ---------------------------------------------------------------------------------------

class AccountLocked(ValidationError):
    """The wrong password or code locked the account; the session has been signed out."""


def reauthenticate(request: HttpRequest, *, password: str, code: str = "") -> float:
    """Check the signed-in person's authenticator code (when they have one) and password; on success the
    session records the time, and until when it holds is returned. Raises ValidationError (field-keyed) on a
    wrong value and ``AccountLocked`` when the failure locked the account (the session is then signed out).

    The code is checked first: a right password clears the failure count (as at sign-in), so checking it
    before a wrong code would let the codes be guessed without ever reaching the lockout."""
    user: Any = request.user
    method = ""
    if twofactor.has_device(user):
        if not code.strip():
            raise ValidationError({"code": _("Enter the 6-digit code from your authenticator app, or a "
                                             "recovery code.")})
        method = twofactor.check_code(user=user, code=code) or ""
        if not method:
            _refuse(request, user, "code", {"code": _("The code is not correct or was already used.")})
    if services.login_attempt(username=user.get_username(), password=password) is None:
        _refuse(request, user, "password", {"password": _("The password is not correct.")})
    if method:
        mark_verified(request, method)
        twofactor.record_verified(user=user, method=method, purpose="reauth")
    now = time.time()
    request.session[REAUTH_AT] = now
    audit_record(actor=user, event=AuditEvent.REAUTHENTICATED, target=user)
    return now + window_seconds()


def _refuse(request: HttpRequest, user: Any, what: str, errors: dict[str, str]) -> NoReturn:
    user.refresh_from_db(fields=["is_active", "locked_until", "failed_logins"])
    locked = not user.is_active or user.is_locked()
    audit_record(actor=user, event=AuditEvent.REAUTH_FAILED, target=user, success=False,
                 note=f"{what}; locked" if locked else what)
    if locked:
        services.record_logout(user=user)
        logout(request)
        raise AccountLocked(_("Too many wrong attempts: the account is locked for %(minutes)s minutes and you "
                              "have been signed out.") % {"minutes": settings.MOFAN_LOCKOUT_MINUTES})
    raise ValidationError(errors)


class ReauthForm(forms.Form):
    password = forms.CharField(label=gettext_lazy("Password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password",
                                                                 "autofocus": True}))
    code = forms.CharField(label=gettext_lazy("Authenticator code"), required=False, max_length=20,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
                           help_text=gettext_lazy("The 6-digit code your authenticator app shows now, or one of "
                                                  "your recovery codes."))

    def __init__(self, *args: Any, needs_code: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if needs_code:
            self.fields["code"].required = True
        else:
            del self.fields["code"]


def _safe_next(request: HttpRequest) -> str:
    raw = request.POST.get("next") or request.GET.get("next") or ""
    return _local(raw, request) if raw.startswith("/") and not raw.startswith("//") else ""


@login_required
def reauth_view(request: HttpRequest) -> HttpResponse:
    """再次验证身份: the password (and the authenticator code) again, then back to where the person was."""
    next_url = _safe_next(request)
    needs_code = twofactor.has_device(request.user)
    form = ReauthForm(request.POST or None, needs_code=needs_code)
    if request.method == "POST" and form.is_valid():
        try:
            reauthenticate(request, password=form.cleaned_data["password"],
                           code=form.cleaned_data.get("code", ""))
        except AccountLocked as exc:
            messages.error(request, exc.messages[0])
            return redirect("accounts:login")
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Identity confirmed. For the next %(minutes)s minutes you can unmask and "
                                        "export personal data without confirming again.")
                             % {"minutes": settings.MOFAN_REAUTH_MINUTES})
            if _pending_resume(request, next_url) is not None:
                return redirect("accounts:reauth_resume")
            return redirect(next_url or "core:home")
    return render(request, "accounts/reauth.html", {
        "form": form, "next": next_url, "needs_code": needs_code, "minutes": settings.MOFAN_REAUTH_MINUTES,
        "attempts": settings.MOFAN_LOCKOUT_ATTEMPTS, "lockout": settings.MOFAN_LOCKOUT_MINUTES,
        "kept": _pending_resume(request, next_url) is not None,
    })


@login_required
def resume_view(request: HttpRequest) -> HttpResponse:
    """继续: the interrupted POST's kept fields as hidden inputs, with a fresh CSRF token, sent on by the person
    (never automatically). Shown once; without a kept POST, back to the home page."""
    kept = request.session.get(RESUME)
    kept = _pending_resume(request, str(kept.get("next", ""))) if isinstance(kept, dict) else None
    request.session.pop(RESUME, None)
    if kept is None:
        return redirect("core:home")
    fields = [(str(name), str(value)) for name, value in kept.get("fields", [])]
    return render(request, "accounts/reauth_resume.html", {
        "action": kept["action"], "fields": fields, "next": kept.get("next", ""),
        "recent": has_recent_auth(request),
    })


# The API ------------------------------------------------------------------------------------------------

class ReauthSerializer(serializers.Serializer):
    password = serializers.CharField(trim_whitespace=False, max_length=4096, write_only=True,
                                     style={"input_type": "password"})
    code = serializers.CharField(required=False, allow_blank=True, default="", max_length=20, write_only=True,
                                 help_text="The authenticator code (or a recovery code); required when the account "
                                           "has an authenticator.")


def _state(request: HttpRequest) -> dict[str, Any]:
    until = recent_auth_until(request)
    return {
        "recent": until is not None,
        "until": timezone.localtime(datetime.fromtimestamp(until, tz=timezone.get_current_timezone())).isoformat()
        if until is not None else None,
        "minutes": settings.MOFAN_REAUTH_MINUTES,
        "needs_code": twofactor.has_device(request.user),
    }


_STATE = inline_serializer("ReauthState", {
    "recent": serializers.BooleanField(),
    "until": serializers.DateTimeField(allow_null=True),
    "minutes": serializers.IntegerField(),
    "needs_code": serializers.BooleanField(),
})


class ReauthAPIView(APIView):
    """Re-authentication for sensitive API actions: GET tells whether the session holds a recent one; POST
    the password (and ``code`` when the account has an authenticator) confirms the identity for
    MOFAN_REAUTH_MINUTES. A wrong value is a 400 and counts towards the lockout like a failed sign-in; the
    failure that locks the account is a 401 ``account_locked`` and ends the session."""

    @extend_schema(tags=["accounts"], responses={200: _STATE})
    def get(self, request: Request) -> Response:
        return Response(_state(request))

    @extend_schema(tags=["accounts"], request=ReauthSerializer,
                   responses={200: _STATE, 400: OpenApiTypes.OBJECT, 401: OpenApiTypes.OBJECT})
    def post(self, request: Request) -> Response:
        data = ReauthSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            reauthenticate(request._request, password=data.validated_data["password"],
                           code=data.validated_data["code"])
        except AccountLocked as exc:
            return Response({"detail": exc.messages[0], "code": "account_locked"}, status=401)
        return Response(_state(request))
