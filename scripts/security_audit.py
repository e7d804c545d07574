"""`make security`: bandit over the application code, then pip-audit over the installed dependencies.

bandit reads its settings from pyproject.toml ([tool.bandit]: tests and migrations excluded); any finding
fails. A justified exception is marked on its line with ``# nosec`` and the test id it answers (``# nosec B608``), with the reason beside it.

pip-audit asks a vulnerability service (PyPI's JSON API by default) about every installed distribution. A
vulnerability found fails the run: upgrade the dependency. When no vulnerability list can be reached (no
network, a timeout, or a service that knows none of the installed versions, as with a private mirror) the
audit is skipped with the reason printed, and the run passes: an unreachable service is not a finding.

Usage: python scripts/security_audit.py [--skip-bandit] [--skip-pip-audit]
Environment: MOFAN_AUDIT_SERVICE (pypi or osv, default pypi), MOFAN_AUDIT_TIMEOUT (seconds, default 15).
"""

from __future__ import annotations

import json
import os
import subprocess  # nosec B404 - runs bandit and pip-audit from this virtualenv, fixed arguments
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SERVICE = os.environ.get("MOFAN_AUDIT_SERVICE", "pypi")
TIMEOUT = int(os.environ.get("MOFAN_AUDIT_TIMEOUT", "15"))
PROBES = {"pypi": "https://pypi.org/pypi/pip/json", "osv": "https://api.osv.dev/v1/vulns/PYSEC-2021-1"}


def run_bandit() -> int:
    print("== bandit", flush=True)
    command = [sys.executable, "-m", "bandit", "-c", "pyproject.toml", "-r", "mofan", "-q", "--severity-level",
               "low"]
    return subprocess.call(command, cwd=ROOT)  # noqa: S603  # nosec B603 - fixed command


def service_reachable() -> str | None:
    """None when the vulnerability service answers, else why not."""
    url = PROBES.get(SERVICE)
    if url is None:
        return f"unknown vulnerability service {SERVICE!r}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:  # noqa: S310  # nosec B310 - fixed https URL
            response.read(1)
    except (urllib.error.URLError, OSError) as exc:
        return f"{url} did not answer ({exc})"
    return None


def run_pip_audit() -> int:
    print(f"== pip-audit ({SERVICE})", flush=True)
    unreachable = service_reachable()
    if unreachable:
        print(f"pip-audit SKIPPED: no vulnerability list is reachable: {unreachable}.")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "audit.json"
        command = [sys.executable, "-m", "pip_audit", "--local", "--skip-editable", "--progress-spinner", "off",
                   "--vulnerability-service", SERVICE, "--timeout", str(TIMEOUT), "--format", "json",
                   "--output", str(report)]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603  # nosec B603
        if not report.exists() or not report.read_text().strip():
            # pip-audit stopped before writing a report: the service failed midway (network, timeout).
            reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
            print(f"pip-audit SKIPPED: the vulnerability service could not be used: {reason}")
            return 0
        dependencies = json.loads(report.read_text()).get("dependencies", [])
    status, lines = judge(dependencies)
    print("\n".join(lines))
    return status


def judge(dependencies: list[dict[str, Any]]) -> tuple[int, list[str]]:
    """The verdict on pip-audit's JSON ``dependencies``: 1 when any has a known vulnerability; 0 when none has,
    or when the service knew none of them (a skip, said so)."""
    vulnerable = [d for d in dependencies if d.get("vulns")]
    audited = [d for d in dependencies if not d.get("skip_reason")]
    lines = []
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            lines.append(f"VULNERABLE {dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {fixed})")
    if vulnerable:
        lines.append(f"pip-audit FAILED: {len(vulnerable)} vulnerable dependencies; upgrade them in pyproject.toml.")
        return 1, lines
    if not audited:
        lines.append(f"pip-audit SKIPPED: the vulnerability service knows none of the {len(dependencies)} installed "
                     "versions (a private mirror's builds?), so there is no list to audit them against.")
        return 0, lines
    skipped = len(dependencies) - len(audited)
    lines.append(f"pip-audit: {len(audited)} dependencies audited, no known vulnerability"
                 + (f" ({skipped} unknown to the service, not audited)" if skipped else "") + ".")
    return 0, lines


def main(argv: list[str]) -> int:
    status = 0
    if "--skip-bandit" not in argv:
        status |= run_bandit()
    if "--skip-pip-audit" not in argv:
        status |= run_pip_audit()
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
