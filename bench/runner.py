"""Running benchmarks: ``mofan bench NAME [--scale N] [--json FILE]``.

A benchmark is a module ``bench/<name>.py`` with

- ``DEFAULT_SCALE: int`` — the scale used when ``--scale`` is not given;
- ``run(scale: int) -> dict[str, float]`` — generates its data when it is missing (data already in the
  benchmark database is reused), then measures, and returns figures named ``<figure>_ms`` (milliseconds),
  ``<figure>_queries`` (SQL queries per operation) or ``<figure>_per_s`` (a rate: operations a second). Use
  ``measure()`` below for the first two.

To add one: write ``bench/<name>.py`` with those two names, generate data through bulk inserts in one
transaction (so an interrupted run leaves nothing half-made), and read through the real selectors with a
real actor, so the figures are those a user gets. Benchmarks are not tests: they never fail on timing.

Each benchmark runs against its own database, never the everyday one: ``bench-<name>-<scale>.sqlite3``
under ``var/bench/`` for SQLite, or ``<dbname>_bench_<name>_<scale>`` (created when missing) on the
PostgreSQL server of ``MOFAN_DATABASE_URL``. The command runs the benchmark in a child process whose
``MOFAN_DATABASE_URL`` points at that database, so Django's settings are built against it from the start
(see ``bench_database_url`` and ``mofan/core/management/commands/bench.py``).
"""

from __future__ import annotations

import importlib
import json
import math
import pkgutil
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
NOT_BENCHMARKS = {"runner"}
UNITS = ("_ms", "_queries", "_per_s", "_mib")  # what a figure's name ends in: milliseconds, queries, a rate, MiB


class BenchError(Exception):
    """A benchmark cannot run (unknown name, bad scale, unsupported database)."""


def available() -> list[str]:
    import bench

    return sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name not in NOT_BENCHMARKS)


def load(name: str) -> ModuleType:
    """The module ``bench.<name>``, checked to offer ``run`` and ``DEFAULT_SCALE``."""
    if not NAME_RE.match(name) or name in NOT_BENCHMARKS or name not in available():
        raise BenchError(f"unknown benchmark {name!r}; available: {', '.join(available()) or 'none'}")
    module = importlib.import_module(f"bench.{name}")
    if not callable(getattr(module, "run", None)) or not isinstance(getattr(module, "DEFAULT_SCALE", None), int):
        raise BenchError(f"bench/{name}.py must define run(scale) and an integer DEFAULT_SCALE")
    return module


def database_kind(url: str) -> str:
    """'sqlite' or 'postgresql' for a database URL."""
    scheme = urlsplit(url).scheme.lower()
    if scheme.startswith("sqlite"):
        return "sqlite"
    if scheme.startswith(("postgres", "postgresql", "pgsql")):
        return "postgresql"
    raise BenchError(f"benchmarks run on SQLite or PostgreSQL, not {scheme!r}")


def bench_database_url(base_url: str, name: str, scale: int, var_dir: Path) -> str:
    """The URL of the benchmark database for ``name`` at ``scale``, beside the everyday one."""
    if database_kind(base_url) == "sqlite":
        return f"sqlite:///{(var_dir / 'bench' / f'bench-{name}-{scale}.sqlite3').resolve()}"
    parts = urlsplit(base_url)
    dbname = parts.path.lstrip("/") or "mofan"
    return urlunsplit(parts._replace(path=f"/{dbname}_bench_{name}_{scale}"))


def is_bench_database(database_name: str, name: str, scale: int) -> bool:
    """Whether a database NAME (a SQLite file or a PostgreSQL database) is the benchmark database of
    ``name`` at ``scale`` as ``bench_database_url`` names it."""
    return (Path(database_name).name == f"bench-{name}-{scale}.sqlite3"
            or database_name.endswith(f"_bench_{name}_{scale}"))


def ensure_database(url: str) -> bool:
    """Create the benchmark database when it is missing; True when it was created."""
    if database_kind(url) == "sqlite":
        path = Path("/" + urlsplit(url).path.lstrip("/"))
        existed = path.exists()
        path.parent.mkdir(parents=True, exist_ok=True)
        return not existed
    import dj_database_url
    import psycopg
    from psycopg import sql

    conf = dj_database_url.parse(url)
    dbname = conf["NAME"]
    with psycopg.connect(
        host=conf.get("HOST") or None, port=conf.get("PORT") or None, user=conf.get("USER") or None,
        password=conf.get("PASSWORD") or None, dbname="postgres", autocommit=True,
    ) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
        return True


# Measuring ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    samples_ms: list[float]
    queries: int

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p95_ms(self) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]

    def metrics(self, figure: str) -> dict[str, float]:
        return {f"{figure}_ms": round(self.median_ms, 3), f"{figure}_p95_ms": round(self.p95_ms, 3),
                f"{figure}_queries": self.queries}


def measure(operation: Callable[[], Any], *, repeat: int = 15, setup: Callable[[], Any] | None = None) -> Timing:
    """Run ``operation`` once to count its queries (and warm caches), then ``repeat`` times to time it.
    ``setup`` runs before every call, outside the timing (e.g. to forget per-request caches)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if setup is not None:
        setup()
    with CaptureQueriesContext(connection) as captured:
        operation()
    samples = []
    for _ in range(repeat):
        if setup is not None:
            setup()
        started = time.perf_counter()
        operation()
        samples.append((time.perf_counter() - started) * 1000)
    return Timing(samples_ms=samples, queries=len(captured.captured_queries))


# Running --------------------------------------------------------------------------------------------


def check_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    for key, value in metrics.items():
        if not key.endswith(UNITS):
            raise BenchError(f"figure {key!r} must end in {', '.join(UNITS)}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BenchError(f"figure {key!r} is not a number")
    return metrics


def run_here(name: str, scale: int) -> dict[str, Any]:
    """Run benchmark ``name`` against the current default database (already migrated) and return the
    result in the shape ``--json`` writes. The command calls this inside the benchmark database's process;
    tests call it directly on the test database."""
    from django.db import connection

    if scale < 1:
        raise BenchError("the scale must be a positive number")
    module = load(name)
    metrics = check_metrics(module.run(scale))
    return {"benchmark": name, "scale": scale, "database": connection.vendor, "metrics": metrics}


def format_table(result: dict[str, Any]) -> str:
    rows = [(key, f"{value:,.3f}" if key.endswith("_ms") else f"{value:,}") for key, value in result["metrics"].items()]
    width = max([len("figure"), *(len(key) for key, _ in rows)])
    vwidth = max([len("value"), *(len(value) for _, value in rows)])
    lines = [f"benchmark {result['benchmark']} · scale {result['scale']:,} · {result['database']}",
             f"{'figure':<{width}}  {'value':>{vwidth}}", f"{'-' * width}  {'-' * vwidth}"]
    lines += [f"{key:<{width}}  {value:>{vwidth}}" for key, value in rows]
    return "\n".join(lines)


def write_json(result: dict[str, Any], path: str | Path) -> None:
    Path(path).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def analyze(vacuum: list[str], analyze_only: tuple[str, ...] = ("org_unit",)) -> None:
    """Fresh planner statistics after generating data; on PostgreSQL also VACUUM the big tables for the
    visibility map (as autovacuum would keep it), which index-only scans need. VACUUM cannot run inside a
    transaction, so tests (which run in one) get ANALYZE only."""
    from django.db import connection

    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        connection.ensure_connection()
        raw: Any = connection.connection
        autocommit = raw.autocommit
        raw.autocommit = True
        try:
            for table in vacuum:
                raw.execute(f"VACUUM ANALYZE {table}")
            for table in analyze_only:
                raw.execute(f"ANALYZE {table}")
        finally:
            raw.autocommit = autocommit
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def import_summary(totals: list[float], checks: list[float], writes: list[float], *, queries: int,
                   scale: int) -> dict[str, float]:
    """The figures of an import benchmark from its runs (milliseconds each): the whole import, the read-and-check
    stage and the write stage (medians), its queries, and the time per row."""
    median = statistics.median(totals)
    return {
        "import_ms": round(median, 1),
        "read_check_ms": round(statistics.median(checks), 1),
        "write_ms": round(statistics.median(writes), 1),
        "import_queries": queries,
        "per_row_ms": round(median / scale, 3),
    }
