"""Django settings. Values come from mofan.config.env; nothing here reads os.environ."""

from __future__ import annotations

import dj_database_url
from django.utils.translation import gettext_lazy as _

from mofan.config.env import BASE_DIR, ENV

PACKAGE_DIR = BASE_DIR / "mofan"
ENV.var_dir.mkdir(parents=True, exist_ok=True)

SECRET_KEY = ENV.secret_key
DEBUG = ENV.debug
ALLOWED_HOSTS = ENV.allowed_hosts
MOFAN_PROFILE = ENV.profile

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_htmx",
    "mofan.core",
    "mofan.audit",
    "mofan.org",
    "mofan.accounts",
    "mofan.twofactor",
    "mofan.cases",
    "mofan.questions",
    "mofan.exams",
    "mofan.contests",
    "mofan.learning",
    "mofan.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "mofan.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "mofan.core.validators.ControlCharacterMiddleware",  # control characters refused in every input
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "mofan.accounts.middleware.IdleTimeoutMiddleware",
    "mofan.accounts.middleware.PrivateResponseMiddleware",  # signed-in responses are never cached (no-store)
    "mofan.accounts.middleware.PasswordChangeRequiredMiddleware",
    "mofan.accounts.reauth.ReauthMiddleware",  # a page that needs a recent re-authentication asks for it
    "mofan.twofactor.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "mofan.audit.middleware.RequestContextMiddleware",
    "mofan.cases.sweeper.SweepAfterResponseMiddleware",  # time limits without Celery (ADR 0007)
    "mofan.audit.middleware.VerifyAfterResponseMiddleware",  # the audit chain verified daily without Celery
]

ROOT_URLCONF = "mofan.config.urls"
WSGI_APPLICATION = "mofan.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mofan.core.context_processors.navigation",
            ],
        },
    }
]

DATABASES = {"default": dj_database_url.parse(ENV.database_url, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["mofan.accounts.backends.LockoutModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": ENV.password_min_length},
    },
    {
        "NAME": "mofan.accounts.validators.CharacterClassValidator",
        "OPTIONS": {"min_classes": ENV.password_min_classes},
    },
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {
        "NAME": "mofan.accounts.validators.PasswordHistoryValidator",
        "OPTIONS": {"history": ENV.password_history},
    },
]

# Level-3 controls, all on by default (checked by mofan.accounts.checks with --deploy).
MOFAN_PASSWORD_HISTORY = ENV.password_history
MOFAN_PASSWORD_MAX_AGE_DAYS = ENV.password_max_age_days
MOFAN_LOCKOUT_ATTEMPTS = ENV.lockout_attempts
MOFAN_LOCKOUT_MINUTES = ENV.lockout_minutes
MOFAN_IDLE_TIMEOUT_MINUTES = ENV.idle_timeout_minutes
MOFAN_REAUTH_MINUTES = ENV.reauth_minutes
MOFAN_ADMIN_2FA = ENV.admin_2fa
MOFAN_AUDIT_RETENTION_DAYS = ENV.audit_retention_days
MOFAN_IMPORT_MAX_BYTES = ENV.import_max_bytes
MOFAN_IMPORT_MAX_ROWS = ENV.import_max_rows
MOFAN_ATTACHMENT_MAX_BYTES = ENV.attachment_max_bytes
MOFAN_PUBLIC_REPORTS_PER_HOUR = ENV.public_reports_per_hour
MOFAN_LEARNING_INDIVIDUAL_RANKING = ENV.learning_individual_ranking
MOFAN_DATA_KEY = ENV.data_key
MOFAN_AUDIT_KEY = ENV.audit_key  # the audit chain's HMAC-SM3 key (mofan/audit/chain.py)

# The store keeps a session 12 hours beyond the idle limit, so the idle-logout middleware (or, for a closed
# browser, the idle sweep) is what ends it, and audits it (mofan/accounts/sessions.py; check --deploy E022).
SESSION_COOKIE_AGE = ENV.idle_timeout_minutes * 60 + 12 * 3600
SESSION_ENGINE = "django.contrib.sessions.backends.db"  # the idle sweep reads the stored sessions
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if ENV.profile == "production":
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = ENV.var_dir / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
# Static files are served by WhiteNoise (no separate web server needed on an intranet PC); in production
# `mofan collectstatic` fills STATIC_ROOT, elsewhere they are found in place.
WHITENOISE_USE_FINDERS = ENV.profile != "production"
MEDIA_ROOT = ENV.var_dir / "media"
DATA_UPLOAD_MAX_MEMORY_SIZE = ENV.import_max_bytes + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "mofan.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "mofan API",
    "DESCRIPTION": "模范: district, people, roles and audit trail",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# The cache holds rate-limit counters (public reports): per process in the embedded profile, shared in Redis.
if ENV.redis_url:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": ENV.redis_url}}

CELERY_BROKER_URL = ENV.redis_url or "memory://"
CELERY_TASK_ALWAYS_EAGER = ENV.celery_always_eager or not ENV.redis_url
CELERY_BEAT_SCHEDULE = {
    # Case time limits: flag overdue steps, remind, escalate (mofan/cases/sweeper.py).
    "cases-sweep": {"task": "mofan.cases.sweep", "schedule": 60.0},
    # Test attempts past their time limit or the test's close are submitted (mofan/exams/tasks.py).
    "exams-sweep": {"task": "mofan.exams.sweep", "schedule": 60.0},
    # Signed-in sessions idle past the limit that nobody came back to: ended and audited (accounts/sessions.py).
    "accounts-idle-sessions": {"task": "mofan.accounts.sweep_idle_sessions", "schedule": 60.0},
    # The audit chain verified once a day; a failure is an alert on the audit trail page (mofan/audit/tasks.py).
    "audit-verify": {"task": "mofan.audit.verify", "schedule": 24 * 3600.0},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
