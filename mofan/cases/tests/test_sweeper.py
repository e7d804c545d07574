from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.cases import sweeper
from mofan.cases.models import Case, CaseEvent, Dispatch, Level
from mofan.cases.services.dispatch import case_dispatch, case_summon, dispatch_check_in, dispatch_feedback
from mofan.cases.sweeper import sweep
from mofan.cases.tasks import sweep_task
from mofan.cases.tests.ops_factory import dispatched, district_case, fresh, report, town_case

pytestmark = pytest.mark.django_db


def lapse(case: Case, hours: float = 1) -> None:
    Case.objects.filter(pk=case.pk).update(due_at=timezone.now() - timedelta(hours=hours))


def sweeps() -> int:
    return AuditLog.objects.filter(event_id=AuditEvent.CASE_SWEEP.id).count()


def reminders(case: Case) -> int:
    return CaseEvent.objects.filter(case=case, action="remind").count()


def test_an_overdue_step_is_flagged_and_reminded_once(gov: Any) -> None:
    case = district_case(gov)  # the district does not escalate: it is only flagged
    lapse(case)
    result = sweep()
    assert (result.cases_flagged, result.reminders, result.escalated) == (1, 1, 0)
    case.refresh_from_db()
    assert case.overdue and case.state == "accepted" and case.level == Level.DISTRICT
    remind = case.events.get(action="remind")
    assert remind.actor is None and remind.data["step"] == "accepted"
    assert sweeps() == 1
    again = sweep()  # idempotent: nothing new, not even an audit row
    assert not again.changed and reminders(case) == 1 and sweeps() == 1


def test_a_case_not_yet_due_is_left_alone(gov: Any) -> None:
    case = district_case(gov)
    assert not sweep().changed
    assert not fresh(case).overdue and reminders(case) == 0


def test_escalation_by_timeout_goes_village_town_district_and_stops(gov: Any) -> None:
    case = report(gov)  # 村一: held by the village centre
    lapse(case)
    assert sweep().escalated == 1
    case.refresh_from_db()
    assert (case.centre, case.level, case.state, case.overdue) == (gov.town_a_centre, Level.TOWN, "collected", False)
    event = case.events.get(action="escalate")
    assert event.actor is None and event.data["by_timeout"] is True
    assert not sweep().changed  # the town has its own new clock
    lapse(case)
    assert sweep().escalated == 1
    case.refresh_from_db()
    assert (case.centre, case.level) == (gov.district_centre, Level.DISTRICT)
    lapse(case)
    result = sweep()
    assert (result.escalated, result.cases_flagged, result.reminders) == (0, 1, 1)
    case.refresh_from_db()
    assert case.level == Level.DISTRICT and case.overdue
    assert not sweep().changed
    assert case.events.filter(action="escalate").count() == 2
    transitions = AuditLog.objects.filter(event_id=AuditEvent.CASE_TRANSITION.id, target_id=str(case.pk),
                                          note="escalate (system)")
    assert transitions.count() == 2


def test_a_lapsed_handling_limit_escalates_a_township_case(gov: Any) -> None:
    case = town_case(gov)
    (row,) = case_summon(actor=gov.town_a_operator, case=case, departments=[gov.justice])
    dispatch_check_in(actor=gov.justice_handler, dispatch=row)
    Dispatch.objects.filter(pk=row.pk).update(handle_due=timezone.now() - timedelta(minutes=5))
    assert sweep().escalated == 1
    case.refresh_from_db()
    assert (case.level, case.state) == (Level.DISTRICT, "collected")
    assert fresh(row).state == "withdrawn"


def test_a_late_check_in_reminds_but_does_not_escalate(gov: Any) -> None:
    case = town_case(gov)
    (row,) = case_dispatch(actor=gov.town_a_operator, case=case, lead=gov.d.village_a2)
    past = timezone.now() - timedelta(minutes=10)
    Dispatch.objects.filter(pk=row.pk).update(checkin_due=past)
    Case.objects.filter(pk=case.pk).update(due_at=past)
    result = sweep()
    assert (result.escalated, result.dispatches_flagged, result.cases_flagged, result.reminders) == (0, 1, 1, 1)
    assert fresh(row).overdue and fresh(case).overdue and fresh(case).level == Level.TOWN
    remind = case.events.get(action="remind")
    assert remind.data["step"] == "checkin" and remind.data["dispatch"] == row.pk and "村二" in remind.note


def test_each_overdue_step_of_a_dispatch_is_reminded_once(gov: Any) -> None:
    case, row, _co = dispatched(gov)
    Dispatch.objects.filter(pk=row.pk).update(checkin_due=timezone.now() - timedelta(minutes=1))
    assert sweep().dispatches_flagged == 1
    assert not sweep().changed
    row = dispatch_check_in(actor=gov.justice_handler, dispatch=fresh(row))
    assert row.overdue is False  # a new step
    Dispatch.objects.filter(pk=row.pk).update(handle_due=timezone.now() - timedelta(minutes=1))
    assert sweep().dispatches_flagged == 1  # the district does not escalate
    assert list(case.events.filter(action="remind").values_list("data__step", flat=True)) == ["checkin", "handle"]
    row = dispatch_feedback(actor=gov.justice_handler, dispatch=fresh(row), result="已处理")
    assert row.overdue is True  # answered late: the case page shows it
    assert fresh(case).state == "handled"


def test_the_sweep_costs_the_same_queries_for_10_or_40_overdue_cases(gov: Any) -> None:
    def sweep_queries(n: int) -> int:
        cases = [district_case(gov) for _ in range(n)]
        Case.objects.filter(pk__in=[c.pk for c in cases]).update(due_at=timezone.now() - timedelta(hours=1))
        with CaptureQueriesContext(connection) as captured:
            result = sweep()
        assert result.cases_flagged == n and result.reminders == n
        return len(captured.captured_queries)

    assert sweep_queries(10) == sweep_queries(40)


def test_the_sweep_works_in_batches(gov: Any) -> None:
    cases = [district_case(gov) for _ in range(7)]
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(due_at=timezone.now() - timedelta(hours=1))
    result = sweep(batch=3)
    assert result.cases_flagged == 7 and Case.objects.filter(overdue=True).count() == 7
    assert CaseEvent.objects.filter(action="remind").count() == 7


def test_the_command_and_the_celery_task(gov: Any) -> None:
    case = district_case(gov)
    lapse(case)
    out = StringIO()
    call_command("sweep", stdout=out)
    assert "cases flagged 1" in out.getvalue()
    lapse(district_case(gov))
    assert sweep_task.apply().get()["cases_flagged"] == 1


# The embedded profile: after a response, at most once a minute -------------------------------------------------


@pytest.fixture
def in_requests(settings: Any) -> Any:
    settings.MOFAN_SWEEP_IN_REQUESTS = True
    sweeper.reset_throttle()
    yield
    sweeper.reset_throttle()


def test_under_the_test_runner_requests_do_not_sweep_unless_asked(settings: Any) -> None:
    assert sweeper.sweep_in_requests() is False
    settings.MOFAN_SWEEP_IN_REQUESTS = True
    assert sweeper.sweep_in_requests() is True


def test_without_celery_a_request_sweeps_after_its_response_once_a_minute(gov: Any, login: Any,
                                                                         in_requests: Any) -> None:
    first, second = district_case(gov), district_case(gov)
    lapse(first)
    client = login(gov.district_operator)
    response = client.get(reverse("cases:workbench"))
    assert response.status_code == 200
    assert fresh(first).overdue and reminders(first) == 1
    lapse(second)
    client.get(reverse("cases:workbench"))
    assert not fresh(second).overdue  # within the minute: no second sweep
    sweeper.reset_throttle()
    client.get(reverse("cases:workbench"))
    assert fresh(second).overdue


def test_the_throttle_lets_one_caller_through_a_minute(in_requests: Any) -> None:
    assert sweeper.claim_sweep(clock=1000.0) is True
    assert sweeper.claim_sweep(clock=1030.0) is False
    sweeper.reset_throttle()
    assert sweeper.claim_sweep(clock=1061.0) is True
