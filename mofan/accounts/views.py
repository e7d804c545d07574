from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mofan.accounts import selectors, services
from mofan.accounts.forms import (
    AdminRequestForm,
    DecisionForm,
    GrantForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    UserCreateForm,
)
from mofan.accounts.models import AdminAction, RequestState
from mofan.accounts.reauth import require_recent_auth
from mofan.accounts.roles import ADMIN_ROLES, Action
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
    require_recent_auth(request)  # names, roles and sign-in times of people: personal data leaving as a file
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
    if grant_form is None and perms["grant"] and user.is_active and not perms["self"] and not perms["admin_target"]:
        grant_form = GrantForm(units=selectors.grantable_units(actor=request.user))
    request_form = extra.pop("request_form", None)
    if request_form is None and perms["admin_target"] and perms["may_request"] and not perms["self"]:
        request_form = AdminRequestForm(account=user)
    return {"account": user, "allowed": perms, "grant_form": grant_form, "request_form": request_form,
            "admin_roles": sorted(ADMIN_ROLES), "locked": user.is_locked(),
            "has_authenticator": twofactor_services.has_device(user), "reset_device": AdminAction.RESET_DEVICE,
            **extra}


@login_required
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = selectors.user_get(actor=request.user, pk=pk)
    return render(request, "accounts/user_detail.html", _detail_context(request, user))


@login_required
@require_POST
def user_grant(request: HttpRequest, pk: int) -> HttpResponse:
    user = selectors.user_get(actor=request.user, pk=pk)  # outside the jurisdiction: 404 first
    require_recent_auth(request)  # a role grant is a sensitive action (issue 9: re-authentication first)
    form = GrantForm(request.POST, units=selectors.grantable_units(actor=request.user))
    if form.is_valid():
        try:
            if request.POST.get("for_approval"):
                # An administrator role (or a role for an administrator's account): a second one approves.
                services.admin_request_create(
                    actor=request.user, action=AdminAction.GRANT, user=user,  # type: ignore[arg-type]
                    unit=form.cleaned_data["unit"], role=form.cleaned_data["role"],
                )
            else:
                services.membership_grant(
                    actor=request.user, user=user, unit=form.cleaned_data["unit"],  # type: ignore[arg-type]
                    role=form.cleaned_data["role"],
                )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            if request.POST.get("for_approval"):
                messages.success(request, _("Submitted for approval: a second administrator must approve it."))
                return redirect("accounts:request_list")
            messages.success(request, _("The role was granted."))
            return redirect("accounts:user_detail", pk=user.pk)
    return render(request, "accounts/user_detail.html", _detail_context(request, user, grant_form=form), status=400)


@login_required
@require_POST
def user_revoke(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    user = selectors.user_get(actor=request.user, pk=pk)
    membership = selectors.membership_get(actor=request.user, user=user, pk=membership_pk)  # outside: 404 first
    require_recent_auth(request)  # a role revoke is a sensitive action (issue 9: re-authentication first)
    try:
        services.membership_revoke(actor=request.user, membership=membership)  # type: ignore[arg-type]
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(request, _("The role was revoked."))
    return redirect("accounts:user_detail", pk=user.pk)


@login_required
@require_POST
def user_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    user = selectors.user_get(actor=request.user, pk=pk)
    try:
        services.user_unlock(actor=request.user, user=user)  # type: ignore[arg-type]
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
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


# Two-person rule (ADR 0012): actions on administrators' accounts are submitted, then decided by another one.


@login_required
@require_POST
def user_request(request: HttpRequest, pk: int) -> HttpResponse:
    """Submit an action on an administrator's account for a second administrator's approval."""
    user = selectors.user_get(actor=request.user, pk=pk)
    require_recent_auth(request)  # an action on an administrator's account: re-authentication first
    form = AdminRequestForm(request.POST, account=user)
    if form.is_valid():
        data = form.cleaned_data
        membership = next((m for m in user.memberships.all() if m.pk == data["membership"]), None)
        try:
            services.admin_request_create(
                actor=request.user, action=data["action"], user=user,  # type: ignore[arg-type]
                membership=membership, password=data["password"] if data["action"] == AdminAction.RESET_PASSWORD
                else "", note=data["note"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Submitted for approval: a second administrator must approve it."))
            return redirect("accounts:request_list")
    return render(request, "accounts/user_detail.html", _detail_context(request, user, request_form=form),
                  status=400)


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    """Requests awaiting approval where the actor may decide (or that the actor submitted), then the last
    decided ones."""
    actor: Any = request.user
    pending = list(selectors.admin_requests(actor=actor, pending_only=True)[:PAGE_SIZE])
    decided = list(selectors.admin_requests(actor=actor).exclude(state=RequestState.PENDING)[:PAGE_SIZE])
    role = services.administrator_role(actor)
    for item in pending:
        item.mine = item.requested_by_id == actor.pk  # type: ignore[attr-defined]
        item.may_decide = (not item.mine and item.target_id != actor.pk  # type: ignore[attr-defined]
                           and role != item.requester_role)
    return render(request, "accounts/request_list.html", {"pending": pending, "decided": decided})


@login_required
@require_POST
def request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.admin_request_get(actor=request.user, pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        raise Http404
    decision, note = form.cleaned_data["decision"], form.cleaned_data["note"]
    if decision == "approve":
        require_recent_auth(request)  # carries out an action on an administrator's account
    try:
        if decision == "approve":
            services.admin_request_approve(actor=request.user, request=item, note=note)  # type: ignore[arg-type]
            messages.success(request, _("Approved: the action was carried out."))
        elif decision == "refuse":
            services.admin_request_refuse(actor=request.user, request=item, note=note)  # type: ignore[arg-type]
            messages.success(request, _("The request was refused."))
        else:
            services.admin_request_withdraw(actor=request.user, request=item)  # type: ignore[arg-type]
            messages.success(request, _("The request was withdrawn."))
    except ValidationError as exc:
        flash_errors(request, exc)
    return redirect("accounts:request_list")
