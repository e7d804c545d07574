"""Writes on accounts: sign-in attempts, passwords, accounts and role memberships."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts.models import Membership, PasswordHistory, User
from mofan.accounts.permissions import clear_cache, ensure_can
from mofan.accounts.roles import ADMIN_ROLES, Action, Role
from mofan.audit.events import AuditEvent
from mofan.audit.services import audit_record
from mofan.org.models import Person, Unit


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
    """A security administrator sets a temporary password; the holder must change it at next sign-in."""
    _ensure_on_account(actor, Action.ACCOUNT_UNLOCK, user)
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    with transaction.atomic():
        _set_password(user, new_password, must_change=True)
        audit_record(actor=actor, event=AuditEvent.PASSWORD_RESET, target=user)


def user_unlock(*, actor: User, user: User) -> None:
    _ensure_on_account(actor, Action.ACCOUNT_UNLOCK, user)
    with transaction.atomic():
        old = {"locked_until": user.locked_until.isoformat() if user.locked_until else None}
        user.locked_until = None
        user.failed_logins = 0
        user.save(update_fields=["locked_until", "failed_logins"])
        audit_record(actor=actor, event=AuditEvent.ACCOUNT_UNLOCKED, target=user, old=old, new={"locked_until": None})


def _home_unit(user: User) -> Unit | None:
    """The unit that places an account in the tree: its person's unit, else its first membership's."""
    if user.person_id:
        return user.person.unit  # type: ignore[union-attr]
    membership = user.memberships.select_related("unit").order_by("id").first()
    return membership.unit if membership else None


def _ensure_on_account(actor: User, action: str, user: User) -> None:
    unit = _home_unit(user)
    if unit is None:
        # An account not yet placed anywhere is managed only from the root.
        root = Unit.objects.filter(parent__isnull=True).order_by("id").first()
        if root is None:
            raise ValidationError(_("The district has no root unit yet."))
        unit = root
    ensure_can(actor, action, unit, target=user)


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
    if user.pk == actor.pk:
        raise ValidationError(_("You cannot deactivate your own account."))
    if not user.is_active:
        raise ValidationError(_("This account is already deactivated."))
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        audit_record(actor=actor, event=AuditEvent.USER_DEACTIVATED, target=user, old={"is_active": True},
                     new={"is_active": False})


def membership_grant(*, actor: User | None, user: User, unit: Unit, role: str) -> Membership:
    """Grant ``role`` on ``unit``. 三员分立: an account holds at most one administrator role, and nobody
    grants an administrator role to themselves."""
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    if actor is not None:
        ensure_can(actor, Action.ACCOUNT_GRANT, unit, target=user)
        if role in ADMIN_ROLES and actor.pk == user.pk:
            raise ValidationError({"role": _("You cannot grant an administrator role to yourself.")})
    if role in ADMIN_ROLES:
        held = Membership.objects.filter(user=user, role__in=ADMIN_ROLES).exclude(role=role).first()
        if held is not None or Membership.objects.filter(user=user, role=role).exists():
            raise ValidationError(
                {"role": _("This account already holds an administrator role; one person may hold only one of "
                           "system, security and audit administrator.")}
            )
    if Membership.objects.filter(user=user, unit=unit, role=role).exists():
        raise ValidationError({"role": _("This account already holds this role on this unit.")})
    try:
        with transaction.atomic():
            membership = Membership.objects.create(user=user, unit=unit, role=role, granted_by=actor)
            audit_record(actor=actor, event=AuditEvent.MEMBERSHIP_GRANTED, target=user, unit_path=unit.path,
                         new={"role": role, "unit": unit.name})
    except IntegrityError:
        raise ValidationError({"role": _("This account already holds an administrator role.")}) from None
    clear_cache(user)
    return membership


def membership_revoke(*, actor: User, membership: Membership) -> None:
    ensure_can(actor, Action.ACCOUNT_GRANT, membership.unit, target=membership.user)
    with transaction.atomic():
        audit_record(actor=actor, event=AuditEvent.MEMBERSHIP_REVOKED, target=membership.user,
                     unit_path=membership.unit.path, old={"role": membership.role, "unit": membership.unit.name})
        membership.delete()
    clear_cache(membership.user)


def record_login(*, user: Any) -> None:
    audit_record(actor=user, event=AuditEvent.LOGIN, target=user)


def record_logout(*, user: Any) -> None:
    if user is not None and user.is_authenticated:
        audit_record(actor=user, event=AuditEvent.LOGOUT, target=user)
