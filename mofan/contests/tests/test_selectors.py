from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.http import Http404

from mofan.contests import selectors, services
from mofan.contests.models import Answer, Entry, RoundQuestion
from mofan.core.figures import FigureScope, get

pytestmark = pytest.mark.django_db


def _scored(contest: Any, rows: list[tuple[Any, int, int, str]]) -> list[Entry]:
    """Enrol (unit, score, seconds, team) rows and set their kept scores."""
    entries = []
    for i, (unit, score, seconds, team) in enumerate(rows):
        user = contest.learner(unit, name=f"选手{i}")
        services.enrol(actor=contest.organiser, round=contest.heats, users=[user], team=team)
        entry = Entry.objects.get(round=contest.heats, user=user)
        Entry.objects.filter(pk=entry.pk).update(score=score, seconds_used=seconds)
        entries.append(entry)
    return entries


def test_leaderboard_order_ranks_and_query_counts(contest: Any, django_assert_max_num_queries: Any) -> None:
    d = contest.district
    entries = _scored(contest, [(d.village_a1, 30, 20, ""), (d.village_a1, 40, 50, ""), (d.village_a2, 40, 30, ""),
                                (d.village_a2, 30, 20, ""), (d.village_a2, 10, 5, "")])
    with django_assert_max_num_queries(1):
        board = selectors.leaderboard(round=contest.heats, limit=3)
    assert [(r.rank, r.name, r.score) for r in board] == [(1, "选手2", 40), (2, "选手1", 40), (3, "选手0", 30)]
    assert board[0].unit == "村二"
    with django_assert_max_num_queries(1):
        ranks = [selectors.own_rank(entry=e) for e in entries[:1]]
    assert ranks == [3]
    assert [selectors.own_rank(entry=e) for e in entries] == [3, 2, 1, 4, 5]


def test_team_totals_best_k_and_all(contest: Any) -> None:
    d = contest.district
    _scored(contest, [(d.village_a1, 40, 1, ""), (d.village_a1, 40, 2, ""), (d.village_a1, 35, 3, ""),
                      (d.village_a2, 30, 1, ""), (d.village_a2, 25, 1, ""), (d.village_a2, 50, 9, "青年突击队")])
    totals = selectors.team_totals(round=contest.heats)
    assert [(t.team, t.total, t.counted, t.contestants) for t in totals] == [
        ("村一", Decimal(115), 3, 3), ("村二", Decimal(55), 2, 2), ("青年突击队", Decimal(50), 1, 1)]
    contest.competition.team_best_k = 2
    contest.competition.save(update_fields=["team_best_k"])
    contest.heats.refresh_from_db()
    best = selectors.team_totals(round=contest.heats)
    assert [(t.team, t.total, t.counted, t.contestants) for t in best] == [
        ("村一", Decimal(80), 2, 3), ("村二", Decimal(55), 2, 2), ("青年突击队", Decimal(50), 1, 1)]


def test_isolation_of_competitions_and_answers(contest: Any, make_user: Any) -> None:
    me, rival = contest.learner(), contest.learner()
    services.enrol(actor=contest.organiser, round=contest.heats, users=[me, rival])
    services.round_open(actor=contest.organiser, round=contest.heats)
    rq = RoundQuestion.objects.filter(round=contest.heats).first()
    mine, theirs = (Entry.objects.get(round=contest.heats, user=u) for u in (me, rival))
    services.answer_submit(actor=me, entry=mine, round_question=rq, response="A", now=contest.now)
    services.answer_submit(actor=rival, entry=theirs, round_question=rq, response="B", now=contest.now)

    other_town = make_user("secretary", contest.district.town_b)
    assert list(selectors.competition_list(actor=other_town)) == []
    with pytest.raises(Http404):
        selectors.competition_get(actor=other_town, pk=contest.competition.pk)
    assert list(selectors.round_entries(actor=other_town, round=contest.heats)) == []
    assert list(selectors.entry_answers(actor=other_town, entry=mine)) == []
    assert not selectors.can_read_board(other_town, contest.heats)

    assert list(selectors.competition_list(actor=me)) == [contest.competition]
    assert [a.response for a in selectors.entry_answers(actor=me, entry=mine)] == ["A"]
    assert list(selectors.entry_answers(actor=me, entry=theirs)) == []
    assert [e.pk for e in selectors.my_entries(actor=me)] == [mine.pk]
    outsider = contest.learner(contest.district.village_b1)
    assert list(selectors.competition_list(actor=outsider)) == []
    assert selectors.round_entries(actor=contest.organiser, round=contest.heats).count() == 2
    assert Answer.objects.count() == 2


def test_advancers_figure(contest: Any, make_user: Any) -> None:
    d = contest.district
    _scored(contest, [(d.village_a1, 40, 1, ""), (d.village_a2, 30, 1, ""), (d.village_a2, 20, 1, "")])
    services.round_open(actor=contest.organiser, round=contest.heats)
    services.round_close(actor=contest.organiser, round=contest.heats)
    services.qualify(actor=contest.organiser, round=contest.heats)
    today = contest.now.date()
    period = FigureScope(unit=None, start=today - dt.timedelta(days=1), end=today + dt.timedelta(days=1))
    figure = get("contests.advancers")
    assert figure.value(contest.organiser, period) == 2
    village_a2 = FigureScope(unit=d.village_a2, start=period.start, end=period.end)
    assert figure.value(contest.organiser, village_a2) == 1
    assert figure.value(make_user("secretary", d.town_b), period) == 0
    last_year = FigureScope(unit=None, start=today - dt.timedelta(days=400), end=today - dt.timedelta(days=300))
    assert figure.value(contest.organiser, last_year) == 0
    held = get("contests.held")
    assert held.value(contest.organiser, period) == 1
    assert held.value(make_user("secretary", d.town_b), period) == 0
