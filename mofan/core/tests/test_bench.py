"""``mofan bench``: the runner's JSON shape, its own database, and reuse of generated data."""

from __future__ import annotations

import json
import os
import subprocess  # noqa: S404
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from bench import runner

SHAPE = {"benchmark", "scale", "database", "metrics"}


def assert_result_shape(result: dict[str, Any], scale: int) -> None:
    assert set(result) == SHAPE
    assert result["benchmark"] == "org" and result["scale"] == scale
    assert result["database"] in {"sqlite", "postgresql"}
    metrics = result["metrics"]
    for figure in ("list_first_page", "list_deep_page", "count_capped", "offset_deep_page", "exact_count"):
        assert metrics[f"{figure}_ms"] >= 0 and metrics[f"{figure}_p95_ms"] >= metrics[f"{figure}_ms"]
        assert isinstance(metrics[f"{figure}_queries"], int) and metrics[f"{figure}_queries"] >= 1
    assert all(k.endswith(("_ms", "_queries")) for k in metrics)


@pytest.mark.django_db
def test_run_here_measures_the_org_subtree(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from mofan.org.models import Person

    result = runner.run_here("org", 200)
    assert_result_shape(result, 200)
    assert Person.objects.count() == 400
    # A count and a page, plus the actor's memberships: the figure a user waits for is a fixed few queries.
    assert result["metrics"]["list_first_page_queries"] == 3
    again = runner.run_here("org", 200)  # reuses the generated data
    assert Person.objects.count() == 400 and set(again) == SHAPE


def test_benchmark_databases_are_separate(tmp_path: Path) -> None:
    url = runner.bench_database_url("sqlite:////srv/mofan/var/mofan.sqlite3", "org", 500, tmp_path)
    assert url == f"sqlite:///{tmp_path.resolve()}/bench/bench-org-500.sqlite3"
    pg = runner.bench_database_url("postgres://app:secret@db.local:5432/mofan", "org", 500, tmp_path)
    assert pg == "postgres://app:secret@db.local:5432/mofan_bench_org_500"
    assert runner.is_bench_database(f"{tmp_path}/bench/bench-org-500.sqlite3", "org", 500)
    assert runner.is_bench_database("mofan_bench_org_500", "org", 500)
    assert not runner.is_bench_database("mofan", "org", 500)
    assert not runner.is_bench_database("mofan_bench_org_5000", "org", 500)
    with pytest.raises(runner.BenchError):
        runner.database_kind("mysql://x/y")


def test_unknown_benchmark_and_bad_scale_are_refused() -> None:
    with pytest.raises(CommandError, match="unknown benchmark"):
        call_command("bench", "nope")
    with pytest.raises(CommandError, match="unknown benchmark"):
        call_command("bench", "runner")
    with pytest.raises(CommandError, match="positive"):
        call_command("bench", "org", "--scale", "0")


@pytest.mark.django_db
def test_the_child_refuses_a_database_that_is_not_the_benchmark_one() -> None:
    with pytest.raises(CommandError, match="refusing"):
        call_command("bench", "org", "--scale", "200", "--in-bench-database")


def test_command_runs_on_its_own_sqlite_file_and_reuses_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "MOFAN_DATABASE_URL"}
    env["MOFAN_VAR_DIR"] = str(tmp_path)
    out = tmp_path / "out.json"
    command = [sys.executable, "-m", "mofan.cli", "bench", "org", "--scale", "200", "--json", str(out)]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)  # noqa: S603
    assert first.returncode == 0, first.stderr
    assert "generating" in first.stdout and "list_first_page_ms" in first.stdout
    assert (tmp_path / "bench" / "bench-org-200.sqlite3").exists()
    assert not (tmp_path / "mofan.sqlite3").exists()  # the everyday database is never opened
    result = json.loads(out.read_text(encoding="utf-8"))
    assert_result_shape(result, 200)
    assert result["database"] == "sqlite"
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)  # noqa: S603
    assert second.returncode == 0, second.stderr
    assert "reusing" in second.stdout


def test_figures_are_named_by_their_unit() -> None:
    figures = {"submit_p95_ms": 12.5, "submit_queries": 4, "capacity_per_s": 800.0}
    assert runner.check_metrics(figures) == figures
    with pytest.raises(runner.BenchError, match="must end in _ms, _queries, _per_s"):
        runner.check_metrics({"round_s": 400.0})
    with pytest.raises(runner.BenchError, match="not a number"):
        runner.check_metrics({"submit_ms": True})
