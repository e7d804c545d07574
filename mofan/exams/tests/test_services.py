from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.exams import services
from mofan.exams.models import Attempt, AttemptItem, AttemptState, Grading, Paper, PaperDraw, PaperState
from mofan.exams.signals import attempt_submitted
from mofan.exams.tests.conftest import T0, add_questions, make_paper
from mofan.questions.models import Tag

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)


def audit_rows(event: Any) -> int:
    return AuditLog.objects.filter(event_id=event.id).count()


# Papers --------------------------------------------------------------------------------------------------


def test_paper_create_writes_items_draws_and_audit(district: Any, secretary: Any, bank: Any) -> None:
    fixed = add_questions(bank, 2)
    add_questions(bank, 5, qtype="judge", tag="税收")
    tag = Tag.objects.get(name="税收")
    paper = services.paper_create(
        actor=secretary, unit=district.town_a, title="税收业务测试", opens_at=T0, closes_at=T0 + dt.timedelta(days=1),
        items=[services.FixedItem(q, Decimal(10)) for q in fixed],
        draws=[services.DrawRule(bank=bank, count=3, points_each=Decimal(5), tag=tag)], pass_score=Decimal(20))
    assert paper.state == PaperState.DRAFT and paper.unit_path == district.town_a.path
    assert paper.items.count() == 2 and paper.draws.get().count == 3
    row = AuditLog.objects.get(event_id=AuditEvent.EXAM_PAPER_CHANGED.id)
    assert row.actor == secretary and row.target_id == str(paper.pk)


def test_paper_closing_before_opening_is_refused(district: Any, secretary: Any, bank: Any) -> None:
    questions = add_questions(bank, 1)
    with pytest.raises(ValidationError) as info:
        services.paper_create(actor=secretary, unit=district.town_a, title="测试", opens_at=T0, closes_at=T0,
                              items=[services.FixedItem(questions[0], Decimal(10))], pass_score=Decimal(5))
    assert "The test must close after it opens." in info.value.message_dict["closes_at"]
    assert Paper.objects.count() == 0
    assert audit_rows(AuditEvent.EXAM_PAPER_CHANGED) == 0


def test_not_enough_questions_names_the_rule(district: Any, secretary: Any, bank: Any) -> None:
    add_questions(bank, 3, tag="党章")
    tag = Tag.objects.get(name="党章")
    with pytest.raises(ValidationError) as info:
        services.paper_create(actor=secretary, unit=district.town_a, title="测试", opens_at=T0,
                              closes_at=T0 + MINUTE, pass_score=Decimal(0),
                              draws=[services.DrawRule(bank=bank, count=4, points_each=Decimal(5), tag=tag)])
    message = info.value.message_dict["draws"][0]
    assert "draw rule 1" in message and "党章" in message and "4 questions wanted but only 3" in message
    assert Paper.objects.count() == PaperDraw.objects.count() == 0


def test_overlapping_rules_are_checked_together(district: Any, secretary: Any, bank: Any) -> None:
    add_questions(bank, 3, tag="党章")
    tag = Tag.objects.get(name="党章")
    with pytest.raises(ValidationError) as info:  # 2 tagged + 2 of anything out of 3 questions
        services.paper_create(actor=secretary, unit=district.town_a, title="测试", opens_at=T0,
                              closes_at=T0 + MINUTE, pass_score=Decimal(0), draws=[
                                  services.DrawRule(bank=bank, count=2, points_each=Decimal(5), tag=tag),
                                  services.DrawRule(bank=bank, count=2, points_each=Decimal(5))])
    assert "only 1 are available" in info.value.message_dict["draws"][0]


def test_pass_score_above_total_is_refused(district: Any, secretary: Any, bank: Any) -> None:
    questions = add_questions(bank, 2)
    with pytest.raises(ValidationError) as info:
        make_paper(secretary, district.town_a, questions, pass_score=Decimal(21), publish=False)
    assert "higher than the paper's total of 20.00" in info.value.message_dict["pass_score"][0]


def test_another_town_cannot_set_a_test_here(district: Any, secretary_b: Any, bank: Any) -> None:
    questions = add_questions(bank, 1)
    with pytest.raises(PermissionDenied):
        make_paper(secretary_b, district.town_a, questions, publish=False)
    assert Paper.objects.count() == 0
    assert AuditLog.objects.filter(event_id=AuditEvent.ACCESS_DENIED.id, actor=secretary_b).exists()


def test_publish_update_and_close(district: Any, secretary: Any, bank: Any, make_learner: Any) -> None:
    questions = add_questions(bank, 2)
    paper = make_paper(secretary, district.town_a, questions, publish=False)
    services.paper_update(actor=secretary, paper=paper, title="新标题")
    assert Paper.objects.get().title == "新标题"
    services.paper_publish(actor=secretary, paper=paper)
    assert audit_rows(AuditEvent.EXAM_PAPER_PUBLISHED) == 1
    with pytest.raises(ValidationError, match="only the closing time"):
        services.paper_update(actor=secretary, paper=paper, title="再改")
    learner = make_learner(district.village_a1)
    attempt = services.attempt_start(actor=learner, paper=paper, now=T0 + MINUTE)
    services.paper_close(actor=secretary, paper=paper, now=T0 + 2 * MINUTE)
    paper.refresh_from_db()
    attempt.refresh_from_db()
    assert paper.state == PaperState.CLOSED and paper.closes_at == T0 + 2 * MINUTE
    assert attempt.state == AttemptState.MARKED and attempt.auto_submitted
    assert audit_rows(AuditEvent.EXAM_PAPER_CLOSED) == 1


# Attempts ------------------------------------------------------------------------------------------------


def test_start_freezes_items_and_audits(district: Any, secretary: Any, bank: Any, make_learner: Any) -> None:
    questions = add_questions(bank, 3)
    paper = make_paper(secretary, district.town_a, questions, time_limit_minutes=30)
    learner = make_learner(district.village_a1)
    attempt = services.attempt_start(actor=learner, paper=paper, now=T0 + MINUTE)
    assert attempt.number == 1 and attempt.deadline == T0 + 31 * MINUTE and attempt.max_score == 30
    items = list(attempt.items.all())
    assert sorted(i.question_id for i in items) == sorted(q.pk for q in questions)
    assert all(sorted(i.option_order) == ["丁", "丙", "乙", "甲"] for i in items)
    row = AuditLog.objects.get(event_id=AuditEvent.EXAM_ATTEMPT_STARTED.id)
    assert row.actor == learner and row.unit_path == district.village_a1.path


def test_deadline_is_the_close_when_it_comes_first(district: Any, secretary: Any, bank: Any,
                                                    make_learner: Any) -> None:
    paper = make_paper(secretary, district.town_a, add_questions(bank, 1), time_limit_minutes=60,
                       closes_at=T0 + 10 * MINUTE)
    attempt = services.attempt_start(actor=make_learner(district.village_a1), paper=paper, now=T0)
    assert attempt.deadline == T0 + 10 * MINUTE


def test_outside_the_audience_or_the_window_nothing_is_written(district: Any, secretary: Any, bank: Any,
                                                               make_learner: Any) -> None:
    paper = make_paper(secretary, district.town_a, add_questions(bank, 1))
    with pytest.raises(PermissionDenied):
        services.attempt_start(actor=make_learner(district.village_b1), paper=paper, now=T0 + MINUTE)
    learner = make_learner(district.village_a2)
    with pytest.raises(ValidationError, match="The test is not open now."):
        services.attempt_start(actor=learner, paper=paper, now=T0 - MINUTE)
    with pytest.raises(ValidationError, match="The test is not open now."):
        services.attempt_start(actor=learner, paper=paper, now=T0 + dt.timedelta(days=8))
    assert Attempt.objects.count() == 0 and audit_rows(AuditEvent.EXAM_ATTEMPT_STARTED) == 0


def test_a_second_attempt_beyond_the_allowed_number_is_refused(district: Any, secretary: Any, bank: Any,
                                                               make_learner: Any) -> None:
    paper = make_paper(secretary, district.town_a, add_questions(bank, 2), attempts_allowed=1)
    learner = make_learner(district.village_a1)
    attempt = services.attempt_start(actor=learner, paper=paper, now=T0 + MINUTE)
    services.attempt_submit(actor=learner, attempt=attempt, now=T0 + 2 * MINUTE)
    before = (Attempt.objects.count(), AttemptItem.objects.count(), AuditLog.objects.count())
    with pytest.raises(ValidationError) as info:
        services.attempt_start(actor=learner, paper=paper, now=T0 + 3 * MINUTE)
    assert info.value.messages == ["You have used all 1 attempts allowed for this test."]
    assert (Attempt.objects.count(), AttemptItem.objects.count(), AuditLog.objects.count()) == before


def test_resume_returns_the_running_attempt_with_its_answers(district: Any, secretary: Any, bank: Any,
                                                             make_learner: Any) -> None:
    questions = add_questions(bank, 3)
    paper = make_paper(secretary, district.town_a, questions, time_limit_minutes=30)
    learner = make_learner(district.village_a1)
    first = services.attempt_start(actor=learner, paper=paper, now=T0)
    services.answer_save(actor=learner, attempt=first, question_id=questions[0].pk, response="乙", now=T0 + MINUTE)
    again = services.attempt_start(actor=learner, paper=paper, now=T0 + 5 * MINUTE)
    assert again.pk == first.pk and Attempt.objects.count() == 1
    assert again.items.get(question=questions[0]).response == "乙"
    assert [i.option_order for i in again.items.order_by("order")] == [
        i.option_order for i in first.items.order_by("order")]


def test_draws_honour_tag_difficulty_and_type_without_repeats(district: Any, secretary: Any, bank: Any,
                                                              make_learner: Any) -> None:
    fixed = add_questions(bank, 2, tag="党章")
    add_questions(bank, 6, tag="党章")
    add_questions(bank, 6, tag="税收", difficulty=4)
    add_questions(bank, 6, qtype="judge", tag="税收", difficulty=4)
    party, tax = Tag.objects.get(name="党章"), Tag.objects.get(name="税收")
    paper = make_paper(secretary, district.town_a, fixed, pass_score=Decimal(0), draws=[
        services.DrawRule(bank=bank, count=4, points_each=Decimal(5), tag=party),
        services.DrawRule(bank=bank, count=3, points_each=Decimal(5), tag=tax, difficulty=4, qtype="single"),
        services.DrawRule(bank=bank, count=2, points_each=Decimal(2), qtype="judge"),
    ])
    seen: Counter[int] = Counter()
    for n in range(12):
        learner = make_learner(district.village_a1)
        attempt = services.attempt_start(actor=learner, paper=paper, now=T0 + MINUTE, rng=random.Random(n))
        items = list(attempt.items.select_related("question").prefetch_related("question__tags"))
        ids = [i.question_id for i in items]
        assert len(ids) == len(set(ids)) == 2 + 4 + 3 + 2  # no repeats within the paper
        assert {q.pk for q in fixed} <= set(ids)
        tags = Counter(t.name for i in items for t in i.question.tags.all())
        assert tags["党章"] == 6  # the 2 fixed + 4 drawn, never a fixed one twice
        singles_tax = [i for i in items if i.question.qtype == "single" and i.question.difficulty == 4]
        assert len(singles_tax) == 3 and all(i.points == 5 for i in singles_tax)
        assert sum(1 for i in items if i.question.qtype == "judge") == 2
        assert attempt.max_score == 2 * 10 + 4 * 5 + 3 * 5 + 2 * 2
        seen.update(ids)
    drawn_party = [q.pk for q in party.questions.all() if q.pk not in {f.pk for f in fixed}]
    assert all(seen[pk] > 0 for pk in drawn_party)  # every candidate comes up across attempts


def test_answer_save_is_idempotent_and_keeps_seconds(district: Any, secretary: Any, bank: Any,
                                                     make_learner: Any) -> None:
    questions = add_questions(bank, 1, qtype="multiple")
    paper = make_paper(secretary, district.town_a, questions)
    learner = make_learner(district.village_a1)
    attempt = services.attempt_start(actor=learner, paper=paper, now=T0)
    qid = questions[0].pk
    services.answer_save(actor=learner, attempt=attempt, question_id=qid, response=["丙", "甲"], seconds=12, now=T0)
    services.answer_save(actor=learner, attempt=attempt, question_id=qid, response=["丙", "甲", "丙"], seconds=7,
                         now=T0)
    item = AttemptItem.objects.get()
    assert isinstance(item.response, list)
    assert len(item.response) == 2 and set(item.response) == {"甲", "丙"} and item.seconds_spent == 12 and item.saved_at == T0


def test_answers_after_the_time_limit_or_close_are_refused(district: Any, secretary: Any, bank: Any,
                                                           make_learner: Any) -> None:
    questions = add_questions(bank, 2)
    paper = make_paper(secretary, district.town_a, questions, time_limit_minutes=10)
    learner = make_learner(district.village_a1)
    attempt = services.attempt_start(actor=learner, paper=paper, now=T0)
    with pytest.raises(ValidationError) as info:
        services.answer_save(actor=learner, attempt=attempt, question_id=questions[0].pk, response="乙",
                             now=T0 + 11 * MINUTE)
    assert info.value.messages == ["The time for this test is over: the answer was not saved."]
    assert AttemptItem.objects.filter(saved_at__isnull=False).count() == 0
    with pytest.raises(ValidationError, match="does not fit"):
        services.answer_save(actor=learner, attempt=attempt, question_id=questions[0].pk, response="戊", now=T0)
    with pytest.raises(PermissionDenied):
        services.answer_save(actor=make_learner(district.village_a1), attempt=attempt,
                             question_id=questions[0].pk, response="乙", now=T0)
    assert AttemptItem.objects.filter(response__isnull=False).count() == 0


def test_time_limit_auto_submits(district: Any, secretary: Any, bank: Any, make_learner: Any) -> None:
    questions = add_questions(bank, 2)
    paper = make_paper(secretary, district.town_a, questions, time_limit_minutes=10)
    learner = make_learner(district.village_a1)
    attempt = services.attempt_start(actor=learner, paper=paper, now=T0)
    services.answer_save(actor=learner, attempt=attempt, question_id=questions[0].pk, response="乙", now=T0)
    assert services.submit_lapsed(now=T0 + 9 * MINUTE) == 0
    assert services.submit_lapsed(now=T0 + 10 * MINUTE) == 1
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.MARKED and attempt.auto_submitted
    assert attempt.submitted_at == T0 + 10 * MINUTE and attempt.score == 10
    assert audit_rows(AuditEvent.EXAM_SWEEP) == 1
    assert AuditLog.objects.get(event_id=AuditEvent.EXAM_ATTEMPT_SUBMITTED.id).target_id == str(attempt.pk)
    assert services.submit_lapsed(now=T0 + 20 * MINUTE) == 0  # idempotent


def test_shuffled_options_are_marked_by_text(district: Any, secretary: Any, bank: Any, make_learner: Any) -> None:
    single = add_questions(bank, 1)[0]
    multiple = add_questions(bank, 1, qtype="multiple")[0]
    judge = add_questions(bank, 1, qtype="judge")[0]
    fill = add_questions(bank, 1, qtype="fill")[0]
    paper = make_paper(secretary, district.town_a, [single, multiple, judge, fill])
    learner = make_learner(district.village_a1)
    attempt = services.attempt_start(actor=learner, paper=paper, now=T0, rng=random.Random(3))
    orders = {i.question_id: i.option_order for i in attempt.items.all()}
    assert orders[single.pk] != single.options or orders[multiple.pk] != multiple.options  # really shuffled
    for qid, response in [(single.pk, "乙"), (multiple.pk, ["丙", "甲"]), (judge.pk, "对"), (fill.pk, ["北京市"])]:
        services.answer_save(actor=learner, attempt=attempt, question_id=qid, response=response, now=T0)
    received: list[dict[str, Any]] = []

    def listener(sender: Any, **kwargs: Any) -> None:
        received.append(kwargs)

    attempt_submitted.connect(listener)
    try:
        done = services.attempt_submit(actor=learner, attempt=attempt, now=T0 + MINUTE)
    finally:
        attempt_submitted.disconnect(listener)
    assert done.score == 40 and done.state == AttemptState.MARKED and not done.auto_submitted
    assert received[0]["attempt"].pk == attempt.pk and received[0]["passed"] is True
    assert services.attempt_submit(actor=learner, attempt=done, now=T0 + 2 * MINUTE).submitted_at == T0 + MINUTE


def test_short_answers_wait_for_manual_marking(district: Any, secretary: Any, secretary_b: Any, bank: Any,
                                               make_learner: Any) -> None:
    single = add_questions(bank, 1)[0]
    short = add_questions(bank, 1, qtype="short")[0]
    paper = make_paper(secretary, district.town_a, [single, short], pass_score=Decimal(15))
    learner = make_learner(district.village_a1)
    attempt = services.attempt_start(actor=learner, paper=paper, now=T0)
    services.answer_save(actor=learner, attempt=attempt, question_id=single.pk, response="乙", now=T0)
    services.answer_save(actor=learner, attempt=attempt, question_id=short.pk, response="依法行政，执法为民", now=T0)
    attempt = services.attempt_submit(actor=learner, attempt=attempt, now=T0 + MINUTE)
    assert attempt.state == AttemptState.SUBMITTED and attempt.score == 10 and services.passed(attempt) is None
    item = AttemptItem.objects.get(question=short)
    assert item.needs_marking and item.score is None
    with pytest.raises(ValidationError) as info:
        services.answer_mark(actor=secretary, item=item, score="11")
    assert info.value.message_dict["score"] == ["Give a score from 0 to 10.00."]
    with pytest.raises(PermissionDenied):
        services.answer_mark(actor=secretary_b, item=item, score="5")
    assert audit_rows(AuditEvent.EXAM_ANSWER_MARKED) == 0
    services.answer_mark(actor=secretary, item=item, score="6.5", now=T0 + 2 * MINUTE)
    attempt.refresh_from_db()
    item.refresh_from_db()
    assert item.score == Decimal("6.5") and item.marked_by == secretary and not item.needs_marking
    assert attempt.state == AttemptState.MARKED and attempt.score == Decimal("16.5")
    assert services.passed(attempt) is True
    row = AuditLog.objects.get(event_id=AuditEvent.EXAM_ANSWER_MARKED.id)
    assert row.actor == secretary and row.new_values == {"score": "6.50"}


@pytest.mark.parametrize(("grading", "expected"), [
    (Grading.HIGHEST, Decimal(20)), (Grading.LAST, Decimal(10)), (Grading.AVERAGE, Decimal("13.33"))])
def test_attempt_policies(grading: str, expected: Decimal) -> None:
    assert services.counted_score(grading, [Decimal(10), Decimal(20), Decimal(10)]) == expected
    assert services.counted_score(grading, []) is None


def test_policies_over_real_attempts(district: Any, secretary: Any, bank: Any, make_learner: Any) -> None:
    questions = add_questions(bank, 2)
    paper = make_paper(secretary, district.town_a, questions, attempts_allowed=2, grading=Grading.LAST)
    learner = make_learner(district.village_a1)
    scores = []
    for n, answers in enumerate([["乙", "乙"], ["乙", "甲"]]):
        attempt = services.attempt_start(actor=learner, paper=paper, now=T0 + n * MINUTE)
        for q, a in zip(questions, answers, strict=True):
            services.answer_save(actor=learner, attempt=attempt, question_id=q.pk, response=a, now=T0 + n * MINUTE)
        scores.append(services.attempt_submit(actor=learner, attempt=attempt, now=T0 + n * MINUTE).score)
    assert scores == [20, 10]
    assert services.counted_score(paper.grading, scores) == 10
