"""Reads on competitions, through the actor.

- An organiser (CONTEST_MANAGE) sees the competitions organised in their jurisdiction; a contestant sees the
  competitions they have an entry in. Anything else is a 404.
- A round's leaderboard is one ordered query over the kept scores (index (round, -score, seconds_used, id));
  a contestant's own rank is one count of the entries ranked before them.
- Team totals: per team (the entry's ``team``, or its branch when it has none), the sum of the best
  ``competition.team_best_k`` scores of the round — all of them when ``team_best_k`` is empty — with the number
  of contestants; one query.
- Answers: a contestant reads only their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Case, F, Q, QuerySet, Subquery, Value, When, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from mofan.accounts.permissions import can, scope_filter
from mofan.accounts.roles import Action
from mofan.contests.models import Answer, Competition, Entry, Outcome, Round, RoundQuestion


def _user_id(actor: Any) -> int | None:
    return actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None


def competition_list(*, actor: Any) -> QuerySet[Competition]:
    visible = scope_filter(actor, Action.CONTEST_MANAGE, "unit_path")
    uid = _user_id(actor)
    if uid is not None:
        visible |= Q(pk__in=Entry.objects.filter(user_id=uid).values("round__competition_id"))
    return Competition.objects.filter(visible).select_related("unit").order_by("-created_at", "-id")


def competition_get(*, actor: Any, pk: Any) -> Competition:
    competition = competition_list(actor=actor).filter(pk=pk).first()
    if competition is None:
        raise Http404
    return competition


def can_manage(actor: Any, competition: Competition) -> bool:
    return can(actor, Action.CONTEST_MANAGE, competition.unit_path)


def ensure_manager(actor: Any, competition: Competition) -> Competition:
    """The competition, when the actor organises it; PermissionDenied when they only see it."""
    if not can_manage(actor, competition):
        raise PermissionDenied
    return competition


_ROUND_WITH = ("competition", "current_question__question")  # what the pages and the API read of a round


def round_get(*, actor: Any, competition: Competition, pk: Any) -> Round:
    rnd = Round.objects.filter(competition=competition, pk=pk).select_related(*_ROUND_WITH).first()
    if rnd is None:
        raise Http404
    return rnd


def round_by_id(*, actor: Any, pk: Any) -> Round:
    """A round of a competition the actor sees (404 otherwise), by its own id (the API's addresses)."""
    rnd = Round.objects.filter(pk=pk, competition__in=competition_list(actor=actor)).select_related(*_ROUND_WITH).first()
    if rnd is None:
        raise Http404
    return rnd


def round_entries(*, actor: Any, round: Round) -> QuerySet[Entry]:
    """All entries of a round, ranked, for the organiser (others: nothing)."""
    if not can_manage(actor, round.competition):
        return Entry.objects.none()
    return (Entry.objects.filter(round=round).select_related("user", "unit", "heat")
            .order_by("-score", "seconds_used", "id"))


@dataclass(frozen=True)
class ResultRow:
    """One contestant's result in a round, as the results ledger (成绩表) shows it."""

    rank: int
    name: str
    unit: str
    team: str
    heat: str
    score: Decimal
    seconds_used: Decimal
    answered: int
    outcome: str
    qualified: bool


RESULT_HEADERS = (_("Rank"), _("Name"), _("Branch"), _("Team"), _("Heat"), _("Score"), _("Seconds used"),
                  _("Answered"), _("Outcome"))


def round_results(*, actor: Any, round: Round, offset: int = 0, limit: int | None = None) -> Iterator[ResultRow]:
    """Every contestant of a round, ranked (the stored rank once qualified, else the place in the ranking), for
    the organiser (others: nothing): the rows of the results export and of the API. Read in chunks, so a
    round of tens of thousands streams."""
    entries = (round_entries(actor=actor, round=round)
               .values_list("rank", "user__display_name", "unit__name", "team", "heat__name", "score",
                            "seconds_used", "answered", "outcome", "qualified"))
    outcomes = dict(Outcome.choices)
    window = entries[offset:offset + limit] if limit is not None else entries[offset:]
    for place, row in enumerate(window.iterator(chunk_size=2000), offset + 1):
        rank, name, unit, team, heat, score, seconds, answered, outcome, qualified = row
        yield ResultRow(rank or place, name, unit, team, heat or "", score, seconds, answered,
                        str(outcomes.get(outcome, "")), qualified)


def my_entries(*, actor: Any) -> QuerySet[Entry]:
    uid = _user_id(actor)
    if uid is None:
        return Entry.objects.none()
    return (Entry.objects.filter(user_id=uid).select_related("round__competition", "heat")
            .order_by("-round__starts_at", "-id"))


def my_entry(*, actor: Any, round: Round) -> Entry | None:
    uid = _user_id(actor)
    if uid is None:
        return None
    return Entry.objects.filter(round=round, user_id=uid).select_related("round", "heat").first()


def round_questions(*, round: Round) -> list[RoundQuestion]:
    return list(RoundQuestion.objects.filter(round=round).select_related("question").order_by("order"))


def entry_answers(*, actor: Any, entry: Entry) -> QuerySet[Answer]:
    """The answers of an entry: its contestant's own, or any of them for the organiser."""
    if entry.user_id == _user_id(actor) or can(actor, Action.CONTEST_MANAGE, entry.round.competition.unit_path):
        return Answer.objects.filter(entry=entry).order_by("round_question__order")
    return Answer.objects.none()


@dataclass(frozen=True)
class BoardRow:
    rank: int
    entry_id: int
    name: str
    unit: str
    team: str
    score: Decimal
    seconds_used: Decimal
    answered: int


def can_read_board(actor: Any, round: Round) -> bool:
    uid = _user_id(actor)
    return can_manage(actor, round.competition) or (
        uid is not None and Entry.objects.filter(round__competition_id=round.competition_id, user_id=uid).exists())


def leaderboard(*, round: Round, limit: int = 10) -> list[BoardRow]:
    """The top ``limit`` of a round with their ranks: one query. The caller checks ``can_read_board``."""
    rows = (Entry.objects.filter(round=round).order_by("-score", "seconds_used", "id")
            .values_list("id", "user__display_name", "unit__name", "team", "score", "seconds_used", "answered")
            [:limit])
    return [BoardRow(rank, *row) for rank, row in enumerate(rows, 1)]


def own_rank(*, entry: Entry) -> int:
    """1 + the entries ranked before this one (fresh scores from the database): one query."""
    current = Entry.objects.filter(pk=entry.pk)
    score = Subquery(current.values("score")[:1])
    seconds = Subquery(current.values("seconds_used")[:1])
    ahead = Entry.objects.filter(round_id=entry.round_id).filter(
        Q(score__gt=score) | Q(score=score, seconds_used__lt=seconds)
        | Q(score=score, seconds_used=seconds, id__lt=entry.pk))
    return ahead.count() + 1


@dataclass(frozen=True)
class TeamTotal:
    team: str
    total: Decimal
    counted: int
    contestants: int


def team_totals(*, round: Round) -> list[TeamTotal]:
    """Per team (``team`` or the branch's name), the sum of its best k scores (k = the competition's
    ``team_best_k``; all when empty), best total first; one query."""
    best_k = round.competition.team_best_k
    rows = (Entry.objects.filter(round=round)
            .annotate(team_key=F("team"), branch=F("unit__name"),
                      place=Window(RowNumber(), partition_by=[F("team"), Case(When(team="", then=F("unit_id")), default=Value(0))],
                                   order_by=[F("score").desc(), F("seconds_used").asc(), F("id").asc()]))
            .values_list("team_key", "branch", "score", "place"))
    totals: dict[str, list[Any]] = {}
    for team, branch, score, place in rows:
        key = team or branch
        item = totals.setdefault(key, [Decimal(0), 0, 0])
        item[2] += 1
        if best_k is None or place <= best_k:
            item[0] += score
            item[1] += 1
    result = [TeamTotal(key, total, counted, people) for key, (total, counted, people) in totals.items()]
    return sorted(result, key=lambda t: (-t.total, t.team))
