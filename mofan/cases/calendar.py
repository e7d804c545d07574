"""Time limits that users trust: clock limits (30 minutes, 2 hours) and working-day limits (7 working days)
over a calendar of weekends, public holidays and adjusted working days (调休), editable per year
(``CalendarDay``; ``mofan load_holidays`` loads the State Council's published schedule)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone

from mofan.cases.kinds import Limit
from mofan.cases.models import CalendarDay


def exceptions_between(start: date, end: date) -> dict[date, bool]:
    return dict(CalendarDay.objects.filter(date__gte=start, date__lte=end).values_list("date", "is_workday"))


def is_workday(day: date, exceptions: dict[date, bool] | None = None) -> bool:
    exceptions = exceptions if exceptions is not None else exceptions_between(day, day)
    if day in exceptions:
        return exceptions[day]
    return day.weekday() < 5


def add_working_days(start: datetime, days: int) -> datetime:
    """The moment ``days`` working days after ``start``: the same local time of day on the n-th working day
    after the start day (a case received on Friday 17:00 with 1 working day is due Monday 17:00)."""
    local = timezone.localtime(start)
    horizon = local.date() + timedelta(days=days * 3 + 40)  # holidays never stretch further than this
    exceptions = exceptions_between(local.date(), horizon)
    day, left = local.date(), days
    while left > 0:
        day += timedelta(days=1)
        if is_workday(day, exceptions):
            left -= 1
    return local.replace(year=day.year, month=day.month, day=day.day)


def due_after(start: datetime, limit: Limit) -> datetime:
    due = start + limit.delta
    if limit.working_days:
        due = add_working_days(due, limit.working_days)
    return due


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end], for reports of how late something was."""
    if end <= start:
        return 0
    exceptions = exceptions_between(start, end)
    return sum(1 for n in range(1, (end - start).days + 1) if is_workday(start + timedelta(days=n), exceptions))
