"""Reads of the learning app, always through the actor.

- A learner sees what their branch's units offer (materials, plans assigned to them, 天天学 of the units above
  their branch, the reading room of those units) and their own records.
- A reader with LEARNING_VIEW sees the records of the learners whose branch lies in their scope, and what the
  units in their scope own. Outside both is a 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from mofan.accounts.permissions import scope_filter, scope_paths
from mofan.accounts.roles import Action
from mofan.learning.models import (
    Book,
    DailyAnswer,
    DailyIssue,
    Loan,
    Material,
    PointsAward,
    ReadingRecord,
    Selection,
    StudyNote,
    StudyPlan,
    StudySession,
    TalentProgramme,
)
from mofan.learning.services import branch_of, plan_assigned_people
from mofan.org.models import Unit

User = get_user_model()


def _own_paths(actor: Any) -> list[str]:
    """The paths of the actor's branch and every unit above it: whose offers a learner receives."""
    branch = branch_of(actor)
    return branch.ancestor_paths() if branch is not None else []


def _view_roots(actor: Any) -> list[str]:
    return scope_paths(actor, Action.LEARNING_VIEW)


def _owned_q(actor: Any, field_name: str = "unit_path") -> Q:
    """Rows owned by a unit above the actor's branch (offered to them) or inside their LEARNING_VIEW scope, or
    above a unit of their scope (a district plan a branch secretary follows for the branch)."""
    query = Q(**{f"{field_name}__in": _own_paths(actor)}) | scope_filter(actor, Action.LEARNING_VIEW, field_name)
    above: set[str] = set()
    for root in _view_roots(actor):
        above.update(root[:i] for i in range(8, len(root), 8))
    if above:
        query |= Q(**{f"{field_name}__in": sorted(above)})
    return query


def individual_ranking() -> bool:
    return bool(getattr(settings, "MOFAN_LEARNING_INDIVIDUAL_RANKING", False))


# Materials and plans ---------------------------------------------------------------------------------------


def material_list(*, actor: Any, topic_id: Any = None, search: str = "") -> QuerySet[Material]:
    qs = Material.objects.filter(_owned_q(actor)).select_related("topic")
    if topic_id:
        qs = qs.filter(topic_id=topic_id)
    if search:
        qs = qs.filter(title__contains=search)
    return qs.order_by("-id")


def material_get(*, actor: Any, pk: Any) -> Material:
    material = material_list(actor=actor).filter(pk=pk).first()
    if material is None:
        raise Http404
    return material


def _assigned_q(actor: Any) -> Q:
    """Plans assigned to the actor: by name, or through their branch or a unit above it."""
    person_id = getattr(actor, "person_id", None)
    if person_id is None:
        return Q(pk__in=[])
    return Q(assigned_people=person_id) | Q(assigned_units__path__in=_own_paths(actor))


def plan_list(*, actor: Any) -> QuerySet[StudyPlan]:
    above: set[str] = set()
    for root in _view_roots(actor):
        above.update(root[:i] for i in range(8, len(root), 8))
    visible = StudyPlan.objects.filter(_assigned_q(actor) | scope_filter(actor, Action.LEARNING_VIEW, "unit_path")
                                       | Q(unit_path__in=sorted(above)))
    return StudyPlan.objects.filter(pk__in=visible.values("pk")).select_related("unit").order_by("-starts_on", "-id")


def plan_get(*, actor: Any, pk: Any) -> StudyPlan:
    plan = plan_list(actor=actor).filter(pk=pk).first()
    if plan is None:
        raise Http404
    return plan


def my_plans(*, actor: Any) -> QuerySet[StudyPlan]:
    ids = StudyPlan.objects.filter(_assigned_q(actor)).values("pk")
    return StudyPlan.objects.filter(pk__in=ids).order_by("-starts_on", "-id")


@dataclass
class Progress:
    """One learner's progress on a plan or an issue."""

    user: Any
    name: str
    branch: str
    done: int
    needed: int
    note_ok: bool = True
    missing: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.done >= self.needed and self.note_ok


@dataclass
class BranchRate:
    unit_id: int
    name: str
    members: int
    complete: int

    @property
    def rate(self) -> Decimal:
        if not self.members:
            return Decimal(0)
        return (Decimal(100) * self.complete / self.members).quantize(Decimal("0.1"))

    @property
    def band(self) -> Any:
        return band_for(self.rate)


BANDS = ((Decimal(90), _("Excellent")), (Decimal(60), _("Good")), (Decimal(0), _("Needs improvement")))


def band_for(rate: Decimal) -> Any:
    """优秀 ≥ 90%, 良好 60–90%, 待提高 < 60%."""
    for floor, label in BANDS:
        if rate >= floor:
            return label
    return BANDS[-1][1]


def _learners(actor: Any, people: Any) -> QuerySet[Any]:
    """The accounts of these people that the actor may follow (LEARNING_VIEW scope), or the actor alone."""
    accounts = User.objects.filter(person__in=people, is_active=True).select_related("person__unit")
    allowed = scope_filter(actor, Action.LEARNING_VIEW, "person__unit__path") | Q(pk=actor.pk)
    return accounts.filter(allowed).order_by("person__unit__path", "display_name", "pk")


def plan_progress(*, actor: Any, plan: StudyPlan) -> list[Progress]:
    materials = list(plan.materials.values_list("pk", "title"))
    learners = list(_learners(actor, plan_assigned_people(plan)))
    read: dict[int, set[int]] = {}
    for user_id, material_id in ReadingRecord.objects.filter(
            user__in=learners, material_id__in=[m for m, _t in materials]).values_list("user_id", "material_id"):
        read.setdefault(user_id, set()).add(material_id)
    noted = set(StudyNote.objects.filter(plan=plan, user__in=learners).values_list("user_id", flat=True))
    rows = []
    for user in learners:
        mine = read.get(user.pk, set())
        missing = [str(title) for pk, title in materials if pk not in mine]
        note_ok = plan.note_min_length == 0 or user.pk in noted
        if not note_ok:
            missing.append(str(_("study note")))
        rows.append(Progress(user=user, name=user.person.name, branch=user.person.unit.name, done=len(mine),
                             needed=len(materials), note_ok=note_ok, missing=missing))
    return rows


def branch_rates(rows: list[Progress]) -> list[BranchRate]:
    """Completion per branch (the learner's ``person.unit``)."""
    by_branch: dict[int, BranchRate] = {}
    for row in rows:
        unit = row.user.person.unit
        rate = by_branch.setdefault(unit.pk, BranchRate(unit_id=unit.pk, name=unit.name, members=0, complete=0))
        rate.members += 1
        rate.complete += 1 if row.complete else 0
    return sorted(by_branch.values(), key=lambda r: (-r.rate, r.name))


# 天天学 ------------------------------------------------------------------------------------------------------


def issue_list(*, actor: Any) -> QuerySet[DailyIssue]:
    return DailyIssue.objects.filter(_owned_q(actor)).select_related("unit").order_by("-published_on", "-number")


def issue_get(*, actor: Any, pk: Any) -> DailyIssue:
    issue = issue_list(actor=actor).filter(pk=pk).first()
    if issue is None:
        raise Http404
    return issue


def todays_issue(*, actor: Any, today: dt.date) -> DailyIssue | None:
    return DailyIssue.objects.filter(unit_path__in=_own_paths(actor), published_on__lte=today).order_by(
        "-published_on", "-number").first()


def issue_members(issue: DailyIssue) -> Any:
    from mofan.org.models import Person

    return Person.objects.filter(unit__path__startswith=issue.unit_path, is_active=True, account__isnull=False)


def issue_progress(*, actor: Any, issue: DailyIssue) -> list[Progress]:
    learners = list(_learners(actor, issue_members(issue)))
    answered = set(DailyAnswer.objects.filter(issue=issue, user__in=learners).values_list("user_id", flat=True))
    return [Progress(user=u, name=u.person.name, branch=u.person.unit.name, done=1 if u.pk in answered else 0,
                     needed=1, missing=[] if u.pk in answered else [str(_("answers"))]) for u in learners]


def my_answer(*, actor: Any, issue: DailyIssue) -> DailyAnswer | None:
    return DailyAnswer.objects.filter(issue=issue, user=actor).first()


# Points and boards -----------------------------------------------------------------------------------------


def my_points(*, actor: Any, start: dt.date | None = None, end: dt.date | None = None) -> QuerySet[PointsAward]:
    qs = PointsAward.objects.filter(user=actor)
    if start is not None:
        qs = qs.filter(day__gte=start)
    if end is not None:
        qs = qs.filter(day__lte=end)
    return qs.order_by("-awarded_at", "-id")


def _awards(actor: Any, start: dt.date, end: dt.date) -> QuerySet[PointsAward]:
    return PointsAward.objects.filter(scope_filter(actor, Action.LEARNING_VIEW, "unit_path"), day__gte=start,
                                      day__lte=end)


@dataclass
class BoardRow:
    rank: int
    name: str
    points: int
    members: int = 0
    unit_id: int | None = None
    user_id: int | None = None
    rate: Decimal | None = None
    band: Any = None

    @property
    def average(self) -> Decimal:
        return (Decimal(self.points) / self.members).quantize(Decimal("0.1")) if self.members else Decimal(0)


def _ranked(rows: list[BoardRow]) -> list[BoardRow]:
    """By average points per member, best first; equal averages share a rank."""
    rows.sort(key=lambda r: (-r.average, r.name))
    for i, row in enumerate(rows):
        row.rank = rows[i - 1].rank if i and rows[i - 1].average == row.average else i + 1
    return rows


def person_board(*, actor: Any, start: dt.date, end: dt.date, limit: int = 100) -> list[BoardRow]:
    """Individuals ranked by points: only when the individual ranking setting is on (else an empty list)."""
    if not individual_ranking():
        return []
    totals = (_awards(actor, start, end).values("user_id", "user__display_name").annotate(n=Sum("points"))
              .order_by("-n", "user__display_name")[:limit])
    return [BoardRow(rank=i + 1, name=t["user__display_name"], points=int(t["n"] or 0), user_id=t["user_id"])
            for i, t in enumerate(totals)]


def _members_by_branch(actor: Any) -> dict[str, int]:
    counts = (User.objects.filter(scope_filter(actor, Action.LEARNING_VIEW, "person__unit__path"), is_active=True,
                                  person__isnull=False)
              .values("person__unit__path").annotate(n=Count("pk")))
    return {c["person__unit__path"]: c["n"] for c in counts}


def _issue_rates(actor: Any, start: dt.date, end: dt.date, members: dict[str, int]) -> dict[str, Decimal]:
    """天天学 completion per branch in the period: answers given / answers expected."""
    issues = list(DailyIssue.objects.filter(published_on__gte=start, published_on__lte=end)
                  .values_list("pk", "unit_path"))
    answers = (DailyAnswer.objects.filter(scope_filter(actor, Action.LEARNING_VIEW, "user__person__unit__path"),
                                          issue__published_on__gte=start, issue__published_on__lte=end)
               .values("user__person__unit__path").annotate(n=Count("pk")))
    given = {a["user__person__unit__path"]: a["n"] for a in answers}
    rates: dict[str, Decimal] = {}
    for path, count in members.items():
        expected = count * sum(1 for _pk, issue_path in issues if path.startswith(issue_path))
        if expected:
            rates[path] = (Decimal(100) * given.get(path, 0) / expected).quantize(Decimal("0.1"))
    return rates


def branch_board(*, actor: Any, start: dt.date, end: dt.date) -> list[BoardRow]:
    """Branches (the learners' ``person.unit``) by average points per member, with 天天学 completion and band."""
    members = _members_by_branch(actor)
    totals = {t["unit_path"]: int(t["n"] or 0) for t in
              _awards(actor, start, end).values("unit_path").annotate(n=Sum("points"))}
    rates = _issue_rates(actor, start, end, members)
    units = {u.path: u for u in Unit.objects.filter(path__in=list(members))}
    rows = [BoardRow(rank=0, name=units[p].name, points=totals.get(p, 0), members=n, unit_id=units[p].pk,
                     rate=rates.get(p), band=band_for(rates[p]) if p in rates else None)
            for p, n in members.items() if p in units]
    return _ranked(rows)


def unit_board(*, actor: Any, start: dt.date, end: dt.date) -> list[BoardRow]:
    """The units directly under the top of the actor's scope, by average points per member of their subtree."""
    roots = _view_roots(actor)
    children = Unit.objects.filter(parent__path__in=roots, is_active=True).order_by("path")
    members = _members_by_branch(actor)
    totals = {t["unit_path"]: int(t["n"] or 0) for t in
              _awards(actor, start, end).values("unit_path").annotate(n=Sum("points"))}
    rows = []
    for unit in children:
        count = sum(n for p, n in members.items() if p.startswith(unit.path))
        if not count:
            continue
        points = sum(n for p, n in totals.items() if p.startswith(unit.path))
        rows.append(BoardRow(rank=0, name=unit.name, points=points, members=count, unit_id=unit.pk))
    return _ranked(rows)


# Reading room and talent pools ----------------------------------------------------------------------------


def book_list(*, actor: Any) -> QuerySet[Book]:
    return (Book.objects.filter(_owned_q(actor))
            .annotate(on_loan=Count("loans", filter=Q(loans__returned_on__isnull=True))).order_by("title", "id"))


def book_get(*, actor: Any, pk: Any) -> Book:
    book = book_list(actor=actor).filter(pk=pk).first()
    if book is None:
        raise Http404
    return book


def loan_list(*, actor: Any, open_only: bool = False) -> QuerySet[Loan]:
    qs = Loan.objects.filter(Q(user=actor) | scope_filter(actor, Action.LEARNING_VIEW, "book__unit_path"))
    if open_only:
        qs = qs.filter(returned_on__isnull=True)
    return qs.select_related("book", "user").order_by("-borrowed_on", "-id")


def loan_get(*, actor: Any, pk: Any) -> Loan:
    loan = loan_list(actor=actor).filter(pk=pk).first()
    if loan is None:
        raise Http404
    return loan


def programme_list(*, actor: Any) -> QuerySet[TalentProgramme]:
    return TalentProgramme.objects.filter(_owned_q(actor)).annotate(
        selected=Count("rounds__selections")).order_by("name")


def programme_get(*, actor: Any, pk: Any) -> TalentProgramme:
    programme = programme_list(actor=actor).filter(pk=pk).first()
    if programme is None:
        raise Http404
    return programme


def selection_list(*, actor: Any) -> QuerySet[Selection]:
    return (Selection.objects.filter(scope_filter(actor, Action.LEARNING_VIEW, "unit_path"))
            .select_related("person__unit", "round__programme"))


def session_list(*, actor: Any) -> QuerySet[StudySession]:
    return StudySession.objects.filter(scope_filter(actor, Action.LEARNING_VIEW, "unit_path")).select_related("plan")


def reading_list(*, actor: Any) -> QuerySet[ReadingRecord]:
    return (ReadingRecord.objects.filter(scope_filter(actor, Action.LEARNING_VIEW, "unit_path") | Q(user=actor))
            .select_related("user", "material", "book"))
