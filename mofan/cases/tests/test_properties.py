"""Property test (hypothesis): random sequences of operations on cases, through the real services, keep
every case in exactly one state of its kind — the last entry of its timeline says that state — and keep the
funnel consistent for every actor:

    收集 collected = 驳回 rejected + 受理 accepted + 待受理 pending + 并案 merged    (kpis.FUNNEL partitions by state)
    解决完成 resolved ≤ 受理 accepted,  resolved = resolved at village + town + district,
    called back = satisfied + unsatisfied,  answered ≤ dispatches,  on-time check-ins ≤ dispatches,

every figure equals the length of the list it links to, the district's 收集 is its towns' plus its own, and
(when the KPI counters are installed) the counters agree with counting the cases. An operation that is
refused changes neither the case's state nor its timeline.

Each example runs inside a savepoint that is rolled back, since the function-scoped fixtures (the district,
its centres and people) are made once for all examples. The operations come from the services present:
intake and triage always; dispatch, closing and escalation when those modules exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from mofan.accounts.permissions import can
from mofan.accounts.roles import Action, Role
from mofan.cases import kinds, kpis
from mofan.cases.models import Case, CaseEvent, Channel, Dispatch, Level, Satisfaction
from mofan.cases.services.intake import case_create
from mofan.cases.services.triage import case_accept, case_merge, case_reject

try:
    from mofan.cases.services import dispatch as dispatching
except ImportError:  # pragma: no cover - before the dispatch operations land
    dispatching = None  # type: ignore[assignment]
try:
    from mofan.cases.services import closing
except ImportError:  # pragma: no cover
    closing = None  # type: ignore[assignment]
try:
    from mofan.cases.services import escalation
except ImportError:  # pragma: no cover
    escalation = None  # type: ignore[assignment]

pytestmark = pytest.mark.django_db
REFUSED = (ValidationError, PermissionDenied, Http404)
SATISFACTIONS = list(Satisfaction.values)


class World:
    """The fixture's people, and who does what."""

    def __init__(self, gov: Any, make_user: Any) -> None:
        from mofan.org import services as org_services
        from mofan.org.models import UnitKind

        self.gov = gov
        self.boss = make_user(Role.CENTRE_OPERATOR, gov.d.district, username="op_whole_district")
        station = org_services.unit_create(actor=None, name="村一调解站", kind=UnitKind.STATION, parent=gov.d.village_a1)
        self.station = station
        self.handlers = {gov.justice.pk: gov.justice_handler, gov.urban.pk: gov.urban_handler,
                         station.pk: make_user(Role.DEPARTMENT_HANDLER, station, username="h_station")}
        self.areas = [gov.d.village_a1, gov.d.village_a2, gov.d.district, gov.d.village_b1]
        self.operators = [gov.village_a1_operator, gov.town_a_operator, gov.town_b_operator, gov.district_operator]

    def operator(self, case: Case) -> Any:
        """The most local operator who may triage the case where it is held now."""
        return next((op for op in self.operators if can(op, Action.CASE_TRIAGE, case.centre)), self.boss)

    def departments(self, case: Case) -> list[Any]:
        if case.level == Level.DISTRICT or case.level == Level.TOWN:
            return [self.gov.justice, self.gov.urban]
        return [self.station]


def _dispatch_of(case: Case, pick: int, states: tuple[str, ...] | None = None) -> Dispatch | None:
    rows = list(Dispatch.objects.filter(case=case).exclude(state=Dispatch.State.WITHDRAWN).order_by("id"))
    if states is not None:
        rows = [d for d in rows if d.state in states]
    return rows[pick % len(rows)] if rows else None


def _merge_target(case: Case, cases: list[Case], n: int) -> Case:
    """Mostly a case of the same centre (the others are refused, which is worth trying too)."""
    same = [c for c in cases if c.pk != case.pk and c.centre_id == case.centre_id]
    return same[n % len(same)] if same and n % 4 else cases[n % len(cases)]


def _event(text: str) -> None:
    if currently_in_test_context():
        event(text)


def _operations(world: World, log: list[str] | None = None) -> dict[str, Callable[[Case, list[Case], int], Any]]:
    """name → operation(case, all cases, a random number); each may be refused. ``log`` collects the
    operations that were done (``advance`` says which step it took)."""
    log = log if log is not None else []
    def op(case: Case) -> Any:
        return world.operator(case)

    ops: dict[str, Callable[[Case, list[Case], int], Any]] = {
        "accept": lambda c, cs, n: case_accept(actor=op(c), case=c),
        "reject": lambda c, cs, n: case_reject(actor=op(c), case=c, reason="不属于受理范围", redirect_to="法院"),
        "merge": lambda c, cs, n: case_merge(actor=op(c), case=c, into=_merge_target(c, cs, n)),
    }
    if dispatching is not None:
        def dispatch(c: Case, cs: list[Case], n: int) -> Any:
            departments = world.departments(c)
            unit = departments[n % len(departments)]
            if c.level == Level.TOWN and n % 2:
                return dispatching.case_summon(actor=op(c), case=c, departments=[unit])
            has_lead = Dispatch.objects.filter(case=c, role=Dispatch.Role.LEAD,
                                               state__in=dispatching.LIVE).exists()
            return dispatching.case_dispatch(actor=op(c), case=c, lead=None if has_lead else unit,
                                             co=[unit] if has_lead else [])

        def department_op(name: str) -> Callable[[Case, list[Case], int], Any]:
            def run(c: Case, cs: list[Case], n: int) -> Any:
                d = _dispatch_of(c, n)
                if d is None:
                    raise ValidationError("no dispatch")
                actor = world.handlers.get(d.department_id)
                if name == "check_in":
                    return dispatching.dispatch_check_in(actor=actor, dispatch=d)
                if name == "feedback":
                    return dispatching.dispatch_feedback(actor=actor, dispatch=d, result="已处理完毕")
                return dispatching.dispatch_return(actor=actor, dispatch=d, reason="不属于本部门职责")
            return run

        def rate(c: Case, cs: list[Case], n: int) -> Any:
            d = _dispatch_of(c, n)
            if d is None:
                raise ValidationError("no dispatch")
            return dispatching.dispatch_rate(actor=op(c), dispatch=d, rating=1 + n % 5)

        ops |= {
            "dispatch": dispatch, "check_in": department_op("check_in"), "feedback": department_op("feedback"),
            "return": department_op("return"), "rate": rate,
            "redispatch": lambda c, cs, n: dispatching.case_redispatch(actor=op(c), case=c, note="重新交办"),
        }
    if closing is not None:
        ops |= {
            "verify": lambda c, cs, n: closing.case_verify(actor=op(c), case=c),
            "verify_failed": lambda c, cs, n: closing.case_verify_failed(actor=op(c), case=c, reason="未整改到位"),
            "callback": lambda c, cs, n: closing.case_callback(actor=op(c), case=c, solved=n % 3 != 0,
                                                               satisfaction=SATISFACTIONS[n % 3]),
            "reopen": lambda c, cs, n: closing.case_reopen(actor=op(c), case=c, reason="群众再次反映"),
            "pause": lambda c, cs, n: closing.case_pause(actor=op(c), case=c, reason="等待群众补充材料"),
            "resume": lambda c, cs, n: closing.case_resume(actor=op(c), case=c),
        }
    if escalation is not None:
        ops["escalate"] = lambda c, cs, n: escalation.case_escalate(actor=op(c), case=c, reason="本级无法解决")

    def advance(c: Case, cs: list[Case], n: int) -> Any:
        """The step that moves the case on from where it is (now and then a step back or aside)."""
        name = {kinds.COLLECTED: "reject" if n % 7 == 0 else "accept", kinds.ACCEPTED: "dispatch",
                kinds.HANDLED: "verify_failed" if n % 5 == 0 else "verify", kinds.VERIFIED: "callback",
                kinds.CLOSED: "reopen" if n % 4 == 0 else "rate"}.get(c.state)
        if c.state == kinds.DISPATCHED:
            d = _dispatch_of(c, n, (Dispatch.State.DISPATCHED, Dispatch.State.CHECKED_IN))
            if d is None:
                name = "redispatch"
            else:
                name = "check_in" if d.state == Dispatch.State.DISPATCHED else "feedback"
                n = list(Dispatch.objects.filter(case=c).exclude(state=Dispatch.State.WITHDRAWN)
                         .order_by("id")).index(d)
        operation = ops.get(name or "")
        if operation is None:
            raise ValidationError("nothing to do")
        result = operation(c, cs, n)
        log.append(name or "")
        _event(f"done: {name}")
        return result

    ops["advance"] = advance
    return ops


# Weighted towards the steps that move a case forward, so that sequences reach the end of the work.
FORWARD = ["accept", "accept", "dispatch", "dispatch", "check_in", "check_in", "feedback", "feedback", "verify",
           "callback"]
OTHERS = ["reject", "merge", "return", "rate", "redispatch", "verify_failed", "reopen", "pause", "resume",
          "escalate"]
steps = st.lists(
    st.tuples(st.sampled_from(["create"] * 4 + ["advance"] * 16 + FORWARD + OTHERS), st.integers(0, 1000),
              st.integers(0, 1000)),
    min_size=10, max_size=50,
)
# One sequence that surely walks every operation: merge, the whole loop to a rated callback, reopening,
# pause and resume, a 退单 and taking back, a summons, escalations (and a refused one at the district).
WALK = [("create", 0, 0), ("create", 0, 0), ("merge", 1, 1), *[("advance", 0, 1)] * 7, ("reopen", 0, 0),
        ("create", 0, 2), ("advance", 2, 1), ("pause", 2, 0), ("resume", 2, 0), ("dispatch", 2, 0),
        ("return", 2, 0), ("advance", 2, 0), ("escalate", 2, 0), ("create", 0, 1), ("advance", 3, 1),
        ("dispatch", 3, 1), ("check_in", 3, 0), ("escalate", 3, 0), ("create", 0, 3), ("escalate", 4, 0),
        ("advance", 4, 1)]


def _scope() -> kpis.Scope:
    """Whole months around today (so the counters, when installed, serve them)."""
    today = timezone.localdate()
    first = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return kpis.Scope(kpis.Period("custom", first, kpis.Period.of("month", today).next().end))


def _check_funnel(actor: Any, scope: kpis.Scope) -> dict[str, int]:
    c = kpis.compute(actor, scope).counts
    assert c["collected"] == c["rejected"] + c["accepted"] + c["pending"] + c["merged"], c
    assert c["resolved"] <= c["accepted"], c
    assert c["resolved"] == c["resolved_village"] + c["resolved_town"] + c["resolved_district"], c
    assert c["closed"] <= c["resolved"] and c["called_back"] == c["satisfied"] + c["unsatisfied"], c
    assert c["dispatches_answered"] <= c["dispatches"] and c["checked_in_on_time"] <= c["dispatches"], c
    assert c["dispatch_case_resolved"] <= c["dispatches"] and c["rated"] <= c["dispatches_answered"], c
    for key in kpis.FIGURES:
        assert kpis.figure_rows(actor, key, scope).count() == c[key], key
    if kpis.tally_model() is not None:
        live = kpis._full(kpis._counts(actor, scope, timezone.now(), use_tally=False).get(kpis._NO_GROUP))
        assert {k: v for k, v in c.items() if k in live} == live
    return c


def _check_case(case: Case) -> None:
    kind = kinds.get(case.kind)
    assert case.state in kind.states
    last = CaseEvent.objects.filter(case=case).order_by("id").last()
    assert last is not None and last.to_state == case.state, (case.state, last and last.action)
    if case.state == kinds.MERGED:
        assert case.parent_id is not None
    if case.state == kinds.REJECTED:
        assert case.rejected_at is not None and case.reject_reason


def _run(world: World, sequence: list[tuple[str, int, int]]) -> tuple[list[Case], list[str]]:
    """Play ``sequence``; check every case after every step. Returns the cases and the operations done."""
    done: list[str] = []
    operations = _operations(world, done)
    cases: list[Case] = []
    for name, which, n in sequence:
        if name == "create" or not cases:
            area = world.areas[n % len(world.areas)]
            cases.append(case_create(actor=None, area=area, channel=Channel.PUBLIC, urgency="normal",
                                     description="路灯坏了三天，晚上很黑", reporter_phone="13812345678"))
            continue
        operation = operations.get(name)
        if operation is None:
            continue
        case = Case.objects.select_related("centre", "area").get(pk=cases[which % len(cases)].pk)
        before = (case.state, CaseEvent.objects.filter(case=case).count())
        try:
            operation(case, cases, n)
            if name != "advance":
                done.append(name)
                _event(f"done: {name}")
        except REFUSED:
            case.refresh_from_db()
            assert (case.state, CaseEvent.objects.filter(case=case).count()) == before, name
        case.refresh_from_db()
        _check_case(case)
    for case in Case.objects.filter(pk__in=[c.pk for c in cases]):
        _check_case(case)
        _event(f"ends {case.state}")
    return cases, done


def _world(gov: Any, make_user: Any) -> World:
    world = getattr(gov, "_kpi_world", None)
    if world is None:
        world = gov._kpi_world = World(gov, make_user)
    return world


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(sequence=steps)
@example(sequence=WALK)
def test_random_operations_keep_one_state_per_case_and_the_funnel_consistent(
    gov: Any, make_user: Any, sequence: list[tuple[str, int, int]],
) -> None:
    world = _world(gov, make_user)
    with transaction.atomic():
        cases, _done = _run(world, sequence)
        scope = _scope()
        total = _check_funnel(world.boss, scope)
        assert total["collected"] == len(cases)
        towns = [_check_funnel(op, scope) for op in (gov.town_a_operator, gov.town_b_operator)]
        own = Case.objects.filter(pk__in=[c.pk for c in cases], area=gov.d.district).count()
        assert total["collected"] == sum(t["collected"] for t in towns) + own
        for handler in world.handlers.values():
            mine = _check_funnel(handler, scope)
            assert mine["dispatches"] <= total["dispatches"]
        transaction.set_rollback(True)


def test_the_walk_performs_every_operation_present(gov: Any, make_user: Any) -> None:
    """The explicit example above really reaches every kind of operation (so the property covers them)."""
    _cases, done = _run(_world(gov, make_user), WALK)
    expected = {"merge", "accept"}
    if dispatching is not None:
        expected |= {"dispatch", "check_in", "feedback", "return", "rate", "redispatch"}
    if closing is not None:
        expected |= {"verify", "callback", "reopen", "pause", "resume"}
    if escalation is not None:
        expected |= {"escalate"}
    assert expected <= set(done), done
    names = set(_operations(_world(gov, make_user)))
    assert names <= set(FORWARD) | set(OTHERS) | {"advance"}
    assert {"accept", "reject", "merge"} <= names
