"""Writes on tests: papers (organisers: EXAM_MANAGE on the paper's unit) and attempts (learners: LEARN and
being in the paper's audience). Permissions are checked before the transaction; each write leaves an audit
row, except ``answer_save`` — one row per answer of every learner would drown the trail, and the saved
answer itself (with ``saved_at``) is the record; the attempt's start and submission are audited.

Time is passed in as ``now`` (default: the clock) so that time limits can be tested without sleeping.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts.models import User
from mofan.accounts.permissions import acting_user, ensure_can, has_action
from mofan.accounts.roles import Action
from mofan.audit.events import AuditEvent
from mofan.audit.services import audit_record
from mofan.exams.models import (
    Attempt,
    AttemptItem,
    AttemptState,
    Feedback,
    Grading,
    Paper,
    PaperDraw,
    PaperItem,
    PaperState,
)
from mofan.exams.signals import attempt_submitted
from mofan.org.models import Unit
from mofan.questions.marking import mark
from mofan.questions.models import Question, QuestionBank, QuestionType, Tag

CHOICE_TYPES = (QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.JUDGE)
MAX_TEXT_RESPONSE = 5000
CENT = Decimal("0.01")


@dataclass(frozen=True)
class DrawRule:
    """A random-draw rule as the forms and the API give it (see ``PaperDraw``)."""

    bank: QuestionBank
    count: int
    points_each: Decimal
    tag: Tag | None = None
    difficulty: int | None = None
    qtype: str = ""


@dataclass(frozen=True)
class FixedItem:
    question: Question
    points: Decimal


PAPER_FIELDS = ("title", "description", "opens_at", "closes_at", "time_limit_minutes", "attempts_allowed",
                "grading", "pass_score", "feedback", "shuffle_questions", "shuffle_options")


def _now(now: dt.datetime | None) -> dt.datetime:
    return now if now is not None else timezone.now()


def _decimal(value: Any, field: str, errors: dict[str, list[str]]) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.setdefault(field, []).append(_("Give a number."))
        return Decimal(0)
    if not number.is_finite() or number < 0:
        errors.setdefault(field, []).append(_("Give a number of zero or more."))
        return Decimal(0)
    return number.quantize(CENT)


def bank_usable(bank: QuestionBank, unit: Unit) -> bool:
    """A paper of ``unit`` may use a bank kept by the unit, one of its ancestors, or a unit of its subtree."""
    return unit.path.startswith(bank.unit_path) or bank.unit_path.startswith(unit.path)


def draw_pool(rule: DrawRule | PaperDraw) -> QuerySet[Question]:
    pool = Question.objects.filter(bank=rule.bank, is_active=True)
    if rule.tag is not None:
        pool = pool.filter(tags=rule.tag)
    if rule.difficulty is not None:
        pool = pool.filter(difficulty=rule.difficulty)
    if rule.qtype:
        pool = pool.filter(qtype=rule.qtype)
    return pool


def rule_label(rule: DrawRule | PaperDraw, number: int) -> str:
    parts = [rule.bank.name]
    if rule.tag is not None:
        parts.append(rule.tag.name)
    if rule.difficulty is not None:
        parts.append(_("difficulty %(n)d") % {"n": rule.difficulty})
    if rule.qtype:
        parts.append(str(QuestionType(rule.qtype).label))
    return _("draw rule %(number)d (%(what)s)") % {"number": number, "what": "、".join(parts)}


def _clean_paper(unit: Unit, data: dict[str, Any], items: Sequence[FixedItem],
                 draws: Sequence[DrawRule]) -> dict[str, Any]:
    """Check a paper's settings and questions; raise ``ValidationError`` naming every problem."""
    errors: dict[str, list[str]] = {}
    title = str(data.get("title") or "").strip()
    if not title:
        errors.setdefault("title", []).append(_("Give the test a title."))
    opens_at, closes_at = data.get("opens_at"), data.get("closes_at")
    if opens_at is None or closes_at is None:
        errors.setdefault("closes_at", []).append(_("Give the opening and closing times."))
    elif closes_at <= opens_at:
        errors.setdefault("closes_at", []).append(_("The test must close after it opens."))
    limit = data.get("time_limit_minutes")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        errors.setdefault("time_limit_minutes", []).append(_("The time limit is a whole number of minutes."))
    attempts = data.get("attempts_allowed", 1)
    if not isinstance(attempts, int) or attempts < 1:
        errors.setdefault("attempts_allowed", []).append(_("Allow at least one attempt."))
    if data.get("grading", Grading.HIGHEST) not in Grading.values:
        errors.setdefault("grading", []).append(_("Unknown grading rule."))
    if data.get("feedback", Feedback.AFTER_CLOSE) not in Feedback.values:
        errors.setdefault("feedback", []).append(_("Unknown feedback rule."))
    pass_score = _decimal(data.get("pass_score", 60), "pass_score", errors)
    fixed_ids = [item.question.pk for item in items]
    if len(set(fixed_ids)) != len(fixed_ids):
        errors.setdefault("items", []).append(_("A question is on the paper twice."))
    total = Decimal(0)
    for item in items:
        if not bank_usable(item.question.bank, unit):
            errors.setdefault("items", []).append(
                _("The question “%(stem)s” is in a bank this unit cannot use.") % {"stem": item.question.stem[:30]})
        total += _decimal(item.points, "items", errors)
    claimed: set[int] = set(fixed_ids)
    # The most constrained rules draw first (as attempt_start does), so a rule is checked against what the
    # rules before it may take.
    pools = []
    for number, rule in enumerate(draws, start=1):
        label = rule_label(rule, number)
        if not bank_usable(rule.bank, unit):
            errors.setdefault("draws", []).append(_("%(rule)s: this unit cannot use the bank.") % {"rule": label})
            continue
        if not isinstance(rule.count, int) or rule.count < 1:
            errors.setdefault("draws", []).append(_("%(rule)s: draw at least one question.") % {"rule": label})
            continue
        if rule.difficulty is not None and not 1 <= rule.difficulty <= 5:
            errors.setdefault("draws", []).append(_("%(rule)s: difficulty is from 1 to 5.") % {"rule": label})
            continue
        if rule.qtype and rule.qtype not in QuestionType.values:
            errors.setdefault("draws", []).append(_("%(rule)s: unknown question type.") % {"rule": label})
            continue
        total += _decimal(rule.points_each, "draws", errors) * rule.count
        pools.append((label, rule.count, set(draw_pool(rule).values_list("pk", flat=True))))
    for label, count, pool in sorted(pools, key=lambda p: len(p[2])):
        available = pool - claimed
        if len(available) < count:
            errors.setdefault("draws", []).append(
                _("%(rule)s: %(count)d questions wanted but only %(available)d are available.")
                % {"rule": label, "count": count, "available": len(available)})
        claimed |= set(sorted(available)[:count])
    if not items and not draws:
        errors.setdefault("items", []).append(_("Put at least one question on the paper."))
    if not errors and pass_score > total:
        errors.setdefault("pass_score", []).append(
            _("The pass score is higher than the paper's total of %(total)s.") % {"total": total})
    if errors:
        raise ValidationError(errors)
    cleaned = {field: data[field] for field in PAPER_FIELDS if field in data}
    cleaned.update(title=title, pass_score=pass_score)
    return cleaned


def _write_questions(paper: Paper, items: Sequence[FixedItem], draws: Sequence[DrawRule]) -> None:
    PaperItem.objects.filter(paper=paper).delete()
    PaperDraw.objects.filter(paper=paper).delete()
    PaperItem.objects.bulk_create([PaperItem(paper=paper, question=item.question, points=Decimal(item.points),
                                             order=i) for i, item in enumerate(items)])
    PaperDraw.objects.bulk_create([
        PaperDraw(paper=paper, bank=rule.bank, tag=rule.tag, difficulty=rule.difficulty, qtype=rule.qtype or "",
                  count=rule.count, points_each=Decimal(rule.points_each), order=i)
        for i, rule in enumerate(draws)])


def paper_create(*, actor: Any, unit: Unit, items: Sequence[FixedItem] = (), draws: Sequence[DrawRule] = (),
                 **data: Any) -> Paper:
    """出卷: a draft paper of ``unit`` with fixed questions and draw rules."""
    if actor is not None:
        ensure_can(actor, Action.EXAM_MANAGE, unit)
    cleaned = _clean_paper(unit, data, items, draws)
    with transaction.atomic():
        paper = Paper.objects.create(unit=unit, unit_path=unit.path, created_by=acting_user(actor), **cleaned)
        _write_questions(paper, items, draws)
        if actor is not None:
            audit_record(actor=actor, event=AuditEvent.EXAM_PAPER_CHANGED, target=paper,
                         new={"title": paper.title, "items": len(items), "draws": len(draws)})
    return paper


def paper_update(*, actor: Any, paper: Paper, items: Sequence[FixedItem] | None = None,
                 draws: Sequence[DrawRule] | None = None, **data: Any) -> Paper:
    """Change a draft paper. A published test only moves its closing time (nobody's attempt changes)."""
    if actor is not None:
        ensure_can(actor, Action.EXAM_MANAGE, paper.unit, target=paper)
    if paper.state == PaperState.CLOSED:
        raise ValidationError(_("A closed test cannot be changed."))
    if paper.state == PaperState.PUBLISHED and (items is not None or draws is not None
                                                or set(data) - {"closes_at"}):
        raise ValidationError(_("Once published, only the closing time of a test can be changed."))
    current = {field: getattr(paper, field) for field in PAPER_FIELDS}
    merged = {**current, **data}
    new_items = list(items) if items is not None else [FixedItem(i.question, i.points) for i in paper.items.all()]
    new_draws = list(draws) if draws is not None else [
        DrawRule(bank=d.bank, count=d.count, points_each=d.points_each, tag=d.tag, difficulty=d.difficulty,
                 qtype=d.qtype) for d in paper.draws.select_related("bank", "tag")]
    cleaned = _clean_paper(paper.unit, merged, new_items, new_draws)
    with transaction.atomic():
        changed = {k: v for k, v in cleaned.items() if current.get(k) != v}
        for field, value in cleaned.items():
            setattr(paper, field, value)
        paper.save()
        if items is not None or draws is not None:
            _write_questions(paper, new_items, new_draws)
        if actor is not None:
            audit_record(actor=actor, event=AuditEvent.EXAM_PAPER_CHANGED, target=paper,
                         old={k: str(current[k]) for k in changed}, new={k: str(v) for k, v in changed.items()})
    return paper


def paper_publish(*, actor: Any, paper: Paper) -> Paper:
    """发布: the audience can take the test between its opening and closing times."""
    if actor is not None:
        ensure_can(actor, Action.EXAM_MANAGE, paper.unit, target=paper)
    if paper.state != PaperState.DRAFT:
        raise ValidationError(_("Only a draft can be published."))
    paper_update(actor=None, paper=paper)  # the banks may have changed since the draft was saved
    with transaction.atomic():
        paper.state = PaperState.PUBLISHED
        paper.save(update_fields=["state"])
        if actor is not None:
            audit_record(actor=actor, event=AuditEvent.EXAM_PAPER_PUBLISHED, target=paper)
    return paper


def paper_close(*, actor: Any, paper: Paper, now: dt.datetime | None = None) -> Paper:
    """结束: close the test now; attempts still running are submitted as they stand."""
    if actor is not None:
        ensure_can(actor, Action.EXAM_MANAGE, paper.unit, target=paper)
    if paper.state != PaperState.PUBLISHED:
        raise ValidationError(_("Only a published test can be closed."))
    moment = _now(now)
    with transaction.atomic():
        paper.state = PaperState.CLOSED
        if paper.closes_at > moment:
            paper.closes_at = max(moment, paper.opens_at + dt.timedelta(seconds=1))
        paper.save(update_fields=["state", "closes_at"])
        Attempt.objects.filter(paper=paper, state=AttemptState.IN_PROGRESS, deadline__gt=paper.closes_at).update(
            deadline=paper.closes_at)
        if actor is not None:
            audit_record(actor=actor, event=AuditEvent.EXAM_PAPER_CLOSED, target=paper)
    submit_lapsed(now=max(moment, paper.closes_at), paper=paper)
    return paper


# Attempts ------------------------------------------------------------------------------------------------


def in_audience(user: Any, paper: Paper) -> bool:
    person = getattr(user, "person", None)
    return person is not None and person.unit.path.startswith(paper.unit_path)


def _ensure_learner(actor: Any, paper: Paper) -> None:
    person = getattr(actor, "person", None)
    if person is None:
        raise PermissionDenied(_("Only learners take tests."))
    # A learner's role may sit on their party branch while their person sits in an office: holding LEARN
    # anywhere and belonging to the audience by person is what counts.
    if not has_action(actor, Action.LEARN):
        ensure_can(actor, Action.LEARN, person.unit, target=paper)  # refuses, audited
    if not in_audience(actor, paper):
        raise PermissionDenied(_("This test is not set for you."))


def _draw(paper: Paper, rng: random.Random) -> list[tuple[Question, Decimal]]:
    chosen: list[tuple[Question, Decimal]] = [
        (item.question, item.points) for item in paper.items.select_related("question")]
    taken = {q.pk for q, _points in chosen}
    rules = list(paper.draws.select_related("bank", "tag"))
    pools = [(rule, list(draw_pool(rule).values_list("pk", flat=True))) for rule in rules]
    for number, (rule, pool) in enumerate(sorted(pools, key=lambda p: len(p[1])), start=1):
        available = sorted(set(pool) - taken)
        if len(available) < rule.count:
            raise ValidationError(_("%(rule)s: %(count)d questions wanted but only %(available)d are available.")
                                  % {"rule": rule_label(rule, number), "count": rule.count,
                                     "available": len(available)})
        picked = rng.sample(available, rule.count)
        taken.update(picked)
        questions = Question.objects.in_bulk(picked)
        chosen.extend((questions[pk], rule.points_each) for pk in picked)
    if paper.shuffle_questions:
        rng.shuffle(chosen)
    return chosen


def _option_order(question: Question, paper: Paper, rng: random.Random) -> list[str]:
    options = list(question.options)
    if paper.shuffle_options and question.qtype in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        rng.shuffle(options)
    return options


def attempt_start(*, actor: Any, paper: Paper, now: dt.datetime | None = None,
                  rng: random.Random | None = None) -> Attempt:
    """开始作答, or resume: the learner's running attempt if there is one, else a new one with its questions
    drawn and frozen (questions and option order shuffled per attempt)."""
    _ensure_learner(actor, paper)
    moment = _now(now)
    submit_lapsed(now=moment, paper=paper, user=actor)
    running = Attempt.objects.filter(paper=paper, user=actor, state=AttemptState.IN_PROGRESS).first()
    if running is not None:
        return running
    if paper.state != PaperState.PUBLISHED or not paper.opens_at <= moment < paper.closes_at:
        raise ValidationError(_("The test is not open now."))
    used = Attempt.objects.filter(paper=paper, user=actor).count()
    if used >= paper.attempts_allowed:
        raise ValidationError(
            _("You have used all %(n)d attempts allowed for this test.") % {"n": paper.attempts_allowed})
    rng = rng or random.SystemRandom()
    with transaction.atomic():
        # One start per learner at a time: a second tab waits here and then finds the first tab's attempt.
        User.objects.select_for_update().filter(pk=actor.pk).first()
        running = Attempt.objects.filter(paper=paper, user=actor, state=AttemptState.IN_PROGRESS).first()
        if running is not None:
            return running
        questions = _draw(paper, rng)
        deadline = paper.closes_at
        if paper.time_limit_minutes:
            deadline = min(deadline, moment + dt.timedelta(minutes=paper.time_limit_minutes))
        attempt = Attempt.objects.create(
            paper=paper, user=actor, number=Attempt.objects.filter(paper=paper, user=actor).count() + 1,
            started_at=moment, deadline=deadline, max_score=sum((p for _q, p in questions), Decimal(0)))
        AttemptItem.objects.bulk_create([
            AttemptItem(attempt=attempt, question=question, order=i, points=points,
                        option_order=_option_order(question, paper, rng),
                        needs_marking=False)
            for i, (question, points) in enumerate(questions)])
        audit_record(actor=actor, event=AuditEvent.EXAM_ATTEMPT_STARTED, target=attempt,
                     new={"paper": paper.title, "number": attempt.number}, unit_path=actor.person.unit.path)
    return attempt


def clean_response(item: AttemptItem, response: Any) -> Any:
    """The response in its stored shape, or ``ValidationError`` when it does not fit the question."""
    qtype = item.question.qtype
    bad = ValidationError(_("This answer does not fit the question."))
    if response is None or response == "" or response == []:
        return None
    if qtype in (QuestionType.SINGLE, QuestionType.JUDGE):
        if not isinstance(response, str) or response not in item.option_order:
            raise bad
        return response
    if qtype == QuestionType.MULTIPLE:
        if isinstance(response, str):
            response = [response]
        if not isinstance(response, list) or not all(isinstance(r, str) and r in item.option_order for r in response):
            raise bad
        return [o for o in item.option_order if o in response]  # the option order, without repeats
    if qtype == QuestionType.FILL:
        if isinstance(response, str):
            response = [response]
        blanks = len(item.question.answers)
        if not isinstance(response, list) or len(response) > blanks or not all(isinstance(r, str) for r in response):
            raise bad
        if any(len(r) > MAX_TEXT_RESPONSE for r in response):
            raise bad
        return [r.strip() for r in response]
    if not isinstance(response, str) or len(response) > MAX_TEXT_RESPONSE:
        raise bad
    return response.strip() or None


def answer_save(*, actor: Any, attempt: Attempt, question_id: int, response: Any, seconds: int = 0,
                now: dt.datetime | None = None) -> AttemptItem:
    """保存答案: one answer, as it is given. Saving the same answer twice changes nothing; ``seconds`` is the
    time the learner has spent on the question so far (the larger value is kept)."""
    if actor is None or attempt.user_id != actor.pk:
        raise PermissionDenied(_("This is not your attempt."))
    moment = _now(now)
    if attempt.state != AttemptState.IN_PROGRESS:
        raise ValidationError(_("This attempt has been submitted: the answer was not saved."))
    if moment > attempt.deadline or moment > attempt.paper.closes_at:
        raise ValidationError(_("The time for this test is over: the answer was not saved."))
    item = attempt.items.select_related("question").filter(question_id=question_id).first()
    if item is None:
        raise ValidationError(_("This question is not in the attempt."))
    value = clean_response(item, response)
    try:
        spent = max(0, min(int(seconds), 24 * 3600))
    except (TypeError, ValueError):
        spent = 0
    with transaction.atomic():
        AttemptItem.objects.filter(pk=item.pk).update(response=value, saved_at=moment,
                                                      seconds_spent=max(item.seconds_spent, spent))
    item.response, item.saved_at, item.seconds_spent = value, moment, max(item.seconds_spent, spent)
    return item


def _mark_items(attempt: Attempt) -> list[AttemptItem]:
    items = list(attempt.items.select_related("question"))
    for item in items:
        fraction = mark(item.question.qtype, item.question.answers, item.response)
        if fraction is None:
            item.needs_marking = item.response not in (None, "")
            item.score = None if item.needs_marking else Decimal(0)
        else:
            item.score = (item.points * fraction).quantize(CENT)
            item.needs_marking = False
    AttemptItem.objects.bulk_update(items, ["score", "needs_marking"])
    return items


def passed(attempt: Attempt) -> bool | None:
    if attempt.state != AttemptState.MARKED or attempt.score is None:
        return None
    return attempt.score >= attempt.paper.pass_score


def attempt_submit(*, actor: Any, attempt: Attempt, now: dt.datetime | None = None) -> Attempt:
    """交卷: mark what a machine can mark; short answers wait for a person. ``actor`` None: the deadline
    sweep. Submitting twice changes nothing."""
    if actor is not None and attempt.user_id != actor.pk:
        raise PermissionDenied(_("This is not your attempt."))
    moment = _now(now)
    from mofan.exams.analysis import speed_flags

    with transaction.atomic():
        attempt = Attempt.objects.select_for_update(of=("self",)).select_related("paper", "user__person__unit").get(
            pk=attempt.pk)
        if attempt.state != AttemptState.IN_PROGRESS:
            return attempt
        auto = moment >= attempt.deadline
        items = _mark_items(attempt)
        attempt.submitted_at = min(moment, attempt.deadline)
        attempt.auto_submitted = actor is None or auto
        attempt.score = sum((i.score for i in items if i.score is not None), Decimal(0))
        attempt.state = AttemptState.SUBMITTED if any(i.needs_marking for i in items) else AttemptState.MARKED
        attempt.flags = speed_flags(items)
        attempt.save(update_fields=["submitted_at", "auto_submitted", "score", "state", "flags"])
        person = getattr(attempt.user, "person", None)
        audit_record(actor=actor if actor is not None else attempt.user, event=AuditEvent.EXAM_ATTEMPT_SUBMITTED,
                     target=attempt, new={"score": str(attempt.score), "auto": attempt.auto_submitted},
                     unit_path=person.unit.path if person else "")
        attempt_submitted.send(sender=Attempt, attempt=attempt, passed=passed(attempt))
    return attempt


def submit_lapsed(*, now: dt.datetime | None = None, paper: Paper | None = None, user: Any = None) -> int:
    """Submit every running attempt past its deadline (called by reads, ``mofan exams_sweep`` and Celery
    beat). Returns how many were submitted."""
    moment = _now(now)
    lapsed = Attempt.objects.filter(state=AttemptState.IN_PROGRESS, deadline__lte=moment)
    if paper is not None:
        lapsed = lapsed.filter(paper=paper)
    if user is not None:
        lapsed = lapsed.filter(user=user)
    count = 0
    for attempt in lapsed.order_by("pk"):
        attempt_submit(actor=None, attempt=attempt, now=moment)
        count += 1
    if count and paper is None and user is None:
        audit_record(actor=None, event=AuditEvent.EXAM_SWEEP, new={"submitted": count})
    return count


def answer_mark(*, actor: Any, item: AttemptItem, score: Any, now: dt.datetime | None = None) -> AttemptItem:
    """阅卷: a marker gives a short answer 0 … its points. When the attempt's last short answer is marked the
    attempt is marked and ``attempt_submitted`` is sent again with ``passed``."""
    attempt = item.attempt
    paper = attempt.paper
    ensure_can(actor, Action.EXAM_MANAGE, paper.unit, target=attempt)
    if attempt.state == AttemptState.IN_PROGRESS:
        raise ValidationError(_("The attempt has not been submitted yet."))
    if item.question.qtype != QuestionType.SHORT:
        raise ValidationError(_("Only short answers are marked by hand."))
    errors: dict[str, list[str]] = {}
    value = _decimal(score, "score", errors)
    if not errors and value > item.points:
        errors["score"] = [_("Give a score from 0 to %(points)s.") % {"points": item.points}]
    if errors:
        raise ValidationError(errors)
    old = item.score
    with transaction.atomic():
        item.score, item.needs_marking, item.marked_by, item.marked_at = value, False, actor, _now(now)
        item.save(update_fields=["score", "needs_marking", "marked_by", "marked_at"])
        locked = Attempt.objects.select_for_update(of=("self",)).select_related("paper").get(pk=attempt.pk)
        scores = list(locked.items.values_list("score", "needs_marking"))
        locked.score = sum((s for s, _n in scores if s is not None), Decimal(0))
        done = not any(n for _s, n in scores)
        if done:
            locked.state = AttemptState.MARKED
        locked.save(update_fields=["score", "state"])
        audit_record(actor=actor, event=AuditEvent.EXAM_ANSWER_MARKED, target=locked,
                     old={"score": str(old) if old is not None else ""}, new={"score": str(value)},
                     unit_path=paper.unit_path)
        if done:
            attempt_submitted.send(sender=Attempt, attempt=locked, passed=passed(locked))
    item.attempt = locked
    return item


def counted_score(grading: str, scores: Sequence[Decimal | None]) -> Decimal | None:
    """The score that counts for a learner (计分方式): the highest, the last, or the average of their finished
    attempts (in attempt order); None before any is finished."""
    finished = [s for s in scores if s is not None]
    if not finished:
        return None
    if grading == Grading.LAST:
        return finished[-1]
    if grading == Grading.AVERAGE:
        return (sum(finished, Decimal(0)) / len(finished)).quantize(CENT)
    return max(finished)
