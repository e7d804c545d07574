"""Writes on competitions. Organisers need CONTEST_MANAGE on the competition's unit (checked before the
transaction, every write audited); contestants need LEARN and their own entry.

Answers are not audited one by one: an ``Answer`` row is itself the record (who, what, when, how long), and a
5,000-person round writes 100,000 of them. Enrolment, opening, closing, the live host's questions and the
qualification are audited. Closing a round gives each contestant who answered the points of "contest_round"
(``learning.points.award``, once per entry, within its daily caps).

Concurrency: ``answer_submit`` locks the entry row (``select_for_update``, the one row it changes, so no
ordering question arises) before it checks the time, then inserts the answer (a second answer to the same
question is refused by the unique constraint ``contests_answer_once``) and adds to the entry's score, time and
count in the database (``score = score + …``, as an F() update) in the same transaction. Two answers of one entry therefore serialise and neither
increment is lost; answers of different entries never wait for each other. SQLite has no row locks; its
IMMEDIATE transactions (settings) serialise the writers instead.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts.models import Membership, User
from mofan.accounts.permissions import acting_user, can, ensure_can
from mofan.accounts.roles import ROLE_ACTIONS, Action
from mofan.audit.events import AuditEvent
from mofan.audit.services import audit_record
from mofan.contests.models import (
    Answer,
    Competition,
    CompetitionKind,
    CompetitionState,
    Entry,
    Heat,
    Outcome,
    Round,
    RoundKind,
    RoundQuestion,
    RoundState,
)
from mofan.core.hotpath import Compiled, as_datetime, insert_row, update_row
from mofan.learning import points
from mofan.org.models import Unit
from mofan.questions.marking import mark
from mofan.questions.models import AUTO_MARKED, Question

LEARNER_ROLES = [role for role, actions in ROLE_ACTIONS.items() if Action.LEARN in actions]
MILLI = Decimal("0.001")


def _manage(actor: Any, competition: Competition) -> None:
    ensure_can(actor, Action.CONTEST_MANAGE, competition.unit_path, target=competition)


# Organisers ------------------------------------------------------------------------------------------


def competition_create(*, actor: Any, unit: Unit, name: str, kind: str, team_best_k: int | None = None) -> Competition:
    ensure_can(actor, Action.CONTEST_MANAGE, unit)
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Give the competition a name.")]
    if kind not in CompetitionKind.values:
        errors["kind"] = [_("Choose the kind of competition.")]
    if team_best_k is not None and team_best_k < 1:
        errors["team_best_k"] = [_("Count at least one score per team, or leave it empty for all.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        competition = Competition.objects.create(name=name[:120], kind=kind, unit=unit, unit_path=unit.path,
                                                 team_best_k=team_best_k, created_by=acting_user(actor))
        audit_record(actor=actor, event=AuditEvent.CONTEST_CHANGED, target=competition,
                     new={"name": competition.name, "kind": kind}, unit_path=unit.path)
    return competition


def round_create(
    *, actor: Any, competition: Competition, name: str, starts_at: dt.datetime, ends_at: dt.datetime,
    kind: str = RoundKind.HEATS, questions_per_contestant: int = 20, seconds_per_question: int | None = None,
    qualify_top: int | None = None, per_unit_quota: int | None = None, min_score: Decimal | None = None,
) -> Round:
    _manage(actor, competition)
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Give the round a name.")]
    if kind not in RoundKind.values:
        errors["kind"] = [_("Choose the kind of round.")]
    if starts_at is None or ends_at is None or ends_at <= starts_at:
        errors["ends_at"] = [_("The round must end after it starts.")]
    if questions_per_contestant < 1:
        errors["questions_per_contestant"] = [_("A round needs at least one question.")]
    if kind == RoundKind.LIVE and not seconds_per_question:
        errors["seconds_per_question"] = [_("A live final needs the seconds allowed per question.")]
    if qualify_top is not None and qualify_top < 1:
        errors["qualify_top"] = [_("Let at least one contestant go on, or leave it empty.")]
    if per_unit_quota is not None and per_unit_quota < 1:
        errors["per_unit_quota"] = [_("A quota must be at least one, or leave it empty.")]
    if competition.state == CompetitionState.FINISHED:
        errors["name"] = [_("The competition is finished.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        last = Round.objects.filter(competition=competition).order_by("-order").values_list("order", flat=True).first()
        rnd = Round.objects.create(
            competition=competition, order=(last or 0) + 1, name=name[:100], kind=kind, starts_at=starts_at,
            ends_at=ends_at, questions_per_contestant=questions_per_contestant,
            seconds_per_question=seconds_per_question, qualify_top=qualify_top, per_unit_quota=per_unit_quota,
            min_score=min_score,
        )
        audit_record(actor=actor, event=AuditEvent.CONTEST_ROUND_CHANGED, target=rnd,
                     new={"name": rnd.name, "order": rnd.order, "kind": kind, "qualify_top": qualify_top,
                          "per_unit_quota": per_unit_quota, "min_score": str(min_score) if min_score else None},
                     unit_path=competition.unit_path)
    return rnd


def heat_create(*, actor: Any, round: Round, name: str, starts_at: dt.datetime, ends_at: dt.datetime) -> Heat:
    _manage(actor, round.competition)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Give the heat a name.")]})
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": [_("The heat must end after it starts.")]})
    if round.kind != RoundKind.HEATS:
        raise ValidationError({"name": [_("Only a heat-based round has heats.")]})
    with transaction.atomic():
        heat = Heat.objects.create(round=round, name=name[:100], starts_at=starts_at, ends_at=ends_at)
        audit_record(actor=actor, event=AuditEvent.CONTEST_ROUND_CHANGED, target=round,
                     new={"heat": heat.name}, unit_path=round.competition.unit_path)
    return heat


@dataclass(frozen=True)
class HeatSchedule:
    heats: list[Heat]
    assigned: int


MAX_HEATS = 50


def heats_schedule(*, actor: Any, round: Round, count: int, starts_at: dt.datetime, minutes: int,
                   gap_minutes: int = 0, assign: bool = True) -> HeatSchedule:
    """分场次: ``count`` heats of ``minutes`` each, one after another from ``starts_at`` with ``gap_minutes``
    between them, named 第n场 after the heats the round has; with ``assign``, the contestants who have no heat
    and have not answered are spread over the new heats in equal shares, in the order of their branches, so a
    branch stays together where the shares allow. All within the round's window; all or nothing."""
    _manage(actor, round.competition)
    errors: dict[str, list[str]] = {}
    if round.kind != RoundKind.HEATS:
        errors["count"] = [_("Only a heat-based round has heats.")]
    if round.state in (RoundState.CLOSED, RoundState.QUALIFIED):
        errors["count"] = [_("The round is closed.")]
    if not 1 <= count <= MAX_HEATS:
        errors["count"] = [_("Schedule 1 to %(max)d heats at a time.") % {"max": MAX_HEATS}]
    if not 1 <= minutes <= 24 * 60:
        errors["minutes"] = [_("A heat lasts 1 to 1,440 minutes.")]
    if gap_minutes < 0:
        errors["gap_minutes"] = [_("The gap between heats cannot be negative.")]
    if not errors:
        last_end = starts_at + dt.timedelta(minutes=count * minutes + (count - 1) * gap_minutes)
        if starts_at < round.starts_at or last_end > round.ends_at:
            errors["starts_at"] = [_("The heats must lie within the round, %(start)s to %(end)s.") % {
                "start": timezone.localtime(round.starts_at).strftime("%Y-%m-%d %H:%M"),
                "end": timezone.localtime(round.ends_at).strftime("%Y-%m-%d %H:%M")}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        first = Heat.objects.filter(round=round).count() + 1
        heats = [Heat.objects.create(round=round, name=_("Heat %(n)d") % {"n": first + i},
                                     starts_at=starts_at + dt.timedelta(minutes=i * (minutes + gap_minutes)),
                                     ends_at=starts_at + dt.timedelta(minutes=i * (minutes + gap_minutes) + minutes))
                 for i in range(count)]  # at most MAX_HEATS rows
        waiting = list(Entry.objects.select_for_update().filter(round=round, heat=None, answered=0)
                       .order_by("unit_path", "pk").values_list("pk", flat=True)) if assign else []
        share, extra = divmod(len(waiting), count)
        start = 0
        for i, heat in enumerate(heats):
            size = share + (1 if i < extra else 0)
            Entry.objects.filter(pk__in=waiting[start:start + size]).update(heat=heat)
            start += size
        audit_record(actor=actor, event=AuditEvent.CONTEST_ROUND_CHANGED, target=round,
                     new={"heats": [h.name for h in heats], "minutes": minutes, "assigned": len(waiting)},
                     unit_path=round.competition.unit_path)
    return HeatSchedule(heats=heats, assigned=len(waiting))


def round_set_questions(*, actor: Any, round: Round, questions: Sequence[Question],
                        points: Decimal = Decimal(5)) -> list[RoundQuestion]:
    """Set the round's questions (every contestant answers all of them, in this order). Only auto-marked
    questions: a competition ranks at once, it cannot wait for a person to mark."""
    _manage(actor, round.competition)
    if round.state != RoundState.DRAFT:
        raise ValidationError({"questions": [_("The questions of an opened round cannot change.")]})
    if not questions:
        raise ValidationError({"questions": [_("Choose the questions of the round.")]})
    if len({q.pk for q in questions}) != len(questions):
        raise ValidationError({"questions": [_("A question is chosen twice.")]})
    if any(q.qtype not in AUTO_MARKED for q in questions):
        raise ValidationError({"questions": [_("Short-answer questions cannot be used in a competition.")]})
    if points <= 0:
        raise ValidationError({"points": [_("Each question must be worth some points.")]})
    with transaction.atomic():
        RoundQuestion.objects.filter(round=round).delete()
        rows = RoundQuestion.objects.bulk_create(
            [RoundQuestion(round=round, question=q, order=i, points=points) for i, q in enumerate(questions, 1)])
        Round.objects.filter(pk=round.pk).update(questions_per_contestant=len(rows))
        round.questions_per_contestant = len(rows)
        audit_record(actor=actor, event=AuditEvent.CONTEST_ROUND_CHANGED, target=round,
                     new={"questions": len(rows), "points": str(points)}, unit_path=round.competition.unit_path)
    return rows


def round_draw_questions(*, actor: Any, round: Round, bank_ids: Iterable[int], seed: int | None = None,
                         points: Decimal = Decimal(5)) -> list[RoundQuestion]:
    """Draw ``questions_per_contestant`` auto-marked questions at random from the banks."""
    pool = list(Question.objects.filter(bank_id__in=list(bank_ids), is_active=True, qtype__in=AUTO_MARKED)
                .order_by("pk"))
    if len(pool) < round.questions_per_contestant:
        raise ValidationError({"questions": [
            _("The banks hold %(have)d usable questions; the round needs %(need)d.")
            % {"have": len(pool), "need": round.questions_per_contestant}]})
    chosen = random.Random(seed).sample(pool, round.questions_per_contestant)  # noqa: S311 - not security  # nosec B311 # a draw of questions, not a secret
    return round_set_questions(actor=actor, round=round, questions=chosen, points=points)


def _learners(units: Sequence[Unit]) -> list[User]:
    if not units:
        return []
    from django.db.models import Q

    under = Q()
    for unit in units:
        under |= Q(person__unit__path__startswith=unit.path)
    learner_ids = Membership.objects.filter(role__in=LEARNER_ROLES).values("user_id")
    return list(User.objects.filter(under, is_active=True, pk__in=learner_ids).select_related("person__unit")
                .order_by("person__unit__path", "pk"))


@dataclass(frozen=True)
class EnrolResult:
    added: int
    already: int


def enrol(*, actor: Any, round: Round, units: Sequence[Unit] = (), users: Sequence[User] = (),
          heat: Heat | None = None, team: str = "") -> EnrolResult:
    """Enrol all learners of the chosen units (their subtrees) and/or named learners. Nobody is entered twice:
    those already in the round are counted, not added. Everyone must belong to the organising unit."""
    competition = round.competition
    _manage(actor, competition)
    if round.state in (RoundState.CLOSED, RoundState.QUALIFIED):
        raise ValidationError({"units": [_("The round is closed.")]})
    if heat is not None and heat.round_id != round.pk:
        raise ValidationError({"heat": [_("The heat belongs to another round.")]})
    outside = [u.name for u in units if not u.path.startswith(competition.unit_path)]
    if outside:
        raise ValidationError({"units": [_("Not under the organising unit: %(names)s") % {"names": "、".join(outside)}]})
    people: dict[int, User] = {u.pk: u for u in _learners(units)}
    for user in users:
        person = getattr(user, "person", None)
        if person is None or not person.unit.path.startswith(competition.unit_path):
            raise ValidationError({"users": [
                _("%(name)s is not a learner of the organising unit.") % {"name": user.display_name}]})
        people[user.pk] = user
    if not people:
        raise ValidationError({"units": [_("Choose units or learners to enrol.")]})
    existing = set(Entry.objects.filter(round=round, user_id__in=list(people)).values_list("user_id", flat=True))
    new = [_entry(round, u, heat, team) for pk, u in people.items() if pk not in existing]
    with transaction.atomic():
        Entry.objects.bulk_create(new, batch_size=1000)
        audit_record(actor=actor, event=AuditEvent.CONTEST_ENROLLED, target=round,
                     new={"added": len(new), "already": len(existing), "heat": heat.name if heat else None,
                          "units": [u.name for u in units][:20]},
                     unit_path=competition.unit_path)
    return EnrolResult(added=len(new), already=len(existing))


def _entry(rnd: Round, user: User, heat: Heat | None, team: str) -> Entry:
    person = user.person
    assert person is not None  # noqa: S101 - learners are chosen with a person
    return Entry(round=rnd, heat=heat, user=user, unit=person.unit, unit_path=person.unit.path, team=(team or "")[:100])


def round_open(*, actor: Any, round: Round) -> Round:
    _manage(actor, round.competition)
    if round.state != RoundState.DRAFT:
        raise ValidationError({"state": [_("Only a draft round can be opened.")]})
    if not RoundQuestion.objects.filter(round=round).exists():
        raise ValidationError({"state": [_("Set the round's questions before opening it.")]})
    with transaction.atomic():
        Round.objects.filter(pk=round.pk).update(state=RoundState.OPEN)
        Competition.objects.filter(pk=round.competition_id, state=CompetitionState.DRAFT).update(
            state=CompetitionState.RUNNING)
        round.state = RoundState.OPEN
        audit_record(actor=actor, event=AuditEvent.CONTEST_ROUND_OPENED, target=round,
                     unit_path=round.competition.unit_path)
    return round


def round_close(*, actor: Any, round: Round) -> Round:
    _manage(actor, round.competition)
    if round.state != RoundState.OPEN:
        raise ValidationError({"state": [_("Only an open round can be closed.")]})
    with transaction.atomic():
        Round.objects.filter(pk=round.pk).update(state=RoundState.CLOSED, current_question=None)
        round.state = RoundState.CLOSED
        round.current_question = None
        if not Round.objects.filter(competition_id=round.competition_id, order__gt=round.order).exists():
            Competition.objects.filter(pk=round.competition_id).update(state=CompetitionState.FINISHED)
        # Points for taking part (学习积分, ``learning.points``: its rules and daily caps), once per entry that
        # answered; users in primary-key order, as ``award`` locks each user's row.
        for entry in Entry.objects.filter(round=round, answered__gt=0).select_related("user").order_by("user_id"):
            points.award(user=entry.user, action="contest_round", ref=f"contests.entry:{entry.pk}",
                         at=entry.last_answer_at)
        audit_record(actor=actor, event=AuditEvent.CONTEST_ROUND_CLOSED, target=round,
                     unit_path=round.competition.unit_path)
    return round


def live_open_question(*, actor: Any, round: Round, round_question: RoundQuestion,
                       now: dt.datetime | None = None) -> Round:
    """The host of a live final opens question i; it closes ``seconds_per_question`` later by itself."""
    _manage(actor, round.competition)
    now = now or timezone.now()
    if round.kind != RoundKind.LIVE:
        raise ValidationError({"question": [_("Only a live final is run question by question.")]})
    if round.state != RoundState.OPEN:
        raise ValidationError({"question": [_("Open the round first.")]})
    if round_question.round_id != round.pk:
        raise ValidationError({"question": [_("This question is not part of the round.")]})
    if round.question_closes_at is not None and now < round.question_closes_at:
        raise ValidationError({"question": [_("The current question is still open.")]})
    closes = now + dt.timedelta(seconds=round.seconds_per_question or 0)
    with transaction.atomic():
        Round.objects.filter(pk=round.pk).update(current_question=round_question, question_opened_at=now,
                                                 question_closes_at=closes)
        round.current_question, round.question_opened_at, round.question_closes_at = round_question, now, closes
        audit_record(actor=actor, event=AuditEvent.CONTEST_LIVE_QUESTION, target=round,
                     new={"order": round_question.order}, unit_path=round.competition.unit_path)
    return round


# Contestants -----------------------------------------------------------------------------------------


def _own_entry(actor: Any, entry: Entry) -> None:
    if acting_user(actor) is None or entry.user_id != actor.pk or not can(actor, Action.LEARN, entry.unit_path):
        raise PermissionDenied(_("This is not your entry."))


def entry_start(*, actor: Any, entry: Entry, now: dt.datetime | None = None) -> Entry:
    """The contestant opens a heat round: their clock starts (once)."""
    _own_entry(actor, entry)
    now = now or timezone.now()
    if entry.started_at is None:
        Entry.objects.filter(pk=entry.pk, started_at__isnull=True).update(started_at=now)
        entry.refresh_from_db(fields=["started_at"])
    return entry


def _entry_clocks(entry_id: Any) -> QuerySet[Any]:
    return (Entry.objects.select_for_update(of=("self",)).filter(pk=entry_id)
            .values_list("round__state", "round__kind", "round__current_question_id", "round__question_opened_at",
                         "round__question_closes_at", "round__starts_at", "round__ends_at", "heat__starts_at",
                         "heat__ends_at", "started_at", "last_answer_at"))


# answer_submit's lock, compiled once (core.hotpath): a round of 5,000 contestants is 100,000 answers.
_ENTRY_CLOCKS = Compiled(_entry_clocks)


def answer_submit(*, actor: Any, entry: Entry, round_question: RoundQuestion | None, response: Any,
                  now: dt.datetime | None = None) -> Answer:
    """Answer one question of the round. Refused, with nothing written: another's entry, a question not in the
    round, a second answer, before the start or after the close (of the heat, the round, or in a live final
    the current question's window), a round that is not open.

    The contest's hot path (5,000 contestants answer at once), so three statements in one transaction, run by
    hand (``core.hotpath``; the lock is an ORM query compiled once): the entry row locked with the clocks of
    its round and heat, the answer inserted (the unique constraint ``contests_answer_once`` refuses a second
    one), the entry's totals added in the database. The response is marked before the transaction (it depends
    on the question alone), so the lock is held only for the writes."""
    _own_entry(actor, entry)
    now = now or timezone.now()
    if round_question is None or round_question.round_id != entry.round_id:
        raise ValidationError({"question": [_("This question is not part of the round.")]})
    question = round_question.question
    fraction = mark(question.qtype, question.answers, response) or Decimal(0)
    score = (fraction * round_question.points).quantize(Decimal("0.01"))
    with transaction.atomic():
        row = _ENTRY_CLOCKS.first(entry.pk)
        if row is None:
            raise ValidationError({"question": [_("The round is not open for answers.")]})
        state, kind, current_id = row[:3]
        (opened_at, closes_at, round_starts, round_ends, heat_starts, heat_ends, started_at,
         last_answer_at) = (as_datetime(value) for value in row[3:])
        if state != RoundState.OPEN:
            raise ValidationError({"question": [_("The round is not open for answers.")]})
        if kind == RoundKind.LIVE:
            if current_id != round_question.pk or opened_at is None:
                raise ValidationError({"question": [_("This is not the current question.")]})
            if closes_at is not None and now > closes_at:
                raise ValidationError({"question": [_("Time is up for this question.")]})
            began = opened_at
        else:
            starts, ends = (heat_starts, heat_ends) if heat_starts is not None else (round_starts, round_ends)
            assert starts is not None and ends is not None  # noqa: S101 - both columns are NOT NULL
            if now < starts:
                raise ValidationError({"question": [_("The round has not started yet.")]})
            if now > ends:
                raise ValidationError({"question": [
                    _("The round closed at %(time)s; answers are no longer accepted.")
                    % {"time": timezone.localtime(ends).strftime("%Y-%m-%d %H:%M")}]})
            began = max(d for d in (last_answer_at, started_at, starts) if d is not None)
        elapsed_ms = max(0, int((now - began).total_seconds() * 1000))
        values = {"entry": entry.pk, "round_question": round_question.pk, "response": response, "score": score,
                  "answered_at": now, "elapsed_ms": elapsed_ms}
        try:
            pk = insert_row(Answer, values)
        except IntegrityError:  # contests_answer_once; the transaction is rolled back as this leaves it
            raise ValidationError({"question": [_("You have already answered this question.")]}) from None
        update_row(Entry, entry.pk, add={"score": score, "seconds_used": Decimal(elapsed_ms) * MILLI, "answered": 1},
                   set={"last_answer_at": now})
    answer = Answer(pk=pk, entry_id=entry.pk, round_question=round_question, response=response, score=score,
                    answered_at=now, elapsed_ms=elapsed_ms)
    answer._state.adding, answer._state.db = False, connection.alias  # the row exists: a save() updates it
    return answer


# Qualification ---------------------------------------------------------------------------------------


def ranked(round: Round) -> list[Entry]:
    """The round's entries in ranking order: score desc, seconds used asc, entry time (id) asc."""
    return list(Entry.objects.filter(round=round).select_related("unit", "user").order_by("-score", "seconds_used", "id"))


def choose_qualifiers(entries: Sequence[Entry], *, qualify_top: int | None, per_unit_quota: int | None,
                      min_score: Decimal | None) -> list[tuple[Entry, str]]:
    """(entry, outcome) in ranking order. Walk down the ranking: below the minimum score → not qualified; the
    unit (the contestant's branch) already has its quota → skipped, the next best is considered; the places
    are filled → not placed. ``qualify_top`` None: everyone who passes the other two tests goes on."""
    per_unit: Counter[int] = Counter()
    taken = 0
    result: list[tuple[Entry, str]] = []
    for entry in entries:
        if min_score is not None and entry.score < min_score:
            outcome = Outcome.BELOW_MIN
        elif qualify_top is not None and taken >= qualify_top:
            outcome = Outcome.NOT_PLACED
        elif per_unit_quota is not None and per_unit[entry.unit_id] >= per_unit_quota:
            outcome = Outcome.OVER_QUOTA
        else:
            outcome = Outcome.QUALIFIED
            per_unit[entry.unit_id] += 1
            taken += 1
        result.append((entry, outcome))
    return result


def qualify(*, actor: Any, round: Round, now: dt.datetime | None = None) -> list[Entry]:
    """Rank a closed round, choose its qualifiers (``choose_qualifiers``), store rank and outcome of every
    entry, and enrol the qualifiers in the next round (same branch and team; no heat). Returns the qualifiers."""
    _manage(actor, round.competition)
    if round.state != RoundState.CLOSED:
        raise ValidationError({"state": [_("Close the round before choosing its qualifiers.")]})
    now = now or timezone.now()
    outcomes = choose_qualifiers(ranked(round), qualify_top=round.qualify_top, per_unit_quota=round.per_unit_quota,
                                 min_score=round.min_score)
    following = Round.objects.filter(competition_id=round.competition_id, order__gt=round.order).order_by("order").first()
    with transaction.atomic():
        changed = []
        for rank, (entry, outcome) in enumerate(outcomes, 1):
            entry.rank, entry.outcome, entry.qualified = rank, outcome, outcome == Outcome.QUALIFIED
            changed.append(entry)
        Entry.objects.bulk_update(changed, ["rank", "outcome", "qualified"], batch_size=1000)
        qualifiers = [e for e in changed if e.qualified]
        if following is not None:
            there = set(Entry.objects.filter(round=following).values_list("user_id", flat=True))
            Entry.objects.bulk_create([Entry(round=following, user_id=e.user_id, unit_id=e.unit_id,
                                             unit_path=e.unit_path, team=e.team)
                                       for e in qualifiers if e.user_id not in there], batch_size=1000)
        Round.objects.filter(pk=round.pk).update(state=RoundState.QUALIFIED, qualified_at=now)
        round.state, round.qualified_at = RoundState.QUALIFIED, now
        counts = Counter(outcome for _entry, outcome in outcomes)
        audit_record(actor=actor, event=AuditEvent.CONTEST_QUALIFIED, target=round,
                     new={"qualified": counts[Outcome.QUALIFIED], "below_min": counts[Outcome.BELOW_MIN],
                          "over_quota": counts[Outcome.OVER_QUOTA], "not_placed": counts[Outcome.NOT_PLACED],
                          "next_round": following.pk if following else None},
                     unit_path=round.competition.unit_path)
    return qualifiers
