from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.cases.models import Case, Channel, Level
from mofan.cases.services.intake import case_create
from mofan.cases.services.triage import case_accept, case_merge, case_reject

pytestmark = pytest.mark.django_db


def report(gov: Any, area: Any = None, actor: Any = None, **extra: Any) -> Case:
    return case_create(actor=actor or gov.grid_worker, area=area or gov.d.village_a1, channel=Channel.GRID,
                       description="路灯坏了三天，晚上很黑", reporter_name="张三", reporter_phone="13812345678",
                       **extra)


def test_a_case_goes_to_the_centre_of_its_area_or_the_level_above(gov: Any) -> None:
    in_a1 = report(gov)
    assert (in_a1.centre, in_a1.level, in_a1.state) == (gov.village_a1_centre, Level.VILLAGE, "collected")
    in_a2 = report(gov, area=gov.d.village_a2, actor=gov.town_a_operator)  # 村二 has no centre
    assert (in_a2.centre, in_a2.level) == (gov.town_a_centre, Level.TOWN)
    assert in_a1.due_at is not None and in_a1.tracking_code.startswith("MF")
    assert in_a1.events.get().action == "collect"
    assert AuditLog.objects.filter(event_id=AuditEvent.CASE_CREATED.id, target_id=str(in_a1.pk)).count() == 1


def test_intake_outside_the_jurisdiction_is_refused(gov: Any) -> None:
    with pytest.raises(PermissionDenied):
        report(gov, area=gov.d.village_b1)
    assert not Case.objects.exists()


def test_accept_and_reject_need_the_holding_centre(gov: Any) -> None:
    case = report(gov)
    with pytest.raises(PermissionDenied):
        case_accept(actor=gov.town_b_operator, case=case)
    accepted = case_accept(actor=gov.village_a1_operator, case=case)
    assert accepted.state == "accepted" and accepted.accepted_at is not None
    with pytest.raises(ValidationError):
        case_reject(actor=gov.village_a1_operator, case=accepted, reason="重复")
    assert Case.objects.get(pk=case.pk).state == "accepted"
    refused = AuditLog.objects.filter(event_id=AuditEvent.CASE_TRANSITION.id, success=False)
    assert refused.count() == 1


def test_reject_says_why_and_where_to_go(gov: Any) -> None:
    case = report(gov)
    with pytest.raises(ValidationError):
        case_reject(actor=gov.village_a1_operator, case=case, reason=" ")
    rejected = case_reject(actor=gov.village_a1_operator, case=case, reason="属于劳动仲裁范围",
                           redirect_to="区劳动人事争议仲裁院")
    assert (rejected.state, rejected.redirect_to) == ("rejected", "区劳动人事争议仲裁院")
    event = rejected.events.latest("id")
    assert event.action == "reject" and event.actor_name == "op_village_a1"


def test_merge_links_the_duplicate_and_keeps_both_timelines(gov: Any) -> None:
    first, second = report(gov), report(gov)
    merged = case_merge(actor=gov.village_a1_operator, case=second, into=first)
    assert merged.state == "merged" and merged.parent == first
    assert first.events.filter(action="merged_in").count() == 1
    assert list(merged.events.values_list("action", flat=True)) == ["collect", "merge"]
