"""Every knob of mofan, read from the environment in this one place.

The defaults are the embedded profile: SQLite in ``var/``, no Redis, no Celery worker.
To add a knob: add a field here with its default, document it in README.md, and read
``ENV.<name>`` in settings; nothing else reads ``os.environ``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _str(name: str, default: str) -> str:
    raw = os.environ.get(name)
    return raw if raw not in (None, "") else default


PROFILES = ("development", "production")
# The built-in development key: ``check --deploy`` refuses it in production (mofan.E016).
DEV_SECRET_KEY = "dev-only-insecure-key-change-me-in-production-0123456789"  # noqa: S105  # nosec B105


def _profile() -> str:
    """``MOFAN_PROFILE``, exactly one of PROFILES: a mistyped value (``Production``, ``prod``) stops mofan at
    start instead of silently running the development profile."""
    raw = _str("MOFAN_PROFILE", "development")
    if raw not in PROFILES:
        raise ImproperlyConfigured(
            f"MOFAN_PROFILE={raw!r} is not a profile of mofan; use one of: {', '.join(PROFILES)} "
            f"(exactly, in lower case). MOFAN_PROFILE 取值无效，只能是 {' 或 '.join(PROFILES)}。"
        )
    return raw


def _hosts() -> list[str]:
    """``MOFAN_ALLOWED_HOSTS``, comma separated; blanks around names and empty entries are dropped."""
    raw = _str("MOFAN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
    return [host.strip() for host in raw.split(",") if host.strip()]


@dataclass(frozen=True)
class Env:
    profile: str  # one of PROFILES: "development" (embedded default) or "production"
    debug: bool
    secret_key: str
    data_key: str  # key material for SM4 encryption of personal data at rest
    audit_key: str  # key material for the HMAC-SM3 chain of the audit trail (never in the database)
    allowed_hosts: list[str]
    database_url: str
    redis_url: str
    celery_always_eager: bool
    var_dir: Path
    # Level-3 sign-in controls (网络安全等级保护 2.0); see mofan/accounts/checks.py
    password_min_length: int
    password_min_classes: int
    password_history: int
    password_max_age_days: int
    lockout_attempts: int
    lockout_minutes: int
    idle_timeout_minutes: int
    reauth_minutes: int  # re-authentication before sensitive actions holds this long
    admin_2fa: bool  # the three administrators must sign in with a second factor (TOTP)
    audit_retention_days: int
    import_max_bytes: int
    import_max_rows: int
    attachment_max_bytes: int
    public_reports_per_hour: int
    learning_individual_ranking: bool  # boards rank individuals (else branches see rates and bands)


def load() -> Env:
    var_dir = Path(_str("MOFAN_VAR_DIR", str(BASE_DIR / "var")))
    return Env(
        profile=_profile(),
        debug=_bool("MOFAN_DEBUG", False),
        secret_key=_str("MOFAN_SECRET_KEY", DEV_SECRET_KEY),
        data_key=_str("MOFAN_DATA_KEY", "dev-only-data-key-change-me"),
        audit_key=_str("MOFAN_AUDIT_KEY", "dev-only-audit-key-change-me"),
        allowed_hosts=_hosts(),
        database_url=_str("MOFAN_DATABASE_URL", f"sqlite:///{var_dir / 'mofan.sqlite3'}"),
        redis_url=_str("MOFAN_REDIS_URL", ""),
        celery_always_eager=_bool("MOFAN_CELERY_EAGER", True),
        var_dir=var_dir,
        password_min_length=_int("MOFAN_PASSWORD_MIN_LENGTH", 8),
        password_min_classes=_int("MOFAN_PASSWORD_MIN_CLASSES", 3),
        password_history=_int("MOFAN_PASSWORD_HISTORY", 5),
        password_max_age_days=_int("MOFAN_PASSWORD_MAX_AGE_DAYS", 90),
        lockout_attempts=_int("MOFAN_LOCKOUT_ATTEMPTS", 5),
        lockout_minutes=_int("MOFAN_LOCKOUT_MINUTES", 15),
        idle_timeout_minutes=_int("MOFAN_IDLE_TIMEOUT_MINUTES", 30),
        reauth_minutes=_int("MOFAN_REAUTH_MINUTES", 5),
        admin_2fa=_bool("MOFAN_ADMIN_2FA", True),
        audit_retention_days=_int("MOFAN_AUDIT_RETENTION_DAYS", 183),
        import_max_bytes=_int("MOFAN_IMPORT_MAX_BYTES", 5 * 1024 * 1024),
        import_max_rows=_int("MOFAN_IMPORT_MAX_ROWS", 20000),
        attachment_max_bytes=_int("MOFAN_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024),
        public_reports_per_hour=_int("MOFAN_PUBLIC_REPORTS_PER_HOUR", 5),
        learning_individual_ranking=_bool("MOFAN_LEARNING_INDIVIDUAL_RANKING", False),
    )


ENV = load()
