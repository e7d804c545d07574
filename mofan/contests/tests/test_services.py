from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.contests import services
from mofan.contests.models import Answer, Competition, Entry, Heat, Outcome, RoundQuestion, RoundState
from mofan.learning import points
from mofan.learning.models import PointsAward

pytestmark = pytest.mark.django_db


def _audit(event: Any) -> AuditLog | None:
    return AuditLog.objects.filter(event_id=event.id).order_by("-id").first()


def _counts() -> tuple[int, int, list[Any]]:
    return (Answer.objects.count(), Entry.objects.count(),
            list(Entry.objects.order_by("pk").values_list("score", "answered", "seconds_used")))


def test_competition_create_is_audited_and_refused_outside(district: Any, make_user: Any) -> None:
    organiser = make_user("secretary", district.town_a)
    competition = services.competition_create(actor=organiser, unit=district.town_a, name="岗位大练兵", kind="drill")
    row = _audit(AuditEvent.CONTEST_CHANGED)
    assert row is not None and row.target_id == str(competition.pk) and row.actor == organiser
    other = make_user("secretary", district.town_b)
    with pytest.raises(PermissionDenied):
        services.competition_create(actor=other, unit=district.town_a, name="越权", kind="drill")
    with pytest.raises(ValidationError):
        services.competition_create(actor=organiser, unit=district.town_a, name=" ", kind="drill")
    assert Competition.objects.count() == 1


def test_enrol_units_and_named_learners_nobody_twice(contest: Any) -> None:
    d = contest.district
    a1, a2 = contest.learner(d.village_a1), contest.learner(d.village_a2)
    result = services.enrol(actor=contest.organiser, round=contest.heats, units=[d.town_a])
    assert (result.added, result.already) == (2, 0)
    row = _audit(AuditEvent.CONTEST_ENROLLED)
    assert row is not None and row.new_values is not None and row.new_values["added"] == 2
    again = services.enrol(actor=contest.organiser, round=contest.heats, units=[d.village_a1], users=[a2])
    assert (again.added, again.already) == (0, 2)
    entry = Entry.objects.get(user=a1)
    assert entry.unit == d.village_a1 and entry.unit_path == d.village_a1.path
    stranger = contest.learner(d.village_b1)
    before = _counts()
    with pytest.raises(ValidationError, match="not a learner of the organising unit"):
        services.enrol(actor=contest.organiser, round=contest.heats, users=[stranger])
    with pytest.raises(ValidationError, match="Not under the organising unit"):
        services.enrol(actor=contest.organiser, round=contest.heats, units=[d.town_b])
    assert _counts() == before


def _entered(contest: Any, *learners: Any) -> list[Entry]:
    services.enrol(actor=contest.organiser, round=contest.heats, users=list(learners))
    services.round_open(actor=contest.organiser, round=contest.heats)
    return [Entry.objects.get(round=contest.heats, user=u) for u in learners]


def test_answers_score_and_add_up_without_lost_updates(contest: Any) -> None:
    me = contest.learner()
    (entry,) = _entered(contest, me)
    rqs = list(RoundQuestion.objects.filter(round=contest.heats).order_by("order"))
    now = contest.now
    first = services.answer_submit(actor=me, entry=entry, round_question=rqs[0], response="A", now=now)
    # The same stale Entry object for the second call: the F() update adds to the stored score.
    second = services.answer_submit(actor=me, entry=entry, round_question=rqs[1], response="B",
                                    now=now + dt.timedelta(seconds=3))
    third = services.answer_submit(actor=me, entry=entry, round_question=rqs[2], response="A",
                                   now=now + dt.timedelta(seconds=5))
    assert (first.score, second.score, third.score) == (Decimal(10), Decimal(0), Decimal(10))
    assert second.elapsed_ms == 3000 and third.elapsed_ms == 2000
    entry.refresh_from_db()
    assert entry.score == Decimal(20) and entry.answered == 3
    assert entry.seconds_used == Decimal(first.elapsed_ms) / 1000 + Decimal(5)


def test_refused_answers_change_nothing(contest: Any) -> None:
    me, other = contest.learner(), contest.learner()
    entry, other_entry = _entered(contest, me, other)
    rq = RoundQuestion.objects.filter(round=contest.heats).order_by("order").first()
    services.answer_submit(actor=me, entry=entry, round_question=rq, response="A", now=contest.now)
    services.round_set_questions(actor=contest.organiser, round=contest.final, questions=contest.questions[:2])
    foreign = RoundQuestion.objects.filter(round=contest.final).first()
    second = RoundQuestion.objects.filter(round=contest.heats, order=2).get()
    before = _counts()
    cases = [
        (dict(entry=entry, round_question=rq, now=contest.now), "already answered"),
        (dict(entry=entry, round_question=foreign, now=contest.now), "not part of the round"),
        (dict(entry=entry, round_question=second, now=contest.now + dt.timedelta(hours=2)), "closed at"),
        (dict(entry=entry, round_question=second, now=contest.now - dt.timedelta(hours=2)), "not started"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValidationError, match=message):
            services.answer_submit(actor=me, response="A", **kwargs)
    with pytest.raises(PermissionDenied):
        services.answer_submit(actor=me, entry=other_entry, round_question=second, response="A", now=contest.now)
    services.round_close(actor=contest.organiser, round=contest.heats)
    with pytest.raises(ValidationError, match="not open"):
        services.answer_submit(actor=me, entry=entry, round_question=second, response="A", now=contest.now)
    assert _counts() == before


def test_heat_window_closes_its_entries(contest: Any) -> None:
    me = contest.learner()
    heat = services.heat_create(actor=contest.organiser, round=contest.heats, name="第一场",
                                starts_at=contest.now - dt.timedelta(minutes=30),
                                ends_at=contest.now - dt.timedelta(minutes=1))
    services.enrol(actor=contest.organiser, round=contest.heats, users=[me], heat=heat)
    services.round_open(actor=contest.organiser, round=contest.heats)
    entry = Entry.objects.get(user=me)
    rq = RoundQuestion.objects.filter(round=contest.heats).first()
    with pytest.raises(ValidationError, match="closed at"):
        services.answer_submit(actor=me, entry=entry, round_question=rq, response="A", now=contest.now)
    assert Answer.objects.count() == 0


class _E:
    """An entry as ``choose_qualifiers`` sees it."""

    def __init__(self, name: str, unit_id: int, score: int) -> None:
        self.name, self.unit_id, self.score = name, unit_id, Decimal(score)


def test_choose_qualifiers_hand_worked() -> None:
    # Ranked: A(u1 40) B(u1 40) C(u1 35) D(u2 30) E(u2 25) F(u3 18) G(u3 22); top 3, quota 2, minimum 20.
    # A, B qualify; C is skipped (u1 full); D qualifies (3rd place); E and G: places filled; F below 20.
    rows = [_E("A", 1, 40), _E("B", 1, 40), _E("C", 1, 35), _E("D", 2, 30), _E("E", 2, 25), _E("G", 3, 22),
            _E("F", 3, 18)]
    result = services.choose_qualifiers(rows, qualify_top=3, per_unit_quota=2,  # type: ignore[arg-type]
                                        min_score=Decimal(20))
    names = {id(row): row.name for row in rows}
    assert [(names[id(e)], o) for e, o in result] == [
        ("A", Outcome.QUALIFIED), ("B", Outcome.QUALIFIED), ("C", Outcome.OVER_QUOTA), ("D", Outcome.QUALIFIED),
        ("E", Outcome.NOT_PLACED), ("G", Outcome.NOT_PLACED), ("F", Outcome.BELOW_MIN)]
    # Without a cap on places: everyone at or above 20 within the quota.
    open_ = services.choose_qualifiers(rows, qualify_top=None, per_unit_quota=2,  # type: ignore[arg-type]
                                       min_score=Decimal(20))
    assert [names[id(e)] for e, o in open_ if o == Outcome.QUALIFIED] == ["A", "B", "D", "E", "G"]


def test_qualify_ranks_with_tie_breaks_and_enrols_the_next_round(contest: Any) -> None:
    d = contest.district
    people = [contest.learner(d.village_a1, f"甲{i}") for i in range(3)] + [contest.learner(d.village_a2, "乙0")]
    entries = _entered(contest, *people)
    # Scores as answered: 甲0 40 in 50 s, 甲1 40 in 30 s, 甲2 40 in 30 s (entered later), 乙0 20 in 10 s.
    for entry, (score, seconds) in zip(entries, [(40, 50), (40, 30), (40, 30), (20, 10)], strict=True):
        Entry.objects.filter(pk=entry.pk).update(score=score, seconds_used=seconds)
    assert [e.user.display_name for e in services.ranked(contest.heats)] == ["甲1", "甲2", "甲0", "乙0"]
    contest.heats.per_unit_quota = 1
    contest.heats.save(update_fields=["per_unit_quota"])
    services.round_close(actor=contest.organiser, round=contest.heats)
    qualifiers = services.qualify(actor=contest.organiser, round=contest.heats)
    assert [e.user.display_name for e in qualifiers] == ["甲1", "乙0"]
    outcome = {e.user.display_name: (e.rank, e.outcome, e.qualified) for e in Entry.objects.filter(round=contest.heats)}
    assert outcome == {"甲1": (1, Outcome.QUALIFIED, True), "甲2": (2, Outcome.OVER_QUOTA, False),
                       "甲0": (3, Outcome.OVER_QUOTA, False), "乙0": (4, Outcome.QUALIFIED, True)}
    finalists = Entry.objects.filter(round=contest.final).order_by("pk")
    assert [e.user.display_name for e in finalists] == ["甲1", "乙0"]
    assert finalists[0].unit == d.village_a1 and finalists[0].score == 0
    row = _audit(AuditEvent.CONTEST_QUALIFIED)
    assert row is not None and row.new_values is not None and row.new_values["qualified"] == 2 and row.new_values["over_quota"] == 2
    contest.heats.refresh_from_db()
    assert contest.heats.state == RoundState.QUALIFIED and contest.heats.qualified_at is not None
    with pytest.raises(ValidationError, match="Close the round"):
        services.qualify(actor=contest.organiser, round=contest.heats)


def test_live_final_open_answer_close(contest: Any) -> None:
    me = contest.learner()
    final = contest.final
    rq1, rq2 = services.round_set_questions(actor=contest.organiser, round=final, questions=contest.questions[:2])
    services.enrol(actor=contest.organiser, round=final, users=[me])
    entry = Entry.objects.get(round=final, user=me)
    services.round_open(actor=contest.organiser, round=final)
    t0 = contest.now
    with pytest.raises(ValidationError, match="not the current question"):
        services.answer_submit(actor=me, entry=entry, round_question=rq1, response="A", now=t0)
    services.live_open_question(actor=contest.organiser, round=final, round_question=rq1, now=t0)
    row = _audit(AuditEvent.CONTEST_LIVE_QUESTION)
    assert row is not None and row.new_values == {"order": 1}
    with pytest.raises(ValidationError, match="still open"):
        services.live_open_question(actor=contest.organiser, round=final, round_question=rq2,
                                    now=t0 + dt.timedelta(seconds=5))
    answer = services.answer_submit(actor=me, entry=entry, round_question=rq1, response="A",
                                    now=t0 + dt.timedelta(seconds=4))
    assert answer.elapsed_ms == 4000 and answer.score == Decimal(5)
    with pytest.raises(ValidationError, match="not the current question"):
        services.answer_submit(actor=me, entry=entry, round_question=rq2, response="A", now=t0 + dt.timedelta(seconds=6))
    services.live_open_question(actor=contest.organiser, round=final, round_question=rq2,
                                now=t0 + dt.timedelta(seconds=21))
    with pytest.raises(ValidationError, match="Time is up"):
        services.answer_submit(actor=me, entry=entry, round_question=rq2, response="A", now=t0 + dt.timedelta(seconds=42))
    points.ruleset_create(actor=None, version=1, effective_from=dt.date(2020, 1, 1), daily_cap=60,
                          rules=points.DEFAULT_RULES)
    services.round_close(actor=contest.organiser, round=final)
    entry.refresh_from_db()
    assert entry.score == Decimal(5) and entry.answered == 1
    award = PointsAward.objects.get(user=me, action="contest_round")
    assert award.ref == f"contests.entry:{entry.pk}" and award.points == points.DEFAULT_RULES["contest_round"][0]
    contest.competition.refresh_from_db()
    assert contest.competition.state == "finished"
    assert _audit(AuditEvent.CONTEST_ROUND_CLOSED) is not None


def test_round_and_questions_refuse_bad_input(contest: Any) -> None:
    with pytest.raises(ValidationError):
        services.round_create(actor=contest.organiser, competition=contest.competition, name="复赛",
                              starts_at=contest.now, ends_at=contest.now)
    with pytest.raises(ValidationError, match="chosen twice"):
        services.round_set_questions(actor=contest.organiser, round=contest.final,
                                     questions=[contest.questions[0], contest.questions[0]])
    with pytest.raises(ValidationError, match="Set the round's questions"):
        services.round_open(actor=contest.organiser, round=contest.final)
    assert contest.competition.rounds.count() == 2
    assert RoundQuestion.objects.filter(round=contest.final).count() == 0


def test_heats_are_scheduled_in_bulk_and_contestants_spread(contest: Any) -> None:
    d = contest.district
    learners = [contest.learner(d.village_a2 if i % 2 else d.village_a1, name=f"选手{i}") for i in range(7)]
    services.enrol(actor=contest.organiser, round=contest.heats, users=learners)
    early = services.heat_create(actor=contest.organiser, round=contest.heats, name="提前场",
                                 starts_at=contest.now - dt.timedelta(minutes=50),
                                 ends_at=contest.now - dt.timedelta(minutes=40))
    placed = Entry.objects.get(user=learners[0])
    Entry.objects.filter(pk=placed.pk).update(heat=early)
    start = contest.now - dt.timedelta(minutes=30)
    result = services.heats_schedule(actor=contest.organiser, round=contest.heats, count=3, starts_at=start,
                                     minutes=15, gap_minutes=5)
    assert [h.name for h in result.heats] == ["Heat 2", "Heat 3", "Heat 4"]
    assert [(h.starts_at - start, h.ends_at - h.starts_at) for h in result.heats] == [
        (dt.timedelta(minutes=m), dt.timedelta(minutes=15)) for m in (0, 20, 40)]
    assert result.assigned == 6
    sizes = [Entry.objects.filter(heat=h).count() for h in result.heats]
    assert sizes == [2, 2, 2] and Entry.objects.get(pk=placed.pk).heat == early  # one already placed stays
    paths = [list(Entry.objects.filter(heat=h).order_by("unit_path").values_list("unit_path", flat=True))
             for h in result.heats]
    assert [p for heat in paths for p in heat] == sorted(p for heat in paths for p in heat)  # branches together


def test_heat_schedule_refusals_write_nothing(contest: Any) -> None:
    services.enrol(actor=contest.organiser, round=contest.heats, users=[contest.learner()])
    before = (Heat.objects.count(), list(Entry.objects.values_list("heat_id", flat=True)))
    cases = [
        (dict(round=contest.heats, count=2, starts_at=contest.now, minutes=40), "within the round"),
        (dict(round=contest.heats, count=0, starts_at=contest.now, minutes=10), "1 to 50"),
        (dict(round=contest.heats, count=1, starts_at=contest.now, minutes=0), "1 to 1,440"),
        (dict(round=contest.final, count=1, starts_at=contest.final.starts_at, minutes=10), "heat-based"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValidationError, match=message):
            services.heats_schedule(actor=contest.organiser, **kwargs)
    with pytest.raises(PermissionDenied):
        services.heats_schedule(actor=contest.learner(), round=contest.heats, count=1, starts_at=contest.now,
                                minutes=10)
    assert (Heat.objects.count(), list(Entry.objects.values_list("heat_id", flat=True))) == before
