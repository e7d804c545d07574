from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from mofan.cases import selectors_work as work
from mofan.cases.models import Case, Category, Channel, Dispatch, Urgency
from mofan.cases.services.intake import case_create
from mofan.cases.services.triage import case_accept
from mofan.core.paging import PAGE_SIZE

pytestmark = pytest.mark.django_db


def report(gov: Any, area: Any = None, actor: Any = None, **extra: Any) -> Case:
    extra.setdefault("description", "楼道里的灯坏了一个星期，晚上上下楼看不清")
    return case_create(actor=actor or gov.grid_worker, area=area or gov.d.village_a1, channel=Channel.GRID,
                       reporter_name="李四", reporter_phone="13912345678", **extra)


def dispatch(case: Case, department: Any, state: str = Dispatch.State.DISPATCHED, **extra: Any) -> Dispatch:
    """A dispatch row as the dispatch service leaves it (the queues only read these columns)."""
    now = timezone.now()
    Case.objects.filter(pk=case.pk).update(state="dispatched")
    extra.setdefault("checkin_due", now + timedelta(hours=2))
    extra.setdefault("handle_due", now + timedelta(days=7))
    return Dispatch.objects.create(case=case, department=department, department_path=department.path,
                                   role=Dispatch.Role.LEAD, state=state, **extra)


def keys(actor: Any) -> list[str]:
    return [q.key for q in work.queues_for(actor)]


def rows(actor: Any, key: str, **filters: Any) -> list[Any]:
    queue = work.QUEUES[key]
    return list(work.queue_queryset(actor=actor, queue=queue, filters=work.CaseFilters(**filters)))


def test_each_role_gets_the_queues_of_its_work(gov: Any, make_user: Any) -> None:
    assert keys(gov.town_a_operator) == ["to_accept", "to_dispatch", "in_progress", "to_verify", "to_call_back",
                                         "overdue", "all"]
    assert keys(gov.justice_handler) == ["to_check_in", "to_handle", "returned", "dispatch_overdue", "all"]
    assert keys(gov.grid_worker) == ["reported", "all"]
    assert keys(make_user()) == []


def test_centre_queues_follow_the_state_within_my_centres(gov: Any) -> None:
    collected, accepted = report(gov), report(gov)
    case_accept(actor=gov.village_a1_operator, case=accepted)
    elsewhere = report(gov, area=gov.d.village_b1, actor=gov.town_b_operator)
    assert rows(gov.village_a1_operator, "to_accept") == [collected]
    assert rows(gov.village_a1_operator, "to_dispatch") == [accepted]
    assert rows(gov.town_a_operator, "to_accept") == [collected]  # the town works its villages' centres too
    assert rows(gov.town_b_operator, "to_accept") == [elsewhere]
    assert rows(gov.district_operator, "to_accept") == []  # held by a village centre, not by the district's
    assert elsewhere not in rows(gov.village_a1_operator, "all")


def test_overdue_queue_holds_open_cases_past_their_time(gov: Any) -> None:
    late, on_time, flagged, closed = report(gov), report(gov), report(gov), report(gov)
    past = timezone.now() - timedelta(hours=1)
    Case.objects.filter(pk=late.pk).update(due_at=past)
    Case.objects.filter(pk=flagged.pk).update(overdue=True)
    Case.objects.filter(pk=closed.pk).update(due_at=past, state="closed")
    paused = report(gov)
    Case.objects.filter(pk=paused.pk).update(due_at=past, paused_at=past)
    assert set(rows(gov.village_a1_operator, "overdue")) == {late, flagged}
    assert on_time not in rows(gov.village_a1_operator, "overdue")


def test_department_queues_hold_only_its_own_dispatches(gov: Any) -> None:
    first, second, third, fourth = report(gov), report(gov), report(gov), report(gov)
    waiting = dispatch(first, gov.justice)
    handling = dispatch(second, gov.justice, Dispatch.State.CHECKED_IN, checked_in_at=timezone.now())
    returned = dispatch(third, gov.justice, Dispatch.State.RETURNED, return_reason="不属于本部门职责")
    urban = dispatch(fourth, gov.urban)
    assert rows(gov.justice_handler, "to_check_in") == [waiting]
    assert rows(gov.justice_handler, "to_handle") == [handling]
    assert rows(gov.justice_handler, "returned") == [returned]
    assert rows(gov.urban_handler, "to_check_in") == [urban]
    assert set(rows(gov.justice_handler, "all")) == {first, second, third}
    Case.objects.filter(pk=third.pk).update(state="closed")
    assert rows(gov.justice_handler, "returned") == []  # a return drops out once the case is closed


def test_extension_requests_and_late_dispatches(gov: Any) -> None:
    first, second = report(gov), report(gov)
    asked = dispatch(first, gov.justice, Dispatch.State.CHECKED_IN, extension_days=3, extension_reason="需要现场测量")
    late = dispatch(second, gov.justice, checkin_due=timezone.now() - timedelta(minutes=5))
    assert rows(gov.justice_handler, "returned") == [asked]
    assert rows(gov.justice_handler, "dispatch_overdue") == [late]


def test_grid_worker_sees_the_cases_they_reported(gov: Any) -> None:
    mine = report(gov)
    report(gov, actor=gov.village_a1_operator)
    assert rows(gov.grid_worker, "reported") == [mine]


def test_filters_search_urgency_channel_category_and_area(gov: Any) -> None:
    parent = Category.objects.create(name="城乡建设", level=1)
    child = Category.objects.create(name="市政设施", parent=parent, level=2)
    leaf = Category.objects.create(name="路灯", parent=child, level=3)
    other = Category.objects.create(name="社会治安", level=1)
    lamp = report(gov, title="路灯不亮", category=leaf, urgency=Urgency.HIGH)
    noise = report(gov, title="夜间噪音扰民", category=other)
    in_a2 = report(gov, area=gov.d.village_a2, actor=gov.town_a_operator, title="村二道路积水")
    op = gov.town_a_operator
    assert rows(op, "all", search=lamp.tracking_code.lower()) == [lamp]
    assert rows(op, "all", search="噪音") == [noise]
    assert rows(op, "all", urgency=Urgency.HIGH) == [lamp]
    assert set(rows(op, "all", channel=Channel.GRID)) == {lamp, noise, in_a2}
    assert rows(op, "all", category=parent) == [lamp]  # a category covers its sub-categories
    assert rows(op, "all", category=other) == [noise]
    assert rows(op, "all", area=gov.d.village_a2) == [in_a2]


def test_area_choices_stay_in_the_jurisdiction(gov: Any) -> None:
    names = [u.name for u in work.area_choices(actor=gov.town_a_operator)]
    assert names == ["甲镇", "村一", "村二"]
    assert work.area_choices(actor=gov.justice_handler) == []


def test_workbench_counts_every_queue_and_pages_newest_first(gov: Any) -> None:
    cases = [report(gov) for _ in range(PAGE_SIZE + 3)]
    bench = work.workbench(actor=gov.village_a1_operator)
    assert bench.current is not None and bench.current.key == "to_accept"
    counts = {c.queue.key: c.count for c in bench.queues}
    assert counts["to_accept"] == PAGE_SIZE + 3 and counts["to_dispatch"] == 0
    assert bench.page is not None and len(bench.page) == PAGE_SIZE
    assert [r.case for r in bench.rows[:2]] == [cases[-1], cases[-2]]
    second = work.workbench(actor=gov.village_a1_operator, queue_key="to_accept", after=bench.page.next_after)
    assert [r.case for r in second.rows] == list(reversed(cases[:3]))
    assert second.page is not None and second.page.total == PAGE_SIZE + 3


def test_unknown_queue_falls_back_to_the_first(gov: Any) -> None:
    bench = work.workbench(actor=gov.justice_handler, queue_key="to_accept")
    assert bench.current is not None and bench.current.key == "to_check_in"


def test_rows_carry_the_clock_that_matters(gov: Any) -> None:
    now = timezone.now()
    case = report(gov)
    row = work.case_row(case, now)
    assert case.due_at is not None and row.due == case.due_at and not row.overdue and not row.done
    late = work.case_row(case, case.due_at + timedelta(minutes=1))
    assert late.overdue
    d = dispatch(report(gov), gov.justice, checkin_due=now - timedelta(minutes=1))
    drow = work.dispatch_row(d, now)
    assert drow.due == d.checkin_due and drow.overdue
    d.state, d.checked_in_at = Dispatch.State.CHECKED_IN, now
    assert work.dispatch_row(d, now).due == d.handle_due
    case.state = "closed"
    assert work.case_row(case, now).done
