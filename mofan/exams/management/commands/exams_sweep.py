"""``mofan exams_sweep``: submit every test attempt past its deadline now (the beat task does it every minute,
and reading an attempt or a results page does it for that test)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from mofan.exams.services import submit_lapsed


class Command(BaseCommand):
    help = "Submit test attempts whose time is up."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"submitted {submit_lapsed()}")
