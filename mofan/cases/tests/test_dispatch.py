from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import timezone

from mofan.accounts.roles import Role
from mofan.cases.calendar import add_working_days
from mofan.cases.kinds import GOVERNANCE
from mofan.cases.models import Case, CaseAttachment, Dispatch, Urgency
from mofan.cases.selectors import dispatch_get
from mofan.cases.services import dispatch as dispatching
from mofan.cases.services.dispatch import (
    case_dispatch,
    case_press,
    case_redispatch,
    case_summon,
    dispatch_check_in,
    dispatch_decide_extension,
    dispatch_feedback,
    dispatch_rate,
    dispatch_request_extension,
    dispatch_return,
)
from mofan.cases.tests.ops_factory import (
    PNG,
    denied,
    dispatched,
    district_case,
    fresh,
    report,
    town_case,
    transitions,
    village_station,
)
from mofan.org import services as org_services
from mofan.org.models import UnitKind

pytestmark = pytest.mark.django_db
State = Dispatch.State


# 交办 ----------------------------------------------------------------------------------------------------------


def test_dispatch_to_a_lead_and_a_co_handler_with_dues_from_the_limits(gov: Any) -> None:
    case = district_case(gov, Urgency.HIGH)
    before = transitions(case)
    started = timezone.now()
    lead, co = case_dispatch(actor=gov.district_operator, case=case, lead=gov.justice, co=[gov.urban],
                             note="请尽快处理")
    case.refresh_from_db()
    assert case.state == "dispatched"
    assert (lead.role, co.role, lead.state, co.state) == ("lead", "co", "dispatched", "dispatched")
    limit_checkin = GOVERNANCE.checkin_limit[Urgency.HIGH].delta
    assert started + limit_checkin <= lead.checkin_due <= timezone.now() + limit_checkin
    assert lead.handle_due - lead.checkin_due == GOVERNANCE.handle_limit[Urgency.HIGH].delta - limit_checkin
    assert case.due_at == lead.checkin_due  # the earliest open step
    assert lead.department_path == gov.justice.path and lead.dispatched_by == gov.district_operator
    event = case.events.get(action="dispatch")
    assert event.data["lead"] == "司法局" and event.data["co"] == ["城管局"] and event.note == "请尽快处理"
    assert transitions(case) == before + 1


def test_normal_urgency_handles_in_working_days(gov: Any) -> None:
    case = district_case(gov)
    now = timezone.now()
    (lead,) = case_dispatch(actor=gov.district_operator, case=case, lead=gov.justice)
    expected = add_working_days(now + GOVERNANCE.handle_limit[Urgency.NORMAL].delta, 7)
    assert abs(lead.handle_due - expected) < timedelta(seconds=5)


def test_due_overrides_are_checked(gov: Any) -> None:
    case = district_case(gov)
    now = timezone.now()
    with pytest.raises(ValidationError):
        case_dispatch(actor=gov.district_operator, case=case, lead=gov.justice, handle_due=now - timedelta(hours=1))
    with pytest.raises(ValidationError):
        case_dispatch(actor=gov.district_operator, case=case, lead=gov.justice,
                      checkin_due=now + timedelta(hours=5), handle_due=now + timedelta(hours=2))
    assert fresh(case).state == "accepted" and not Dispatch.objects.exists()
    (lead,) = case_dispatch(actor=gov.district_operator, case=case, lead=gov.justice,
                            checkin_due=now + timedelta(hours=1), handle_due=now + timedelta(days=3))
    assert lead.handle_due == now + timedelta(days=3)


@pytest.mark.parametrize("who", ["justice_handler", "town_a_operator", "grid_worker", "village_a1_operator"])
def test_only_the_holding_centre_dispatches(gov: Any, who: str) -> None:
    case = district_case(gov)
    with pytest.raises(PermissionDenied):
        case_dispatch(actor=getattr(gov, who), case=case, lead=gov.justice)
    assert fresh(case).state == "accepted" and not Dispatch.objects.exists()
    assert denied(case) == 1


def test_dispatch_in_the_wrong_state_is_refused_and_audited(gov: Any) -> None:
    case = report(gov, gov.d.district)  # collected, not yet accepted
    with pytest.raises(ValidationError):
        case_dispatch(actor=gov.district_operator, case=case, lead=gov.justice)
    assert fresh(case).state == "collected" and not Dispatch.objects.exists()
    assert transitions(case, success=False) == 1


def test_dispatch_outside_the_centres_reach_is_refused_and_audited(gov: Any, make_user: Any) -> None:
    district = district_case(gov)
    with pytest.raises(ValidationError) as error:
        case_dispatch(actor=gov.district_operator, case=district, lead=gov.d.village_a1)  # a village, not an organ
    assert "村一" in str(error.value)
    town = town_case(gov)
    with pytest.raises(ValidationError):  # a district department: the town must summon (吹哨), not dispatch
        case_dispatch(actor=gov.town_a_operator, case=town, lead=gov.justice)
    with pytest.raises(ValidationError):  # a village of another town
        case_dispatch(actor=gov.town_a_operator, case=town, lead=gov.d.village_b1)
    with pytest.raises(ValidationError):  # another centre
        case_dispatch(actor=gov.town_a_operator, case=town, lead=gov.village_a1_centre)
    branch = org_services.unit_create(actor=None, name="村二党支部", kind=UnitKind.PARTY_BRANCH,
                                      parent=gov.d.village_a2)
    with pytest.raises(ValidationError):  # a party organisation does not handle cases
        case_dispatch(actor=gov.town_a_operator, case=town, lead=branch)
    village = report(gov)
    from mofan.cases.services.triage import case_accept
    village = case_accept(actor=gov.village_a1_operator, case=village)
    with pytest.raises(ValidationError):  # the neighbouring village
        case_dispatch(actor=gov.village_a1_operator, case=village, lead=gov.d.village_a2)
    assert not Dispatch.objects.exists()
    assert {fresh(c).state for c in (district, town, village)} == {"accepted"}
    assert transitions(district, success=False) == 1 and transitions(town, success=False) == 4
    # within reach: the town's own villages, the village's own station
    case_dispatch(actor=gov.town_a_operator, case=town, lead=gov.d.village_a2, co=[gov.d.village_a1])
    station, _handler = village_station(gov, make_user)
    case_dispatch(actor=gov.village_a1_operator, case=village, lead=station)
    assert Dispatch.objects.count() == 3


def test_one_lead_at_a_time_and_no_department_twice(gov: Any) -> None:
    case, lead, _co = dispatched(gov)
    with pytest.raises(ValidationError):
        case_dispatch(actor=gov.district_operator, case=case, lead=gov.urban)
    with pytest.raises(ValidationError):
        case_dispatch(actor=gov.district_operator, case=case, lead=None, co=[gov.justice])
    with pytest.raises(ValidationError):
        case_dispatch(actor=gov.district_operator, case=case, lead=None, co=[gov.urban, gov.urban])
    (added,) = case_dispatch(actor=gov.district_operator, case=case, lead=None, co=[gov.urban])
    assert added.role == "co" and Dispatch.objects.filter(case=case).count() == 2
    fresh_case = district_case(gov)
    with pytest.raises(ValidationError):
        case_dispatch(actor=gov.district_operator, case=fresh_case, lead=None, co=[gov.urban])


# 吹哨 ----------------------------------------------------------------------------------------------------------


def test_a_town_summons_district_departments_to_report_within_30_minutes(gov: Any) -> None:
    case = town_case(gov)
    started = timezone.now()
    lead, co = case_summon(actor=gov.town_a_operator, case=case, departments=[gov.justice, gov.urban],
                           note="现场协调")
    assert lead.summons and co.summons and (lead.role, co.role) == ("lead", "co")
    assert started + timedelta(minutes=30) <= lead.checkin_due <= timezone.now() + timedelta(minutes=30)
    assert fresh(case).state == "dispatched" and fresh(case).due_at == lead.checkin_due
    assert case.events.get(action="summon").data["summons"] is True
    # a second summons adds co-handlers under the same lead
    (third,) = case_summon(actor=gov.town_a_operator, case=case, departments=[gov.department])
    assert third.role == "co"


def test_only_a_township_summons_and_only_district_departments(gov: Any) -> None:
    district = district_case(gov)
    with pytest.raises(ValidationError):
        case_summon(actor=gov.district_operator, case=district, departments=[gov.justice])
    town = town_case(gov)
    town_organ = org_services.unit_create(actor=None, name="甲镇司法所", kind=UnitKind.ORGAN, parent=gov.d.town_a)
    with pytest.raises(ValidationError):
        case_summon(actor=gov.town_a_operator, case=town, departments=[town_organ])
    with pytest.raises(PermissionDenied):
        case_summon(actor=gov.town_b_operator, case=town, departments=[gov.justice])
    assert not Dispatch.objects.exists()


# 报到 ----------------------------------------------------------------------------------------------------------


def test_check_in_by_the_dispatched_department(gov: Any) -> None:
    case, lead, co = dispatched(gov, co=True)
    assert co is not None
    before = transitions(case)
    lead = dispatch_check_in(actor=gov.justice_handler, dispatch=lead, note="已到现场")
    assert lead.state == "checked_in" and lead.checked_in_at is not None
    case.refresh_from_db()
    assert case.state == "dispatched"
    assert case.due_at == min(co.checkin_due, lead.handle_due)  # the earliest open step
    assert transitions(case) == before + 1
    assert case.events.filter(action="check_in").get().data["department"] == "司法局"


def test_check_in_by_a_department_that_was_not_dispatched(gov: Any) -> None:
    case, lead, _co = dispatched(gov)
    # 城管局 cannot even see the case (it was not dispatched there): a 404 through the selector
    with pytest.raises(Http404):
        dispatch_get(actor=gov.urban_handler, pk=lead.pk)
    # and the service refuses it outright, audited
    with pytest.raises(PermissionDenied):
        dispatch_check_in(actor=gov.urban_handler, dispatch=lead)
    # a co-handler of the same case may not check in for the lead either
    (co,) = case_dispatch(actor=gov.district_operator, case=case, lead=None, co=[gov.urban])
    assert dispatch_get(actor=gov.urban_handler, pk=lead.pk) == lead
    with pytest.raises(PermissionDenied):
        dispatch_check_in(actor=gov.urban_handler, dispatch=lead)
    # nor may the centre operator (it dispatches, it does not handle)
    with pytest.raises(PermissionDenied):
        dispatch_check_in(actor=gov.district_operator, dispatch=lead)
    assert fresh(lead).state == "dispatched" and denied(case) == 3


def test_check_in_twice_is_refused_and_audited(gov: Any) -> None:
    case, lead, _co = dispatched(gov)
    dispatch_check_in(actor=gov.justice_handler, dispatch=lead)
    with pytest.raises(ValidationError):
        dispatch_check_in(actor=gov.justice_handler, dispatch=fresh(lead))
    assert transitions(case, success=False) == 1


# 办结反馈 -------------------------------------------------------------------------------------------------------


def test_feedback_needs_a_check_in_and_a_result(gov: Any) -> None:
    case, lead, _co = dispatched(gov)
    with pytest.raises(ValidationError):
        dispatch_feedback(actor=gov.justice_handler, dispatch=lead, result="已处理")
    dispatch_check_in(actor=gov.justice_handler, dispatch=lead)
    with pytest.raises(ValidationError):
        dispatch_feedback(actor=gov.justice_handler, dispatch=fresh(lead), result="  ")
    assert fresh(lead).state == "checked_in"


def test_feedback_with_evidence_and_the_case_is_handled_when_all_have_answered(gov: Any) -> None:
    case, lead, co = dispatched(gov, co=True)
    assert co is not None
    for row, handler in ((lead, gov.justice_handler), (co, gov.urban_handler)):
        dispatch_check_in(actor=handler, dispatch=row)
    photo = SimpleUploadedFile("现场.png", PNG, content_type="image/png")
    lead = dispatch_feedback(actor=gov.justice_handler, dispatch=fresh(lead), result="已调解，双方和解",
                             files=[photo])
    assert lead.state == "done" and lead.feedback_at is not None and lead.result == "已调解，双方和解"
    assert lead.overdue is False  # answered in time
    assert fresh(case).state == "dispatched"  # the co-handler still owes its answer
    event = case.events.get(action="feedback")
    assert CaseAttachment.objects.get(event=event).name == "现场.png"
    before = transitions(case)
    dispatch_feedback(actor=gov.urban_handler, dispatch=fresh(co), result="已清理占道")
    case.refresh_from_db()
    assert case.state == "handled"
    complete = case.events.get(action="complete")
    assert complete.actor is None and complete.actor_name
    assert case.due_at is not None and case.due_at > timezone.now()
    assert transitions(case) == before + 2  # the feedback, and the system's step


def test_a_disguised_evidence_file_changes_nothing(gov: Any) -> None:
    case, lead, _co = dispatched(gov)
    dispatch_check_in(actor=gov.justice_handler, dispatch=lead)
    fake = SimpleUploadedFile("photo.jpg", b"MZ this is a program", content_type="image/jpeg")
    with pytest.raises(ValidationError):
        dispatch_feedback(actor=gov.justice_handler, dispatch=fresh(lead), result="已处理", files=[fake])
    assert fresh(lead).state == "checked_in" and not CaseAttachment.objects.filter(case=case).exists()


# 退单 ----------------------------------------------------------------------------------------------------------


def test_return_then_the_centre_dispatches_again(gov: Any) -> None:
    case, lead, _co = dispatched(gov)
    with pytest.raises(ValidationError):
        dispatch_return(actor=gov.justice_handler, dispatch=lead, reason="")
    returned = dispatch_return(actor=gov.justice_handler, dispatch=lead, reason="不属于本部门职责")
    assert returned.state == "returned" and returned.return_reason == "不属于本部门职责"
    case.refresh_from_db()
    assert case.state == "dispatched"  # the centre reviews
    triage = GOVERNANCE.triage_limit[Urgency.NORMAL].delta  # nothing is open: the centre's turn
    assert case.due_at is not None
    assert abs(case.due_at - (timezone.now() + triage)) < timedelta(seconds=5)
    with pytest.raises(ValidationError):
        dispatch_return(actor=gov.justice_handler, dispatch=returned, reason="再次退回")
    (new_lead,) = case_dispatch(actor=gov.district_operator, case=case, lead=gov.urban)
    assert new_lead.role == "lead"
    # the returned department can be dispatched again later: its returned row is closed
    case_dispatch(actor=gov.district_operator, case=case, lead=None, co=[gov.justice])
    assert fresh(returned).state == "withdrawn" and fresh(returned).return_reason == "不属于本部门职责"


def test_redispatch_takes_the_case_back(gov: Any) -> None:
    case, lead, co = dispatched(gov, co=True)
    with pytest.raises(ValidationError):
        case_redispatch(actor=gov.district_operator, case=case, note="")
    with pytest.raises(PermissionDenied):
        case_redispatch(actor=gov.justice_handler, case=case, note="收回")
    case = case_redispatch(actor=gov.district_operator, case=case, note="重新研判")
    assert case.state == "accepted"
    assert set(Dispatch.objects.filter(case=case).values_list("state", flat=True)) == {"withdrawn"}
    assert case.events.get(action="redispatch").data["withdrawn"] == ["司法局", "城管局"]


def test_a_co_handler_returning_after_the_lead_answered_completes_the_case(gov: Any) -> None:
    case, lead, co = dispatched(gov, co=True)
    assert co is not None
    dispatch_check_in(actor=gov.justice_handler, dispatch=lead)
    dispatch_feedback(actor=gov.justice_handler, dispatch=fresh(lead), result="已办结")
    dispatch_return(actor=gov.urban_handler, dispatch=co, reason="无需协办")
    assert fresh(case).state == "handled"


# 延期 ----------------------------------------------------------------------------------------------------------


def test_extension_requested_and_approved_by_working_days(gov: Any) -> None:
    case, lead, _co = dispatched(gov)
    dispatch_check_in(actor=gov.justice_handler, dispatch=lead)
    with pytest.raises(ValidationError):
        dispatch_request_extension(actor=gov.justice_handler, dispatch=fresh(lead), days=0, reason="需鉴定")
    with pytest.raises(ValidationError):
        dispatch_request_extension(actor=gov.justice_handler, dispatch=fresh(lead), days=3, reason="")
    lead = dispatch_request_extension(actor=gov.justice_handler, dispatch=fresh(lead), days=3, reason="需要鉴定")
    assert (lead.extension_days, lead.extension_reason) == (3, "需要鉴定")
    with pytest.raises(ValidationError):  # one request at a time
        dispatch_request_extension(actor=gov.justice_handler, dispatch=lead, days=2, reason="再延")
    with pytest.raises(PermissionDenied):  # the department cannot grant itself more time
        dispatch_decide_extension(actor=gov.justice_handler, dispatch=lead, approve=True)
    old_due = lead.handle_due
    lead = dispatch_decide_extension(actor=gov.district_operator, dispatch=lead, approve=True, note="同意")
    assert lead.handle_due == add_working_days(old_due, 3) and lead.extension_days is None
    assert fresh(case).due_at == lead.handle_due
    event = case.events.get(action="decide_extension")
    assert event.data["approved"] is True and event.data["days"] == 3
    with pytest.raises(ValidationError):  # nothing left to decide
        dispatch_decide_extension(actor=gov.district_operator, dispatch=lead, approve=True)
    assert transitions(case, success=False) == 2


def test_extension_refused_keeps_the_due(gov: Any) -> None:
    _case, lead, _co = dispatched(gov)
    lead = dispatch_request_extension(actor=gov.justice_handler, dispatch=lead, days=5, reason="人手不足")
    decided = dispatch_decide_extension(actor=gov.district_operator, dispatch=lead, approve=False, note="不予延期")
    assert decided.handle_due == lead.handle_due and decided.extension_days is None


# 督办 and 评价 -------------------------------------------------------------------------------------------------


def test_press_flags_the_departments(gov: Any) -> None:
    case, lead, co = dispatched(gov, co=True)
    assert co is not None
    with pytest.raises(ValidationError):
        case_press(actor=gov.district_operator, case=case, note="")
    with pytest.raises(PermissionDenied):
        case_press(actor=gov.justice_handler, case=case, note="请加快")
    case_press(actor=gov.district_operator, case=case, note="请今日内反馈", dispatch=co)
    assert dispatching.pressed_dispatch_ids(case) == {co.pk}
    case_press(actor=gov.district_operator, case=case, note="全部督办")
    assert dispatching.pressed_dispatch_ids(case) == {lead.pk, co.pk}
    accepted_case = district_case(gov)
    with pytest.raises(ValidationError):
        case_press(actor=gov.district_operator, case=accepted_case, note="督办")
    assert transitions(accepted_case, success=False) == 1


def test_the_centre_rates_a_response_after_feedback_once(gov: Any) -> None:
    case = town_case(gov)
    (lead,) = case_summon(actor=gov.town_a_operator, case=case, departments=[gov.justice])
    with pytest.raises(ValidationError):  # not yet answered
        dispatch_rate(actor=gov.town_a_operator, dispatch=lead, rating=5)
    dispatch_check_in(actor=gov.justice_handler, dispatch=lead)
    dispatch_feedback(actor=gov.justice_handler, dispatch=fresh(lead), result="已现场处置")
    with pytest.raises(ValidationError):
        dispatch_rate(actor=gov.town_a_operator, dispatch=fresh(lead), rating=6)
    with pytest.raises(PermissionDenied):
        dispatch_rate(actor=gov.justice_handler, dispatch=fresh(lead), rating=5)
    rated = dispatch_rate(actor=gov.town_a_operator, dispatch=fresh(lead), rating=4, note="响应及时")
    assert (rated.rating, rated.rating_note) == (4, "响应及时")
    with pytest.raises(ValidationError):
        dispatch_rate(actor=gov.town_a_operator, dispatch=rated, rating=5)
    assert fresh(case).state == "handled"


def test_a_handler_of_a_department_above_sees_and_handles_its_sub_departments(gov: Any, make_user: Any) -> None:
    """A handler of 区委政法委 covers 综治科 (roles hold on the subtree)."""
    case = district_case(gov)
    organ_handler = make_user(Role.DEPARTMENT_HANDLER, gov.d.organ, username="h_organ")
    (row,) = case_dispatch(actor=gov.district_operator, case=case, lead=gov.department)
    assert dispatch_check_in(actor=organ_handler, dispatch=row).state == "checked_in"


def test_dispatch_leaves_exactly_one_timeline_entry_and_audit_row_per_operation(gov: Any) -> None:
    case = district_case(gov)
    events, audits = case.events.count(), transitions(case)
    (lead,) = case_dispatch(actor=gov.district_operator, case=case, lead=gov.justice)
    dispatch_check_in(actor=gov.justice_handler, dispatch=lead)
    dispatch_request_extension(actor=gov.justice_handler, dispatch=fresh(lead), days=1, reason="等待材料")
    dispatch_decide_extension(actor=gov.district_operator, dispatch=fresh(lead), approve=True)
    case_press(actor=gov.district_operator, case=Case.objects.get(pk=case.pk), note="督办")
    assert case.events.count() - events == 5 and transitions(case) - audits == 5
