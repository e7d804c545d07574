"""Backup and recovery of the database (GB/T 22239-2019 level 3, 8.1.4.9 数据备份恢复): ``mofan backup`` and
``mofan restore``.

A backup is one file and a manifest beside it (``<file>.manifest.json``). On SQLite the file is a consistent
online copy made with SQLite's backup API; on PostgreSQL it is ``pg_dump --format=custom`` taken in the
snapshot the manifest's figures were read in (``--snapshot``), so both describe the same instant. The manifest
records the Django migration heads, the number of audit records, the head of the audit chain and the file's
SHA-256, and is sealed with HMAC-SM3 under a key derived from the audit key (``MOFAN_AUDIT_KEY``, kept apart
from the backups): whoever alters the file or the manifest without the key is refused at restore.

Restoring checks the seal first, refuses to overwrite a database that holds tables unless told to, restores,
then verifies the audit chain of the restored database (``mofan audit verify`` against it).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess  # nosec B404 # pg_dump, pg_restore and mofan itself, with argument lists
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from hmac import compare_digest
from pathlib import Path
from typing import Any

import dj_database_url
from cryptography.hazmat.primitives import hashes, hmac
from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from mofan.audit import chain
from mofan.config.env import ENV

MANIFEST_SUFFIX = ".manifest.json"
MANIFEST_VERSION = 1
SQLITE, POSTGRESQL = "sqlite", "postgresql"


class BackupError(Exception):
    """A backup or a restore refused or failed; the message is for the operator (translated)."""


@dataclass(frozen=True)
class Backup:
    path: Path
    manifest_path: Path
    manifest: dict[str, Any]


@dataclass(frozen=True)
class Restored:
    target: str
    engine: str
    audit_rows: int
    chain_ok: bool
    chain_report: str


# The seal of the manifest ---------------------------------------------------------------------------------


def _manifest_mac(body: dict[str, Any], key_material: str | None = None) -> str:
    # The audit chain's key derivation (HMAC-SM3, mofan/audit/chain.py), separated from the chain's own key.
    key = chain._key("backup-manifest:" + (key_material or settings.MOFAN_AUDIT_KEY))  # noqa: SLF001
    mac = hmac.HMAC(key, hashes.SM3())
    unsealed = {name: value for name, value in body.items() if name != "mac"}
    mac.update(json.dumps(unsealed, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode())
    return mac.finalize().hex()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _engine(database: dict[str, Any]) -> str:
    engine = str(database.get("ENGINE", ""))
    if engine.endswith("sqlite3"):
        return SQLITE
    if "postgresql" in engine:
        return POSTGRESQL
    raise BackupError(_("Backups support SQLite and PostgreSQL only, not %(engine)s.") % {"engine": engine})


def _private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 (refusing to overwrite), before anything is written into it."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError as exc:
        raise BackupError(_("%(path)s already exists.") % {"path": path}) from exc
    path.chmod(0o600)


# What the manifest says about a database -------------------------------------------------------------------

_HEADS_SQL = "SELECT app, name FROM django_migrations"
_AUDIT_COUNT_SQL = "SELECT COUNT(*) FROM audit_auditlog"
_HEAD_SQL = "SELECT seq, mac FROM audit_auditchainhead WHERE id = 1"


def _figures(cursor: Any, tables: set[str]) -> dict[str, Any]:
    heads: dict[str, str] = {}
    if "django_migrations" in tables:
        cursor.execute(_HEADS_SQL)
        for app, name in cursor.fetchall():
            if name > heads.get(app, ""):
                heads[app] = name
    audit_rows = None
    if "audit_auditlog" in tables:
        cursor.execute(_AUDIT_COUNT_SQL)
        audit_rows = int(cursor.fetchone()[0])
    chain_head = None
    if "audit_auditchainhead" in tables:
        cursor.execute(_HEAD_SQL)
        row = cursor.fetchone()
        chain_head = {"seq": int(row[0]), "mac": str(row[1])} if row else None
    return {"migrations": dict(sorted(heads.items())), "audit_rows": audit_rows, "audit_chain_head": chain_head}


def _sqlite_tables(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _pg_tables(cursor: Any) -> set[str]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    return {row[0] for row in cursor.fetchall()}


# PostgreSQL connection arguments ---------------------------------------------------------------------------


def _pg_args(database: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """Command-line arguments for pg_dump/pg_restore and the environment carrying the password (never on
    the command line, where ``ps`` shows it)."""
    args = []
    if database.get("HOST"):
        args += ["--host", str(database["HOST"])]
    if database.get("PORT"):
        args += ["--port", str(database["PORT"])]
    if database.get("USER"):
        args += ["--username", str(database["USER"])]
    env = dict(os.environ)
    env.pop("PGPASSWORD", None)
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])
    return args, env


def _pg_connect(database: dict[str, Any]) -> Any:
    import psycopg

    return psycopg.connect(
        dbname=database["NAME"], host=database.get("HOST") or None, port=database.get("PORT") or None,
        user=database.get("USER") or None, password=database.get("PASSWORD") or None,
    )


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(_("%(tool)s was not found: install the PostgreSQL client tools.") % {"tool": name})
    return found


def _run(argv: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603  # nosec B603
    if result.returncode != 0:
        raise BackupError(_("%(tool)s failed: %(error)s") % {
            "tool": Path(argv[0]).name, "error": result.stderr.strip()[-2000:]})


# Backup ----------------------------------------------------------------------------------------------------


def _backup_sqlite(database: dict[str, Any], path: Path) -> dict[str, Any]:
    source_name = str(database["NAME"])
    if not Path(source_name).is_file():
        raise BackupError(_("The database file %(path)s does not exist.") % {"path": source_name})
    source = sqlite3.connect(f"file:{source_name}?mode=ro", uri=True)
    target = sqlite3.connect(path)
    try:
        source.backup(target)  # an online, consistent copy: writers may go on meanwhile
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        return _figures(target.cursor(), _sqlite_tables(target))
    finally:
        target.close()
        source.close()


def _backup_postgresql(database: dict[str, Any], path: Path) -> dict[str, Any]:
    pg_dump = _tool("pg_dump")
    args, env = _pg_args(database)
    conn = _pg_connect(database)
    try:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            figures = _figures(cursor, _pg_tables(cursor))
            # pg_dump reads the snapshot the figures were read in: the file and the manifest agree.
            _run([pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot}", "--file", str(path),
                  *args, "--dbname", str(database["NAME"])], env)
        conn.rollback()
    finally:
        conn.close()
    path.chmod(0o600)
    return figures


def backup_name(engine: str, now: datetime) -> str:
    return f"mofan-{now.strftime('%Y%m%dT%H%M%S%fZ')}.{'sqlite3' if engine == SQLITE else 'pgdump'}"


def create_backup(output_dir: Path | None = None, database: dict[str, Any] | None = None) -> Backup:
    """Back up ``database`` (the configured one by default) into ``output_dir`` (``MOFAN_VAR_DIR/backups``):
    the file and its sealed manifest, both mode 0600. Audited (BACKUP_CREATED, actor "system")."""
    from mofan.audit.events import AuditEvent
    from mofan.audit.services import audit_record

    database = dict(database or settings.DATABASES["default"])
    engine = _engine(database)
    output_dir = Path(output_dir or ENV.var_dir / "backups")
    output_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    now = datetime.now(UTC)
    path = output_dir / backup_name(engine, now)
    manifest_path = path.with_name(path.name + MANIFEST_SUFFIX)
    _private_file(path)
    try:
        figures = _backup_sqlite(database, path) if engine == SQLITE else _backup_postgresql(database, path)
    except BaseException as exc:
        path.unlink(missing_ok=True)
        audit_record(actor=None, actor_name="system", event=AuditEvent.BACKUP_CREATED, success=False,
                     new={"engine": engine, "file": path.name}, note=str(exc)[:500])
        raise
    manifest: dict[str, Any] = {
        "version": MANIFEST_VERSION,
        "created": now.isoformat(timespec="seconds"),
        "engine": engine,
        "file": path.name,
        "size": path.stat().st_size,
        "sha256": _sha256(path),
        **figures,
    }
    manifest["mac"] = _manifest_mac(manifest)
    _private_file(manifest_path)
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    audit_record(actor=None, actor_name="system", event=AuditEvent.BACKUP_CREATED,
                 new={"engine": engine, "file": path.name, "sha256": manifest["sha256"],
                      "audit_rows": manifest["audit_rows"]})
    return Backup(path=path, manifest_path=manifest_path, manifest=manifest)


# Restore ---------------------------------------------------------------------------------------------------


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest of the backup ``path``, its seal and the file's digest checked: a BackupError when the
    manifest is missing, or the backup or the manifest was altered."""
    manifest_path = path.with_name(path.name + MANIFEST_SUFFIX)
    if not path.is_file():
        raise BackupError(_("The backup file %(path)s does not exist.") % {"path": path})
    if not manifest_path.is_file():
        raise BackupError(_("The manifest %(path)s is missing: the backup cannot be verified.") % {"path": manifest_path})
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(_("The backup manifest is damaged: the backup was tampered with.")) from exc
    sealed = isinstance(manifest, dict) and compare_digest(str(manifest.get("mac", "")).encode(),
                                                           _manifest_mac(manifest).encode())
    if not sealed:
        raise BackupError(_("The backup manifest's seal does not match: the backup was tampered with "
                            "(or it was made under another audit key)."))
    if _sha256(path) != manifest.get("sha256"):
        raise BackupError(_("The backup file does not match its manifest: the backup was tampered with."))
    if manifest.get("engine") not in (SQLITE, POSTGRESQL):
        raise BackupError(_("The backup manifest names an unknown database engine."))
    return manifest


def _target(target_url: str | None) -> dict[str, Any]:
    if not target_url:
        return dict(settings.DATABASES["default"])
    try:
        return dict(dj_database_url.parse(target_url))
    except ValueError as exc:
        raise BackupError(_("The target URL is not a database URL: %(error)s") % {"error": exc}) from exc


def _count_audit_rows(engine: str, database: dict[str, Any]) -> int:
    if engine == SQLITE:
        conn = sqlite3.connect(str(database["NAME"]))
        try:
            return int(conn.execute(_AUDIT_COUNT_SQL).fetchone()[0])
        finally:
            conn.close()
    with _pg_connect(database) as conn, conn.cursor() as cursor:
        cursor.execute(_AUDIT_COUNT_SQL)
        return int(cursor.fetchone()[0])


def _restore_sqlite(path: Path, database: dict[str, Any], overwrite: bool) -> None:
    name = str(database["NAME"])
    if name in ("", ":memory:") or name.startswith("file:"):
        raise BackupError(_("Restore needs a database file as the target."))
    target_path = Path(name)
    if target_path.is_file():
        conn = sqlite3.connect(target_path)
        try:
            tables = _sqlite_tables(conn)
        finally:
            conn.close()
        if tables and not overwrite:
            raise BackupError(_("The target database %(target)s is not empty: add --yes to overwrite it.")
                              % {"target": target_path})
    else:
        target_path.parent.mkdir(parents=True, exist_ok=True)
        _private_file(target_path)
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    target = sqlite3.connect(target_path)
    try:
        source.backup(target)  # replaces every page of the target, whatever it held
    finally:
        target.close()
        source.close()


def _restore_postgresql(path: Path, database: dict[str, Any], overwrite: bool) -> None:
    pg_restore = _tool("pg_restore")
    with _pg_connect(database) as conn, conn.cursor() as cursor:
        tables = _pg_tables(cursor)
    if tables and not overwrite:
        raise BackupError(_("The target database %(target)s is not empty: add --yes to overwrite it.")
                          % {"target": database["NAME"]})
    args, env = _pg_args(database)
    clean = ["--clean", "--if-exists"] if tables else []
    _run([pg_restore, "--no-owner", "--no-password", "--exit-on-error", "--single-transaction", *clean, *args,
          "--dbname", str(database["NAME"]), str(path)], env)


def _target_url(engine: str, database: dict[str, Any]) -> str:
    if engine == SQLITE:
        return f"sqlite:///{Path(str(database['NAME'])).resolve()}"
    from urllib.parse import quote

    auth = quote(str(database.get("USER") or ""), safe="")
    if database.get("PASSWORD"):
        auth += ":" + quote(str(database["PASSWORD"]), safe="")
    host = str(database.get("HOST") or "")
    port = f":{database['PORT']}" if database.get("PORT") else ""
    return f"postgres://{auth}{'@' if auth else ''}{host}{port}/{quote(str(database['NAME']), safe='')}"


def verify_chain(engine: str, database: dict[str, Any]) -> tuple[bool, str]:
    """``mofan audit verify`` against ``database`` in a subprocess (its own settings, its own connection)."""
    env = dict(os.environ)
    env["MOFAN_DATABASE_URL"] = _target_url(engine, database)
    env["MOFAN_AUDIT_KEY"] = settings.MOFAN_AUDIT_KEY
    result = subprocess.run([sys.executable, "-m", "mofan.cli", "audit", "verify"],  # noqa: S603  # nosec B603
                            env=env, capture_output=True, text=True, check=False, timeout=3600)
    report = (result.stdout.strip() or result.stderr.strip()).splitlines()
    return result.returncode == 0, (report[-1] if report else "")


def restore_backup(path: Path, target_url: str | None = None, *, overwrite: bool = False) -> Restored:
    """Restore the backup ``path`` into ``target_url`` (the configured database by default), after checking
    its manifest; then verify the restored audit chain. Audited (BACKUP_RESTORED) in the configured database."""
    from mofan.audit.events import AuditEvent
    from mofan.audit.services import audit_record

    path = Path(path)
    manifest = read_manifest(path)
    database = _target(target_url)
    engine = _engine(database)
    if engine != manifest["engine"]:
        raise BackupError(_("A %(backup)s backup cannot be restored into a %(target)s database.")
                          % {"backup": manifest["engine"], "target": engine})
    configured = settings.DATABASES["default"]
    if (database.get("NAME"), database.get("HOST")) == (configured.get("NAME"), configured.get("HOST")):
        connection.close()  # restoring over the configured database itself: let go of it first
    if engine == SQLITE:
        _restore_sqlite(path, database, overwrite)
    else:
        _restore_postgresql(path, database, overwrite)
    audit_rows = _count_audit_rows(engine, database)
    if manifest.get("audit_rows") is not None and audit_rows != manifest["audit_rows"]:
        raise BackupError(_("The restored database holds %(got)d audit records, the backup %(expected)d.")
                          % {"got": audit_rows, "expected": manifest["audit_rows"]})
    chain_ok, report = verify_chain(engine, database)
    audit_record(actor=None, actor_name="system", event=AuditEvent.BACKUP_RESTORED, success=chain_ok,
                 new={"file": path.name, "sha256": manifest["sha256"], "engine": engine,
                      "audit_rows": audit_rows, "chain_ok": chain_ok},
                 note=report[:500])
    return Restored(target=str(database["NAME"]), engine=engine, audit_rows=audit_rows, chain_ok=chain_ok,
                    chain_report=report)
