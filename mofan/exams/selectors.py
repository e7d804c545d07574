"""Reads on tests, always through the actor.

- A learner sees the published tests whose audience they are in, and only their own attempts.
- An organiser sees a paper when its unit lies in their EXAM_MANAGE scope, or when the paper's audience
  reaches into that scope (a branch secretary follows a district test in their branch); either way the
  results, flags, marking queue and the unfinished list hold only learners whose ``person.unit.path`` lies in
  the organiser's scope. Outside: 404.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from mofan.accounts.models import User
from mofan.accounts.permissions import scope_filter, scope_paths
from mofan.accounts.roles import ROLE_ACTIONS, Action
from mofan.exams import analysis
from mofan.exams.models import Attempt, AttemptItem, AttemptState, Feedback, Paper, PaperState
from mofan.exams.services import counted_score, submit_lapsed
from mofan.org.models import PATH_SEGMENT, Unit
from mofan.questions.marking import mark

LEARNER_ROLES = [role for role, actions in ROLE_ACTIONS.items() if Action.LEARN in actions]


def _prefixes(path: str) -> list[str]:
    return [path[: i + PATH_SEGMENT] for i in range(0, len(path), PATH_SEGMENT)]


# Learners ------------------------------------------------------------------------------------------------


def learner_papers(*, actor: Any) -> QuerySet[Paper]:
    person = getattr(actor, "person", None)
    if person is None or not scope_paths(actor, Action.LEARN):
        return Paper.objects.none()
    return Paper.objects.filter(state__in=[PaperState.PUBLISHED, PaperState.CLOSED],
                                unit_path__in=_prefixes(person.unit.path)).select_related("unit")


def learner_paper_get(*, actor: Any, pk: Any) -> Paper:
    paper = learner_papers(actor=actor).filter(pk=pk).first()
    if paper is None:
        raise Http404
    return paper


def _closed(paper: Paper, now: dt.datetime | None) -> bool:
    return paper.state == PaperState.CLOSED or (now or timezone.now()) >= paper.closes_at


def feedback_open(paper: Paper, now: dt.datetime | None = None) -> bool:
    """May a learner see the right answers and explanations? (immediately; after the close; never)"""
    if paper.feedback == Feedback.IMMEDIATELY:
        return True
    return paper.feedback == Feedback.AFTER_CLOSE and _closed(paper, now)


def score_visible(paper: Paper, now: dt.datetime | None = None) -> bool:
    """May a learner see their score? On submitting when feedback is immediate, otherwise after the close."""
    return paper.feedback == Feedback.IMMEDIATELY or _closed(paper, now)


@dataclass
class MyPaper:
    paper: Paper
    attempts: list[Attempt]
    running: Attempt | None
    attempts_left: int
    counted: Decimal | None
    passed: bool | None
    show_score: bool


@dataclass
class MyPapers:
    open: list[MyPaper] = field(default_factory=list)
    upcoming: list[MyPaper] = field(default_factory=list)
    finished: list[MyPaper] = field(default_factory=list)


def my_papers(*, actor: Any, now: dt.datetime | None = None) -> MyPapers:
    """我的测试: open now, upcoming, finished — with my result where the feedback rule allows."""
    moment = now or timezone.now()
    submit_lapsed(now=moment, user=actor)
    papers = list(learner_papers(actor=actor).order_by("-opens_at")[:200])
    attempts: dict[int, list[Attempt]] = defaultdict(list)
    for attempt in Attempt.objects.filter(user=actor, paper__in=papers).order_by("number"):
        attempts[attempt.paper_id].append(attempt)
    result = MyPapers()
    for paper in papers:
        mine = attempts[paper.pk]
        running = next((a for a in mine if a.state == AttemptState.IN_PROGRESS), None)
        counted = counted_score(paper.grading, [a.score for a in mine if a.state == AttemptState.MARKED])
        entry = MyPaper(paper=paper, attempts=mine, running=running,
                        attempts_left=max(0, paper.attempts_allowed - len(mine)), counted=counted,
                        passed=None if counted is None else counted >= paper.pass_score,
                        show_score=score_visible(paper, moment))
        is_open = paper.state == PaperState.PUBLISHED and paper.opens_at <= moment < paper.closes_at
        if is_open and (running is not None or entry.attempts_left > 0):
            result.open.append(entry)
        elif paper.state == PaperState.PUBLISHED and moment < paper.opens_at:
            result.upcoming.append(entry)
        else:
            result.finished.append(entry)
    return result


def learner_attempt_get(*, actor: Any, pk: Any, now: dt.datetime | None = None) -> Attempt:
    attempt = (Attempt.objects.select_related("paper", "paper__unit").filter(pk=pk, user=actor).first()
               if actor is not None and actor.is_authenticated else None)
    if attempt is None:
        raise Http404
    if attempt.state == AttemptState.IN_PROGRESS and submit_lapsed(now=now, paper=attempt.paper, user=actor):
        attempt.refresh_from_db()
    return attempt


@dataclass
class ResultItem:
    item: AttemptItem
    right: bool | None

    @property
    def shown(self) -> str:
        """The response as text: choices and blanks joined."""
        response = self.item.response
        if isinstance(response, list):
            return "、".join(str(r) for r in response)
        return "" if response is None else str(response)


def attempt_items(attempt: Attempt) -> list[AttemptItem]:
    return list(attempt.items.select_related("question").order_by("order"))


def result_items(attempt: Attempt) -> list[ResultItem]:
    out = []
    for item in attempt_items(attempt):
        fraction = mark(item.question.qtype, item.question.answers, item.response)
        out.append(ResultItem(item=item, right=None if fraction is None else fraction == 1))
    return out


# Organisers ----------------------------------------------------------------------------------------------


def organiser_papers(*, actor: Any) -> QuerySet[Paper]:
    """Papers set in the actor's EXAM_MANAGE scope, or whose audience reaches into it."""
    roots = scope_paths(actor, Action.EXAM_MANAGE)
    if not roots:
        return Paper.objects.none()
    above = {prefix for root in roots for prefix in _prefixes(root)}
    followed = Q(unit_path__in=above) & ~Q(state=PaperState.DRAFT)  # a draft is its organisers' business
    return Paper.objects.filter(scope_filter(actor, Action.EXAM_MANAGE, "unit_path") | followed)


def organiser_paper_get(*, actor: Any, pk: Any) -> Paper:
    paper = organiser_papers(actor=actor).select_related("unit").filter(pk=pk).first()
    if paper is None:
        raise Http404
    return paper


def audience(*, actor: Any, paper: Paper) -> QuerySet[User]:
    """The learners of the paper's audience within the actor's scope: active accounts linked to a person
    under the paper's unit, holding a learner's role."""
    return (User.objects.filter(is_active=True, person__unit__path__startswith=paper.unit_path,
                                memberships__role__in=LEARNER_ROLES)
            .filter(scope_filter(actor, Action.EXAM_MANAGE, "person__unit__path"))
            .distinct())


@dataclass
class PersonResult:
    user_id: int
    name: str
    unit_id: int
    unit_name: str
    unit_path: str
    attempts: int
    counted: Decimal | None
    passed: bool | None
    waiting: bool  # an attempt waits for marking
    flags: list[str]
    attempt_ids: list[int]


def results_by_person(*, actor: Any, paper: Paper, now: dt.datetime | None = None) -> list[PersonResult]:
    """One row per learner in the actor's scope with a submitted attempt, with the counted score and flags."""
    submit_lapsed(now=now, paper=paper)
    attempts = (Attempt.objects.filter(paper=paper).exclude(state=AttemptState.IN_PROGRESS)
                .filter(scope_filter(actor, Action.EXAM_MANAGE, "user__person__unit__path"))
                .select_related("user__person__unit").order_by("user_id", "number"))
    per_user: dict[int, list[Attempt]] = defaultdict(list)
    for attempt in attempts:
        per_user[attempt.user_id].append(attempt)
    identical = identical_attempts(paper=paper, attempt_ids=[a.pk for a in attempts])
    rows = []
    for mine in per_user.values():
        user = mine[0].user
        counted = counted_score(paper.grading, [a.score for a in mine if a.state == AttemptState.MARKED])
        flags = sorted({f for a in mine for f in a.flags} | ({"identical"} if any(a.pk in identical for a in mine)
                                                             else set()))
        unit = user.person.unit if user.person else None
        rows.append(PersonResult(
            user_id=user.pk, name=user.display_name, unit_id=unit.pk if unit else 0,
            unit_name=unit.name if unit else "", unit_path=unit.path if unit else "", attempts=len(mine),
            counted=counted, passed=None if counted is None else counted >= paper.pass_score,
            waiting=any(a.state == AttemptState.SUBMITTED for a in mine), flags=flags,
            attempt_ids=[a.pk for a in mine]))
    rows.sort(key=lambda r: (r.unit_path, r.name))
    return rows


@dataclass
class GroupResult:
    unit_id: int
    name: str
    audience: int
    participants: int
    average: Decimal | None
    pass_rate: Decimal | None  # percent of participants with a counted score who passed


def _group(name: str, unit_id: int, audience_count: int, rows: list[PersonResult]) -> GroupResult:
    scored = [r.counted for r in rows if r.counted is not None]
    passed = [r for r in rows if r.passed]
    return GroupResult(
        unit_id=unit_id, name=name, audience=audience_count, participants=len(rows),
        average=(sum(scored, Decimal(0)) / len(scored)).quantize(Decimal("0.01")) if scored else None,
        pass_rate=(Decimal(100 * len(passed)) / len(scored)).quantize(Decimal("0.1")) if scored else None)


def results_by_branch(*, actor: Any, paper: Paper, rows: list[PersonResult] | None = None) -> list[GroupResult]:
    """Per branch (the learner's own unit)."""
    rows = rows if rows is not None else results_by_person(actor=actor, paper=paper)
    counts: dict[int, int] = defaultdict(int)
    names: dict[int, str] = {}
    for unit_id, unit_name in audience(actor=actor, paper=paper).values_list("person__unit_id", "person__unit__name"):
        counts[unit_id] += 1
        names[unit_id] = unit_name
    by_unit: dict[int, list[PersonResult]] = defaultdict(list)
    for row in rows:
        by_unit[row.unit_id].append(row)
        names.setdefault(row.unit_id, row.unit_name)
    return [_group(names[u], u, counts.get(u, 0), by_unit.get(u, [])) for u in sorted(names, key=lambda u: names[u])]


def results_by_unit(*, actor: Any, paper: Paper, rows: list[PersonResult] | None = None) -> list[GroupResult]:
    """Per unit subtree: the paper unit's children (or, for an organiser below the paper's unit, the children
    of their scope roots), each with everything under it."""
    rows = rows if rows is not None else results_by_person(actor=actor, paper=paper)
    roots = [r for r in scope_paths(actor, Action.EXAM_MANAGE) if r.startswith(paper.unit_path)]
    parents = roots or [paper.unit_path]
    units = list(Unit.objects.filter(parent__path__in=parents).order_by("path"))
    paths = list(audience(actor=actor, paper=paper).values_list("person__unit__path", flat=True))
    return [_group(u.name, u.pk, sum(1 for p in paths if p.startswith(u.path)),
                   [r for r in rows if r.unit_path.startswith(u.path)]) for u in units]


def identical_attempts(*, paper: Paper, attempt_ids: list[int]) -> dict[int, list[int]]:
    """Among all submitted attempts of the paper, those of ``attempt_ids`` whose stream another attempt shares."""
    streams: dict[int, list[tuple[int, Any, bool]]] = defaultdict(list)
    items = (AttemptItem.objects.filter(attempt__paper=paper).exclude(attempt__state=AttemptState.IN_PROGRESS)
             .select_related("question").order_by("attempt_id", "question_id"))
    for item in items:
        fraction = mark(item.question.qtype, item.question.answers, item.response)
        streams[item.attempt_id].append((item.question_id, item.response, fraction == 1))
    wanted = set(attempt_ids)
    return {a: others for a, others in analysis.identical_streams(streams).items() if a in wanted}


def unfinished(*, actor: Any, paper: Paper) -> QuerySet[User]:
    """未完成名单: learners of the audience in the actor's scope without a submitted attempt."""
    done = Attempt.objects.filter(paper=paper).exclude(state=AttemptState.IN_PROGRESS).values("user_id")
    return (audience(actor=actor, paper=paper).exclude(pk__in=done)
            .select_related("person__unit").order_by("person__unit__path", "display_name"))


def unfinished_with_state(*, actor: Any, paper: Paper) -> list[tuple[User, bool]]:
    """The 未完成名单 as the export and the API give it: each learner, and whether they have an attempt running."""
    people = list(unfinished(actor=actor, paper=paper))
    running = set(paper.attempts.filter(state=AttemptState.IN_PROGRESS).values_list("user_id", flat=True))
    return [(user, user.pk in running) for user in people]


def marking_queue(*, actor: Any, paper: Paper | None = None) -> QuerySet[AttemptItem]:
    """Short answers waiting for a marker, of papers set in the actor's scope."""
    items = (AttemptItem.objects.filter(needs_marking=True)
             .filter(scope_filter(actor, Action.EXAM_MANAGE, "attempt__paper__unit_path"))
             .select_related("question", "attempt__paper", "attempt__user"))
    if paper is not None:
        items = items.filter(attempt__paper=paper)
    return items.order_by("attempt__submitted_at", "pk")


def marking_item_get(*, actor: Any, pk: Any) -> AttemptItem:
    item = marking_queue(actor=actor).filter(pk=pk).first()
    if item is None:
        item = (AttemptItem.objects.filter(pk=pk, question__qtype="short")
                .filter(scope_filter(actor, Action.EXAM_MANAGE, "attempt__paper__unit_path"))
                .select_related("question", "attempt__paper", "attempt__user").first())
    if item is None:
        raise Http404
    return item


def item_analysis(*, actor: Any, paper: Paper) -> analysis.PaperAnalysis:
    """试题分析 over the finished attempts of learners in the actor's scope."""
    rows = (AttemptItem.objects.filter(attempt__paper=paper, attempt__state=AttemptState.MARKED)
            .filter(scope_filter(actor, Action.EXAM_MANAGE, "attempt__user__person__unit__path"))
            .values_list("attempt_id", "question_id", "question__stem", "question__qtype", "score", "points"))
    return analysis.analyse(rows)

