"""scripts/security_audit.py: the verdict on pip-audit's report (a vulnerability fails the run; a service that
knows none of the installed versions is a skip with its reason, not a pass in silence)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "security_audit.py"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("security_audit", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_known_vulnerability_fails_the_run() -> None:
    status, lines = load().judge([
        {"name": "django", "version": "3.2.0", "vulns": [{"id": "PYSEC-2021-98", "fix_versions": ["3.2.1"]}]},
        {"name": "redis", "version": "5.0.0", "vulns": []},
    ])
    assert status == 1
    assert lines[0] == "VULNERABLE django 3.2.0: PYSEC-2021-98 (fixed in 3.2.1)" and "FAILED" in lines[-1]


def test_no_vulnerability_passes_and_says_what_was_audited() -> None:
    status, lines = load().judge([{"name": "django", "version": "5.2", "vulns": []},
                                  {"name": "mofan-x", "skip_reason": "Dependency not found on PyPI"}])
    assert status == 0 and lines == ["pip-audit: 1 dependencies audited, no known vulnerability (1 unknown to the "
                                     "service, not audited)."]


def test_a_service_that_knows_no_installed_version_is_a_skip_with_its_reason() -> None:
    status, lines = load().judge([{"name": "django", "skip_reason": "Dependency not found on PyPI"}])
    assert status == 0 and lines[0].startswith("pip-audit SKIPPED: the vulnerability service knows none of the 1")


def test_an_unreachable_service_is_a_skip() -> None:
    module = load()
    module.PROBES["pypi"] = "http://127.0.0.1:9/unreachable"  # the discard port: nothing answers
    module.__dict__["TIMEOUT"] = 2
    assert module.service_reachable() is not None
    assert module.run_pip_audit() == 0
