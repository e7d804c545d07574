"""``mofan load_holidays [YEAR ...]``: write the State Council's published holiday schedule of each year
(``mofan/cases/holidays.py``) into the working calendar; without a year, every year mofan knows."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mofan.cases.holidays import published_years
from mofan.cases.services.calendar_days import calendar_load_year


class Command(BaseCommand):
    help = "Load the published public holidays and adjusted working days of a year into the working calendar."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("years", nargs="*", type=int, help=f"years to load (known: {published_years()})")

    def handle(self, *args: Any, **options: Any) -> None:
        for year in options["years"] or published_years():
            try:
                count = calendar_load_year(actor=None, year=year)
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from exc
            self.stdout.write(f"{year}: {count} days")
