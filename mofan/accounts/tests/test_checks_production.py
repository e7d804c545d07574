"""The production profile (defect 7): ``check --deploy`` fails on the development secret key, on DEBUG, on a
wildcard or empty ALLOWED_HOSTS and on the development data key; an unknown MOFAN_PROFILE stops mofan at start.

Unit tests run the registered deploy checks with overridden settings; the ``slow_subprocess`` tests run the
real ``mofan check --deploy`` with the environment set, as an operator would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from mofan.config import env
from mofan.config.env import DEV_SECRET_KEY

# The deploy checks of the audit trail read the database on PostgreSQL in production (mofan/audit/checks.py).
pytestmark = pytest.mark.django_db

STRONG_KEY = "k3y-for-the-tests-only-" + "9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1908"
PRODUCTION = {
    "MOFAN_PROFILE": "production",
    "SECRET_KEY": STRONG_KEY,
    "MOFAN_DATA_KEY": "data-key-for-the-tests-only-5a4b3c2d1e0f",
    "DEBUG": False,
    "ALLOWED_HOSTS": ["mofan.example.gov.cn"],
}


def deploy_error_ids() -> set[str]:
    """The ids of every error the registered deploy checks report (all of them, not one function)."""
    return {m.id for m in run_checks(include_deployment_checks=True) if m.is_serious() and m.id}


PROFILE_CHECKS = {"mofan.E015", "mofan.E016", "mofan.E017", "mofan.E018", "mofan.E019", "mofan.E020", "mofan.E021"}


def test_a_proper_production_configuration_passes() -> None:
    with override_settings(**PRODUCTION):
        assert not deploy_error_ids() & PROFILE_CHECKS


BROKEN = [
    ({"SECRET_KEY": DEV_SECRET_KEY}, "mofan.E016"),
    ({"SECRET_KEY": "django-insecure-" + "x1y2z3" * 10}, "mofan.E016"),
    ({"SECRET_KEY": "short-but-set"}, "mofan.E017"),
    ({"SECRET_KEY": "a" * 60}, "mofan.E017"),
    ({"DEBUG": True}, "mofan.E018"),
    ({"ALLOWED_HOSTS": ["*"]}, "mofan.E019"),
    ({"ALLOWED_HOSTS": ["mofan.example.gov.cn", "*"]}, "mofan.E019"),
    ({"ALLOWED_HOSTS": []}, "mofan.E020"),
    ({"ALLOWED_HOSTS": ["", " "]}, "mofan.E020"),
    ({"MOFAN_DATA_KEY": "dev-only-data-key-change-me"}, "mofan.E015"),
    ({"MOFAN_PROFILE": "Production"}, "mofan.E021"),
]


@pytest.mark.parametrize(("overrides", "check_id"), BROKEN, ids=[f"{c}-{i}" for i, (_, c) in enumerate(BROKEN)])
def test_check_deploy_in_production_fails(overrides: dict[str, Any], check_id: str) -> None:
    with override_settings(**{**PRODUCTION, **overrides}):
        assert check_id in deploy_error_ids()
        with pytest.raises(SystemCheckError) as exc:
            call_command("check", "--deploy", "--fail-level", "ERROR", verbosity=0)
    assert check_id in str(exc.value)


def test_development_profile_keeps_its_development_key() -> None:
    """The embedded profile is for a PC and the tests: its built-in key is not an error there."""
    with override_settings(MOFAN_PROFILE="development", SECRET_KEY=DEV_SECRET_KEY):
        assert not deploy_error_ids() & PROFILE_CHECKS


# The environment -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["Production", "PRODUCTION", "prod", "production ", "dev", "staging"])
def test_an_unknown_profile_is_refused_when_the_environment_is_read(monkeypatch: Any, value: str) -> None:
    monkeypatch.setenv("MOFAN_PROFILE", value)
    with pytest.raises(ImproperlyConfigured) as exc:
        env.load()
    assert repr(value) in str(exc.value)
    assert "development, production" in str(exc.value)


@pytest.mark.parametrize(("value", "profile"), [(None, "development"), ("", "development"),
                                                ("development", "development"), ("production", "production")])
def test_the_known_profiles_are_read(monkeypatch: Any, value: str | None, profile: str) -> None:
    if value is None:
        monkeypatch.delenv("MOFAN_PROFILE", raising=False)
    else:
        monkeypatch.setenv("MOFAN_PROFILE", value)
    assert env.load().profile == profile


@pytest.mark.parametrize(("value", "hosts"), [
    (" mofan.example.gov.cn , 10.0.0.5 ", ["mofan.example.gov.cn", "10.0.0.5"]),
    ("mofan.example.gov.cn,,", ["mofan.example.gov.cn"]),
    (" , ", []),
    ("*", ["*"]),
])
def test_allowed_hosts_are_read_without_blanks(monkeypatch: Any, value: str, hosts: list[str]) -> None:
    monkeypatch.setenv("MOFAN_ALLOWED_HOSTS", value)
    assert env.load().allowed_hosts == hosts


# The real command, as the operator runs it ---------------------------------------------------------------


def run_mofan(tmp_path: Path, *args: str, **environment: str | None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("MOFAN_", "DJANGO_"))}
    base.update({
        "MOFAN_VAR_DIR": str(tmp_path / "var"),
        "MOFAN_PROFILE": "production",
        "MOFAN_SECRET_KEY": STRONG_KEY,
        "MOFAN_DATA_KEY": "data-key-for-the-tests-only-5a4b3c2d1e0f",
        "MOFAN_ALLOWED_HOSTS": "mofan.example.gov.cn",
        "MOFAN_AUDIT_KEY": "audit-key-for-the-tests-only-7e6d5c4b3a29",  # the audit chain's key (E042)
    })
    for name, value in environment.items():
        if value is None:
            base.pop(name, None)
        else:
            base[name] = value
    return subprocess.run([sys.executable, "-m", "mofan.cli", *args], cwd=tmp_path, env=base,  # noqa: S603
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow_subprocess
def test_check_deploy_passes_a_proper_production_environment(tmp_path: Path) -> None:
    result = run_mofan(tmp_path, "check", "--deploy", "--fail-level", "ERROR")
    assert result.returncode == 0, result.stderr
    # Transport (数据保密性/完整性 in transit): HTTPS redirect, HSTS, secure session and CSRF cookies are on,
    # so Django's own deploy checks have nothing to say about them; nor about the secret key.
    output = result.stdout + result.stderr
    for warning in ("security.W004", "security.W008", "security.W009", "security.W012", "security.W016"):
        assert warning not in output


@pytest.mark.slow_subprocess
@pytest.mark.parametrize(("environment", "check_id"), [
    ({"MOFAN_SECRET_KEY": None}, "mofan.E016"),
    ({"MOFAN_DEBUG": "1"}, "mofan.E018"),
    ({"MOFAN_ALLOWED_HOSTS": "*"}, "mofan.E019"),
    ({"MOFAN_ALLOWED_HOSTS": " , "}, "mofan.E020"),
    ({"MOFAN_DATA_KEY": None}, "mofan.E015"),
], ids=["dev-secret-key", "debug", "hosts-wildcard", "hosts-empty", "dev-data-key"])
def test_check_deploy_fails_the_production_environment(tmp_path: Path, environment: dict[str, str | None],
                                                       check_id: str) -> None:
    result = run_mofan(tmp_path, "check", "--deploy", "--fail-level", "ERROR", **environment)
    assert result.returncode != 0
    assert check_id in result.stderr


@pytest.mark.slow_subprocess
@pytest.mark.parametrize("value", ["Production", "prod"])
@pytest.mark.parametrize("command", [["check", "--deploy"], ["check"], ["migrate", "--plan"]])
def test_an_unknown_profile_stops_mofan_at_start(tmp_path: Path, value: str, command: list[str]) -> None:
    result = run_mofan(tmp_path, *command, MOFAN_PROFILE=value)
    assert result.returncode != 0
    assert f"MOFAN_PROFILE={value!r}" in result.stderr
    assert "development, production" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "var" / "mofan.sqlite3").exists()


# 访问控制 b): no account of a production district signs in with a password published in the README ----------


def test_check_deploy_in_production_fails_on_the_demo_accounts_password(make_user: Any) -> None:
    from mofan.demo.district import DEMO_PASSWORD

    user = make_user(username="anquan")
    user.set_password(DEMO_PASSWORD)
    user.save()
    with override_settings(**PRODUCTION):
        assert "mofan.E026" in deploy_error_ids()
    user.set_password("An0ther-Secret-2026")
    user.save()
    with override_settings(**PRODUCTION):
        assert "mofan.E026" not in deploy_error_ids()
    with override_settings(MOFAN_PROFILE="development"):
        user.set_password(DEMO_PASSWORD)
        user.save()
        assert "mofan.E026" not in deploy_error_ids()  # the demo district is what development is for
