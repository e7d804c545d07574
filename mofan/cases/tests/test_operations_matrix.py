"""Every operation on a case, against the same four checks: the allowed role succeeds with exactly one timeline
entry and one audit row; each refused role gets PermissionDenied, audited, and nothing changes; the operation
in a state that does not allow it gets a ValidationError, audited, and nothing changes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.cases.models import Case, CaseEvent, Category, Dispatch, Satisfaction
from mofan.cases.services import closing, escalation, triage
from mofan.cases.services import dispatch as d
from mofan.cases.tests.ops_factory import dispatched, district_case, fresh, report, town_case

pytestmark = pytest.mark.django_db

Target = Any  # a Case, or a Dispatch for the department's operations


@dataclass(frozen=True)
class Row:
    setup: Callable[[Any], Target]  # a target in a state that allows the operation
    wrong: Callable[[Any], Target]  # a target in a state that does not
    call: Callable[[Any, Target, Any], Any]  # (actor, target, gov)
    allowed: str
    refused: tuple[str, ...]


def _case(target: Target) -> Case:
    return target.case if isinstance(target, Dispatch) else target


def _handled(gov: Any) -> Case:
    case, lead, _co = dispatched(gov)
    d.dispatch_check_in(actor=gov.justice_handler, dispatch=lead)
    d.dispatch_feedback(actor=gov.justice_handler, dispatch=fresh(lead), result="已处理")
    return fresh(case)


def _verified(gov: Any) -> Case:
    return closing.case_verify(actor=gov.district_operator, case=_handled(gov))


def _closed(gov: Any) -> Case:
    return closing.case_callback(actor=gov.district_operator, case=_verified(gov),
                                 satisfaction=Satisfaction.SATISFIED, solved=True)


def _lead(gov: Any) -> Dispatch:
    return dispatched(gov)[1]


def _checked_in(gov: Any) -> Dispatch:
    return d.dispatch_check_in(actor=gov.justice_handler, dispatch=_lead(gov))


def _asked_more_time(gov: Any) -> Dispatch:
    return d.dispatch_request_extension(actor=gov.justice_handler, dispatch=_lead(gov), days=2, reason="等待鉴定")


def _answered(gov: Any) -> Dispatch:
    case = _handled(gov)
    return Dispatch.objects.get(case=case)


def _returned(gov: Any) -> Dispatch:
    return d.dispatch_return(actor=gov.justice_handler, dispatch=_lead(gov), reason="非本部门")


def _paused(gov: Any) -> Case:
    return closing.case_pause(actor=gov.district_operator, case=district_case(gov), reason="等待群众")


def _category() -> Category:
    return Category.objects.get_or_create(name="市容环境", level=1)[0]


CENTRE = ("justice_handler", "town_a_operator", "grid_worker")
DISTRICT_CASE = lambda gov: report(gov, gov.d.district)  # noqa: E731

MATRIX: dict[str, Row] = {
    "accept": Row(DISTRICT_CASE, district_case,
                  lambda a, t, g: triage.case_accept(actor=a, case=t), "district_operator", CENTRE),
    "reject": Row(DISTRICT_CASE, district_case,
                  lambda a, t, g: triage.case_reject(actor=a, case=t, reason="不属于受理范围"), "district_operator",
                  CENTRE),
    "classify": Row(district_case, _handled,
                    lambda a, t, g: triage.case_classify(actor=a, case=t, category=_category()), "district_operator",
                    CENTRE),
    "merge": Row(DISTRICT_CASE, lambda g: dispatched(g)[0],
                 lambda a, t, g: triage.case_merge(actor=a, case=t, into=district_case(g)), "district_operator",
                 CENTRE),
    "dispatch": Row(district_case, DISTRICT_CASE,
                    lambda a, t, g: d.case_dispatch(actor=a, case=t, lead=g.justice), "district_operator", CENTRE),
    "summon": Row(town_case, lambda g: report(g, g.d.village_a2),
                  lambda a, t, g: d.case_summon(actor=a, case=t, departments=[g.justice]), "town_a_operator",
                  ("justice_handler", "town_b_operator", "district_operator")),
    "redispatch": Row(lambda g: dispatched(g)[0], district_case,
                      lambda a, t, g: d.case_redispatch(actor=a, case=t, note="收回"), "district_operator", CENTRE),
    "press": Row(lambda g: dispatched(g)[0], district_case,
                 lambda a, t, g: d.case_press(actor=a, case=t, note="督办"), "district_operator", CENTRE),
    "decide_extension": Row(_asked_more_time, _lead,
                            lambda a, t, g: d.dispatch_decide_extension(actor=a, dispatch=t, approve=True),
                            "district_operator", CENTRE),
    "rate": Row(_answered, _lead, lambda a, t, g: d.dispatch_rate(actor=a, dispatch=t, rating=4),
                "district_operator", CENTRE),
    "escalate": Row(report, lambda g: triage.case_reject(actor=g.village_a1_operator, case=report(g), reason="重复"),
                    lambda a, t, g: escalation.case_escalate(actor=a, case=t, reason="本级无法解决"),
                    "village_a1_operator", ("justice_handler", "town_b_operator", "grid_worker")),
    "pause": Row(district_case, _handled, lambda a, t, g: closing.case_pause(actor=a, case=t, reason="等待"),
                 "district_operator", CENTRE),
    "resume": Row(_paused, district_case, lambda a, t, g: closing.case_resume(actor=a, case=t),
                  "district_operator", CENTRE),
    "verify": Row(_handled, district_case, lambda a, t, g: closing.case_verify(actor=a, case=t),
                  "district_operator", CENTRE),
    "verify_failed": Row(_handled, _verified,
                         lambda a, t, g: closing.case_verify_failed(actor=a, case=t, reason="未整改"),
                         "district_operator", CENTRE),
    "callback": Row(_verified, _handled,
                    lambda a, t, g: closing.case_callback(actor=a, case=t, satisfaction=Satisfaction.SATISFIED,
                                                          solved=True), "district_operator", CENTRE),
    "reopen": Row(_closed, district_case, lambda a, t, g: closing.case_reopen(actor=a, case=t, reason="再次反映"),
                  "district_operator", CENTRE),
    "check_in": Row(_lead, _checked_in, lambda a, t, g: d.dispatch_check_in(actor=a, dispatch=t),
                    "justice_handler", ("urban_handler", "district_operator", "grid_worker")),
    "feedback": Row(_checked_in, _lead, lambda a, t, g: d.dispatch_feedback(actor=a, dispatch=t, result="已处理"),
                    "justice_handler", ("urban_handler", "district_operator")),
    "return": Row(_lead, _answered, lambda a, t, g: d.dispatch_return(actor=a, dispatch=t, reason="非本部门"),
                  "justice_handler", ("urban_handler", "district_operator")),
    "request_extension": Row(_lead, _returned,
                             lambda a, t, g: d.dispatch_request_extension(actor=a, dispatch=t, days=1, reason="等待"),
                             "justice_handler", ("urban_handler", "district_operator")),
}


def snapshot(target: Target) -> tuple[Any, ...]:
    case = Case.objects.get(pk=_case(target).pk)
    rows = tuple(Dispatch.objects.filter(case=case).order_by("id").values_list(
        "state", "extension_days", "rating", "handle_due"))
    return (case.state, case.centre_id, case.due_at, case.paused_at, case.category_id, case.parent_id,
            case.events.count(), rows)


def refusals(case: Case, event: Any) -> int:
    return AuditLog.objects.filter(event_id=event.id, target_id=str(case.pk), success=False).count()


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_the_allowed_role_succeeds_with_one_entry_and_one_audit_row(gov: Any, name: str) -> None:
    row = MATRIX[name]
    target = row.setup(gov)
    case = _case(target)
    events = case.events.count()
    audits = AuditLog.objects.filter(event_id=AuditEvent.CASE_TRANSITION.id, target_id=str(case.pk)).count()
    row.call(getattr(gov, row.allowed), target, gov)
    new_events = list(CaseEvent.objects.filter(case=case).order_by("id")[events:].values_list("action", flat=True))
    new_audits = AuditLog.objects.filter(event_id=AuditEvent.CASE_TRANSITION.id, target_id=str(case.pk)).count()
    if name == "callback":
        assert new_events == ["callback"]
    elif name == "feedback":  # the last answer also completes the case (the system's own step)
        assert new_events == ["feedback", "complete"]
    else:
        assert new_events == [name]
    assert new_audits - audits == len(new_events)


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_refused_roles_change_nothing_and_are_audited(gov: Any, name: str) -> None:
    row = MATRIX[name]
    for who in row.refused:
        target = row.setup(gov)
        before = snapshot(target)
        with pytest.raises(PermissionDenied):
            row.call(getattr(gov, who), target, gov)
        assert snapshot(target) == before, who
        assert refusals(_case(target), AuditEvent.ACCESS_DENIED) == 1, who


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_the_wrong_state_changes_nothing_and_is_audited(gov: Any, name: str) -> None:
    row = MATRIX[name]
    target = row.wrong(gov)
    if isinstance(target, Case):
        target = fresh(target)
    before = snapshot(target)
    with pytest.raises(ValidationError):
        row.call(getattr(gov, row.allowed), target, gov)
    assert snapshot(target) == before
    assert refusals(_case(target), AuditEvent.CASE_TRANSITION) == 1
