from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from mofan.accounts.roles import Role
from mofan.cases.models import Dispatch, Level
from mofan.cases.selectors import case_get
from mofan.cases.services.dispatch import case_dispatch, dispatch_check_in, dispatch_feedback
from mofan.cases.services.escalation import case_escalate
from mofan.cases.services.triage import case_accept
from mofan.cases.tests.ops_factory import fresh, last_event, report, town_case, transitions, village_station

pytestmark = pytest.mark.django_db


def test_a_village_escalates_to_its_town(gov: Any) -> None:
    case = report(gov)
    assert (case.centre, case.level) == (gov.village_a1_centre, Level.VILLAGE)
    with pytest.raises(ValidationError):
        case_escalate(actor=gov.village_a1_operator, case=case, reason="  ")
    before = transitions(case)
    case = case_escalate(actor=gov.village_a1_operator, case=case, reason="涉及多个村，本级无法协调")
    assert (case.centre, case.centre_path, case.level) == (gov.town_a_centre, gov.town_a_centre.path, Level.TOWN)
    assert case.area == gov.d.village_a1 and case.state == "collected"
    assert case.due_at is not None and case.due_at > timezone.now()
    event = last_event(case)
    assert event.action == "escalate" and event.data["from"] == "村一治理中心" and event.data["to"] == "甲镇社会治理中心"
    assert event.data["by_timeout"] is False and event.note == "涉及多个村，本级无法协调"
    assert transitions(case) == before + 1


def test_after_escalation_the_level_above_decides(gov: Any) -> None:
    case = case_escalate(actor=gov.village_a1_operator, case=report(gov), reason="本级无法解决")
    assert case_get(actor=gov.village_a1_operator, pk=case.pk) == case  # the village still follows its case
    with pytest.raises(PermissionDenied):
        case_accept(actor=gov.village_a1_operator, case=case)
    assert case_accept(actor=gov.town_a_operator, case=case).state == "accepted"


def test_escalation_withdraws_the_dispatches(gov: Any, make_user: Any) -> None:
    station, station_handler = village_station(gov, make_user)
    case = case_accept(actor=gov.village_a1_operator, case=report(gov))
    (row,) = case_dispatch(actor=gov.village_a1_operator, case=case, lead=station)
    dispatch_check_in(actor=station_handler, dispatch=row)
    case = case_escalate(actor=gov.village_a1_operator, case=fresh(case), reason="调解站无法处理")
    assert fresh(row).state == "withdrawn" and case.state == "collected"
    assert last_event(case).data["withdrawn"] == ["村一调解站"]
    with pytest.raises(Http404):  # the station no longer sees the case
        case_get(actor=station_handler, pk=case.pk)


@pytest.mark.parametrize("who", ["justice_handler", "town_b_operator", "grid_worker"])
def test_only_the_holding_centre_escalates(gov: Any, who: str) -> None:
    case = report(gov)
    with pytest.raises(PermissionDenied):
        case_escalate(actor=getattr(gov, who), case=case, reason="上报")
    assert fresh(case).level == Level.VILLAGE


def test_the_district_is_the_last_level(gov: Any) -> None:
    case = case_escalate(actor=gov.town_a_operator, case=town_case(gov), reason="需区级协调")
    assert (case.centre, case.level) == (gov.district_centre, Level.DISTRICT)
    with pytest.raises(ValidationError) as error:
        case_escalate(actor=gov.district_operator, case=case, reason="再上报")
    assert "last level" in str(error.value) or "最后" in str(error.value)
    assert fresh(case).centre == gov.district_centre
    assert transitions(case, success=False) == 1


def test_a_handled_case_is_not_escalated(gov: Any, make_user: Any) -> None:
    case = town_case(gov)
    (row,) = case_dispatch(actor=gov.town_a_operator, case=case, lead=gov.d.village_a2)
    handler = make_user(Role.DEPARTMENT_HANDLER, gov.d.village_a2, username="h_village_a2")
    dispatch_check_in(actor=handler, dispatch=row)
    dispatch_feedback(actor=handler, dispatch=fresh(row), result="已处理")
    assert fresh(case).state == "handled"
    with pytest.raises(ValidationError):
        case_escalate(actor=gov.town_a_operator, case=fresh(case), reason="上报")
    assert transitions(case, success=False) == 1
    assert Dispatch.objects.get(pk=row.pk).state == "done"
