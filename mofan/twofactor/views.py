"""Pages of the second factor: the code step of the sign-in, enrollment (and the account's 2FA page),
recovery codes, and the reset of a user's authenticator by the security administrator."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mofan.accounts import services as account_services
from mofan.accounts.models import User
from mofan.twofactor import services, session, totp
from mofan.twofactor.forms import CodeForm, ConfirmForm
from mofan.twofactor.qr import qr_svg


def _safe_next(request: HttpRequest, url: str) -> str:
    return url if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}) else ""


def verify(request: HttpRequest) -> HttpResponse:
    """The second step of the sign-in (the password was accepted), or a signed-in session that has not yet
    given its code: the authenticator's code or a recovery code."""
    if request.user.is_authenticated:
        user: Any = request.user
        pending = False
        next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next") or "")
        if session.is_verified(request) or not services.has_device(user):
            return redirect(next_url or "core:home")
    else:
        user_id = session.pending_user_id(request)
        user = User.objects.filter(pk=user_id, is_active=True).first() if user_id is not None else None
        if user is None:
            messages.error(request, _("Your sign-in was interrupted or took too long. Please sign in again."))
            return redirect("accounts:login")
        pending = True
        next_url = _safe_next(request, session.pending_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        method = services.check_code(user=user, code=form.cleaned_data["code"])
        if method is None:
            user.refresh_from_db(fields=["locked_until"])
            if user.is_locked():
                session.clear_pending(request)
                if not pending:
                    from django.contrib.auth import logout

                    logout(request)
                messages.error(request, _("Too many wrong codes: the account is locked for a while. Try again "
                                          "later or ask the security administrator."))
                return redirect("accounts:login")
            form.add_error("code", _("The code is not correct, or it was already used. Wait for the next code "
                                     "and try again."))
        else:
            if pending:
                session.clear_pending(request)
                login(request, user, backend="mofan.accounts.backends.LockoutModelBackend")
                account_services.record_login(user=user)
            session.mark_verified(request, method)
            services.record_verified(user=user, method=method)
            if method == services.METHOD_RECOVERY:
                messages.warning(request, _("You signed in with a recovery code; %(left)d are left. If your phone "
                                            "is lost, ask the security administrator to reset your authenticator.")
                                 % {"left": services.recovery_codes_left(user)})
            if account_services.password_change_due(user):
                return redirect("accounts:password_change")
            return redirect(next_url or "core:home")
    return render(request, "twofactor/verify.html", {"form": form, "next": next_url, "pending": pending})


@login_required
def enroll(request: HttpRequest) -> HttpResponse:
    """The account's two-factor page: enrollment while there is no confirmed authenticator, else its state."""
    user: Any = request.user
    if services.has_device(user):
        return render(request, "twofactor/status.html", {"status": services.status(user)})
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.enroll_confirm(user=user, code=form.cleaned_data["code"])
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("code", message)
        else:
            session.mark_verified(request, services.METHOD_TOTP)
            messages.success(request, _("Your authenticator is enrolled: from now on you sign in with your password "
                                        "and its code."))
            return render(request, "twofactor/recovery_codes.html", {"codes": codes, "fresh": True})
    started = services.enroll_start(user=user)
    context = {
        "form": form,
        "secret": totp.grouped(started["secret"]),
        "uri": started["uri"],
        "qr": qr_svg(started["uri"]),
        "required": services.device_required(user),
    }
    return render(request, "twofactor/enroll.html", context)


@login_required
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes (the old ones stop working), shown once."""
    try:
        codes = services.regenerate_recovery_codes(user=request.user)  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("twofactor:enroll")
    return render(request, "twofactor/recovery_codes.html", {"codes": codes, "fresh": False})


@login_required
@require_POST
def reset(request: HttpRequest, pk: int) -> HttpResponse:
    """The security administrator removes a user's authenticator (lost phone)."""
    target = get_object_or_404(User, pk=pk)
    try:
        services.reset_device(actor=request.user, user=target)  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The authenticator of %(name)s was reset; they enroll again at their next "
                                    "sign-in.") % {"name": target.username})
    return redirect(reverse("accounts:user_detail", args=[pk]))
