"""Maintaining the working calendar (工作日历): load a year's published schedule, change single days.

The calendar holds only exceptions to the Monday–Friday week (``CalendarDay``); every time limit in working
days (``mofan.cases.calendar``) reads it. It is one calendar for the whole district, so changing it needs
CASE_CATALOGUE on the district's root unit; the console (``mofan load_holidays``) acts without an account.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mofan.accounts.permissions import can, ensure_can
from mofan.accounts.roles import Action
from mofan.audit.events import AuditEvent
from mofan.audit.services import audit_record
from mofan.cases.holidays import SCHEDULES
from mofan.cases.models import CalendarDay
from mofan.org.models import Unit

FIRST_YEAR, LAST_YEAR = 2000, 2100


def _root() -> Unit | None:
    return Unit.objects.filter(parent__isnull=True).order_by("path").first()


def can_edit_calendar(actor: Any) -> bool:
    root = _root()
    return root is not None and can(actor, Action.CASE_CATALOGUE, root)


def _ensure_can_edit(actor: Any) -> None:
    if actor is None:  # the console
        return
    root = _root()
    if root is None:
        raise PermissionDenied(_("You do not have permission to do this here."))
    ensure_can(actor, Action.CASE_CATALOGUE, root)


def _console(actor: Any) -> str:
    return "" if actor is not None else "console"


def check_year(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError({"year": _("Give a year between %(first)d and %(last)d.")
                               % {"first": FIRST_YEAR, "last": LAST_YEAR}})
    return year


def calendar_year(*, year: int) -> list[CalendarDay]:
    """The exceptions of one year, in date order (the calendar is public knowledge: no jurisdiction)."""
    check_year(year)
    return list(CalendarDay.objects.filter(date__year=year).order_by("date"))


def calendar_load_year(*, actor: Any, year: int) -> int:
    """Write the State Council's published schedule of ``year`` (``mofan.cases.holidays``) into the calendar.
    Days set by hand on other dates stay; published dates are overwritten. Returns the number of days written."""
    _ensure_can_edit(actor)
    check_year(year)
    schedule = SCHEDULES.get(year)
    if schedule is None:
        raise ValidationError({"year": _("No published holiday schedule for %(year)d is known to mofan; enter its "
                                         "days by hand.") % {"year": year}})
    days = schedule.days()
    with transaction.atomic():
        for day, is_workday, note in days:
            CalendarDay.objects.update_or_create(date=day, defaults={"is_workday": is_workday, "note": note[:50]})
        audit_record(actor=actor, event=AuditEvent.CALENDAR_CHANGED, actor_name=_console(actor),
                     new={"year": year, "days": len(days), "source": schedule.source}, note=f"load {year}")
    return len(days)


def calendar_day_set(*, actor: Any, day: date, is_workday: bool, note: str = "") -> CalendarDay | None:
    """Make ``day`` a working day or a day off. A setting equal to the ordinary week (a Tuesday that is a
    working day) removes the exception; returns the stored exception, or None."""
    _ensure_can_edit(actor)
    check_year(day.year)
    note = (note or "").strip()
    if len(note) > 50:
        raise ValidationError({"note": _("The note is longer than 50 characters.")})
    ordinary = day.weekday() < 5
    with transaction.atomic():
        old = CalendarDay.objects.select_for_update().filter(date=day).first()
        old_values = {"is_workday": old.is_workday, "note": old.note} if old else None
        result: CalendarDay | None
        if is_workday == ordinary:
            if old is not None:
                old.delete()
            result = None
        elif old is not None:
            old.is_workday, old.note = is_workday, note
            old.save()
            result = old
        else:
            result = CalendarDay.objects.create(date=day, is_workday=is_workday, note=note)
        audit_record(actor=actor, event=AuditEvent.CALENDAR_CHANGED, old=old_values, actor_name=_console(actor),
                     new={"date": day.isoformat(), "is_workday": is_workday, "note": note}, note=day.isoformat())
    return result
