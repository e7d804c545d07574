"""The State Council's published holiday schedules (国务院办公厅关于部分节假日安排的通知), as data.

Each year lists its public holidays (放假) and its adjusted working days (调休上班, weekend days that are
working days). ``mofan load_holidays YEAR`` writes a year into ``CalendarDay``; the calendar page lets the
catalogue maintainer change single days afterwards.

To add a year: when the notice is published (usually in November for the next year), add a
``YEAR: Schedule(...)`` entry below from the notice's text, with the notice's date in ``source``, and run
``mofan load_holidays YEAR``. Years not listed here can still be maintained by hand on the calendar page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Schedule:
    source: str
    holidays: dict[str, tuple[date, date]]  # name → first and last day off (both included)
    workdays: dict[date, str]  # adjusted working day → the holiday it belongs to

    def days(self) -> list[tuple[date, bool, str]]:
        """(date, is_workday, note) for every day that differs from an ordinary Monday–Friday week."""
        rows: list[tuple[date, bool, str]] = []
        for name, (first, last) in self.holidays.items():
            day = first
            while day <= last:
                rows.append((day, False, name))
                day += timedelta(days=1)
        rows.extend((day, True, name + "调休上班") for day, name in self.workdays.items())
        return sorted(rows)


D = date

SCHEDULES: dict[int, Schedule] = {
    # 国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号, 2024-11-12)
    2025: Schedule(
        source="国办发明电〔2024〕12号",
        holidays={
            "元旦": (D(2025, 1, 1), D(2025, 1, 1)),
            "春节": (D(2025, 1, 28), D(2025, 2, 4)),
            "清明节": (D(2025, 4, 4), D(2025, 4, 6)),
            "劳动节": (D(2025, 5, 1), D(2025, 5, 5)),
            "端午节": (D(2025, 5, 31), D(2025, 6, 2)),
            "国庆节、中秋节": (D(2025, 10, 1), D(2025, 10, 8)),
        },
        workdays={
            D(2025, 1, 26): "春节", D(2025, 2, 8): "春节",
            D(2025, 4, 27): "劳动节",
            D(2025, 9, 28): "国庆节", D(2025, 10, 11): "国庆节",
        },
    ),
    # 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04)
    2026: Schedule(
        source="国务院办公厅2025年11月4日通知",
        holidays={
            "元旦": (D(2026, 1, 1), D(2026, 1, 3)),
            "春节": (D(2026, 2, 15), D(2026, 2, 23)),
            "清明节": (D(2026, 4, 4), D(2026, 4, 6)),
            "劳动节": (D(2026, 5, 1), D(2026, 5, 5)),
            "端午节": (D(2026, 6, 19), D(2026, 6, 21)),
            "中秋节": (D(2026, 9, 25), D(2026, 9, 27)),
            "国庆节": (D(2026, 10, 1), D(2026, 10, 7)),
        },
        workdays={
            D(2026, 1, 4): "元旦",
            D(2026, 2, 14): "春节", D(2026, 2, 28): "春节",
            D(2026, 5, 9): "劳动节",
            D(2026, 9, 20): "国庆节", D(2026, 10, 10): "国庆节",
        },
    ),
}


def published_years() -> list[int]:
    return sorted(SCHEDULES)
