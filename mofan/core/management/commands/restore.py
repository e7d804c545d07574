"""``mofan restore FILE [--target-url URL] [--yes]``: check the backup's sealed manifest, restore it into the
target database (the configured one by default; a database holding tables only with ``--yes``), then verify
the restored audit chain (mofan/core/backup.py). Exit status 1 when the chain does not verify."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from mofan.core import backup


class Command(BaseCommand):
    help = "Restore a backup made by `mofan backup`, then verify the restored audit chain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The backup file (its manifest lies beside it).")
        parser.add_argument("--target-url", default=None,
                            help="Database URL to restore into (default: the configured database).")
        parser.add_argument("--yes", action="store_true", help="Overwrite a target database that is not empty.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            restored = backup.restore_backup(options["file"], options["target_url"], overwrite=options["yes"])
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(_("Restored into %(target)s: %(rows)d audit records.")
                          % {"target": restored.target, "rows": restored.audit_rows})
        if not restored.chain_ok:
            raise CommandError(_("The restored audit chain does not verify: %(report)s")
                               % {"report": restored.chain_report}, returncode=1)
        self.stdout.write(restored.chain_report)
