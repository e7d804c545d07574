"""Writes on accounts: sign-in attempts, passwords, accounts and role memberships."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts.models import (
    AdminAction,
    AdminActionRequest,
    Membership,
    PasswordHistory,
    RequestState,
    User,
)
from mofan.accounts.permissions import can, clear_cache, ensure_can
from mofan.accounts.roles import ADMIN_ROLES, Action, Role
from mofan.accounts.selectors import is_administrator
from mofan.audit.events import AuditEvent
from mofan.audit.services import audit_record, audit_refusal
from mofan.org.models import Person, Unit
from mofan.twofactor import services as twofactor


def login_attempt(*, username: str, password: str) -> User | None:
    """Check a password, counting failures and locking after MOFAN_LOCKOUT_ATTEMPTS in a row."""
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=username).first()
        if user is None:
            make_password(password)  # same work as a real check, so timing does not reveal unknown names
            audit_record(actor=None, actor_name=username, event=AuditEvent.LOGIN_FAILED, success=False,
                         note="unknown user")
            return None
        now = timezone.now()
        if not user.is_active or user.is_locked(now):
            audit_record(actor=None, actor_name=username, event=AuditEvent.LOGIN_FAILED, target=user, success=False,
                         note="locked" if user.is_active else "inactive")
            return None
        if user.check_password(password):
            if user.failed_logins or user.locked_until:
                user.failed_logins = 0
                user.locked_until = None
                user.save(update_fields=["failed_logins", "locked_until"])
            return user
        user.failed_logins += 1
        audit_record(actor=None, actor_name=username, event=AuditEvent.LOGIN_FAILED, target=user, success=False,
                     note=f"failure {user.failed_logins}")
        if user.failed_logins >= settings.MOFAN_LOCKOUT_ATTEMPTS:
            user.locked_until = now + timedelta(minutes=settings.MOFAN_LOCKOUT_MINUTES)
            user.failed_logins = 0
            audit_record(actor=None, actor_name=username, event=AuditEvent.ACCOUNT_LOCKED, target=user,
                         new={"locked_until": user.locked_until.isoformat()})
        user.save(update_fields=["failed_logins", "locked_until"])
        return None


def password_change_due(user: User) -> bool:
    if user.must_change_password or user.password_changed_at is None:
        return True
    return timezone.now() - user.password_changed_at > timedelta(days=settings.MOFAN_PASSWORD_MAX_AGE_DAYS)


def _set_password(user: User, raw: str, *, must_change: bool) -> None:
    if user.password:
        PasswordHistory.objects.create(user=user, password=user.password)
    user.set_password(raw)
    user.password_changed_at = timezone.now()
    user.must_change_password = must_change
    user.save(update_fields=["password", "password_changed_at", "must_change_password"])


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str) -> None:
    """The account holder changes their own password (also the forced first/expired change)."""
    if not user.check_password(old_password):
        raise ValidationError({"old_password": _("The current password is not correct.")})
    if old_password == new_password:
        raise ValidationError({"new_password": _("The new password must differ from the current one.")})
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages}) from exc
    _set_password(user, new_password, must_change=False)
    audit_record(actor=user, event=AuditEvent.PASSWORD_CHANGED, target=user)


def password_reset(*, actor: User, user: User, new_password: str) -> None:
    """A security administrator sets a temporary password; the holder must change it at next sign-in.
    Never on one's own account nor on an administrator's (two-person rule: ``admin_request_create``)."""
    _ensure_on_account(actor, Action.ACCOUNT_UNLOCK, user)
    ensure_ordinary_account(actor, user)
    _check_new_password(user, new_password)
    _do_password_reset(actor, user, password=new_password)


def _check_new_password(user: User, raw: str) -> None:
    try:
        validate_password(raw, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc


def _do_password_reset(actor: User, user: User, *, password: str = "", password_hash: str = "",
                       note: str = "") -> None:
    with transaction.atomic():
        if password:
            _set_password(user, password, must_change=True)
        else:
            if user.password:
                PasswordHistory.objects.create(user=user, password=user.password)
            user.password = password_hash
            user.password_changed_at = timezone.now()
            user.must_change_password = True
            user.save(update_fields=["password", "password_changed_at", "must_change_password"])
        audit_record(actor=actor, event=AuditEvent.PASSWORD_RESET, target=user, note=note)


def user_unlock(*, actor: User, user: User) -> None:
    _ensure_on_account(actor, Action.ACCOUNT_UNLOCK, user)
    ensure_ordinary_account(actor, user)
    _do_unlock(actor, user)


def _do_unlock(actor: User, user: User, *, note: str = "") -> None:
    with transaction.atomic():
        old = {"locked_until": user.locked_until.isoformat() if user.locked_until else None}
        user.locked_until = None
        user.failed_logins = 0
        user.save(update_fields=["locked_until", "failed_logins"])
        audit_record(actor=actor, event=AuditEvent.ACCOUNT_UNLOCKED, target=user, old=old, new={"locked_until": None},
                     note=note)


def _home_unit(user: User) -> Unit | None:
    """The unit that places an account in the tree: its person's unit, else its first membership's."""
    if user.person_id:
        return user.person.unit  # type: ignore[union-attr]
    membership = user.memberships.select_related("unit").order_by("id").first()
    return membership.unit if membership else None


def _account_place(user: User) -> Unit:
    """Where an account is managed: its home unit, or the root for an account not yet placed anywhere."""
    unit = _home_unit(user)
    if unit is None:
        unit = Unit.objects.filter(parent__isnull=True).order_by("id").first()
        if unit is None:
            raise ValidationError(_("The district has no root unit yet."))
    return unit


def _ensure_on_account(actor: User, action: str, user: User) -> None:
    ensure_can(actor, action, _account_place(user), target=user)


# 三员分立 ----------------------------------------------------------------------------------------------------
# No administrator acts alone on their own account or on another administrator's: those actions are filed
# as an AdminActionRequest and carried out when a second administrator approves (ADR 0012). An account
# holding an administrator role holds no other role.


def ensure_ordinary_account(actor: User, user: User) -> None:
    """Refuse (audited) an action of ``actor`` on their own account or on an administrator's account. Other
    apps that act on accounts (e.g. resetting a second factor) call it too."""
    if user.pk == actor.pk:
        message = _("You cannot do this to your own account; another administrator must.")
        note = "own account"
    elif is_administrator(user):
        message = _("This is an administrator's account: submit the action for a second administrator's "
                    "approval.")
        note = "administrator's account"
    else:
        return
    audit_refusal(actor=actor, event=AuditEvent.ACCESS_DENIED, target=user, note=note)
    raise ValidationError(message)


def _ensure_roles_keep_apart(user: User, role: str) -> None:
    """The invariant on the data, whoever grants (the installer too): one administrator role at most, and
    none beside a business role."""
    held = set(Membership.objects.filter(user_id=user.pk).values_list("role", flat=True))
    if role in ADMIN_ROLES:
        if held & ADMIN_ROLES:
            raise ValidationError(
                {"role": _("This account already holds an administrator role; one person may hold only one of "
                           "system, security and audit administrator.")}
            )
        if held:
            raise ValidationError({"role": _("This account holds business roles; an administrator may hold no "
                                             "other role. Revoke them first, or use another account.")})
    elif held & ADMIN_ROLES:
        raise ValidationError({"role": _("This account is an administrator's; an administrator may not hold a "
                                         "business role.")})


def user_create(
    *, actor: User | None, username: str, display_name: str, password: str, person: Person | None = None,
    unit: Unit | None = None, must_change_password: bool = True,
) -> User:
    """Create an account. ``actor`` None is the installer (``mofan bootstrap`` and the demo), nobody else."""
    place = person.unit if person is not None else unit
    if actor is not None:
        if place is None:
            raise ValidationError({"unit": _("Choose the unit the account belongs to.")})
        ensure_can(actor, Action.ACCOUNT_MANAGE, place)
    username = username.strip()
    if not username:
        raise ValidationError({"username": _("The user name is required.")})
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": _("This user name is taken.")})
    if person is not None and User.objects.filter(person=person).exists():
        raise ValidationError({"person": _("This person already has an account.")})
    user = User(username=username, display_name=display_name or username, person=person)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    with transaction.atomic():
        user.set_password(password)
        user.password_changed_at = timezone.now()
        user.must_change_password = must_change_password
        user.save()
        audit_record(actor=actor, event=AuditEvent.USER_CREATED, target=user, unit_path=place.path if place else "",
                     new={"username": username, "display_name": user.display_name})
    return user


def user_deactivate(*, actor: User, user: User) -> None:
    _ensure_on_account(actor, Action.ACCOUNT_MANAGE, user)
    ensure_ordinary_account(actor, user)
    _check_deactivate(user)
    _do_deactivate(actor, user)


def _check_deactivate(user: User) -> None:
    if not user.is_active:
        raise ValidationError(_("This account is already deactivated."))


def _do_deactivate(actor: User, user: User, *, note: str = "") -> None:
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        audit_record(actor=actor, event=AuditEvent.USER_DEACTIVATED, target=user, old={"is_active": True},
                     new={"is_active": False}, note=note)


def membership_grant(*, actor: User | None, user: User, unit: Unit, role: str) -> Membership:
    """Grant ``role`` on ``unit``. 三员分立: an account holds at most one administrator role and then no other
    role; nobody grants a role to themselves; an administrator role, or any role of an administrator's
    account, is granted only through a request a second administrator approves. ``actor`` None is the
    installer (``mofan bootstrap`` and the demo)."""
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    if actor is not None:
        ensure_can(actor, Action.ACCOUNT_GRANT, unit, target=user)
        if actor.pk == user.pk:
            audit_refusal(actor=actor, event=AuditEvent.ACCESS_DENIED, target=user, note="own account")
            raise ValidationError({"role": _("You cannot grant a role to yourself; another administrator must.")})
    _check_grant(user, unit, role)
    if actor is not None:
        ensure_ordinary_account(actor, user)
        if role in ADMIN_ROLES:
            audit_refusal(actor=actor, event=AuditEvent.ACCESS_DENIED, target=user, note="administrator role")
            raise ValidationError({"role": _("An administrator role is granted only with a second "
                                             "administrator's approval: submit it for approval.")})
    return _do_grant(actor, user, unit, role)


def _check_grant(user: User, unit: Unit, role: str) -> None:
    _ensure_roles_keep_apart(user, role)
    if Membership.objects.filter(user=user, unit=unit, role=role).exists():
        raise ValidationError({"role": _("This account already holds this role on this unit.")})


def _do_grant(actor: User | None, user: User, unit: Unit, role: str, *, note: str = "") -> Membership:
    try:
        with transaction.atomic():
            membership = Membership.objects.create(user=user, unit=unit, role=role, granted_by=actor)
            audit_record(actor=actor, event=AuditEvent.MEMBERSHIP_GRANTED, target=user, unit_path=unit.path,
                         new={"role": role, "unit": unit.name}, note=note)
    except IntegrityError:
        raise ValidationError({"role": _("This account already holds an administrator role.")}) from None
    clear_cache(user)
    return membership


def membership_revoke(*, actor: User, membership: Membership) -> None:
    ensure_can(actor, Action.ACCOUNT_GRANT, membership.unit, target=membership.user)
    ensure_ordinary_account(actor, membership.user)
    _do_revoke(actor, membership)


def _do_revoke(actor: User, membership: Membership, *, note: str = "") -> None:
    with transaction.atomic():
        audit_record(actor=actor, event=AuditEvent.MEMBERSHIP_REVOKED, target=membership.user,
                     unit_path=membership.unit.path, old={"role": membership.role, "unit": membership.unit.name},
                     note=note)
        membership.delete()
    clear_cache(membership.user)


# Two-person rule (ADR 0012) ---------------------------------------------------------------------------------

# The account action whoever submits a request must hold where it applies.
REQUEST_OWNER: dict[str, str] = {
    AdminAction.GRANT: Action.ACCOUNT_GRANT,
    AdminAction.REVOKE: Action.ACCOUNT_GRANT,
    AdminAction.UNLOCK: Action.ACCOUNT_UNLOCK,
    AdminAction.RESET_PASSWORD: Action.ACCOUNT_UNLOCK,
    AdminAction.DEACTIVATE: Action.ACCOUNT_MANAGE,
    AdminAction.RESET_DEVICE: Action.ACCOUNT_UNLOCK,  # as twofactor.services.reset_device on a business account
}


def administrator_role(user: User) -> str | None:
    """The administrator role an account holds, if any (one at most)."""
    return Membership.objects.filter(user_id=user.pk, role__in=ADMIN_ROLES).values_list("role", flat=True).first()


def _refuse(actor: User, user: User | None, note: str, message: Any) -> ValidationError:
    audit_refusal(actor=actor, event=AuditEvent.ACCESS_DENIED, target=user, note=note)
    return ValidationError(message)


def admin_request_create(
    *, actor: User, action: str, user: User, unit: Unit | None = None, role: str = "",
    membership: Membership | None = None, password: str = "", note: str = "",
) -> AdminActionRequest:
    """Submit an action on an administrator's account (or the grant of an administrator role) for a second
    administrator's approval. The submitter's role must own the action, as if they did it directly; the
    action's own rules are checked now and again when it is carried out. Only the hash of a new password is
    kept."""
    if action not in AdminAction.values:
        raise ValidationError({"action": _("Unknown action.")})
    requester_role = administrator_role(actor)
    if requester_role is None:
        audit_refusal(actor=actor, event=AuditEvent.ACCESS_DENIED, target=user, note="admin request")
        raise PermissionDenied(_("You do not have permission to do this here."))
    note = (note or "").strip()
    if len(note) > 200:
        raise ValidationError({"note": _("Keep the reason under 200 characters.")})
    if action == AdminAction.GRANT:
        if role not in Role.values:
            raise ValidationError({"role": _("Unknown role.")})
        if unit is None:
            raise ValidationError({"unit": _("Choose a unit.")})
        place = unit
    elif action == AdminAction.REVOKE:
        if membership is None or membership.user_id != user.pk:
            raise ValidationError({"membership": _("Choose a role this account holds.")})
        place, role = membership.unit, membership.role
    else:
        place, role = _account_place(user), ""
    ensure_can(actor, REQUEST_OWNER[action], place, target=user)
    if user.pk == actor.pk:
        raise _refuse(actor, user, "own account",
                      _("You cannot submit an action on your own account; another administrator must."))
    if not (is_administrator(user) or (action == AdminAction.GRANT and role in ADMIN_ROLES)):
        raise ValidationError(_("This account is not an administrator's and the role is not an administrator "
                                "role: do it directly, no approval is needed."))
    password_hash = ""  # nosec B105 # an empty hash, not a password
    if action == AdminAction.GRANT:
        _check_grant(user, place, role)
    elif action == AdminAction.RESET_PASSWORD:
        _check_new_password(user, password)
        password_hash = make_password(password)
    elif action == AdminAction.DEACTIVATE:
        _check_deactivate(user)
    elif action == AdminAction.UNLOCK and not user.is_locked():
        raise ValidationError(_("This account is not locked."))
    elif action == AdminAction.RESET_DEVICE and not twofactor.has_device(user):
        raise ValidationError(_("This account has no authenticator."))
    duplicate = AdminActionRequest.objects.filter(state=RequestState.PENDING, target=user, action=action, role=role,
                                                  unit=place)
    if duplicate.exists():
        raise ValidationError(_("The same request is already awaiting approval."))
    with transaction.atomic():
        request = AdminActionRequest.objects.create(
            action=action, target=user, unit=place, role=role, membership=membership, password_hash=password_hash,
            note=note, requested_by=actor, requester_role=requester_role,
        )
        audit_record(actor=actor, event=AuditEvent.ADMIN_REQUEST_FILED, target=user, unit_path=place.path,
                     new={"request": request.pk, "action": action, "role": role, "unit": place.name}, note=note)
    return request


def _ensure_may_decide(actor: User, request: AdminActionRequest) -> None:
    """A second administrator decides: one whose jurisdiction covers the request, who neither submitted it
    nor is its subject, and whose administrator role differs from the submitter's (ADR 0012)."""
    ensure_can(actor, Action.ACCOUNT_APPROVE, request.unit, target=request.target)
    if actor.pk == request.requested_by_id:
        raise _refuse(actor, request.target, "own request",
                      _("You submitted this request; a second administrator must decide it."))
    if actor.pk == request.target_id:
        raise _refuse(actor, request.target, "own account",
                      _("This request concerns your own account; another administrator must decide it."))
    if administrator_role(actor) == request.requester_role:
        raise _refuse(actor, request.target, "same role",
                      _("A request is decided by an administrator of another role than the one who submitted it."))


def _locked_pending(request: AdminActionRequest) -> AdminActionRequest:
    locked = AdminActionRequest.objects.select_for_update().get(id=request.id)
    if locked.state != RequestState.PENDING:
        raise ValidationError(_("This request has already been decided."))
    return locked


def admin_request_approve(*, actor: User, request: AdminActionRequest, note: str = "") -> AdminActionRequest:
    """Approve a pending request and carry the action out, in one transaction: if the action's rules no
    longer hold (the account changed meanwhile), nothing happens and the request stays pending."""
    if request.state != RequestState.PENDING:
        raise ValidationError(_("This request has already been decided."))
    _ensure_may_decide(actor, request)
    requester = User.objects.get(pk=request.requested_by_id)
    if not can(requester, REQUEST_OWNER[request.action], request.unit):
        raise ValidationError(_("Whoever submitted this request may no longer do this; refuse it."))
    with transaction.atomic():
        request = _locked_pending(request)
        user = User.objects.select_for_update().get(pk=request.target_id)
        done = f"request {request.pk}, approved by {actor.get_username()}"
        if request.action == AdminAction.GRANT:
            _check_grant(user, request.unit, request.role)
            _do_grant(requester, user, request.unit, request.role, note=done)
        elif request.action == AdminAction.REVOKE:
            membership = (Membership.objects.filter(pk=request.membership_id, user=user).select_related("unit").first()
                          if request.membership_id is not None else None)
            if membership is None:
                raise ValidationError(_("This role has been revoked meanwhile."))
            _do_revoke(requester, membership, note=done)
        elif request.action == AdminAction.UNLOCK:
            _do_unlock(requester, user, note=done)
        elif request.action == AdminAction.RESET_PASSWORD:
            _do_password_reset(requester, user, password_hash=request.password_hash, note=done)
        elif request.action == AdminAction.RESET_DEVICE:
            if not twofactor.remove_device(user=user, actor=requester, note=done):  # the holder enrolls again
                raise ValidationError(_("This account has no authenticator."))
        else:
            _check_deactivate(user)
            _do_deactivate(requester, user, note=done)
        _decide(actor, request, RequestState.APPROVED, AuditEvent.ADMIN_REQUEST_APPROVED, note)
    return request


def admin_request_refuse(*, actor: User, request: AdminActionRequest, note: str = "") -> AdminActionRequest:
    if request.state != RequestState.PENDING:
        raise ValidationError(_("This request has already been decided."))
    _ensure_may_decide(actor, request)
    with transaction.atomic():
        request = _locked_pending(request)
        _decide(actor, request, RequestState.REFUSED, AuditEvent.ADMIN_REQUEST_REFUSED, note)
    return request


def admin_request_withdraw(*, actor: User, request: AdminActionRequest) -> AdminActionRequest:
    """Whoever submitted a pending request may withdraw it."""
    if actor.pk != request.requested_by_id:
        raise _refuse(actor, request.target, "withdraw", _("Only whoever submitted a request may withdraw it."))
    with transaction.atomic():
        request = _locked_pending(request)
        _decide(actor, request, RequestState.WITHDRAWN, AuditEvent.ADMIN_REQUEST_WITHDRAWN, "")
    return request


def _decide(actor: User, request: AdminActionRequest, state: str, event: Any, note: str) -> None:
    note = (note or "").strip()
    if len(note) > 200:
        raise ValidationError({"note": _("Keep the reason under 200 characters.")})
    request.state = state
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_note = note
    request.password_hash = ""  # carried out or dropped: the hash is not kept  # nosec B105 # clearing the stored hash
    request.save(update_fields=["state", "decided_by", "decided_at", "decision_note", "password_hash"])
    audit_record(actor=actor, event=event, target=request.target, unit_path=request.unit.path,
                 new={"request": request.pk, "action": request.action, "role": request.role,
                      "requested_by": request.requested_by.get_username()}, note=note)


def record_login(*, user: Any) -> None:
    audit_record(actor=user, event=AuditEvent.LOGIN, target=user)


def record_logout(*, user: Any) -> None:
    if user is not None and user.is_authenticated:
        audit_record(actor=user, event=AuditEvent.LOGOUT, target=user)
