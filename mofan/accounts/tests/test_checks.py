"""`check --deploy` fails when a level-3 control is switched off or weakened, and passes with the defaults."""

from __future__ import annotations

import copy
from typing import Any, cast

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from mofan.accounts.checks import check_level3_controls


def run_deploy_check() -> None:
    call_command("check", "--deploy", "--fail-level", "ERROR", verbosity=0)


def current_validators() -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], copy.deepcopy(settings.AUTH_PASSWORD_VALIDATORS))


def validators_without(name_suffix: str) -> list[dict[str, Any]]:
    return [v for v in current_validators() if not v["NAME"].endswith(name_suffix)]


def validators_with(name_suffix: str, **options: Any) -> list[dict[str, Any]]:
    validators = current_validators()
    for validator in validators:
        if validator["NAME"].endswith(name_suffix):
            validator["OPTIONS"] = options
    return validators


def test_defaults_pass_the_level3_checks() -> None:
    assert check_level3_controls() == []


WEAKENED = [
    ({"MOFAN_LOCKOUT_ATTEMPTS": 0}, "mofan.E002"),
    ({"MOFAN_LOCKOUT_ATTEMPTS": 10}, "mofan.E001"),
    ({"MOFAN_LOCKOUT_MINUTES": 5}, "mofan.E003"),
    ({"MOFAN_IDLE_TIMEOUT_MINUTES": 120}, "mofan.E004"),
    ({"MOFAN_IDLE_TIMEOUT_MINUTES": 0}, "mofan.E005"),
    ({"MOFAN_PASSWORD_MAX_AGE_DAYS": 365}, "mofan.E006"),
    ({"MOFAN_PASSWORD_MAX_AGE_DAYS": 0}, "mofan.E007"),
    ({"MOFAN_PASSWORD_HISTORY": 2}, "mofan.E008"),
    ({"MOFAN_AUDIT_RETENTION_DAYS": 30}, "mofan.E009"),
    ({"AUTH_PASSWORD_VALIDATORS": validators_without("MinimumLengthValidator")}, "mofan.E010"),
    ({"AUTH_PASSWORD_VALIDATORS": validators_with("MinimumLengthValidator", min_length=6)}, "mofan.E010"),
    ({"AUTH_PASSWORD_VALIDATORS": validators_without("CharacterClassValidator")}, "mofan.E011"),
    ({"AUTH_PASSWORD_VALIDATORS": validators_with("CharacterClassValidator", min_classes=2)}, "mofan.E011"),
    ({"MIDDLEWARE": [m for m in settings.MIDDLEWARE if not m.endswith("IdleTimeoutMiddleware")]}, "mofan.E012"),
    ({"MIDDLEWARE": [m for m in settings.MIDDLEWARE if not m.endswith("PasswordChangeRequiredMiddleware")]},
     "mofan.E013"),
    ({"AUTHENTICATION_BACKENDS": ["django.contrib.auth.backends.ModelBackend"]}, "mofan.E014"),
    ({"MOFAN_PROFILE": "production", "MOFAN_DATA_KEY": "dev-only-data-key-change-me"}, "mofan.E015"),
    ({"SESSION_COOKIE_AGE": 30 * 60}, "mofan.E022"),  # the store would end idle sessions unaudited (defect 12)
    ({"MOFAN_IDLE_TIMEOUT_MINUTES": 30, "SESSION_COOKIE_AGE": 30 * 60 + 600}, "mofan.E022"),
    ({"SESSION_ENGINE": "django.contrib.sessions.backends.signed_cookies"}, "mofan.E023"),
    ({"SESSION_SAVE_EVERY_REQUEST": False}, "mofan.E024"),
]


@pytest.mark.django_db  # in production on PostgreSQL the audit trail's deploy checks read the database
@pytest.mark.parametrize(("overrides", "check_id"), WEAKENED, ids=[c for _, c in WEAKENED])
def test_check_deploy_fails_when_a_control_is_weakened(overrides: dict[str, Any], check_id: str) -> None:
    with override_settings(**overrides):
        assert check_id in {e.id for e in check_level3_controls()}
        with pytest.raises(SystemCheckError) as exc:
            run_deploy_check()
    assert check_id in str(exc.value)


def test_level3_checks_run_only_with_deploy() -> None:
    with override_settings(MOFAN_LOCKOUT_ATTEMPTS=0):
        call_command("check", "--fail-level", "ERROR", verbosity=0)  # no --deploy: development stays usable


def test_check_deploy_passes_with_the_defaults() -> None:
    run_deploy_check()  # Django's own deploy warnings (HTTPS) stay warnings in development
