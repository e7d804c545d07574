"""Reads for the 工作台 (workbench): the queues each role works from, built on ``selectors.case_list``.

A queue is a named filter over the cases (or, for a department, its dispatches) in the actor's
jurisdiction. Which queues an actor sees follows from the actions their roles grant:

- CASE_TRIAGE (centre operator): 待受理, 待交办, 办理中, 待核查, 待回访 and 已超时, over the cases held by
  the centres in their jurisdiction;
- CASE_HANDLE (department handler): 待报到, 待办理, 已退单/延期申请 and 已超时, over the dispatches to their
  department;
- CASE_INTAKE without CASE_TRIAGE (grid worker): the cases they reported;
- everyone who may see cases: all of them, to search.

Every list pages by keyset (newest first) and every count is capped, so a queue costs the same at a
thousand cases and at a million. To add a queue: add a ``Queue`` to ``_CASE_QUEUES`` or
``_DISPATCH_QUEUES`` with the action that unlocks it and the filter that defines it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from mofan.accounts.permissions import has_action, scope_filter, scope_paths
from mofan.accounts.roles import Action
from mofan.cases import kinds
from mofan.cases.models import Case, Category, Channel, Dispatch, Urgency
from mofan.cases.selectors import case_list, held_list
from mofan.core.paging import PAGE_SIZE, KeysetPage, capped_count, keyset_page
from mofan.org.models import Unit, UnitKind

AREA_KINDS = (UnitKind.DISTRICT, UnitKind.TOWN, UnitKind.VILLAGE)
OPEN_STATES = sorted(kinds.OPEN_STATES)
TERMINAL_STATES = sorted({state for kind in kinds.all_kinds() for state in kind.terminal})


@dataclass(frozen=True)
class CaseFilters:
    """The workbench filters: search by tracking code or title, urgency, channel, category, area."""

    search: str = ""
    urgency: str = ""
    channel: str = ""
    category: Category | None = None
    area: Unit | None = None

    @property
    def active(self) -> bool:
        return bool(self.search or self.urgency or self.channel or self.category or self.area)

    def case_q(self, prefix: str = "") -> Q:
        """The filters as a Q on Case (``prefix`` "case__" when filtering dispatches)."""
        query = Q()
        if self.search:
            text = self.search.strip()
            query &= Q(**{f"{prefix}tracking_code": text.upper()}) | Q(**{f"{prefix}title__icontains": text})
        if self.urgency:
            query &= Q(**{f"{prefix}urgency": self.urgency})
        if self.channel:
            query &= Q(**{f"{prefix}channel": self.channel})
        if self.category is not None:
            subtree = Category.objects.filter(
                Q(pk=self.category.pk) | Q(parent=self.category.pk) | Q(parent__parent=self.category.pk)
            ).values("pk")
            query &= Q(**{f"{prefix}category__in": subtree})
        if self.area is not None:
            query &= Q(**{f"{prefix}area_path__startswith": self.area.path})
        return query


# The columns a list row shows (templates/cases/_case_row.html and ``case_row``): loading only these halves
# the time a page of 50 spends turning rows into objects (mostly parsing timestamps; ``mofan bench cases``).
LIST_FIELDS = ("id", "kind", "tracking_code", "title", "state", "urgency", "created_at", "due_at", "overdue",
               "paused_at", "category__name", "area__name", "centre__name")


@dataclass(frozen=True)
class Queue:
    key: str
    label: str | Promise
    action: str  # the action that unlocks the queue
    model: type[Case] | type[Dispatch]
    where: Callable[[Any, datetime], Q]  # (actor, now) → Q on the model, within the queue's base set (below)
    exclude_action: str | None = None  # not shown to actors who hold this action


def _case_overdue(now: datetime) -> Q:
    return Q(state__in=OPEN_STATES) & (Q(overdue=True) | Q(due_at__lt=now, paused_at__isnull=True))


def _mine(actor: Any) -> Q:
    return scope_filter(actor, Action.CASE_HANDLE, "department_path")


def _dispatch_overdue(now: datetime) -> Q:
    live = Q(state__in=[Dispatch.State.DISPATCHED, Dispatch.State.CHECKED_IN])
    late = (Q(state=Dispatch.State.DISPATCHED, checkin_due__lt=now)
            | Q(state=Dispatch.State.CHECKED_IN, handle_due__lt=now) | Q(overdue=True))
    return live & late


def _waiting_on_centre() -> Q:
    """Cases the department returned (退单) while they are still open, and requests for more time the centre
    has not decided yet (deciding clears ``extension_days``)."""
    return Q(state=Dispatch.State.RETURNED, case__state__in=OPEN_STATES) | Q(
        state__in=[Dispatch.State.DISPATCHED, Dispatch.State.CHECKED_IN], extension_days__isnull=False)


TRIAGE, HANDLE, VIEW, INTAKE = Action.CASE_TRIAGE, Action.CASE_HANDLE, Action.CASE_VIEW, Action.CASE_INTAKE

_CASE_QUEUES = [
    Queue("to_accept", _("To accept"), TRIAGE, Case, lambda a, n: Q(state=kinds.COLLECTED)),  # 待受理
    Queue("to_dispatch", _("To dispatch"), TRIAGE, Case, lambda a, n: Q(state=kinds.ACCEPTED)),  # 待交办
    Queue("in_progress", _("Being handled"), TRIAGE, Case,
          lambda a, n: Q(state=kinds.DISPATCHED)),  # 办理中
    Queue("to_verify", _("To verify"), TRIAGE, Case, lambda a, n: Q(state=kinds.HANDLED)),  # 待核查
    Queue("to_call_back", _("To call back"), TRIAGE, Case,
          lambda a, n: Q(state=kinds.VERIFIED)),  # 待回访
    Queue("overdue", _("Overdue"), TRIAGE, Case, lambda a, n: _case_overdue(n)),  # 已超时
    Queue("reported", _("My reports"), INTAKE, Case, lambda a, n: Q(created_by=a), exclude_action=TRIAGE),
]
_DISPATCH_QUEUES = [
    Queue("to_check_in", _("To check in"), HANDLE, Dispatch,
          lambda a, n: _mine(a) & Q(state=Dispatch.State.DISPATCHED)),  # 待报到
    Queue("to_handle", _("To handle"), HANDLE, Dispatch,
          lambda a, n: _mine(a) & Q(state=Dispatch.State.CHECKED_IN)),  # 待办理
    Queue("returned", _("Returned or more time asked"), HANDLE, Dispatch,
          lambda a, n: _mine(a) & _waiting_on_centre()),  # 已退单/延期申请
    Queue("dispatch_overdue", _("Overdue"), HANDLE, Dispatch, lambda a, n: _mine(a) & _dispatch_overdue(n)),
]
ALL_QUEUE = Queue("all", _("All cases"), VIEW, Case, lambda a, n: Q())
QUEUES = {q.key: q for q in [*_CASE_QUEUES, *_DISPATCH_QUEUES, ALL_QUEUE]}


def queues_for(actor: Any) -> list[Queue]:
    """The queues the actor works from, in the order of the work."""
    found = [
        q for q in [*_CASE_QUEUES, *_DISPATCH_QUEUES]
        if has_action(actor, q.action) and not (q.exclude_action and has_action(actor, q.exclude_action))
    ]
    if has_action(actor, VIEW) or has_action(actor, HANDLE):
        found.append(ALL_QUEUE)
    return found


def queue_queryset(*, actor: Any, queue: Queue, filters: CaseFilters | None = None,
                   now: datetime | None = None, seek: bool = True) -> QuerySet[Any]:
    """The rows of one queue, in the actor's jurisdiction, filtered; newest first. ``seek``: the form of the
    path tests (``accounts.permissions.subtree_q``) — counts seek, pages walk the ids (``queue_page``)."""
    now = now or timezone.now()
    filters = filters or CaseFilters()
    if queue.model is Dispatch:
        return (
            Dispatch.objects.filter(queue.where(actor, now), filters.case_q("case__"))
            .select_related("case", "case__area", "case__centre", "case__category", "department")
            .order_by("-id")
        )
    if queue.action == TRIAGE:  # the centre's work: the cases its centres hold (a part of case_list)
        base = held_list(actor=actor, seek=seek)
    else:  # "all" walks the ids newest first over everything visible (see accounts.permissions.subtree_q)
        base = case_list(actor=actor, seek=seek and queue is not ALL_QUEUE)
    return base.filter(queue.where(actor, now), filters.case_q()).only(*LIST_FIELDS).order_by("-id")


@dataclass(frozen=True)
class Row:
    """One line of a workbench list: the case, the dispatch it is about (departments' queues), and the
    clock that matters for this line."""

    case: Case
    dispatch: Dispatch | None
    due: datetime | None
    overdue: bool
    done: bool
    paused: bool


def case_row(case: Case, now: datetime, dispatch: Dispatch | None = None) -> Row:
    if dispatch is not None:
        return dispatch_row(dispatch, now)
    terminal = case.state in kinds.get(case.kind).terminal if case.kind else False
    paused = case.paused_at is not None
    due = None if terminal else case.due_at
    late = bool(due and (case.overdue or (due < now and not paused)))
    return Row(case=case, dispatch=None, due=due, overdue=late, done=terminal, paused=paused)


def dispatch_row(dispatch: Dispatch, now: datetime) -> Row:
    due = {Dispatch.State.DISPATCHED: dispatch.checkin_due,
           Dispatch.State.CHECKED_IN: dispatch.handle_due}.get(dispatch.state)  # type: ignore[call-overload]
    done = dispatch.state in (Dispatch.State.DONE, Dispatch.State.WITHDRAWN)
    late = bool(due and (dispatch.overdue or due < now))
    return Row(case=dispatch.case, dispatch=dispatch, due=due, overdue=late, done=done, paused=False)


@dataclass(frozen=True)
class QueueCount:
    queue: Queue
    count: int
    capped: bool


@dataclass
class Workbench:
    queues: list[QueueCount]
    current: Queue | None
    page: KeysetPage | None
    rows: list[Row] = field(default_factory=list)
    now: datetime = field(default_factory=timezone.now)


def queue_count(*, actor: Any, queue: Queue, filters: CaseFilters | None = None,
                now: datetime | None = None) -> tuple[int, bool]:
    """The capped count of a queue: (count, capped). Counts seek the path indexes (index-only on both engines)."""
    return capped_count(queue_queryset(actor=actor, queue=queue, filters=filters, now=now, seek=True))


def queue_page(*, actor: Any, queue: Queue, filters: CaseFilters | None = None, after: Any = None,
               before: Any = None, now: datetime | None = None, total: tuple[int, bool] | None = None) -> KeysetPage:
    """A page of 50 of a queue, newest first, with its capped count (``total`` when already counted).

    The page walks the ids newest first and tests each row's path (on SQLite, reading about 50 × 1/share rows
    beats fetching every row of the queue through the path index and sorting them), while the count seeks the
    path index (``mofan bench cases``; see ``accounts.permissions.subtree_q``)."""
    page = keyset_page(queue_queryset(actor=actor, queue=queue, filters=filters, now=now, seek=False), after=after,
                       before=before, size=PAGE_SIZE, count=total is None, descending=True,
                       count_queryset=queue_queryset(actor=actor, queue=queue, filters=filters, now=now, seek=True))
    if total is None:
        return page
    return KeysetPage(items=page.items, next_after=page.next_after, prev_before=page.prev_before,
                      total=total[0], total_capped=total[1])


def workbench(*, actor: Any, queue_key: str = "", filters: CaseFilters | None = None, after: Any = None,
              before: Any = None, now: datetime | None = None) -> Workbench:
    """The actor's queues with their (capped) counts, and one page of the chosen queue (the first by default).
    One count query per queue plus one for the page."""
    now = now or timezone.now()
    filters = filters or CaseFilters()
    available = queues_for(actor)
    counts = []
    for queue in available:
        count, capped = queue_count(actor=actor, queue=queue, filters=filters, now=now)
        counts.append(QueueCount(queue=queue, count=count, capped=capped))
    current = next((q for q in available if q.key == queue_key), available[0] if available else None)
    if current is None:
        return Workbench(queues=counts, current=None, page=None, now=now)
    total = next((c.count, c.capped) for c in counts if c.queue is current)
    page = queue_page(actor=actor, queue=current, filters=filters, after=after, before=before, now=now,
                      total=total)
    if current.model is Dispatch:
        rows = [dispatch_row(d, now) for d in page.items]
    else:
        rows = [case_row(c, now) for c in page.items]
    return Workbench(queues=counts, current=current, page=page, rows=rows, now=now)


def area_choices(*, actor: Any) -> list[Unit]:
    """The areas (区, 镇街, 村社) the actor may filter by: those in their case jurisdiction, tree order."""
    roots = scope_paths(actor, VIEW)
    if not roots:
        return []
    return list(
        Unit.objects.filter(scope_filter(actor, VIEW, "path"), kind__in=list(AREA_KINDS), is_active=True)
        .only("id", "name", "path", "depth", "kind").order_by("path")
    )


URGENCY_CHOICES = Urgency.choices
CHANNEL_CHOICES = Channel.choices
