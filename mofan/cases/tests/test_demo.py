"""The cases demo step: a year of consistent cases in the demo district, fast, deterministic, idempotent.

The district and its cases are built once for this module (inside a transaction rolled back at the end)
and only read.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from mofan.accounts.models import User
from mofan.cases import kinds
from mofan.cases import selectors_work as work
from mofan.cases.demo import CaseDemo, cases_demo
from mofan.cases.models import Case, CaseEvent, Category, Channel, Dispatch, Level, Satisfaction
from mofan.cases.services.dispatch import dispatch_reach, summon_reach
from mofan.cases.sweeper import sweep
from mofan.demo.district import build_district

MD5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def built(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=MD5), transaction.atomic():
        call_command("demo", "--no-steps", stdout=io.StringIO())
        district = build_district()
        first = cases_demo(district)
        counts = (Case.objects.count(), CaseEvent.objects.count(), Dispatch.objects.count(), Category.objects.count())
        second = cases_demo(build_district())
        yield {"district": district, "first": first, "second": second, "counts": counts}
        transaction.set_rollback(True)


def test_a_year_of_cases_across_levels_channels_and_states(built: dict[str, Any]) -> None:
    cases = Case.objects.all()
    assert 2000 <= cases.count() <= 4000
    assert set(cases.values_list("channel", flat=True)) == set(Channel.values)
    assert set(cases.values_list("level", flat=True)) == set(Level.values)
    assert set(cases.exclude(resolved_level=None).values_list("resolved_level", flat=True)) == set(Level.values)
    states = Counter(cases.values_list("state", flat=True))
    assert states[kinds.CLOSED] > cases.count() * 0.7
    assert states[kinds.REJECTED] and states[kinds.MERGED]
    assert sum(states[s] for s in kinds.OPEN_STATES) > 20  # the recent ones are still being worked on
    oldest = cases.order_by("created_at").first()
    assert oldest is not None and timezone.now() - oldest.created_at > dt.timedelta(days=330)
    assert set(cases.values_list("satisfaction", flat=True)) == {"", *Satisfaction.values}
    actions = set(CaseEvent.objects.values_list("action", flat=True))
    assert actions >= {"collect", "accept", "reject", "merge", "merged_in", "escalate", "dispatch", "summon",
                       "check_in", "return", "request_extension", "decide_extension", "press", "feedback",
                       "complete", "verify", "verify_failed", "rate", "callback", "reopen", "remind"}
    assert Category.objects.filter(level=3).count() >= 40 and Category.objects.filter(level=1).count() >= 7
    assert Dispatch.objects.filter(summons=True).exists() and Dispatch.objects.exclude(rating=None).exists()


def test_the_texts_are_chinese_and_filled_in(built: dict[str, Any]) -> None:
    for title, description in Case.objects.values_list("title", "description")[:500]:
        assert "{" not in title + description and len(description) > 20
    for note in CaseEvent.objects.filter(action="feedback").values_list("note", flat=True)[:300]:
        assert "{" not in note and len(note) > 10
    rejected = Case.objects.filter(state=kinds.REJECTED)
    assert all(c.reject_reason for c in rejected) and rejected.exclude(redirect_to="").exists()
    window = Case.objects.filter(channel=Channel.WINDOW_LABOUR).exclude(reporter_id_cipher="").first()
    assert window is not None and "*" in window.reporter_id_masked


def test_every_case_is_consistent_with_the_engine(built: dict[str, Any]) -> None:
    now = timezone.now()
    kind = kinds.GOVERNANCE
    events: dict[int, list[CaseEvent]] = {}
    for event in CaseEvent.objects.order_by("id"):
        events.setdefault(event.case_id, []).append(event)
    for case in Case.objects.all():
        timeline = events[case.pk]
        assert timeline[0].action == "collect" and timeline[0].at == case.created_at
        state = timeline[0].to_state
        for event in timeline[1:]:
            assert event.at >= timeline[0].at
            assert event.from_state == state, (case.tracking_code, event.action)
            transition = kind.transitions.get(event.action)
            if transition is not None:
                assert event.from_state in transition.sources, (case.tracking_code, event.action)
            state = event.to_state
        assert state == case.state, case.tracking_code
        if case.state in kind.terminal:
            assert case.due_at is None and not case.overdue
        else:
            assert case.due_at is not None and case.overdue == (case.due_at < now)
        assert (case.rejected_at is not None) == (case.state == kinds.REJECTED)
        assert (case.closed_at is not None) == (case.state == kinds.CLOSED)
        if case.state in (kinds.VERIFIED, kinds.CLOSED):
            assert case.resolved_at is not None and case.resolved_level == case.level
        if case.state == kinds.MERGED:
            assert case.parent is not None and case.parent.parent_id is None
        assert case.centre_path.startswith(case.centre.path) and case.area_path == case.area.path


def test_dispatches_stay_within_reach_and_keep_their_clocks(built: dict[str, Any]) -> None:
    now = timezone.now()
    for dispatch in Dispatch.objects.select_related("case", "case__centre", "department")[:800]:
        case = dispatch.case
        assert dispatch.checkin_due <= dispatch.handle_due and dispatch.dispatched_at <= dispatch.checkin_due
        if dispatch.state in (Dispatch.State.DISPATCHED, Dispatch.State.CHECKED_IN):
            due = dispatch.checkin_due if dispatch.state == Dispatch.State.DISPATCHED else dispatch.handle_due
            assert dispatch.overdue == (due < now)
            assert case.state == kinds.DISPATCHED
            reach = summon_reach(case) if dispatch.summons else dispatch_reach(case)
            assert reach.filter(pk=dispatch.department_id).exists(), (case.tracking_code, dispatch.department.name)
        if dispatch.state == Dispatch.State.DONE:
            assert dispatch.checked_in_at is not None and dispatch.feedback_at is not None and dispatch.result


def test_the_sweeper_finds_nothing_left_to_do(built: dict[str, Any]) -> None:
    result = sweep()
    assert (result.escalated, result.cases_flagged, result.dispatches_flagged) == (0, 0, 0)


def test_the_demo_accounts_have_work(built: dict[str, Any]) -> None:
    for username in ("shouli", "chuzhi", "wangge"):
        bench = work.workbench(actor=User.objects.get(username=username), queue_key="all")
        assert bench.page is not None and bench.page.total > 20, username
    operator = User.objects.get(username="shouli")
    assert work.workbench(actor=operator).queues[0].queue.key == "to_accept"
    assert CaseEvent.objects.filter(actor=operator).exists()
    assert CaseEvent.objects.filter(actor__username="chuzhi", action="check_in").exists()


def test_idempotent(built: dict[str, Any]) -> None:
    # How long the step takes is measured, not asserted (timings belong to benchmarks, not tests).
    assert "件事件" in built["first"] and "未新增" in built["second"]
    assert (Case.objects.count(), CaseEvent.objects.count(), Dispatch.objects.count(),
            Category.objects.count()) == built["counts"]


def test_the_same_moment_gives_the_same_year(built: dict[str, Any]) -> None:
    moment = timezone.now().replace(microsecond=0)
    district = built["district"]
    first = [(s.case.tracking_code, s.case.state, len(s.events)) for s in CaseDemo(district, now=moment).generate()]
    second = [(s.case.tracking_code, s.case.state, len(s.events)) for s in CaseDemo(district, now=moment).generate()]
    assert first == second and len(first) > 2000
