"""Helpers of the tests of the operations on a case (dispatch, closing, escalation, sweeper, API, pages)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from mofan.accounts.roles import Role
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.cases.models import Case, CaseEvent, Channel, Dispatch, Urgency
from mofan.cases.services import dispatch as dispatching
from mofan.cases.services.intake import case_create
from mofan.cases.services.triage import case_accept
from mofan.org import services as org_services
from mofan.org.models import UnitKind

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def report(gov: Any, area: Any = None, urgency: str = Urgency.NORMAL) -> Case:
    """A citizen's report through the public form (no account needed for any area)."""
    return case_create(actor=None, area=area or gov.d.village_a1, channel=Channel.PUBLIC, urgency=urgency,
                       description="小区门口的路灯坏了三天，晚上很黑", reporter_phone="13812345678")


def operator(gov: Any, case: Case) -> Any:
    """The centre operator of the centre that holds ``case`` now."""
    case.refresh_from_db()
    return {
        gov.village_a1_centre.pk: gov.village_a1_operator,
        gov.town_a_centre.pk: gov.town_a_operator,
        gov.town_b_centre.pk: gov.town_b_operator,
        gov.district_centre.pk: gov.district_operator,
    }[case.centre_id]


def accepted(gov: Any, area: Any = None, urgency: str = Urgency.NORMAL) -> Case:
    case = report(gov, area, urgency)
    return case_accept(actor=operator(gov, case), case=case)


def district_case(gov: Any, urgency: str = Urgency.NORMAL) -> Case:
    """An accepted case held by the district centre (reported for the district as a whole)."""
    return accepted(gov, gov.d.district, urgency)


def town_case(gov: Any, urgency: str = Urgency.NORMAL) -> Case:
    """An accepted case held by 甲镇's centre (村二 has no centre of its own)."""
    return accepted(gov, gov.d.village_a2, urgency)


def dispatched(gov: Any, co: bool = False) -> tuple[Case, Dispatch, Dispatch | None]:
    """A district case dispatched to 司法局 (lead) and, with ``co``, 城管局 (co-handling)."""
    case = district_case(gov)
    rows = dispatching.case_dispatch(actor=gov.district_operator, case=case, lead=gov.justice,
                                     co=[gov.urban] if co else [])
    case.refresh_from_db()
    return case, rows[0], rows[1] if co else None


def village_station(gov: Any, make_user: Any) -> tuple[Any, Any]:
    """A service station inside 村一 with its own handler: within the village centre's reach."""
    station = org_services.unit_create(actor=None, name="村一调解站", kind=UnitKind.STATION, parent=gov.d.village_a1)
    return station, make_user(Role.DEPARTMENT_HANDLER, station, username="h_station")


def transitions(case: Case, success: bool = True) -> int:
    return AuditLog.objects.filter(event_id=AuditEvent.CASE_TRANSITION.id, target_id=str(case.pk),
                                   success=success).count()


def denied(case: Case) -> int:
    return AuditLog.objects.filter(event_id=AuditEvent.ACCESS_DENIED.id, target_id=str(case.pk),
                                   success=False).count()


def last_event(case: Case) -> CaseEvent:
    event = case.events.order_by("id").last()
    assert event is not None
    return event


def fresh(obj: Any) -> Any:
    obj.refresh_from_db()
    return obj


def at(text: str) -> datetime:
    """A local (Asia/Shanghai) moment, e.g. at("2025-09-26 10:00")."""
    return timezone.make_aware(datetime.fromisoformat(text))
