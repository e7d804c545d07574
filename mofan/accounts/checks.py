"""Level-3 controls as system checks: ``mofan check --deploy`` fails when one is switched off or weakened."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import DatabaseError

from mofan.config.env import DEV_SECRET_KEY, PROFILES

LIMITS = [
    # (setting, comparison, bound, id, message)
    ("MOFAN_LOCKOUT_ATTEMPTS", "le", 5, "mofan.E001", "Lockout must apply after at most 5 failed sign-ins."),
    ("MOFAN_LOCKOUT_ATTEMPTS", "ge", 1, "mofan.E002", "Lockout after failed sign-ins is switched off."),
    ("MOFAN_LOCKOUT_MINUTES", "ge", 15, "mofan.E003", "Lockout must last at least 15 minutes."),
    ("MOFAN_IDLE_TIMEOUT_MINUTES", "le", 30, "mofan.E004", "Idle sessions must end within 30 minutes."),
    ("MOFAN_IDLE_TIMEOUT_MINUTES", "ge", 1, "mofan.E005", "Idle logout is switched off."),
    ("MOFAN_PASSWORD_MAX_AGE_DAYS", "le", 90, "mofan.E006", "Passwords must expire within 90 days."),
    ("MOFAN_PASSWORD_MAX_AGE_DAYS", "ge", 1, "mofan.E007", "Password expiry is switched off."),
    ("MOFAN_PASSWORD_HISTORY", "ge", 5, "mofan.E008", "The last 5 passwords must not be reused."),
    ("MOFAN_AUDIT_RETENTION_DAYS", "ge", 183, "mofan.E009", "The audit trail must be kept at least 6 months."),
]


def _validator_option(name_suffix: str, option: str) -> int | None:
    validators: list[dict[str, Any]] = getattr(settings, "AUTH_PASSWORD_VALIDATORS", [])
    for validator in validators:
        if str(validator["NAME"]).endswith(name_suffix):
            return int(validator.get("OPTIONS", {}).get(option, 0))
    return None


@register(Tags.security, deploy=True)
def check_level3_controls(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors: list[Error] = []
    for name, op, bound, check_id, message in LIMITS:
        value = getattr(settings, name, None)
        ok = value is not None and (value <= bound if op == "le" else value >= bound)
        if not ok:
            errors.append(Error(f"{message} ({name}={value!r})", id=check_id))
    min_length = _validator_option("MinimumLengthValidator", "min_length")
    if min_length is None or min_length < 8:
        errors.append(Error("Passwords must have at least 8 characters.", id="mofan.E010"))
    classes = _validator_option("CharacterClassValidator", "min_classes")
    if classes is None or classes < 3:
        errors.append(Error("Passwords must mix at least 3 character classes.", id="mofan.E011"))
    if "mofan.accounts.middleware.IdleTimeoutMiddleware" not in settings.MIDDLEWARE:
        errors.append(Error("The idle-logout middleware is not installed.", id="mofan.E012"))
    if "mofan.accounts.middleware.PasswordChangeRequiredMiddleware" not in settings.MIDDLEWARE:
        errors.append(Error("The forced password change middleware is not installed.", id="mofan.E013"))
    if "mofan.accounts.middleware.PrivateResponseMiddleware" not in settings.MIDDLEWARE:
        errors.append(Error("The middleware that keeps signed-in responses out of caches is not installed.",
                            id="mofan.E025"))
    if settings.AUTHENTICATION_BACKENDS != ["mofan.accounts.backends.LockoutModelBackend"]:
        errors.append(Error("Only the lockout sign-in backend may be configured.", id="mofan.E014"))
    if getattr(settings, "MOFAN_PROFILE", "") == "production" and settings.MOFAN_DATA_KEY.startswith("dev-only"):
        errors.append(Error("MOFAN_DATA_KEY must be set to a secret in production.", id="mofan.E015"))
    errors.extend(_idle_logout_audited())
    return errors


def _idle_logout_audited() -> list[Error]:
    """Idle sign-out is audited only if the idle-logout middleware or the idle sweep ends the session, not the
    session store (mofan/accounts/sessions.py)."""
    errors: list[Error] = []
    limit = int(getattr(settings, "MOFAN_IDLE_TIMEOUT_MINUTES", 0)) * 60
    if int(settings.SESSION_COOKIE_AGE) < limit + 3600:
        errors.append(Error(
            f"Sessions must be kept at least an hour beyond the idle limit, or the store ends them before the idle "
            f"logout can be audited (SESSION_COOKIE_AGE={settings.SESSION_COOKIE_AGE!r}).", id="mofan.E022"))
    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        errors.append(Error("Sessions must be stored in the database: the idle sweep ends and audits them there.",
                            id="mofan.E023"))
    if not settings.SESSION_SAVE_EVERY_REQUEST:
        errors.append(Error("Sessions must be saved on every request: the idle sweep finds them by their expiry.",
                            id="mofan.E024"))
    return errors


def _weak_secret_key(key: str) -> bool:
    """Django's own bar for a secret key (security.W009), here an error: 50 characters, 5 different ones."""
    return len(key) < 50 or len(set(key)) < 5


@register(Tags.security, deploy=True)
def check_production_profile(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """The production profile: no development key, no DEBUG, only named hosts. A mistyped MOFAN_PROFILE never
    gets here (mofan.config.env refuses it at start); E021 catches a profile set past the environment."""
    errors: list[Error] = []
    profile = getattr(settings, "MOFAN_PROFILE", "")
    if profile not in PROFILES:
        errors.append(Error(f"MOFAN_PROFILE={profile!r} is not one of {', '.join(PROFILES)}.", id="mofan.E021"))
    if profile != "development":  # production, and anything that is not plainly development
        key = str(settings.SECRET_KEY)
        if key == DEV_SECRET_KEY or key.startswith(("dev-only", "django-insecure")):
            errors.append(Error("MOFAN_SECRET_KEY must be set to a secret in production: this is the built-in "
                                "development key.", id="mofan.E016"))
        elif _weak_secret_key(key):
            errors.append(Error("MOFAN_SECRET_KEY is too weak for production: at least 50 characters, 5 of "
                                "them different.", id="mofan.E017"))
        if settings.DEBUG:
            errors.append(Error("DEBUG must be off in production (MOFAN_DEBUG).", id="mofan.E018"))
        hosts = [str(host) for host in settings.ALLOWED_HOSTS]
        if any("*" in host for host in hosts):
            errors.append(Error(f"ALLOWED_HOSTS must name the server, not a wildcard (MOFAN_ALLOWED_HOSTS={hosts!r}).",
                                id="mofan.E019"))
        if not any(host.strip() for host in hosts):
            errors.append(Error("ALLOWED_HOSTS is empty: set MOFAN_ALLOWED_HOSTS to the server's names.",
                                id="mofan.E020"))
        errors.extend(_published_passwords())
    return errors


def _published_passwords() -> list[Error]:
    """访问控制 b) (no default password): none of the demo district's accounts signs in with the password the
    README publishes. Reads the database; says nothing before it is migrated."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import check_password

    from mofan.demo.district import ACCOUNTS, DEMO_PASSWORD

    try:
        stored = list(get_user_model().objects.filter(username__in=[a.username for a in ACCOUNTS], is_active=True)
                      .values_list("username", "password"))
    except DatabaseError:
        return []
    published = sorted(name for name, password in stored if check_password(DEMO_PASSWORD, password))
    if not published:
        return []
    return [Error(f"Accounts of the demo district sign in with its published password: {', '.join(published)}.",
                  hint="Change their passwords or deactivate them; never run `mofan demo` on a production database.",
                  id="mofan.E026")]
