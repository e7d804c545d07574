"""Browser-test harness: a real mofan server in a subprocess, on its own database, driven by Playwright in
Debian's Chromium.

The server gets a fresh database (a SQLite file, or a new PostgreSQL database when MOFAN_DATABASE_URL points at
PostgreSQL), is migrated and loaded with the demo district, and is served by ``runserver --noreload`` on a free
port. Running it in a subprocess keeps the test database's transactional rollback intact and never needs to
flush the append-only audit table (docs/adr/0003).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("MOFAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_database(tmp: Path) -> tuple[str, str | None]:
    """(database URL for the server, PostgreSQL database to drop afterwards or None)."""
    base = os.environ.get("MOFAN_DATABASE_URL", "")
    if base.startswith(("postgres://", "postgresql://")):
        import psycopg

        name = f"mofan_browser_{uuid.uuid4().hex[:8]}"
        admin_url = base.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return base.rsplit("/", 1)[0] + "/" + name, name
    return f"sqlite:///{tmp / 'browser.sqlite3'}", None


def _drop_postgres(name: str) -> None:
    import psycopg

    admin_url = os.environ["MOFAN_DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run `make browser-deps` (apt-get install chromium).")
    tmp = tmp_path_factory.mktemp("site")
    url, pg_name = _server_database(tmp)
    env = {**os.environ, "MOFAN_DATABASE_URL": url, "MOFAN_VAR_DIR": str(tmp), "DJANGO_SETTINGS_MODULE":
           "mofan.config.settings", "PYTHONUNBUFFERED": "1"}
    manage = [sys.executable, "-m", "mofan.cli"]
    log = open(tmp / "server.log", "w")  # noqa: SIM115 - closed in teardown
    server = None
    try:
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True, stdout=log, stderr=log)
        subprocess.run([*manage, "demo"], env=env, check=True, stdout=log, stderr=log)
        port = _free_port()
        server = subprocess.Popen([*manage, "runserver", "--noreload", f"127.0.0.1:{port}"], env=env, stdout=log,
                                  stderr=log)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/accounts/login/", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                log.flush()
                pytest.fail("the mofan server did not start:\n" + (tmp / "server.log").read_text()[-3000:])
            time.sleep(0.3)
        yield base
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        log.close()
        if pg_name:
            _drop_postgres(pg_name)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: object, site: str) -> Iterator[object]:
    context = browser.new_context(base_url=site, locale="zh-CN", accept_downloads=True)  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()
