from __future__ import annotations

import time
from typing import Any

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mofan.accounts import selectors, services
from mofan.accounts.forms import GrantForm, LoginForm, PasswordChangeForm, PasswordResetForm, UserCreateForm
from mofan.accounts.middleware import LAST_SEEN
from mofan.accounts.roles import Action
from mofan.core.services import record_export
from mofan.core.xlsx import xlsx_response
from mofan.org.forms import flash_errors
from mofan.twofactor import services as twofactor_services
from mofan.twofactor import session as twofactor_session


def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        if twofactor_services.has_device(form.user):
            # Password accepted; not signed in until the authenticator's code (mofan.twofactor.views.verify).
            twofactor_session.start_pending(request, form.user.pk, next_url)
            return redirect("twofactor:verify")
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


# Account administration ------------------------------------------------------------------------------
# 系统管理员 creates and deactivates accounts, 安全管理员 grants roles, unlocks and resets passwords; the
# services check who may do what, these views only read input and show the outcome.

PAGE_SIZE = 50


def _form_errors(form: Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the matching form fields (or on the form as a whole)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    accounts = selectors.user_list(actor=request.user, search=search)
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "search": search,
        "can_create": selectors.may_create_accounts(request.user),
    }
    return render(request, "accounts/user_list.html", context)


@login_required
def user_export(request: HttpRequest) -> HttpResponse:
    """The account list (same search as the page) as xlsx; audited."""
    search = request.GET.get("q", "").strip()
    accounts = list(selectors.user_list(actor=request.user, search=search))
    headers = [_("User name"), _("Display name"), _("State"), _("Roles"), _("Last sign-in"), _("Password changed")]

    def state(user: Any) -> str:
        if not user.is_active:
            return str(_("Deactivated"))
        return str(_("Locked")) if user.is_locked() else str(_("Active"))

    rows = [
        [u.username, u.display_name, state(u),
         "；".join(f"{m.get_role_display()}@{m.unit.name}" for m in u.memberships.all()),
         u.last_login, u.password_changed_at]
        for u in accounts
    ]
    record_export(actor=request.user, what="accounts.user", count=len(rows))
    stem = _("accounts")
    return xlsx_response(f"{stem}-{timezone.localdate():%Y%m%d}.xlsx", headers, rows, title=stem)


@login_required
def user_create(request: HttpRequest) -> HttpResponse:
    selectors.ensure_account_admin(request.user, Action.ACCOUNT_MANAGE)
    search = request.GET.get("q", "").strip()
    people = selectors.person_choices(actor=request.user)
    shown = list(selectors.person_choices(actor=request.user, search=search, limit=PAGE_SIZE))
    form = UserCreateForm(request.POST or None, people=people, shown_people=shown)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(
                actor=request.user, username=data["username"],  # type: ignore[arg-type]
                display_name=data["display_name"],
                password=data["password"], person=data["person"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The account %(name)s was created. Its holder must change the password "
                                        "at the first sign-in.") % {"name": user.username})
            return redirect("accounts:user_detail", pk=user.pk)
    return render(request, "accounts/user_create.html", {"form": form, "search": search})


def _detail_context(request: HttpRequest, user: Any, **extra: Any) -> dict[str, Any]:
    perms = selectors.account_permissions(actor=request.user, user=user)
    grant_form = extra.pop("grant_form", None)
    if grant_form is None and perms["grant"]:
        grant_form = GrantForm(units=selectors.grantable_units(actor=request.user))
    return {"account": user, "allowed": perms, "grant_form": grant_form, "locked": user.is_locked(), **extra}


@login_required
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = selectors.user_get(actor=request.user, pk=pk)
    return render(request, "accounts/user_detail.html", _detail_context(request, user))


@login_required
@require_POST
def user_grant(request: HttpRequest, pk: int) -> HttpResponse:
    user = selectors.user_get(actor=request.user, pk=pk)
    form = GrantForm(request.POST, units=selectors.grantable_units(actor=request.user))
    if form.is_valid():
        try:
            services.membership_grant(
                actor=request.user, user=user, unit=form.cleaned_data["unit"],  # type: ignore[arg-type]
                role=form.cleaned_data["role"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The role was granted."))
            return redirect("accounts:user_detail", pk=user.pk)
    return render(request, "accounts/user_detail.html", _detail_context(request, user, grant_form=form), status=400)


@login_required
@require_POST
def user_revoke(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    user = selectors.user_get(actor=request.user, pk=pk)
    membership = selectors.membership_get(actor=request.user, user=user, pk=membership_pk)
    services.membership_revoke(actor=request.user, membership=membership)  # type: ignore[arg-type]
    messages.success(request, _("The role was revoked."))
    return redirect("accounts:user_detail", pk=user.pk)


@login_required
@require_POST
def user_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    user = selectors.user_get(actor=request.user, pk=pk)
    services.user_unlock(actor=request.user, user=user)  # type: ignore[arg-type]
    messages.success(request, _("The account was unlocked."))
    return redirect("accounts:user_detail", pk=user.pk)


@login_required
@require_POST
def user_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    user = selectors.user_get(actor=request.user, pk=pk)
    try:
        services.user_deactivate(actor=request.user, user=user)  # type: ignore[arg-type]
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(request, _("The account was deactivated."))
    return redirect("accounts:user_detail", pk=user.pk)


@login_required
def user_password_reset(request: HttpRequest, pk: int) -> HttpResponse:
    user = selectors.user_get(actor=request.user, pk=pk)
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_reset(
                actor=request.user, user=user, new_password=form.cleaned_data["password"]  # type: ignore[arg-type]
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The password was reset. The holder must change it at the next sign-in."))
            return redirect("accounts:user_detail", pk=user.pk)
    return render(request, "accounts/password_reset.html", {"account": user, "form": form})
