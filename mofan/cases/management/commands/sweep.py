"""``mofan sweep``: flag overdue steps, remind and escalate now (what the beat task and the embedded
middleware do every minute)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from mofan.cases.sweeper import sweep


class Command(BaseCommand):
    help = "Flag overdue case steps, write reminders and escalate lapsed cases (runs every minute anyway)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = sweep()
        self.stdout.write(
            f"escalated {result.escalated}, cases flagged {result.cases_flagged}, "
            f"dispatches flagged {result.dispatches_flagged}, reminders {result.reminders}"
        )
