from __future__ import annotations

from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from mofan.accounts.roles import Role
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.cases.calendar import add_working_days, due_after, is_workday
from mofan.cases.holidays import SCHEDULES
from mofan.cases.kinds import Limit
from mofan.cases.models import CalendarDay, Urgency
from mofan.cases.services.calendar_days import calendar_day_set, calendar_load_year
from mofan.cases.services.dispatch import case_dispatch, dispatch_decide_extension, dispatch_request_extension
from mofan.cases.tests.ops_factory import at, district_case, fresh

pytestmark = pytest.mark.django_db


def calendar_changes() -> int:
    return AuditLog.objects.filter(event_id=AuditEvent.CALENDAR_CHANGED.id).count()


@pytest.fixture
def holidays(db: Any) -> None:
    call_command("load_holidays", "2025", "2026", stdout=StringIO())


# The published schedules ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("year", sorted(SCHEDULES))
def test_a_published_schedule_is_consistent(year: int) -> None:
    days = SCHEDULES[year].days()
    assert len({d for d, _w, _n in days}) == len(days)  # no date twice
    assert all(d.year == year for d, _w, _n in days)
    for day, is_workday_, _note in days:
        if is_workday_:
            assert day.weekday() >= 5, f"{day} is an adjusted working day but not a weekend day"


def test_load_holidays_writes_the_2025_schedule() -> None:
    out = StringIO()
    call_command("load_holidays", "2025", stdout=out)
    assert "2025: 33 days" in out.getvalue()
    days = dict(CalendarDay.objects.values_list("date", "is_workday"))
    assert days[date(2025, 1, 1)] is False
    assert all(days[date(2025, 1, 28) + timedelta(n)] is False for n in range(8))  # 春节 1/28–2/4
    assert days[date(2025, 1, 26)] is True and days[date(2025, 2, 8)] is True  # 调休上班
    assert days[date(2025, 4, 27)] is True and days[date(2025, 9, 28)] is True and days[date(2025, 10, 11)]
    assert all(days[date(2025, 10, 1) + timedelta(n)] is False for n in range(8))  # 国庆+中秋 10/1–10/8
    assert calendar_changes() == 1


def test_load_holidays_2026_and_again_changes_nothing(holidays: None) -> None:
    count = CalendarDay.objects.count()
    assert count == 33 + 39
    call_command("load_holidays", "2026", stdout=StringIO())
    assert CalendarDay.objects.count() == count
    assert not is_workday(date(2026, 2, 15)) and not is_workday(date(2026, 2, 23))  # 春节 2/15–2/23
    assert is_workday(date(2026, 2, 14)) and is_workday(date(2026, 2, 28))  # Saturdays worked
    assert is_workday(date(2026, 1, 4)) and is_workday(date(2026, 5, 9))
    assert not is_workday(date(2026, 9, 25)) and is_workday(date(2026, 9, 20)) and is_workday(date(2026, 10, 10))


def test_an_unknown_year_is_a_clear_error() -> None:
    with pytest.raises(CommandError):
        call_command("load_holidays", "2031", stdout=StringIO())
    with pytest.raises(ValidationError):
        calendar_load_year(actor=None, year=1850)
    assert not CalendarDay.objects.exists()


# Limits across holidays and adjusted working days ------------------------------------------------------------------


def test_seven_working_days_across_the_national_day_holiday(holidays: None) -> None:
    # Fri 2025-09-26: Sun 9/28 is worked (1), 9/29 (2), 9/30 (3), 10/1–10/8 off, 10/9 (4), 10/10 (5),
    # Sat 10/11 is worked (6), Sun 10/12 off, Mon 10/13 (7).
    assert due_after(at("2025-09-26 10:00"), Limit(working_days=7)) == at("2025-10-13 10:00")
    # without the calendar the same limit would end on Tue 10/7
    CalendarDay.objects.all().delete()
    assert due_after(at("2025-09-26 10:00"), Limit(working_days=7)) == at("2025-10-07 10:00")


def test_one_working_day_across_the_spring_festival(holidays: None) -> None:
    assert add_working_days(at("2026-02-13 09:00"), 1) == at("2026-02-14 09:00")  # a Saturday worked
    assert add_working_days(at("2026-02-14 09:00"), 1) == at("2026-02-24 09:00")  # after 2/15–2/23
    assert add_working_days(at("2025-01-24 18:00"), 1) == at("2025-01-26 18:00")  # Sunday 1/26 worked


def test_a_dispatch_over_the_holiday_is_due_after_it(gov: Any, holidays: None, monkeypatch: Any) -> None:
    now = at("2025-09-26 10:00")
    monkeypatch.setattr(timezone, "now", lambda: now)
    case = district_case(gov, Urgency.NORMAL)
    (lead,) = case_dispatch(actor=gov.district_operator, case=case, lead=gov.justice)
    assert lead.checkin_due == at("2025-09-27 10:00")  # 24 hours: a clock limit, holidays or not
    assert lead.handle_due == at("2025-10-13 10:00")  # 7 working days
    assert fresh(case).due_at == lead.checkin_due


def test_an_extension_is_counted_in_working_days(gov: Any, holidays: None, monkeypatch: Any) -> None:
    now = at("2026-09-24 09:00")
    monkeypatch.setattr(timezone, "now", lambda: now)
    case = district_case(gov)
    (lead,) = case_dispatch(actor=gov.district_operator, case=case, lead=gov.justice,
                            handle_due=at("2026-09-30 17:00"))
    lead = dispatch_request_extension(actor=gov.justice_handler, dispatch=lead, days=2, reason="节后走访")
    lead = dispatch_decide_extension(actor=gov.district_operator, dispatch=lead, approve=True)
    assert lead.handle_due == at("2026-10-09 17:00")  # 10/1–10/7 off: Thu 10/8 and Fri 10/9


# Changing single days -----------------------------------------------------------------------------------------------


def test_the_district_catalogue_maintainer_changes_a_day(gov: Any, make_user: Any) -> None:
    admin = make_user(Role.SYSTEM_ADMIN, gov.d.district, username="xitong")
    day = calendar_day_set(actor=admin, day=date(2027, 2, 5), is_workday=False, note="春节（待国办通知）")
    assert day is not None and not is_workday(date(2027, 2, 5))
    assert calendar_changes() == 1
    # a weekday back to a working day: the exception is removed
    assert calendar_day_set(actor=admin, day=date(2027, 2, 5), is_workday=True) is None
    assert not CalendarDay.objects.exists() and calendar_changes() == 2
    # a Saturday worked
    saturday = calendar_day_set(actor=admin, day=date(2027, 2, 20), is_workday=True, note="调休上班")
    assert saturday is not None and saturday.is_workday
    with pytest.raises(ValidationError):
        calendar_day_set(actor=admin, day=date(2027, 2, 21), is_workday=True, note="x" * 51)


@pytest.mark.parametrize("role, where", [(Role.CENTRE_OPERATOR, "district"), (Role.SYSTEM_ADMIN, "town_a")])
def test_others_cannot_change_the_calendar(gov: Any, make_user: Any, role: str, where: str) -> None:
    user = make_user(role, getattr(gov.d, where))
    with pytest.raises(PermissionDenied):
        calendar_day_set(actor=user, day=date(2027, 2, 5), is_workday=False)
    with pytest.raises(PermissionDenied):
        calendar_load_year(actor=user, year=2026)
    assert not CalendarDay.objects.exists() and calendar_changes() == 0
    assert AuditLog.objects.filter(event_id=AuditEvent.ACCESS_DENIED.id, actor=user).count() == 2
