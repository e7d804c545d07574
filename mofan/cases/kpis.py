"""The case figures (KPIs), each defined ONCE here and shared by the KPI pages, the exports and the report
generator: the seed's funnel (收集 · 驳回 · 受理 · 解决完成 · 交办完成率), the 三率 (响应率 · 解决率 · 满意率), the level
at which cases were resolved, overdue cases and dispatches, and the department rankings.

A ``Figure`` counts rows of one subject — cases, or dispatches (交办) — that meet its condition, a ``Q``;
``Figure.cases(queryset)`` gives exactly the rows it counts, so every number on a page links to its list.
A ``Rate`` is one figure over another. Every figure is read through the actor's jurisdiction
(``cases.selectors.jurisdiction``; a department counts only its own dispatches) and a ``Scope``: the
period (on ``created_at``, the 收集 date), and optionally a unit, a level and a department.

How the funnel adds up. A case is in exactly one state, and the funnel partitions cases by state, so for
every period and unit

    收集 collected = 驳回 rejected + 受理 accepted + 待受理 pending + 并案 merged

- 收集: cases collected (created) in the period, whatever happened since;
- 驳回: cases now rejected;
- 并案: cases now merged into another as duplicates (neither rejected nor handled on their own);
- 待受理: cases now waiting for acceptance (state ``collected``), including cases escalated to the level
  above that wait for acceptance there;
- 受理: cases accepted and still in the work: accepted, dispatched, handled, verified or closed;
- 解决完成: cases the centre verified as resolved (``resolved_at``, set by ``services.closing.case_verify``;
  reopening clears it) that are verified or closed — so 解决完成 ≤ 受理 always.

How it stays fast. The figures are computed in SQL, never by Python loops: one aggregate query per subject
with conditional counts (``Count(filter=Q(...))``) over the jurisdiction (path prefixes) and the period. At
a million cases such a count still reads every case of the period, so when the model ``KpiTally`` is
installed the figures that do not depend on the clock are kept as counters per (month, area, centre,
level[, department]), adjusted inside every change of a case (``tally_before``/``tally_after``, called by
``services.engine.perform`` and ``services.intake.case_create``); a period then sums those rows for its whole
months and counts its partial months live, by the same definitions. Overdue figures depend on the clock and
are always counted live, over open cases only. ``tally_rebuild()`` recounts the counters from the cases.

To add a figure: add a ``Figure`` (or ``Rate``) below with an English label, a one-sentence definition and
its condition; pages, exports and reports pick it up by key. A figure that does not depend on the clock also
needs its column in ``KpiTally`` (a test checks they match).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.apps import apps
from django.db import IntegrityError, transaction
from django.db.models import (
    Count,
    DateField,
    DateTimeField,
    Exists,
    F,
    Func,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Substr, TruncMonth
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from mofan.accounts.permissions import scope_filter, scope_paths
from mofan.accounts.roles import Action
from mofan.cases import kinds
from mofan.cases.models import Case, Dispatch, Level, Satisfaction
from mofan.cases.selectors import jurisdiction, viewable
from mofan.core.hotpath import Compiled, as_datetime
from mofan.core.paging import capped_count
from mofan.org.models import PATH_SEGMENT, Unit, UnitKind

CASE, DISPATCH = "case", "dispatch"
ACCEPTED_STATES = frozenset({kinds.ACCEPTED, kinds.DISPATCHED, kinds.HANDLED, kinds.VERIFIED, kinds.CLOSED})
RESOLVED_STATES = frozenset({kinds.VERIFIED, kinds.CLOSED})
SATISFIED = (Satisfaction.SATISFIED, Satisfaction.BASICALLY)
OPEN_DISPATCH_STATES = (Dispatch.State.DISPATCHED, Dispatch.State.CHECKED_IN)
KPI_UNIT_KINDS = (UnitKind.DISTRICT, UnitKind.TOWN, UnitKind.VILLAGE, UnitKind.CENTRE)

Condition = Callable[[str, dt.datetime], Q]  # (prefix to the case's fields, now) -> Q


def _p(prefix: str, **lookups: Any) -> Q:
    """A Q over case fields, reached through ``prefix`` (``""`` on cases, ``"case__"`` on dispatches)."""
    return Q(**{f"{prefix}{key}": value for key, value in lookups.items()})


# Conditions on a case: usable on cases (prefix "") and on dispatches (prefix "case__").

def _all(p: str, now: dt.datetime) -> Q:
    return Q()


def _state(state: str) -> Condition:
    def condition(p: str, now: dt.datetime) -> Q:
        return _p(p, state=state)
    return condition


def _accepted(p: str, now: dt.datetime) -> Q:
    return _p(p, state__in=sorted(ACCEPTED_STATES))


def _resolved(p: str, now: dt.datetime) -> Q:
    return _p(p, resolved_at__isnull=False, state__in=sorted(RESOLVED_STATES))


def _resolved_at(level: int) -> Condition:
    def condition(p: str, now: dt.datetime) -> Q:
        return _resolved(p, now) & _p(p, resolved_level=level)
    return condition


def _called_back(p: str, now: dt.datetime) -> Q:
    return ~_p(p, satisfaction="")


def _satisfied(p: str, now: dt.datetime) -> Q:
    return _p(p, satisfaction__in=list(SATISFIED))


def _unsatisfied(p: str, now: dt.datetime) -> Q:
    return _p(p, satisfaction=Satisfaction.UNSATISFIED)


def _overdue(p: str, now: dt.datetime) -> Q:
    late = _p(p, overdue=True) | _p(p, due_at__lt=now, paused_at__isnull=True)
    return _p(p, state__in=sorted(kinds.OPEN_STATES)) & late


# Conditions on a dispatch (the base of dispatch figures leaves withdrawn dispatches out).

def _answered(p: str, now: dt.datetime) -> Q:
    return Q(state=Dispatch.State.DONE)


def _on_time(p: str, now: dt.datetime) -> Q:
    return Q(checked_in_at__isnull=False, checked_in_at__lte=F("checkin_due"))


def _dispatch_overdue(p: str, now: dt.datetime) -> Q:
    late = (Q(overdue=True) | Q(state=Dispatch.State.DISPATCHED, checkin_due__lt=now)
            | Q(state=Dispatch.State.CHECKED_IN, handle_due__lt=now))
    return Q(state__in=list(OPEN_DISPATCH_STATES)) & late


def _summons(p: str, now: dt.datetime) -> Q:
    return Q(summons=True)


def _rated(p: str, now: dt.datetime) -> Q:
    return Q(rating__isnull=False)


def _of_case(condition: Condition) -> Condition:
    """A case condition read on the dispatch's case."""
    def on_dispatch(p: str, now: dt.datetime) -> Q:
        return condition("case__", now)
    return on_dispatch


@dataclass(frozen=True)
class Figure:
    """A count of cases (``subject`` CASE) or dispatches (DISPATCH) meeting ``condition``. ``clock``: the
    figure depends on the time it is read (overdue), so it is always counted live."""

    key: str
    label: str | Promise
    definition: str | Promise
    subject: str
    condition: Condition
    clock: bool = False
    narrow: Q | None = None  # implied by the condition, on an indexed column: lets a count of it use the index

    def q(self, now: dt.datetime | None = None) -> Q:
        return self.condition("", now or timezone.now())

    def cases(self, queryset: QuerySet[Any], now: dt.datetime | None = None) -> QuerySet[Any]:
        """The rows this figure counts, out of ``queryset`` (of its subject, already scoped and filtered)."""
        return queryset.filter(self.narrow or Q(), self.q(now))

    def count(self, now: dt.datetime) -> Count:
        """The conditional count of this figure, for an aggregate over its subject."""
        return Count("id") if self.condition is _all else Count("id", filter=self.q(now))


@dataclass(frozen=True)
class Rate:
    """One figure over another, e.g. 解决率 = 解决完成 / 受理."""

    key: str
    label: str | Promise
    definition: str | Promise
    numerator: str
    denominator: str


FIGURES: dict[str, Figure] = {f.key: f for f in [
    # The seed's funnel.
    Figure("collected", _("Collected"), _("Cases registered in the period, from every channel."), CASE, _all),
    Figure("rejected", _("Rejected"), _("Cases of the period rejected at triage, with a reason and where to go "
                                        "instead."), CASE, _state(kinds.REJECTED)),
    Figure("accepted", _("Accepted"), _("Cases of the period accepted and still in the work: accepted, dispatched, "
                                        "handled, verified or closed."), CASE, _accepted),
    Figure("pending", _("Waiting for acceptance"), _("Cases of the period now waiting to be accepted or rejected, "
                                                     "including cases escalated to the level above."), CASE,
           _state(kinds.COLLECTED)),
    Figure("merged", _("Merged"), _("Cases of the period merged into another case as duplicates."), CASE,
           _state(kinds.MERGED)),
    Figure("resolved", _("Resolved"), _("Cases of the period the centre verified as resolved and that were not "
                                        "reopened since."), CASE, _resolved),
    Figure("closed", _("Closed"), _("Cases of the period verified, called back and closed."), CASE,
           _state(kinds.CLOSED)),
    Figure("called_back", _("Called back"), _("Cases of the period whose reporter was called back and gave a "
                                              "satisfaction."), CASE, _called_back),
    Figure("satisfied", _("Satisfied or basically satisfied"), _("Cases of the period whose reporter said "
                                                                 "satisfied or basically satisfied at the last "
                                                                 "callback."), CASE, _satisfied),
    Figure("unsatisfied", _("Unsatisfied"), _("Cases of the period whose reporter said unsatisfied at the last "
                                              "callback."), CASE, _unsatisfied),
    Figure("overdue", _("Overdue"), _("Open cases of the period past the due time of their current step (a clock "
                                      "paused while waiting for the reporter does not run)."), CASE, _overdue,
           clock=True, narrow=Q(state__in=sorted(kinds.OPEN_STATES))),
    # Where cases were resolved (三级: 村社 · 镇街 · 区).
    Figure("resolved_village", _("Resolved at village level"), _("Resolved cases of the period resolved by a "
                                                                 "village centre."), CASE,
           _resolved_at(Level.VILLAGE)),
    Figure("resolved_town", _("Resolved at township level"), _("Resolved cases of the period resolved by a township "
                                                               "centre."), CASE, _resolved_at(Level.TOWN)),
    Figure("resolved_district", _("Resolved at district level"), _("Resolved cases of the period resolved by the "
                                                                   "district centre."), CASE,
           _resolved_at(Level.DISTRICT)),
    # Dispatches (交办 / 吹哨) of the period's cases, withdrawn ones left out.
    Figure("dispatches", _("Dispatches"), _("Dispatches to departments (lead and co-handling) of the period's "
                                            "cases, withdrawn ones left out."), DISPATCH, _all),
    Figure("dispatches_answered", _("Dispatches answered"), _("Dispatches whose department reported its result "
                                                              "(办结反馈)."), DISPATCH, _answered),
    Figure("checked_in_on_time", _("Checked in on time"), _("Dispatches whose department checked in (报到) "
                                                            "within the check-in limit."), DISPATCH, _on_time),
    Figure("dispatches_overdue", _("Overdue dispatches"), _("Dispatches still waiting for a check-in or a result "
                                                            "past their limit."), DISPATCH, _dispatch_overdue,
           clock=True, narrow=Q(state__in=list(OPEN_DISPATCH_STATES))),
    Figure("summons", _("Summons"), _("Dispatches made by summoning a department (吹哨)."), DISPATCH, _summons),
    Figure("rated", _("Rated responses"), _("Dispatches whose response the centre rated."), DISPATCH, _rated),
    # Dispatch-side views of case figures, for the department rankings.
    Figure("dispatch_case_resolved", _("Dispatches of resolved cases"), _("Dispatches whose case is resolved."),
           DISPATCH, _of_case(_resolved)),
    Figure("dispatch_case_called_back", _("Dispatches of called-back cases"), _("Dispatches whose case's reporter "
                                                                              "was called back."), DISPATCH,
           _of_case(_called_back)),
    Figure("dispatch_case_satisfied", _("Dispatches of satisfied cases"), _("Dispatches whose case's reporter was "
                                                                          "satisfied or basically satisfied."),
           DISPATCH, _of_case(_satisfied)),
]}

RATES: dict[str, Rate] = {r.key: r for r in [
    Rate("dispatch_completion", _("Dispatch completion rate"), _("Dispatches answered over dispatches made "
                                                                 "(交办完成率)."), "dispatches_answered", "dispatches"),
    Rate("response_rate", _("Response rate"), _("Dispatches checked in on time over dispatches made (响应率)."),
         "checked_in_on_time", "dispatches"),
    Rate("resolution_rate", _("Resolution rate"), _("Resolved cases over accepted cases (解决率)."), "resolved",
         "accepted"),
    Rate("satisfaction_rate", _("Satisfaction rate"), _("Satisfied and basically satisfied over called-back cases "
                                                        "(满意率)."), "satisfied", "called_back"),
]}

FUNNEL = ("collected", "rejected", "accepted", "pending", "merged", "resolved")
THREE_RATES = ("response_rate", "resolution_rate", "satisfaction_rate")
RESOLVED_LEVELS = (("resolved_village", Level.VILLAGE), ("resolved_town", Level.TOWN),
                   ("resolved_district", Level.DISTRICT))
CASE_FIGURES = tuple(k for k, f in FIGURES.items() if f.subject == CASE)
DISPATCH_FIGURES = tuple(k for k, f in FIGURES.items() if f.subject == DISPATCH)
# The unit table and its export: what a centre compares across its towns or villages.
TABLE_FIGURES = ("collected", "rejected", "accepted", "pending", "merged", "resolved", "dispatches",
                 "dispatches_answered")
TABLE_RATES = ("dispatch_completion", "response_rate", "resolution_rate", "satisfaction_rate")
RATING_SUM = "rating_sum"  # not a figure: the sum of ratings, for the average rating of a department


def figure(key: str) -> Figure:
    """The figure named ``key``; KeyError when there is none."""
    return FIGURES[key]


# Filters: period, unit, level, department --------------------------------------------------------------


PERIOD_KINDS = ("month", "quarter", "year", "custom")


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@dataclass(frozen=True)
class Period:
    """A range of local dates, both ends included, on ``created_at`` (the 收集 date)."""

    kind: str
    start: dt.date
    end: dt.date

    @classmethod
    def of(cls, kind: str, on: dt.date) -> Period:
        """The month, quarter or year containing ``on``."""
        if kind == "year":
            return cls(kind, dt.date(on.year, 1, 1), dt.date(on.year, 12, 31))
        if kind == "quarter":
            first = dt.date(on.year, 3 * ((on.month - 1) // 3) + 1, 1)
            return cls(kind, first, _month_end(first.replace(month=first.month + 2)))
        return cls("month", on.replace(day=1), _month_end(on))

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """Aware datetimes [start, end) in the current time zone."""
        start = timezone.make_aware(dt.datetime.combine(self.start, dt.time.min))
        end = timezone.make_aware(dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min))
        return start, end

    def previous(self) -> Period:
        return Period.of(self.kind, self.start - dt.timedelta(days=1))

    def next(self) -> Period:
        return Period.of(self.kind, self.end + dt.timedelta(days=1))

    def split(self) -> tuple[list[dt.date], list[Period]]:
        """The whole months inside the period (their first days), and the partial months at its ends."""
        first = self.start if self.start.day == 1 else _month_end(self.start) + dt.timedelta(days=1)
        months: list[dt.date] = []
        day = first
        while _month_end(day) <= self.end:
            months.append(day)
            day = _month_end(day) + dt.timedelta(days=1)
        if not months:
            return [], [self]
        edges = []
        if self.start < months[0]:
            edges.append(Period("custom", self.start, months[0] - dt.timedelta(days=1)))
        if _month_end(months[-1]) < self.end:
            edges.append(Period("custom", _month_end(months[-1]) + dt.timedelta(days=1), self.end))
        return months, edges

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m-%d} – {self.end:%Y-%m-%d}"


@dataclass(frozen=True)
class Scope:
    """What a KPI view is about: the period, and optionally one unit (the cases that happened in or are held
    under it), one level (the level holding the case now) and one department (its dispatches)."""

    period: Period
    unit: Unit | None = None
    level: int | None = None
    department: Unit | None = None
    excluded: tuple[str, ...] = ()  # leave out cases that happened under these paths (see ``own_scope``)

    def q(self, subject: str = CASE, *, period: bool = True) -> Q:
        p = "case__" if subject == DISPATCH else ""
        query = Q()
        if period:
            start, end = self.period.bounds()
            query &= _p(p, created_at__gte=start, created_at__lt=end)
        if self.unit is not None:  # one column decides, as in ``selectors.viewable``
            column = "centre_path" if self.unit.kind == UnitKind.CENTRE else "area_path"
            query &= _p(p, **{f"{column}__startswith": self.unit.path})
        for path in self.excluded:
            query &= ~_p(p, area_path__startswith=path)
        if self.level is not None:
            query &= _p(p, level=self.level)
        if self.department is not None:
            if subject == DISPATCH:
                query &= Q(department_path__startswith=self.department.path)
            else:
                query &= Q(Exists(Dispatch.objects.filter(case=OuterRef("pk"),
                                                          department_path__startswith=self.department.path)
                                  .exclude(state=Dispatch.State.WITHDRAWN)))
        return query


# Reads, always through the actor's jurisdiction ----------------------------------------------------------


def can_view(actor: Any) -> bool:
    """Whether the actor has case figures to see: a centre or grid (CASE_VIEW) or a department (CASE_HANDLE)."""
    return bool(scope_paths(actor, Action.CASE_VIEW) or scope_paths(actor, Action.CASE_HANDLE))


def dispatch_jurisdiction(actor: Any) -> Q:
    """The dispatches the actor may count: those of the cases a centre sees, and a department's own (a
    department never counts another department's dispatches of the same case)."""
    query = viewable(actor, "case__")
    if scope_paths(actor, Action.CASE_HANDLE):
        query |= scope_filter(actor, Action.CASE_HANDLE, "department_path")
    return query


class _Unindexed(Func):
    """The column as is, but on SQLite written ``+column``, which keeps SQLite's planner off the column's own
    index. SQLite (built without STAT4) cannot see that a few states are rare, and would read a whole period
    through the ``created_at`` index to count its handful of open cases; so the counts of open cases filter
    the period this way and let the state index lead. PostgreSQL, which knows, gets the plain column."""

    template = "%(expressions)s"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, template="+%(expressions)s", **extra)


def base(actor: Any, scope: Scope, subject: str = CASE, narrow: Q | None = None) -> QuerySet[Any]:
    """The rows of ``subject`` the actor may count in ``scope``: the base every figure filters. ``narrow``: a
    selective condition on an indexed column (open states) that should lead the query plan."""
    rows: QuerySet[Any]
    if subject == DISPATCH:
        rows = Dispatch.objects.filter(dispatch_jurisdiction(actor)).exclude(state=Dispatch.State.WITHDRAWN)
    else:
        rows = Case.objects.filter(jurisdiction(actor))
    if narrow is None:
        return rows.filter(scope.q(subject))
    start, end = scope.period.bounds()
    created = "case__created_at" if subject == DISPATCH else "created_at"
    return (rows.filter(narrow, scope.q(subject, period=False))
            .alias(kpi_created=_Unindexed(F(created), output_field=DateTimeField()))
            .filter(kpi_created__gte=start, kpi_created__lt=end))


def figure_rows(actor: Any, key: str, scope: Scope, now: dt.datetime | None = None) -> QuerySet[Any]:
    """The cases (or dispatches) figure ``key`` counts: what its number links to."""
    fig = FIGURES[key]
    return fig.cases(base(actor, scope, fig.subject, fig.narrow), now)


@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def percent(self) -> str:
        """"87.5%", or "—" when there is nothing to divide by."""
        value = self.value
        return "—" if value is None else f"{value * 100:.1f}%"


@dataclass
class Figures:
    """Computed figures: ``counts[key]`` for every figure, ``rates[key]`` for every rate."""

    counts: dict[str, int]
    rates: dict[str, Ratio] = field(default_factory=dict)
    capped: set[str] = field(default_factory=set)  # counted up to COUNT_CAP only ("10,000+")

    def __post_init__(self) -> None:
        if not self.rates:
            self.rates = {key: Ratio(self.counts.get(r.numerator, 0), self.counts.get(r.denominator, 0))
                          for key, r in RATES.items()}

    def __getitem__(self, key: str) -> Any:
        return self.rates[key] if key in self.rates else self.counts[key]


# Counting: live aggregates, and the tally ---------------------------------------------------------------


Groups = dict[Any, dict[str, int]]
_NO_GROUP = "all"


def _aggregates(keys: Iterable[str], now: dt.datetime) -> dict[str, Any]:
    """The conditional counts of figures ``keys`` (of one subject), and the sum of ratings when asked."""
    return {key: Sum("rating") if key == RATING_SUM else FIGURES[key].count(now) for key in keys}


def _bucket(subject: str, group: str | int | None) -> Any:
    """The expression a grouped count groups on: a unit (the first ``group`` characters of the area path,
    i.e. the area directly under a unit) or the department."""
    if group == "department":
        return F("department_id") + 0  # an expression: SQLite then groups after the state index, not along
    prefix = "case__" if subject == DISPATCH else ""
    return Substr(f"{prefix}area_path", 1, int(group or 0))


def _live(actor: Any, scope: Scope, keys: Sequence[str], subject: str, now: dt.datetime,
          group: str | int | None = None) -> Groups:
    """Counts of ``keys`` (all of ``subject``) over the cases themselves: one aggregate query."""
    if not keys:
        return {}
    narrows = {repr(FIGURES[k].narrow) if k in FIGURES else None for k in keys}
    narrow = FIGURES[keys[0]].narrow if len(narrows) == 1 and keys[0] in FIGURES else None
    qs = base(actor, scope, subject, narrow).order_by()  # with a narrow shared by every figure asked for
    aggregates = _aggregates(keys, now)
    if group is None:
        return {_NO_GROUP: {k: int(v or 0) for k, v in qs.aggregate(**aggregates).items()}}
    rows = qs.annotate(bucket=_bucket(subject, group)).values("bucket").annotate(**aggregates)
    return {row.pop("bucket"): {k: int(v or 0) for k, v in row.items()} for row in rows}


def _add(total: Groups, more: Groups) -> Groups:
    for bucket, counts in more.items():
        target = total.setdefault(bucket, {})
        for key, value in counts.items():
            target[key] = target.get(key, 0) + value
    return total


TALLY_MODEL = "KpiTally"


def tally_model() -> Any:
    """The KPI counters' model (``cases.KpiTally``) when it is installed, else None."""
    try:
        return apps.get_model("cases", TALLY_MODEL)
    except LookupError:
        return None


TALLY_FIGURES = tuple(k for k, f in FIGURES.items() if not f.clock)
TALLY_COLUMNS = (*TALLY_FIGURES, RATING_SUM)
_TALLY_CASE = tuple(k for k in TALLY_FIGURES if FIGURES[k].subject == CASE)
_TALLY_DISPATCH = (*(k for k in TALLY_FIGURES if FIGURES[k].subject == DISPATCH), RATING_SUM)


def _tally_usable(actor: Any, scope: Scope, subjects: Sequence[str]) -> bool:
    """The counters serve actors whose jurisdiction is a set of subtrees (centres, grids), and a department
    filter on dispatch figures; a department's own figures (its dispatches, the cases dispatched to it) and
    case figures filtered by department are counted live."""
    return (tally_model() is not None and (scope.department is None or list(subjects) == [DISPATCH])
            and not scope_paths(actor, Action.CASE_HANDLE) and bool(scope_paths(actor, Action.CASE_VIEW)))


def _tally(actor: Any, scope: Scope, months: list[dt.date], group: str | int | None) -> Groups:
    model = tally_model()
    assert model is not None  # noqa: S101 - checked by _tally_usable
    by_department = group == "department" or scope.department is not None
    rows = model.objects.filter(
        viewable(actor), replace(scope, department=None).q(CASE, period=False), month__in=months, department__isnull=not by_department,
    ).order_by()
    if scope.department is not None:
        rows = rows.filter(department_path__startswith=scope.department.path)
    keys = _TALLY_DISPATCH if by_department else _TALLY_CASE + _TALLY_DISPATCH
    sums = {key: Sum(key) for key in keys}
    if group is None:
        return {_NO_GROUP: {k: int(v or 0) for k, v in rows.aggregate(**sums).items()}}
    bucket = F("department_id") if group == "department" else Substr("area_path", 1, int(group))
    result = rows.annotate(bucket=bucket).values("bucket").annotate(**sums)
    return {row.pop("bucket"): {k: int(v or 0) for k, v in row.items()} for row in result}


def _counts(actor: Any, scope: Scope, now: dt.datetime, *, subjects: Iterable[str] = (CASE, DISPATCH),
            group: str | int | None = None, use_tally: bool = True) -> Groups:
    """Every figure of ``subjects`` in ``scope`` that does not depend on the clock, optionally grouped (by
    unit prefix length or department): from the counters for whole months when they serve, live otherwise."""
    subjects = [s for s in subjects if not (group == "department" and s == CASE)]
    result: Groups = {}
    if use_tally and _tally_usable(actor, scope, subjects):
        months, edges = scope.period.split()
        if months:
            _add(result, _tally(actor, scope, months, group))
        for edge in edges:
            for subject in subjects:
                keys = _TALLY_CASE if subject == CASE else _TALLY_DISPATCH
                _add(result, _live(actor, replace(scope, period=edge), keys, subject, now, group))
    else:
        for subject in subjects:
            keys = _TALLY_CASE if subject == CASE else _TALLY_DISPATCH
            _add(result, _live(actor, scope, keys, subject, now, group))
    return result


def _full(counts: dict[str, int] | None) -> dict[str, int]:
    return {**dict.fromkeys((*FIGURES, RATING_SUM), 0), **(counts or {})}


def clock_counts(actor: Any, scope: Scope, now: dt.datetime | None = None) -> tuple[dict[str, int], set[str]]:
    """The figures that depend on the time they are read (overdue cases and dispatches), each counted up to
    ``COUNT_CAP`` like every list ("10,000+"): they count open cases, and a count that stops at the cap costs
    the same however long the backlog. Returns the counts and the keys whose count reached the cap."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    capped: set[str] = set()
    for key, fig in FIGURES.items():
        if fig.clock:
            counts[key], reached = capped_count(figure_rows(actor, key, scope, now))
            if reached:
                capped.add(key)
    return counts, capped


def figure_total(actor: Any, key: str, scope: Scope, now: dt.datetime | None = None) -> tuple[int, bool]:
    """The number of figure ``key`` as the KPI page shows it (from the counters when they serve), for the
    head of its list; and whether it was counted only up to the cap."""
    fig = FIGURES[key]
    if fig.clock:
        return capped_count(figure_rows(actor, key, scope, now))
    counts = _counts(actor, scope, now or timezone.now(), subjects=(fig.subject,)).get(_NO_GROUP, {})
    return int(counts.get(key, 0)), False


def compute(actor: Any, scope: Scope, now: dt.datetime | None = None, *,
            subjects: Iterable[str] = (CASE, DISPATCH), clock: bool = True) -> Figures:
    """Every figure of ``scope`` the actor may see, and the rates. ``clock=False`` leaves out the figures
    that depend on the time they are read (overdue; they count as 0): the funnel, the 三率 and the resolved
    levels alone, as a report of a closed period wants them."""
    now = now or timezone.now()
    counts = _full(_counts(actor, scope, now, subjects=subjects).get(_NO_GROUP))
    capped: set[str] = set()
    if clock:
        timed, capped = clock_counts(actor, scope, now)
        counts.update(timed)
    return Figures(counts, capped=capped)


# Breakdowns: by unit, by department --------------------------------------------------------------------


def unit_choices(actor: Any) -> list[Unit]:
    """The units the KPI pages may be narrowed to: the areas and centres within the actor's case
    jurisdiction, in tree order."""
    if not scope_paths(actor, Action.CASE_VIEW):
        return []
    return list(Unit.objects.filter(scope_filter(actor, Action.CASE_VIEW, "path"), kind__in=list(KPI_UNIT_KINDS),
                                    is_active=True).order_by("path"))


TABLE_PARENT_KINDS = (UnitKind.DISTRICT, UnitKind.TOWN)


def table_children(parent: Unit) -> list[Unit]:
    """The rows of the unit table under ``parent``: its towns or villages (closed ones too, so that every
    case of the period is in exactly one row)."""
    return list(Unit.objects.filter(parent=parent, kind__in=[UnitKind.TOWN, UnitKind.VILLAGE])
                .order_by("-is_active", "sort_order", "name"))


def own_scope(scope: Scope) -> Scope:
    """``scope`` narrowed to the cases of its unit itself: those that happened in none of its towns or
    villages (the first row of the unit table)."""
    if scope.unit is None:
        return scope
    return replace(scope, excluded=tuple(child.path for child in table_children(scope.unit)))


@dataclass
class UnitRow:
    unit: Unit
    own: bool  # the cases of the unit itself, not of the areas under it
    figures: Figures


def unit_table(actor: Any, scope: Scope, parent: Unit, now: dt.datetime | None = None) -> list[UnitRow]:
    """The figures of ``scope`` for each town or village directly under ``parent`` (where the cases
    happened), after a row for the cases of ``parent`` itself (and of its centres): grouped queries, as many
    whatever the number of units."""
    now = now or timezone.now()
    children = table_children(parent)
    grouped = _counts(actor, replace(scope, unit=parent), now, group=len(parent.path) + PATH_SEGMENT)
    own = _full(None)
    paths = {child.path for child in children}
    for bucket, counts in grouped.items():
        if bucket not in paths:
            own = {k: own[k] + counts.get(k, 0) for k in own}
    rows = [UnitRow(parent, True, Figures(own))]
    rows += [UnitRow(child, False, Figures(_full(grouped.get(child.path)))) for child in children]
    return rows


RANKING_ORDERS: dict[str, str | Promise] = {
    "response_rate": _("Response rate"),
    "completion_rate": _("Dispatch completion rate"),
    "resolution_rate": _("Resolution rate"),
    "satisfaction_rate": _("Satisfaction rate"),
    "rating": _("Average rating"),
}


@dataclass
class DepartmentRow:
    department: Unit
    counts: dict[str, int]
    rates: dict[str, Ratio]

    @property
    def dispatches(self) -> int:
        return self.counts["dispatches"]

    @property
    def rating(self) -> float | None:
        return self.counts[RATING_SUM] / self.counts["rated"] if self.counts["rated"] else None

    def sort_value(self, key: str) -> float:
        value = self.rating if key == "rating" else self.rates[key].value
        return value if value is not None else -1.0


def department_ranking(actor: Any, scope: Scope, order: str = "response_rate",
                       now: dt.datetime | None = None) -> list[DepartmentRow]:
    """Departments ranked on the 三率 of their own dispatches and on the centres' rating.

    A department's 响应率 is its dispatches checked in on time over its dispatches; its 交办完成率 its
    dispatches answered over its dispatches; its 解决率 its dispatches whose case is resolved over its
    dispatches; its 满意率 its dispatches whose case's reporter was satisfied over those called back; its
    rating the average of the centres' ratings (1–5)."""
    now = now or timezone.now()
    grouped = _counts(actor, scope, now, subjects=(DISPATCH,), group="department")
    departments = Unit.objects.in_bulk([pk for pk in grouped if pk is not None])
    rows = []
    for pk, counts in grouped.items():
        if pk not in departments:
            continue
        full = _full(counts)
        if not full["dispatches"]:
            continue
        rates = {
            "response_rate": Ratio(full["checked_in_on_time"], full["dispatches"]),
            "completion_rate": Ratio(full["dispatches_answered"], full["dispatches"]),
            "resolution_rate": Ratio(full["dispatch_case_resolved"], full["dispatches"]),
            "satisfaction_rate": Ratio(full["dispatch_case_satisfied"], full["dispatch_case_called_back"]),
        }
        rows.append(DepartmentRow(departments[pk], full, rates))
    order = order if order in RANKING_ORDERS else "response_rate"
    rows.sort(key=lambda r: (-r.sort_value(order), -r.dispatches, r.department.name))
    return rows


def subject_model(key: str) -> type[Model]:
    return Dispatch if FIGURES[key].subject == DISPATCH else Case


# Keeping the counters ----------------------------------------------------------------------------------


TallyKey = tuple[dt.date, int, str, int, str, int, int | None, str]  # month, area, path, centre, path, level, dept
Snapshot = dict[TallyKey, dict[str, int]]


def _month_of(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date().replace(day=1)


def _case_snapshot(case_pk: Any) -> QuerySet[Any]:
    return (Case.objects.filter(pk=case_pk).order_by()
            .values("created_at", "area_id", "area_path", "centre_id", "centre_path", "level")
            .annotate(**_aggregates(_TALLY_CASE, timezone.now())))


def _dispatch_snapshot(case_pk: Any) -> QuerySet[Any]:
    return (Dispatch.objects.filter(case_id=case_pk).exclude(state=Dispatch.State.WITHDRAWN).order_by()
            .values("department_id", "department_path").annotate(**_aggregates(_TALLY_DISPATCH, timezone.now())))


# The snapshot queries, compiled once per database (core.hotpath): building two dozen conditional counts
# through the ORM costs more than running them on one case. (The tallied figures never read the clock, so the
# query does not change.)
_SNAPSHOTS = {CASE: Compiled(_case_snapshot), DISPATCH: Compiled(_dispatch_snapshot)}


def _rows(subject: str, case_pk: int) -> list[dict[str, Any]]:
    return _SNAPSHOTS[subject].dicts(case_pk)


def _snapshot(case_pk: int, *, new: bool = False) -> Snapshot:
    """What one case adds to the counters now: its case row, and a row per department it is dispatched to
    (the case row also carries the totals of its dispatches). Two small aggregate queries (one for a new
    case), by the figures' own definitions."""
    cases = _rows(CASE, case_pk)
    if not cases:
        return {}
    case = cases[0]
    created = as_datetime(case["created_at"])
    assert created is not None  # noqa: S101 - created_at is NOT NULL
    key: TallyKey = (_month_of(created), case["area_id"], case["area_path"],
                     case["centre_id"], case["centre_path"], case["level"], None, "")
    snapshot: Snapshot = {key: {k: int(case[k] or 0) for k in _TALLY_CASE}}
    for row in [] if new else _rows(DISPATCH, case_pk):
        counts = {k: int(row[k] or 0) for k in _TALLY_DISPATCH}
        snapshot[(*key[:6], row["department_id"], row["department_path"])] = counts
        for k, v in counts.items():
            snapshot[key][k] = snapshot[key].get(k, 0) + v
    return snapshot


def tally_before(case_pk: int) -> Snapshot | None:
    """Call inside the transaction, with the case row locked, before changing the case or its dispatches."""
    return _snapshot(case_pk) if tally_model() is not None else None


def tally_after(case_pk: int, before: Snapshot | None) -> None:
    """Call after the change, in the same transaction: adds the difference to the counters. ``before`` None
    with the model installed means a new case."""
    model = tally_model()
    if model is None:
        return
    deltas: dict[TallyKey, dict[str, int]] = {}
    for sign, snapshot in ((-1, before or {}), (1, _snapshot(case_pk, new=before is None))):
        for key, counts in snapshot.items():
            target = deltas.setdefault(key, {})
            for column, value in counts.items():
                target[column] = target.get(column, 0) + sign * value
    for key in sorted(deltas, key=lambda k: (k[0], k[1], k[3], k[5], k[6] or 0)):  # a fixed order: no deadlocks
        changes = {column: value for column, value in deltas[key].items() if value}
        if changes:
            _increment(model, key, changes)


def _increment(model: Any, key: TallyKey, changes: dict[str, int]) -> None:
    month, area, area_path, centre, centre_path, level, department, department_path = key
    where = {"month": month, "area_id": area, "centre_id": centre, "level": level, "department_id": department}
    if department is None:
        where = {**where, "department__isnull": True}
        del where["department_id"]
    updates = {column: F(column) + value for column, value in changes.items()}
    if model.objects.filter(**where).update(**updates):
        return
    try:
        with transaction.atomic():  # a savepoint: a concurrent first write of the same row wins, we add to it
            model.objects.create(month=month, area_id=area, area_path=area_path, centre_id=centre,
                                 centre_path=centre_path, level=level, department_id=department,
                                 department_path=department_path, **changes)
    except IntegrityError:
        model.objects.filter(**where).update(**updates)


def tally_rebuild() -> int:
    """Recount every counter from the cases (after bulk loads, or to check them): grouped queries, one
    transaction. Returns the number of counter rows."""
    model = tally_model()
    if model is None:
        return 0
    now = timezone.now()
    month = TruncMonth("created_at", output_field=DateField())
    case_keys = ("month", "area_id", "area_path", "centre_id", "centre_path", "level")
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    cases = (Case.objects.order_by().annotate(month=month).values(*case_keys)
             .annotate(**_aggregates(_TALLY_CASE, now)))
    for row in cases:
        rows[tuple(row[k] for k in case_keys) + (None,)] = row
    dispatch_keys = ("month", "case__area_id", "case__area_path", "case__centre_id", "case__centre_path",
                     "case__level", "department_id", "department_path")
    dispatches = (Dispatch.objects.exclude(state=Dispatch.State.WITHDRAWN).order_by()
                  .annotate(month=TruncMonth("case__created_at", output_field=DateField())).values(*dispatch_keys)
                  .annotate(**_aggregates(_TALLY_DISPATCH, now)))
    dispatch_rows = []
    for row in dispatches:
        counts = {k: int(row[k] or 0) for k in _TALLY_DISPATCH}
        case_key = tuple(row[k] for k in dispatch_keys[:6]) + (None,)
        total = rows[case_key]
        for k, v in counts.items():
            total[k] = int(total.get(k) or 0) + v
        dispatch_rows.append(model(month=row["month"], area_id=row["case__area_id"],
                                   area_path=row["case__area_path"], centre_id=row["case__centre_id"],
                                   centre_path=row["case__centre_path"], level=row["case__level"],
                                   department_id=row["department_id"], department_path=row["department_path"],
                                   **counts))
    case_rows = [model(month=row["month"], area_id=row["area_id"], area_path=row["area_path"],
                       centre_id=row["centre_id"], centre_path=row["centre_path"], level=row["level"],
                       department_id=None, department_path="",
                       **{k: int(row.get(k) or 0) for k in TALLY_COLUMNS})
                 for row in rows.values()]
    with transaction.atomic():
        model.objects.all().delete()
        model.objects.bulk_create(case_rows + dispatch_rows, batch_size=2000)
    return len(case_rows) + len(dispatch_rows)
