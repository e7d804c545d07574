"""``mofan backup`` / ``mofan restore`` (数据备份恢复, mofan/core/backup.py).

SQLite: the test database (in memory) is written out to a file with some data and audit records, backed up,
restored into a new file and its audit chain verified (one ``mofan audit verify`` subprocess per restore).
PostgreSQL: end to end through the commands, in subprocesses, on databases of their own (dropped after)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.audit.services import audit_record
from mofan.core import backup

SQLITE_ONLY = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite backups: the tests run on SQLite")
SQLITE_ENGINE = "django.db.backends.sqlite3"


def _count(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # noqa: S608 - test tables
    finally:
        conn.close()


@pytest.fixture
def source(district: Any, make_user: Any, tmp_path: Path) -> Path:
    """The test database with a district, two accounts and a few audit records, as a database file."""
    make_user("centre_operator", district.district)
    make_user("grid_worker", district.village_a1)
    for n in range(3):
        audit_record(actor=None, actor_name="system", event=AuditEvent.UNIT_UPDATED, target=district.district,
                     note=f"record {n}")
    path = tmp_path / "source.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:  # a dump through the test's own connection: it sees the test's uncommitted rows
        target.executescript(";\n".join(connection.connection.iterdump()))
    finally:
        target.close()
    return path


def _backup(source: Path, tmp_path: Path) -> backup.Backup:
    return backup.create_backup(tmp_path / "backups", database={"ENGINE": SQLITE_ENGINE, "NAME": str(source)})


@SQLITE_ONLY
def test_sqlite_backup_and_restore_keep_every_row_and_the_chain(source: Path, tmp_path: Path) -> None:
    made = _backup(source, tmp_path)
    assert made.path.stat().st_mode & 0o777 == 0o600 and made.manifest_path.stat().st_mode & 0o777 == 0o600
    manifest = json.loads(made.manifest_path.read_text(encoding="utf-8"))
    assert manifest["engine"] == "sqlite" and manifest["audit_rows"] == _count(source, "audit_auditlog") >= 3
    assert manifest["migrations"]["audit"] == made.manifest["migrations"]["audit"] and manifest["mac"]
    assert manifest["audit_chain_head"]["seq"] == manifest["audit_rows"]
    # The backup itself is audited, as the system.
    row = AuditLog.objects.filter(event_id=AuditEvent.BACKUP_CREATED.id).get()
    assert row.actor_id is None and row.actor_name == "system" and row.success
    assert (row.new_values or {}).get("sha256") == manifest["sha256"]

    target = tmp_path / "restored.sqlite3"
    restored = backup.restore_backup(made.path, f"sqlite:///{target}")
    assert restored.chain_ok, restored.chain_report
    assert "intact" in restored.chain_report
    for table in ("org_unit", "accounts_user", "accounts_membership"):
        assert _count(target, table) == _count(source, table) > 0
    # the verify run against the restored database added its own record after the restored ones
    assert restored.audit_rows == manifest["audit_rows"] == _count(target, "audit_auditlog") - 1
    assert AuditLog.objects.filter(event_id=AuditEvent.BACKUP_RESTORED.id, success=True).count() == 1


@SQLITE_ONLY
def test_a_tampered_backup_is_refused_and_nothing_is_written(source: Path, tmp_path: Path) -> None:
    made = _backup(source, tmp_path)
    target = tmp_path / "restored.sqlite3"
    # A byte of the file changed.
    data = bytearray(made.path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    made.path.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="备份已被篡改"):
        call_command("restore", str(made.path), "--target-url", f"sqlite:///{target}")
    assert not target.exists()

    # The manifest rewritten to match the altered file, without the key: its seal does not match.
    again = _backup(source, tmp_path)
    data = bytearray(again.path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    again.path.write_bytes(bytes(data))
    forged = dict(again.manifest)
    forged["sha256"] = backup._sha256(again.path)  # noqa: SLF001
    again.manifest_path.write_text(json.dumps(forged), encoding="utf-8")
    with pytest.raises(CommandError, match="校验码不符"):
        call_command("restore", str(again.path), "--target-url", f"sqlite:///{target}")
    assert not target.exists()
    # A manifest sealed under another audit key is refused too.
    other = dict(again.manifest)
    other["sha256"] = forged["sha256"]
    other["mac"] = backup._manifest_mac(other, "another-key")  # noqa: SLF001
    again.manifest_path.write_text(json.dumps(other), encoding="utf-8")
    with pytest.raises(backup.BackupError):
        backup.read_manifest(again.path)
    assert not target.exists()


@SQLITE_ONLY
def test_a_database_that_is_not_empty_is_overwritten_only_with_yes(source: Path, tmp_path: Path) -> None:
    made = _backup(source, tmp_path)
    target = tmp_path / "live.sqlite3"
    conn = sqlite3.connect(target)
    conn.execute("CREATE TABLE keep_me (x INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(CommandError, match="不为空"):
        call_command("restore", str(made.path), "--target-url", f"sqlite:///{target}")
    conn = sqlite3.connect(target)
    assert {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")} == {"keep_me"}
    conn.close()
    call_command("restore", str(made.path), "--target-url", f"sqlite:///{target}", "--yes")
    assert _count(target, "org_unit") == _count(source, "org_unit")
    conn = sqlite3.connect(target)
    assert "keep_me" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()


@SQLITE_ONLY
def test_restore_reports_an_altered_audit_record_in_the_backup(source: Path, tmp_path: Path) -> None:
    # Someone with write access to the database (not the key) altered a record before the backup was made.
    conn = sqlite3.connect(source)
    triggers = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                           "AND tbl_name = 'audit_auditlog'")]
    for name in triggers:
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute("UPDATE audit_auditlog SET note = 'rewritten' WHERE note = 'record 1'")
    conn.commit()
    conn.close()
    made = _backup(source, tmp_path)
    target = tmp_path / "restored.sqlite3"
    with pytest.raises(CommandError, match="审计链校验未通过") as refused:
        call_command("restore", str(made.path), "--target-url", f"sqlite:///{target}")
    assert "altered" in str(refused.value)
    assert AuditLog.objects.filter(event_id=AuditEvent.BACKUP_RESTORED.id, success=False).count() == 1


def test_unknown_engines_and_missing_manifests_are_refused(tmp_path: Path) -> None:
    with pytest.raises(backup.BackupError, match="仅支持"):
        backup.create_backup(tmp_path, database={"ENGINE": "django.db.backends.mysql", "NAME": "x"})
    lonely = tmp_path / "mofan-x.sqlite3"
    lonely.write_bytes(b"")
    with pytest.raises(backup.BackupError, match="缺少清单"):
        backup.read_manifest(lonely)
    assert list(tmp_path.iterdir()) == [lonely]


# PostgreSQL, end to end --------------------------------------------------------------------------------------


def _pg_base() -> str | None:
    url = os.environ.get("MOFAN_DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    return url.rsplit("/", 1)[0]


def _mofan(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mofan.cli", *args], env=env,  # noqa: S603
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.slow_subprocess
def test_postgresql_backup_and_restore_into_a_fresh_database(tmp_path: Path) -> None:
    base = _pg_base()
    if base is None:
        print("skipped: MOFAN_DATABASE_URL is not PostgreSQL")  # noqa: T201 - the reason, in the output
        pytest.skip("MOFAN_DATABASE_URL is not PostgreSQL")
    import psycopg

    names = [f"{settings.DATABASES['default']['NAME']}_bk_src", f"{settings.DATABASES['default']['NAME']}_bk_dst"]
    admin = psycopg.connect(f"{base}/postgres", autocommit=True)
    try:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
        env = dict(os.environ, MOFAN_VAR_DIR=str(tmp_path / "var"), MOFAN_DATABASE_URL=f"{base}/{names[0]}",
                   MOFAN_AUDIT_KEY=settings.MOFAN_AUDIT_KEY)
        assert _mofan(env, "migrate", "-v0").returncode == 0
        for _ in range(2):  # each verify run leaves an audit record: data in the source
            assert _mofan(env, "audit", "verify").returncode == 0
        made = _mofan(env, "backup", "--output", str(tmp_path / "bk"))
        assert made.returncode == 0, made.stderr
        (dump,) = (tmp_path / "bk").glob("*.pgdump")
        manifest = json.loads(Path(f"{dump}{backup.MANIFEST_SUFFIX}").read_text(encoding="utf-8"))
        assert manifest["engine"] == "postgresql" and manifest["audit_rows"] == 2
        assert dump.stat().st_mode & 0o777 == 0o600

        restored = _mofan(env, "restore", str(dump), "--target-url", f"{base}/{names[1]}")
        assert restored.returncode == 0, restored.stderr
        assert "audit chain intact: 2 records checked" in restored.stdout
        counts = {}
        for name in names:
            with psycopg.connect(f"{base}/{name}") as conn:
                counts[name] = [conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()  # noqa: S608 - tests
                                for table in ("django_migrations", "org_unit", "audit_auditverifyrun")]
        # the same rows, and the verify run the restore made against the restored database
        migrations, units, runs = counts[names[0]]
        assert counts[names[1]] == [migrations, units, ((runs or (0,))[0] + 1,)]
        # Not empty now: refused without --yes.
        again = _mofan(env, "restore", str(dump), "--target-url", f"{base}/{names[1]}")
        assert again.returncode != 0 and "--yes" in again.stderr
    finally:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
