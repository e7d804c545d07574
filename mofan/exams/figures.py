"""Figures of tests (see ``mofan.core.figures``).

- ``exams.held`` (举办测试x次): published or closed tests set by the unit (or below it) that closed in the period;
- ``exams.participants`` (参考x人): learners of the unit with a submitted attempt of a test that closed in the
  period, each counted once (whichever level set the test);
- ``exams.pass_rate`` (合格率): of those participants' (learner, test) results already marked, the share whose
  counted score reached the pass score, in percent.

Readers need LEARNING_VIEW or EXAM_MANAGE over the rows' units.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from mofan.accounts.permissions import scope_filter
from mofan.accounts.roles import Action
from mofan.core.figures import Figure, FigureScope, register
from mofan.exams.models import Attempt, AttemptState, Paper, PaperState
from mofan.exams.services import counted_score


def _scope(actor: Any, field: str) -> Q:
    return scope_filter(actor, Action.LEARNING_VIEW, field) | scope_filter(actor, Action.EXAM_MANAGE, field)


def held_rows(actor: Any, scope: FigureScope) -> QuerySet[Paper]:
    first, after = scope.bounds()
    return (Paper.objects.filter(_scope(actor, "unit_path"), unit_path__startswith=scope.unit_path,
                                 state__in=[PaperState.PUBLISHED, PaperState.CLOSED], closes_at__gte=first,
                                 closes_at__lt=after)
            .select_related("unit").order_by("-closes_at", "-pk"))


def participant_rows(actor: Any, scope: FigureScope) -> QuerySet[Attempt]:
    """The submitted attempts behind the participants figure."""
    first, after = scope.bounds()
    return (Attempt.objects.filter(_scope(actor, "user__person__unit__path"),
                                   user__person__unit__path__startswith=scope.unit_path,
                                   paper__closes_at__gte=first, paper__closes_at__lt=after)
            .exclude(state=AttemptState.IN_PROGRESS)
            .select_related("paper", "user").order_by("paper_id", "user_id", "number"))


def participant_count(actor: Any, scope: FigureScope) -> int:
    return participant_rows(actor, scope).order_by().values("user_id").distinct().count()


def pass_rate(actor: Any, scope: FigureScope) -> Decimal:
    scores: dict[tuple[int, int], list[Decimal | None]] = defaultdict(list)
    rules: dict[int, tuple[str, Decimal]] = {}
    rows = participant_rows(actor, scope).filter(state=AttemptState.MARKED).values_list(
        "paper_id", "user_id", "score", "paper__grading", "paper__pass_score")
    for paper_id, user_id, score, grading, pass_score in rows:
        scores[(paper_id, user_id)].append(score)
        rules[paper_id] = (grading, pass_score)
    if not scores:
        return Decimal(0)
    passed = 0
    for (paper_id, _user_id), mine in scores.items():
        grading, pass_score = rules[paper_id]
        counted = counted_score(grading, mine)
        passed += counted is not None and counted >= pass_score
    return (Decimal(100 * passed) / len(scores)).quantize(Decimal("0.1"))


HELD = register(Figure(
    key="exams.held", label=_("Tests held"), unit=_("tests"),
    definition=_("Published tests set by the unit or below it that closed in the period."),
    rows=held_rows))

PARTICIPANTS = register(Figure(
    key="exams.participants", label=_("Test participants"), unit=_("people"),
    definition=_("Learners of the unit who submitted an attempt of a test that closed in the period, each counted "
                 "once."),
    rows=participant_rows, compute=participant_count))

PASS_RATE = register(Figure(
    key="exams.pass_rate", label=_("Test pass rate"), unit="%",
    definition=_("Of the marked results of the unit's learners in tests that closed in the period, the share whose "
                 "counted score reached the pass score."),
    rows=participant_rows, compute=pass_rate))
