"""``mofan backup [--output DIR]``: back up the configured database (SQLite: an online copy with SQLite's
backup API; PostgreSQL: ``pg_dump --format=custom``) with a manifest sealed by HMAC-SM3 (mofan/core/backup.py).
Schedule it with cron (docs/deploy.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mofan.core import backup


class Command(BaseCommand):
    help = "Back up the database into a file and a sealed manifest (default MOFAN_VAR_DIR/backups)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, default=None,
                            help="Directory for the backup (default: MOFAN_VAR_DIR/backups).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            made = backup.create_backup(options["output"])
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = made.manifest
        self.stdout.write(f"backup: {made.path}")
        self.stdout.write(f"manifest: {made.manifest_path}")
        self.stdout.write(f"engine {manifest['engine']}, {manifest['size']} bytes, sha256 {manifest['sha256']}, "
                          f"{manifest['audit_rows']} audit records")
