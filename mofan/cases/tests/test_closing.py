from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from mofan.cases.calendar import due_after
from mofan.cases.kinds import GOVERNANCE
from mofan.cases.models import Case, Dispatch, Level, Satisfaction
from mofan.cases.services.closing import (
    case_callback,
    case_pause,
    case_reopen,
    case_resume,
    case_verify,
    case_verify_failed,
)
from mofan.cases.services.dispatch import case_dispatch, dispatch_check_in, dispatch_feedback
from mofan.cases.sweeper import sweep
from mofan.cases.tests.ops_factory import dispatched, district_case, fresh, last_event, report, transitions

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self) -> None:
        self.now = timezone.now()

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Time under the test's control: every ``timezone.now()`` returns ``clock.now``."""
    c = Clock()
    monkeypatch.setattr(timezone, "now", lambda: c.now)
    return c


def handled(gov: Any) -> Case:
    case, lead, _co = dispatched(gov)
    dispatch_check_in(actor=gov.justice_handler, dispatch=lead)
    dispatch_feedback(actor=gov.justice_handler, dispatch=fresh(lead), result="已处理完毕")
    return fresh(case)


def verified(gov: Any) -> Case:
    return case_verify(actor=gov.district_operator, case=handled(gov))


# 核查 ----------------------------------------------------------------------------------------------------------


def test_verify_resolves_the_case_at_its_level_and_starts_the_callback_clock(gov: Any) -> None:
    case = handled(gov)
    assert case.state == "handled" and case.resolved_at is None
    before = transitions(case)
    case = case_verify(actor=gov.district_operator, case=case, note="现场核实")
    assert case.state == "verified"
    assert case.resolved_at is not None and case.resolved_level == Level.DISTRICT
    assert case.due_at == due_after(case.resolved_at, GOVERNANCE.callback_limit)
    assert transitions(case) == before + 1 and last_event(case).action == "verify"


@pytest.mark.parametrize("who", ["justice_handler", "town_a_operator", "grid_worker"])
def test_only_the_holding_centre_verifies(gov: Any, who: str) -> None:
    case = handled(gov)
    with pytest.raises(PermissionDenied):
        case_verify(actor=getattr(gov, who), case=case)
    assert fresh(case).state == "handled"


def test_verify_in_the_wrong_state_is_refused_and_audited(gov: Any) -> None:
    case, _lead, _co = dispatched(gov)
    for operation in (case_verify, case_verify_failed):
        with pytest.raises(ValidationError):
            operation(actor=gov.district_operator, case=case, **({"reason": "不实"} if operation is case_verify_failed
                                                                  else {}))
    assert fresh(case).state == "dispatched" and transitions(case, success=False) == 2


def test_failed_verification_goes_back_to_dispatch(gov: Any) -> None:
    case = handled(gov)
    with pytest.raises(ValidationError):
        case_verify_failed(actor=gov.district_operator, case=case, reason=" ")
    case = case_verify_failed(actor=gov.district_operator, case=case, reason="现场仍有积水")
    assert case.state == "accepted" and case.resolved_at is None
    assert set(Dispatch.objects.filter(case=case).values_list("state", flat=True)) == {"withdrawn"}
    # the same department can take it again
    (again,) = case_dispatch(actor=gov.district_operator, case=case, lead=gov.justice)
    assert again.state == "dispatched"


# 回访 ----------------------------------------------------------------------------------------------------------


def test_callback_solved_closes_the_case(gov: Any) -> None:
    case = verified(gov)
    with pytest.raises(ValidationError):
        case_callback(actor=gov.district_operator, case=case, satisfaction="happy", solved=True)
    with pytest.raises(PermissionDenied):
        case_callback(actor=gov.justice_handler, case=case, satisfaction=Satisfaction.SATISFIED, solved=True)
    assert fresh(case).state == "verified"
    case = case_callback(actor=gov.district_operator, case=case, satisfaction=Satisfaction.BASICALLY, solved=True,
                         note="群众表示基本满意")
    assert (case.state, case.satisfaction) == ("closed", "basically")
    assert case.closed_at is not None and case.due_at is None and case.resolved_level == Level.DISTRICT
    event = last_event(case)
    assert event.action == "callback" and event.data == {"satisfaction": "basically", "solved": True}


def test_callback_not_solved_reopens_the_case(gov: Any) -> None:
    case = verified(gov)
    before = transitions(case)
    case = case_callback(actor=gov.district_operator, case=case, satisfaction=Satisfaction.UNSATISFIED,
                         solved=False)
    assert (case.state, case.satisfaction) == ("accepted", "unsatisfied")
    assert case.resolved_at is None and case.resolved_level is None and case.closed_at is None
    event = last_event(case)
    assert event.action == "reopen" and event.data["solved"] is False
    assert transitions(case) == before + 1


def test_callback_only_after_verification(gov: Any) -> None:
    case = handled(gov)
    with pytest.raises(ValidationError):
        case_callback(actor=gov.district_operator, case=case, satisfaction=Satisfaction.SATISFIED, solved=True)
    assert fresh(case).state == "handled" and transitions(case, success=False) == 1


def test_reopen_a_closed_case(gov: Any) -> None:
    case = case_callback(actor=gov.district_operator, case=verified(gov), satisfaction=Satisfaction.SATISFIED,
                         solved=True)
    with pytest.raises(ValidationError):
        case_reopen(actor=gov.district_operator, case=case, reason="")
    case = case_reopen(actor=gov.district_operator, case=case, reason="问题再次出现")
    assert case.state == "accepted" and case.closed_at is None and case.resolved_at is None
    assert case.due_at is not None and case.due_at > timezone.now()
    with pytest.raises(ValidationError):  # an accepted case is not reopened
        case_reopen(actor=gov.district_operator, case=case, reason="再次")
    assert transitions(case, success=False) == 1


# The paused clock ----------------------------------------------------------------------------------------------


def test_pause_and_resume_shift_every_open_due_by_the_paused_time(gov: Any, clock: Clock) -> None:
    case, lead, co = dispatched(gov, co=True)
    assert co is not None
    dispatch_check_in(actor=gov.justice_handler, dispatch=lead)
    lead, co, case = fresh(lead), fresh(co), fresh(case)
    due, lead_handle, co_checkin, co_handle = case.due_at, lead.handle_due, co.checkin_due, co.handle_due
    lead_checkin = lead.checkin_due
    with pytest.raises(ValidationError):
        case_pause(actor=gov.district_operator, case=case, reason="")
    case = case_pause(actor=gov.district_operator, case=case, reason="等待群众补充材料")
    assert case.paused_at == clock.now
    with pytest.raises(ValidationError):
        case_pause(actor=gov.district_operator, case=case, reason="再次暂停")
    with pytest.raises(ValidationError):  # no new clocks while paused
        case_dispatch(actor=gov.district_operator, case=case, lead=None, co=[gov.department])
    clock.advance(hours=30)  # far past the co-handler's check-in due: the clock is stopped, nobody is overdue
    assert sweep().cases_flagged == 0 and not Dispatch.objects.filter(overdue=True).exists()
    case = case_resume(actor=gov.district_operator, case=case, note="材料已补齐")
    assert case.paused_at is None
    lead, co = fresh(lead), fresh(co)
    assert lead.handle_due == lead_handle + timedelta(hours=30)
    assert (co.checkin_due, co.handle_due) == (co_checkin + timedelta(hours=30), co_handle + timedelta(hours=30))
    assert lead.checkin_due == lead_checkin  # a step already done is not shifted
    assert case.due_at == due + timedelta(hours=30) == min(co.checkin_due, lead.handle_due)
    assert last_event(case).data["paused_minutes"] == 30 * 60
    with pytest.raises(ValidationError):
        case_resume(actor=gov.district_operator, case=case)


def test_pause_before_acceptance_moves_the_triage_due(gov: Any, clock: Clock) -> None:
    case = report(gov, gov.d.district)
    due = case.due_at
    assert due is not None
    case_pause(actor=gov.district_operator, case=case, reason="联系不上反映人")
    clock.advance(hours=2, minutes=15)
    case = case_resume(actor=gov.district_operator, case=fresh(case))
    assert case.due_at == due + timedelta(hours=2, minutes=15)


def test_pause_needs_the_centre_and_an_open_step(gov: Any) -> None:
    case = handled(gov)
    with pytest.raises(ValidationError):  # verification is the centre's own step: no pausing
        case_pause(actor=gov.district_operator, case=case, reason="等待")
    accepted = district_case(gov)
    with pytest.raises(PermissionDenied):
        case_pause(actor=gov.justice_handler, case=accepted, reason="等待")
    assert fresh(accepted).paused_at is None
