"""``mofan audit verify``: walk the audit chain and report the first altered, inserted, reordered or missing
record (exit status 1 when there is one); the run is kept and shown on the audit trail page.
``mofan audit purge``: delete the records past the retention period (a prefix of the chain)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mofan.audit import services


class Command(BaseCommand):
    help = "The audit chain: verify it, or purge the records past the retention period."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        sub.add_parser("verify", help="Verify the HMAC-SM3 chain of the audit trail (exit status 1 if broken).")
        sub.add_parser("purge", help="Delete the audit records past MOFAN_AUDIT_RETENTION_DAYS.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "purge":
            self.stdout.write(f"purged {services.purge_expired()} records")
            return
        run = services.verify_run(started_by="mofan audit verify")
        if run.ok:
            self.stdout.write(f"audit chain intact: {run.checked} records checked")
            return
        raise CommandError(
            f"audit chain broken: first {run.kind} record at seq {run.first_bad_seq}"
            f"{f' (id {run.first_bad_id})' if run.first_bad_id else ''}: {run.message}",
            returncode=1,
        )
