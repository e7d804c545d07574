from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mofan.accounts import services
from mofan.accounts.forms import LoginForm, PasswordChangeForm
from mofan.accounts.middleware import LAST_SEEN


def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.user)
        request.session[LAST_SEEN] = time.time()
        services.record_login(user=form.user)
        if services.password_change_due(form.user):
            return redirect("accounts:password_change")
        return redirect(next_url or "core:home")
    expired = request.GET.get("expired") == "1"
    return render(request, "accounts/login.html", {"form": form, "next": next_url, "expired": expired})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    services.record_logout(user=request.user)
    logout(request)
    return redirect("accounts:login")


@login_required
def password_change_view(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(
                user=request.user,  # type: ignore[arg-type]
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            update_session_auth_hash(request, request.user)  # type: ignore[arg-type]
            messages.success(request, _("Your password has been changed."))
            return redirect("core:home")
    due = services.password_change_due(request.user)  # type: ignore[arg-type]
    return render(request, "accounts/password_change.html", {"form": form, "due": due})
