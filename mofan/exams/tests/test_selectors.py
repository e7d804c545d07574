from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.http import Http404

from mofan.exams import selectors, services
from mofan.exams.models import Feedback, Paper
from mofan.exams.tests.conftest import T0, add_questions, make_paper
from mofan.questions.models import Question

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)


def take(learner: Any, paper: Paper, answers: dict[int, Any], *, at: dt.datetime = T0, seconds: int = 30) -> Any:
    attempt = services.attempt_start(actor=learner, paper=paper, now=at)
    for qid, response in answers.items():
        services.answer_save(actor=learner, attempt=attempt, question_id=qid, response=response, seconds=seconds,
                             now=at)
    return services.attempt_submit(actor=learner, attempt=attempt, now=at + MINUTE)


class Scene:
    """甲镇's test of 5 single-choice questions (pass 30 of 50); learners: a1, a1b in 村一, a2 in 村二, b1 in 村三."""

    def __init__(self, district: Any, secretary: Any, bank: Any, make_learner: Any, **paper: Any) -> None:
        self.questions: list[Question] = add_questions(bank, 5)
        self.paper = make_paper(secretary, district.town_a, self.questions, **paper)
        self.a1 = make_learner(district.village_a1, name="张一")
        self.a1b = make_learner(district.village_a1, name="张二")
        self.a2 = make_learner(district.village_a2, name="李三")
        self.b1 = make_learner(district.village_b1, name="王四")

    def answers(self, right: int) -> dict[int, str]:
        return {q.pk: ("乙" if i < right else "甲") for i, q in enumerate(self.questions)}


@pytest.fixture
def scene(district: Any, secretary: Any, bank: Any, make_learner: Any) -> Scene:
    return Scene(district, secretary, bank, make_learner)


def test_learner_sees_open_upcoming_finished_and_only_their_audience(district: Any, secretary: Any, bank: Any,
                                                                     scene: Scene) -> None:
    later = make_paper(secretary, district.town_a, add_questions(bank, 1), title="下月测试",
                       opens_at=T0 + dt.timedelta(days=30), closes_at=T0 + dt.timedelta(days=31))
    take(scene.a1, scene.paper, scene.answers(5))
    mine = selectors.my_papers(actor=scene.a1, now=T0 + 2 * MINUTE)
    assert [e.paper for e in mine.upcoming] == [later]
    assert [e.paper for e in mine.finished] == [scene.paper]  # the only attempt is used
    assert mine.finished[0].counted == 50 and mine.finished[0].passed is True
    other = selectors.my_papers(actor=scene.a2, now=T0 + 2 * MINUTE)
    assert [e.paper for e in other.open] == [scene.paper] and other.open[0].attempts_left == 1
    outsider = selectors.my_papers(actor=scene.b1, now=T0 + 2 * MINUTE)
    assert outsider.open == outsider.upcoming == outsider.finished == []
    with pytest.raises(Http404):
        selectors.learner_paper_get(actor=scene.b1, pk=scene.paper.pk)


def test_a_learner_reads_only_their_own_attempt(scene: Scene) -> None:
    attempt = take(scene.a1, scene.paper, scene.answers(3))
    assert selectors.learner_attempt_get(actor=scene.a1, pk=attempt.pk) == attempt
    with pytest.raises(Http404):
        selectors.learner_attempt_get(actor=scene.a1b, pk=attempt.pk)


def test_feedback_rules(scene: Scene) -> None:
    paper = scene.paper
    assert not selectors.feedback_open(paper, T0 + MINUTE)  # after the close by default
    assert selectors.feedback_open(paper, paper.closes_at)
    paper.feedback = Feedback.IMMEDIATELY
    assert selectors.feedback_open(paper, T0)
    paper.feedback = Feedback.NEVER
    assert not selectors.feedback_open(paper, paper.closes_at + MINUTE)


def test_results_per_person_branch_and_unit(scene: Scene, secretary: Any, district: Any) -> None:
    take(scene.a1, scene.paper, scene.answers(5))
    take(scene.a1b, scene.paper, scene.answers(2))
    take(scene.a2, scene.paper, scene.answers(4))
    rows = selectors.results_by_person(actor=secretary, paper=scene.paper, now=T0 + dt.timedelta(hours=1))
    assert [(r.name, r.counted, r.passed) for r in rows] == [
        ("张一", 50, True), ("张二", 20, False), ("李三", 40, True)]
    branches = {g.name: g for g in selectors.results_by_branch(actor=secretary, paper=scene.paper, rows=rows)}
    assert branches["村一"].participants == 2 and branches["村一"].audience == 2
    assert branches["村一"].average == 35 and branches["村一"].pass_rate == Decimal("50.0")
    assert branches["村二"].pass_rate == 100
    units = {g.name: g for g in selectors.results_by_unit(actor=secretary, paper=scene.paper, rows=rows)}
    assert set(units) == {"村一", "村二"} and units["村一"].participants == 2


def test_another_town_sees_nothing(scene: Scene, secretary_b: Any) -> None:
    take(scene.a1, scene.paper, scene.answers(5))
    assert not selectors.organiser_papers(actor=secretary_b).exists()
    with pytest.raises(Http404):
        selectors.organiser_paper_get(actor=secretary_b, pk=scene.paper.pk)
    assert selectors.results_by_person(actor=secretary_b, paper=scene.paper) == []
    assert not selectors.unfinished(actor=secretary_b, paper=scene.paper).exists()
    assert not selectors.marking_queue(actor=secretary_b).exists()
    assert selectors.item_analysis(actor=secretary_b, paper=scene.paper).attempts == 0


def test_branch_secretary_follows_the_town_test_for_their_branch_only(scene: Scene, district: Any, secretary: Any,
                                                                      make_user: Any) -> None:
    branch = make_user("secretary", district.village_a1, username="sec_a1")
    take(scene.a1, scene.paper, scene.answers(5))
    take(scene.a2, scene.paper, scene.answers(5))
    assert selectors.organiser_paper_get(actor=branch, pk=scene.paper.pk) == scene.paper
    draft = make_paper(secretary, district.town_a, scene.questions, publish=False, title="草稿")
    assert list(selectors.organiser_papers(actor=branch)) == [scene.paper]  # not the town's draft
    assert draft in selectors.organiser_papers(actor=secretary)
    assert [r.name for r in selectors.results_by_person(actor=branch, paper=scene.paper)] == ["张一"]
    assert [u.display_name for u in selectors.unfinished(actor=branch, paper=scene.paper)] == ["张二"]


def test_unfinished_lists_the_audience_without_a_submitted_attempt(scene: Scene, secretary: Any) -> None:
    take(scene.a1, scene.paper, scene.answers(5))
    services.attempt_start(actor=scene.a2, paper=scene.paper, now=T0)  # started, not submitted
    names = [u.display_name for u in selectors.unfinished(actor=secretary, paper=scene.paper)]
    assert names == ["张二", "李三"]  # 村一 before 村二; 王四 of 乙镇 is not in the audience


def test_marking_queue_holds_short_answers_of_the_scope(district: Any, secretary: Any, secretary_b: Any, bank: Any,
                                                        make_learner: Any) -> None:
    short = add_questions(bank, 1, qtype="short")[0]
    paper = make_paper(secretary, district.town_a, [short], pass_score=Decimal(5))
    learner = make_learner(district.village_a1)
    take(learner, paper, {short.pk: "坚持依法行政"})
    queue = list(selectors.marking_queue(actor=secretary))
    assert [i.question_id for i in queue] == [short.pk]
    assert selectors.marking_item_get(actor=secretary, pk=queue[0].pk) == queue[0]
    with pytest.raises(Http404):
        selectors.marking_item_get(actor=secretary_b, pk=queue[0].pk)


def test_flags_show_on_the_results(scene: Scene, secretary: Any) -> None:
    copied = {**scene.answers(3)}
    take(scene.a1, scene.paper, copied)
    take(scene.a1b, scene.paper, dict(copied))
    take(scene.a2, scene.paper, scene.answers(4), seconds=1)
    rows = {r.name: r for r in selectors.results_by_person(actor=secretary, paper=scene.paper)}
    assert rows["张一"].flags == rows["张二"].flags == ["identical"]
    assert rows["李三"].flags == ["fast"]


def test_item_analysis_reads_the_marked_attempts(scene: Scene, secretary: Any) -> None:
    take(scene.a1, scene.paper, scene.answers(5))
    take(scene.a1b, scene.paper, scene.answers(1))
    result = selectors.item_analysis(actor=secretary, paper=scene.paper)
    assert result.attempts == 2 and result.alpha_items == 5
    first = next(i for i in result.items if i.question_id == scene.questions[0].pk)
    assert first.facility == 1 and first.discrimination == 0
    last = next(i for i in result.items if i.question_id == scene.questions[4].pk)
    assert last.facility == 0.5 and last.discrimination == 1
