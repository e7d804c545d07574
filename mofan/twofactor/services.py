"""Writes on the second factor: enrollment, codes at sign-in and re-authentication, recovery codes, reset.

Interface for re-authentication (and anyone else): ``has_device(user)`` and ``verify_code(user=, code=)``.
A wrong code counts towards the same lockout as a wrong password (``MOFAN_LOCKOUT_ATTEMPTS`` in a row lock
the account for ``MOFAN_LOCKOUT_MINUTES``), and each failure is audited.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts.models import Membership, User
from mofan.accounts.roles import ADMIN_ROLES, Action
from mofan.accounts.selectors import is_administrator
from mofan.audit.events import AuditEvent
from mofan.audit.services import audit_record
from mofan.core import crypto
from mofan.twofactor import totp
from mofan.twofactor.models import RecoveryCode, TOTPDevice

RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off paper without doubt
ISSUER = "模范"

METHOD_TOTP = "totp"
METHOD_RECOVERY = "recovery"


# Reads ----------------------------------------------------------------------------------------------

def has_device(user: Any) -> bool:
    """Whether the account has a confirmed authenticator (and so must give a code to sign in)."""
    if user is None or not getattr(user, "is_authenticated", False) or user.pk is None:
        return False
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()


def device_required(user: Any) -> bool:
    """Whether the account must enroll before using anything (an administrator, when MOFAN_ADMIN_2FA is on)."""
    return bool(settings.MOFAN_ADMIN_2FA) and is_administrator(user)


def device_state(user: Any) -> tuple[bool, bool]:
    """``(has_device(user), device_required(user))`` in one query: TwoFactorMiddleware asks both on every
    request of a session that has not passed the second factor (most accounts: those without an authenticator)."""
    admin: Any = Value(False)
    if settings.MOFAN_ADMIN_2FA:
        admin = Exists(Membership.objects.filter(user_id=OuterRef("pk"), role__in=ADMIN_ROLES))
    row = (User.objects.filter(pk=user.pk)
           .annotate(_device=Exists(TOTPDevice.objects.filter(user_id=OuterRef("pk"), confirmed=True)), _admin=admin)
           .values_list("_device", "_admin").first())
    return (bool(row[0]), bool(row[1])) if row is not None else (False, False)


def recovery_codes_left(user: Any) -> int:
    return RecoveryCode.objects.filter(user_id=user.pk, used_at__isnull=True).count()


def status(user: Any) -> dict[str, Any]:
    device = TOTPDevice.objects.filter(user_id=user.pk).first()
    return {
        "enrolled": bool(device and device.confirmed),
        "pending_enrollment": bool(device and not device.confirmed),
        "required": device_required(user),
        "confirmed_at": device.confirmed_at if device and device.confirmed else None,
        "last_used_at": device.last_used_at if device else None,
        "recovery_codes_left": recovery_codes_left(user),
    }


# Enrollment ------------------------------------------------------------------------------------------

def enroll_start(*, user: User) -> dict[str, str]:
    """Begin (or resume) enrollment: an unconfirmed device with a fresh secret. Returns the secret and the
    ``otpauth://`` URI for the app. An account already enrolled must have its device reset first."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user).first()
        if device is not None and device.confirmed:
            raise ValidationError(_("An authenticator is already enrolled for this account."))
        if device is None:
            secret = totp.new_secret()
            device = TOTPDevice.objects.create(user=user, secret_sealed=crypto.encrypt(secret))
        else:
            secret = crypto.decrypt(device.secret_sealed)
    return {"secret": secret, "uri": totp.provisioning_uri(secret, account=user.username, issuer=ISSUER)}


def enroll_confirm(*, user: User, code: str) -> list[str]:
    """Confirm enrollment with the app's current code; returns the recovery codes (shown once)."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user).first()
        if device is None:
            raise ValidationError({"code": _("Start the enrollment first.")})
        if device.confirmed:
            raise ValidationError({"code": _("An authenticator is already enrolled for this account.")})
        step = totp.matching_step(crypto.decrypt(device.secret_sealed), _clean_code(code))
        if step is None:
            raise ValidationError({"code": _("The code is not correct. Check the time on your phone and try the "
                                             "code now shown.")})
        now = timezone.now()
        device.confirmed = True
        device.confirmed_at = now
        device.last_step = step
        device.last_used_at = now
        device.save(update_fields=["confirmed", "confirmed_at", "last_step", "last_used_at"])
        codes = _new_recovery_codes(user)
        audit_record(actor=user, event=AuditEvent.TWOFACTOR_ENROLLED, target=user)
    return codes


# Codes ------------------------------------------------------------------------------------------------

def _clean_code(code: Any) -> str:
    return "".join(str(code or "").split()).replace("-", "").upper()[:64]


def _recovery_hash(clean: str) -> str:
    return crypto.blind_index("mofan-recovery:" + clean)


def _new_recovery_codes(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = ["".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create([RecoveryCode(user=user, code_hash=_recovery_hash(c)) for c in codes])
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def check_code(*, user: User, code: str) -> str | None:
    """Check a second-factor code: the app's TOTP code (±1 step, never a step already used) or an unused
    recovery code (then spent). Returns how it was verified (``"totp"``/``"recovery"``), or None when refused.
    A refusal is audited and counts towards the lockout; a locked or deactivated account is always refused."""
    clean = _clean_code(code)
    with transaction.atomic():
        locked_user = User.objects.select_for_update().get(pk=user.pk)
        now = timezone.now()
        if not locked_user.is_active or locked_user.is_locked(now):
            audit_record(actor=None, actor_name=locked_user.username, event=AuditEvent.TWOFACTOR_FAILED,
                         target=locked_user, success=False, note="locked" if locked_user.is_active else "inactive")
            return None
        device = TOTPDevice.objects.select_for_update().filter(user=locked_user, confirmed=True).first()
        method = None
        note = "no device"
        if device is not None:
            note = "wrong code"
            if len(clean) == totp.DIGITS and clean.isascii() and clean.isdigit():
                step = totp.matching_step(crypto.decrypt(device.secret_sealed), clean)
                if step is not None and step <= device.last_step:
                    note = "replayed code"
                elif step is not None:
                    device.last_step = step
                    device.last_used_at = now
                    device.save(update_fields=["last_step", "last_used_at"])
                    method = METHOD_TOTP
            elif clean:
                spent = RecoveryCode.objects.filter(user=locked_user, code_hash=_recovery_hash(clean),
                                                    used_at__isnull=True).update(used_at=now)
                if spent:
                    method = METHOD_RECOVERY
                    audit_record(actor=locked_user, event=AuditEvent.TWOFACTOR_RECOVERY_USED, target=locked_user,
                                 new={"left": recovery_codes_left(locked_user)})
        if method is not None:
            if device is not None and device.failed_codes:
                device.failed_codes = 0
                device.save(update_fields=["failed_codes"])
            return method
        _count_failure(locked_user, device, now, note)
        return None


def _count_failure(user: User, device: TOTPDevice | None, now: Any, note: str) -> None:
    """The lockout policy of mofan.accounts.services.login_attempt, applied to wrong codes. They are counted on
    the device, where a correct password does not reset the count (else password, 4 guesses, password, …)."""
    if device is None:
        user.failed_logins += 1
        count = user.failed_logins
    else:
        device.failed_codes += 1
        count = device.failed_codes
    audit_record(actor=None, actor_name=user.username, event=AuditEvent.TWOFACTOR_FAILED, target=user,
                 success=False, note=f"{note}; failure {count}")
    if count >= settings.MOFAN_LOCKOUT_ATTEMPTS:
        user.locked_until = now + timedelta(minutes=settings.MOFAN_LOCKOUT_MINUTES)
        user.failed_logins = 0
        if device is not None:
            device.failed_codes = 0
        audit_record(actor=None, actor_name=user.username, event=AuditEvent.ACCOUNT_LOCKED, target=user,
                     new={"locked_until": user.locked_until.isoformat()})
    user.save(update_fields=["failed_logins", "locked_until"])
    if device is not None:
        device.save(update_fields=["failed_codes"])


def verify_code(*, user: User, code: str) -> bool:
    """True when ``code`` is a valid TOTP or recovery code of the account (replay-safe; audited on failure)."""
    return check_code(user=user, code=code) is not None


def record_verified(*, user: User, method: str, purpose: str = "login") -> None:
    audit_record(actor=user, event=AuditEvent.TWOFACTOR_VERIFIED, target=user, note=f"{purpose}; {method}")


# Recovery codes and reset -----------------------------------------------------------------------------

def regenerate_recovery_codes(*, user: User) -> list[str]:
    """New recovery codes for the holder (the old ones stop working); shown once."""
    if not has_device(user):
        raise ValidationError(_("Enroll an authenticator first."))
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        audit_record(actor=user, event=AuditEvent.TWOFACTOR_RECOVERY_REGENERATED, target=user)
    return codes


def reset_device(*, actor: User, user: User) -> None:
    """A security administrator removes a user's authenticator and recovery codes (lost phone); the holder
    enrolls again at the next sign-in. Not on one's own account nor on an administrator's (三员分立, the one
    rule ``accounts.services.ensure_ordinary_account``): an administrator's authenticator is reset through a
    request a second administrator approves (``AdminAction.RESET_DEVICE``, ADR 0012), or by the operator
    (``mofan twofactor_reset``)."""
    from mofan.accounts import services as account_services

    account_services._ensure_on_account(actor, Action.ACCOUNT_UNLOCK, user)  # noqa: SLF001
    account_services.ensure_ordinary_account(actor, user)
    if not remove_device(user=user, actor=actor):
        raise ValidationError(_("This account has no authenticator."))


def remove_device(*, user: User, actor: User | None, note: str = "") -> bool:
    """Delete the authenticator and recovery codes of ``user`` (audited); False when there was none. No
    permission check: ``reset_device`` for the security administrator, the approval of an
    ``AdminAction.RESET_DEVICE`` request (``accounts.services.admin_request_approve``), and
    ``mofan twofactor_reset`` for the operator."""
    with transaction.atomic():
        deleted, _detail = TOTPDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
        if not deleted:
            return False
        audit_record(actor=actor, event=AuditEvent.TWOFACTOR_RESET, target=user, note=note)
    return True
