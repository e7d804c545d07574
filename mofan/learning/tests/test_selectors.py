"""Reads: isolation by unit, completion per person and per branch, boards with the ranking setting, figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.http import Http404
from django.utils import timezone

from mofan.core import figures
from mofan.core.figures import FigureScope
from mofan.learning import points, selectors, services

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 2)


@pytest.fixture
def world(study: Any, rules: Any) -> Any:
    """A plan with two materials and a note of 10 characters for 综治科 and carol; two 天天学 issues."""
    topic = services.topic_create(actor=study.secretary, unit=study.organ, name="专题")
    m1 = services.material_create(actor=study.secretary, topic=topic, title="材料一", kind="text", body="一")
    m2 = services.material_create(actor=study.secretary, topic=topic, title="材料二", kind="text", body="二")
    plan = services.plan_create(actor=study.secretary, unit=study.organ, title="计划", starts_on=DAY,
                                ends_on=DAY + dt.timedelta(days=60), units=[study.branch],
                                people=[study.carol.person], materials=[m1, m2], note_min_length=10)
    issues = [services.daily_issue_publish(actor=study.secretary, unit=study.organ, published_on=DAY + dt.timedelta(i),
                                           title=f"第{i}期", material_text="材料", questions=study.questions[:2])
              for i in range(2)]
    study.m1, study.m2, study.plan, study.issues = m1, m2, plan, issues
    return study


def _read(user: Any, material: Any) -> None:
    services.reading_record(actor=user, material=material, seconds=120)


def test_plan_completion_per_person_and_branch(world: Any) -> None:
    _read(world.alice, world.m1)
    _read(world.alice, world.m2)
    services.note_submit(actor=world.alice, plan=world.plan, text="这是一篇足够长的学习心得体会。")
    _read(world.bob, world.m1)
    _read(world.carol, world.m1)
    _read(world.carol, world.m2)  # carol has read everything but wrote no note
    rows = {r.name: r for r in selectors.plan_progress(actor=world.secretary, plan=world.plan)}
    assert {n: r.complete for n, r in rows.items()} == {"张三": True, "李四": False, "王五": False}
    assert rows["李四"].missing == ["材料二", "study note"]
    assert rows["王五"].missing == ["study note"]
    rates = {b.name: (b.members, b.complete, b.rate, str(b.band)) for b in selectors.branch_rates(list(rows.values()))}
    assert rates == {"综治科": (2, 1, Decimal("50.0"), "Needs improvement"),
                     "区委政法委": (1, 0, Decimal("0.0"), "Needs improvement")}


def test_bands() -> None:
    assert [str(selectors.band_for(Decimal(v))) for v in (100, 90, "89.9", 60, "59.9", 0)] == [
        "Excellent", "Excellent", "Good", "Good", "Needs improvement", "Needs improvement"]


def test_issue_completion_per_branch(world: Any) -> None:
    issue = world.issues[0]
    q1 = world.questions[0]
    services.daily_issue_answer(actor=world.alice, issue=issue, responses={str(q1.pk): "2"})
    services.daily_issue_answer(actor=world.carol, issue=issue, responses={str(q1.pk): "3"})
    rates = {b.name: b.rate for b in selectors.branch_rates(selectors.issue_progress(actor=world.secretary,
                                                                                      issue=issue))}
    assert rates == {"综治科": Decimal("50.0"), "区委政法委": Decimal("100.0")}


def test_a_secretary_of_another_town_sees_nothing(world: Any) -> None:
    other = world.other_secretary
    _read(world.alice, world.m1)
    assert not selectors.material_list(actor=other).exists()
    assert not selectors.plan_list(actor=other).exists()
    assert not selectors.issue_list(actor=other).exists()
    assert selectors.plan_progress(actor=other, plan=world.plan) == []
    assert selectors.issue_progress(actor=other, issue=world.issues[0]) == []
    assert not selectors.reading_list(actor=other).exists()
    assert [r.name for r in selectors.branch_board(actor=other, start=DAY, end=DAY)] == ["村三"]  # their own only
    for pk, get in ((world.m1.pk, selectors.material_get), (world.plan.pk, selectors.plan_get),
                    (world.issues[0].pk, selectors.issue_get)):
        with pytest.raises(Http404):
            get(actor=other, pk=pk)
    scope = FigureScope(unit=None, start=DAY, end=DAY + dt.timedelta(days=30))
    assert all(f.value(other, scope) == 0 for f in figures.all_figures("learning."))


def test_a_learner_sees_what_their_units_offer_and_only_their_own_progress(world: Any) -> None:
    assert set(selectors.material_list(actor=world.alice)) == {world.m1, world.m2}
    assert list(selectors.my_plans(actor=world.alice)) == [world.plan]
    assert list(selectors.my_plans(actor=world.outsider)) == []
    assert [r.name for r in selectors.plan_progress(actor=world.alice, plan=world.plan)] == ["张三"]
    with pytest.raises(Http404):
        selectors.plan_get(actor=world.outsider, pk=world.plan.pk)


def test_boards_without_individual_ranking(world: Any, settings: Any) -> None:
    settings.MOFAN_LEARNING_INDIVIDUAL_RANKING = False
    at = timezone.make_aware(dt.datetime.combine(DAY, dt.time(9)))
    points.award(user=world.alice, action="test_passed", ref="a", at=at)
    points.award(user=world.carol, action="daily_issue", ref="b", at=at)
    assert selectors.person_board(actor=world.secretary, start=DAY, end=DAY) == []
    branches = {r.name: (r.points, r.members, r.average) for r in
                selectors.branch_board(actor=world.secretary, start=DAY, end=DAY)}
    assert branches == {"综治科": (10, 2, Decimal("5.0")), "区委政法委": (5, 1, Decimal("5.0"))}
    units = selectors.unit_board(actor=world.secretary, start=DAY, end=DAY)
    assert [(r.name, r.points, r.members) for r in units] == [("综治科", 10, 2)]


def test_boards_with_individual_ranking(world: Any, settings: Any) -> None:
    settings.MOFAN_LEARNING_INDIVIDUAL_RANKING = True
    at = timezone.make_aware(dt.datetime.combine(DAY, dt.time(9)))
    points.award(user=world.alice, action="test_passed", ref="a", at=at)
    points.award(user=world.carol, action="daily_issue", ref="b", at=at)
    points.award(user=world.outsider, action="test_passed", ref="c", at=at)
    board = selectors.person_board(actor=world.secretary, start=DAY, end=DAY)
    assert [(r.rank, r.name, r.points) for r in board] == [(1, "张三", 10), (2, "王五", 5)]
    assert selectors.person_board(actor=world.alice, start=DAY, end=DAY) == []  # a learner has no scope


def test_branch_board_daily_issue_completion(world: Any) -> None:
    for issue in world.issues:
        services.daily_issue_answer(actor=world.alice, issue=issue, responses={str(world.questions[0].pk): "2"})
    rows = {r.name: (r.rate, str(r.band)) for r in
            selectors.branch_board(actor=world.secretary, start=DAY, end=DAY + dt.timedelta(days=1))}
    assert rows == {"综治科": (Decimal("50.0"), "Needs improvement"), "区委政法委": (Decimal("0.0"), "Needs improvement")}


def test_figures_count_their_rows(world: Any) -> None:
    _read(world.alice, world.m1)
    services.session_record(actor=world.secretary, plan=world.plan, kind="collective", held_on=DAY,
                            attendees=[world.alice.person])
    programme = services.programme_create(actor=world.secretary, unit=world.organ, name="头雁人才")
    for name in ("第一批", "第二批"):
        selection_round = services.round_create(actor=world.secretary, programme=programme, name=name, held_on=DAY)
        services.selection_add(actor=world.secretary, selection_round=selection_round, person=world.alice.person)
    today = timezone.localdate()
    scope = FigureScope(unit=world.organ, start=min(DAY, today), end=max(DAY + dt.timedelta(days=5), today))
    values = {f.key: f.value(world.secretary, scope) for f in figures.all_figures("learning.")}
    assert values["learning.study_sessions"] == 1
    assert values["learning.self_study"] == 1
    assert values["learning.daily_issues"] == 2
    assert values["learning.talent_selected"] == 1  # one person, selected twice
    fig = figures.get("learning.talent_selected")
    assert fig.rows is not None and fig.rows(world.secretary, scope).count() == 2
    assert values["learning.points_given"] == 1 + 3  # reading 1, session 3
    narrow = FigureScope(unit=world.d.town_a, start=scope.start, end=scope.end)
    assert figures.get("learning.daily_issues").value(world.secretary, narrow) == 0
