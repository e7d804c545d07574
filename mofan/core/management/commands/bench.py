"""``mofan bench NAME [--scale N] [--json FILE]``: run a benchmark of ``bench/`` on its own database.

The benchmark never touches the everyday database. This command works out the benchmark database
(``bench.runner.bench_database_url``), creates it when missing, and runs itself again in a child process
with ``MOFAN_DATABASE_URL`` pointing there, so that Django's settings are built against that database from
the start; the child migrates it, runs the benchmark (which reuses its generated data when present),
prints the table and writes the JSON file.
"""

from __future__ import annotations

import argparse
import os
import subprocess  # noqa: S404 - runs this same program again, with fixed arguments  # nosec B404 # runs the project's own benchmark script
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from bench import runner
from mofan.config.env import ENV

CHILD_FLAG = "--in-bench-database"


class Command(BaseCommand):
    help = "Run a benchmark of bench/ on its own database and print its figures (optionally as JSON)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the benchmark, a module of bench/ (e.g. org)")
        parser.add_argument("--scale", type=int, default=None, help="size of the generated data")
        parser.add_argument("--participants", type=int, default=None,
                            help="the scale of the learning benchmark: contestants in the round")
        parser.add_argument("--json", dest="json_path", default=None, help="write the figures to this file")
        parser.add_argument(CHILD_FLAG, dest="in_bench_database", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"]
        try:
            module = runner.load(name)
            scale = options["scale"] if options["scale"] is not None else module.DEFAULT_SCALE
            if options["participants"] is not None:
                if name != "learning" or options["scale"] is not None:
                    raise runner.BenchError("--participants is the scale of the learning benchmark; give one of them")
                scale = options["participants"]
            if scale < 1:
                raise runner.BenchError("the scale must be a positive number")
            if options["in_bench_database"]:
                self._run(name, scale, options["json_path"])
            else:
                url = runner.bench_database_url(ENV.database_url, name, scale, ENV.var_dir)
                self._spawn(name, scale, url, options["json_path"])
        except runner.BenchError as exc:
            raise CommandError(str(exc)) from exc

    def _spawn(self, name: str, scale: int, url: str, json_path: str | None) -> None:
        created = runner.ensure_database(url)
        self.stdout.write(f"{'created' if created else 'using'} benchmark database {_display(url)}")
        command = [sys.executable, "-m", "mofan.cli", "bench", name, "--scale", str(scale), CHILD_FLAG]
        if json_path:
            command += ["--json", str(Path(json_path).resolve())]
        env = {**os.environ, "MOFAN_DATABASE_URL": url}
        with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True, bufsize=1) as child:  # noqa: S603  # nosec B603 # a fixed command of this project
            assert child.stdout is not None  # noqa: S101 - stdout=PIPE
            for line in child.stdout:
                self.stdout.write(line.rstrip("\n"))
        if child.returncode:
            raise CommandError(f"benchmark {name} failed (exit code {child.returncode})")

    def _run(self, name: str, scale: int, json_path: str | None) -> None:
        # Never measure on the everyday database: the child must be on the database the parent chose.
        current = str(settings.DATABASES["default"]["NAME"])
        if not runner.is_bench_database(current, name, scale):
            raise CommandError(f"refusing to run: {current} is not the benchmark database of {name} at {scale}")
        call_command("migrate", interactive=False, verbosity=0)
        result = runner.run_here(name, scale)
        self.stdout.write(runner.format_table(result))
        if json_path:
            runner.write_json(result, json_path)
            self.stdout.write(f"wrote {json_path}")


def _display(url: str) -> str:
    """The URL without its password."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        return "/" + parts.path.lstrip("/")
    if parts.password:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@"))
    return urlunsplit(parts)
