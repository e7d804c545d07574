"""The KPI pages: the funnel, the 三率, where cases were resolved, the table by town or village, the department
ranking and the overdue list — every number a link to the cases (or dispatches) it counts — and their xlsx
exports. The figures themselves are defined in ``cases.kpis``; these views only read the filters from the
query string and call it, always with the actor (outside the jurisdiction is a 404).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from mofan.cases import kinds, kpis
from mofan.cases.models import Case, Dispatch, Level
from mofan.cases.selectors_work import case_row, dispatch_row
from mofan.core.paging import PAGE_SIZE, KeysetPage, keyset_page
from mofan.core.services import record_export
from mofan.core.xlsx import xlsx_response
from mofan.org.models import ORGAN_KINDS, Unit

MAX_CUSTOM_DAYS = 3660  # ten years
OVERDUE_ON_PAGE = 10
EXPORT_MAX_ROWS = 100_000  # a figure's list beyond this is refused: narrow the period or the unit


class KpiFilterForm(forms.Form):
    period = forms.ChoiceField(required=False, choices=[
        ("month", gettext_lazy("This month")), ("quarter", gettext_lazy("This quarter")),
        ("year", gettext_lazy("This year")), ("custom", gettext_lazy("Custom dates")),
    ])
    on = forms.DateField(required=False)
    start = forms.DateField(required=False, label=gettext_lazy("From"))
    end = forms.DateField(required=False, label=gettext_lazy("To"))
    unit = forms.IntegerField(required=False, min_value=1)
    level = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, choices=[("", "")] + [
        (str(value), label) for value, label in Level.choices])
    department = forms.IntegerField(required=False, min_value=1)
    own = forms.BooleanField(required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("period") == "custom":
            start, end = data.get("start"), data.get("end")
            if start is None or end is None:
                raise forms.ValidationError(_("Give both dates of the custom period."))
            if start > end:
                raise forms.ValidationError(_("The period ends before it starts."))
            if (end - start).days > MAX_CUSTOM_DAYS:
                raise forms.ValidationError(_("A custom period spans at most ten years."))
        return data


@dataclass
class Filters:
    scope: kpis.Scope
    units: list[Unit]
    params: dict[str, str]  # the filters as query parameters, for links

    def query(self, **extra: Any) -> str:
        params = {**self.params, **{k: v for k, v in extra.items() if v not in (None, "")}}
        for key, value in extra.items():
            if value in (None, ""):
                params.pop(key, None)
        return urlencode(params)


def _filters(request: HttpRequest) -> Filters:
    """The scope of a KPI page from the query string. Bad dates fall back to this month with a message; a
    unit outside the actor's jurisdiction (or a department that is none) is a 404."""
    actor = request.user
    if not kpis.can_view(actor):
        raise PermissionDenied(_("You do not have permission to do this here."))
    form = KpiFilterForm(request.GET)
    today = timezone.localdate()
    if not form.is_valid():
        problems = form.errors.get("__all__", []) or [
            _("Some filters were not understood, so they were left out: showing this month.")]
        for error in problems:
            messages.error(request, str(error))
        data: dict[str, Any] = {}
    else:
        data = form.cleaned_data
    kind = data.get("period") or "month"
    if kind == "custom" and data.get("start") and data.get("end"):
        period = kpis.Period("custom", data["start"], data["end"])
    else:
        kind = "month" if kind == "custom" else kind
        period = kpis.Period.of(kind, data.get("on") or today)
    units = kpis.unit_choices(actor)
    unit = None
    if data.get("unit"):
        unit = next((u for u in units if u.pk == data["unit"]), None)
        if unit is None:
            raise Http404
    department = None
    if data.get("department"):
        department = Unit.objects.filter(pk=data["department"], kind__in=list(ORGAN_KINDS)).first()
        if department is None:
            raise Http404
    params = {"period": period.kind}
    if period.kind == "custom":
        params |= {"start": period.start.isoformat(), "end": period.end.isoformat()}
    elif period.start > today or period.end < today:
        params["on"] = period.start.isoformat()
    if unit is not None:
        params["unit"] = str(unit.pk)
    if data.get("level"):
        params["level"] = str(data["level"])
    if department is not None:
        params["department"] = str(department.pk)
    scope = kpis.Scope(period=period, unit=unit, level=data.get("level"), department=department)
    if data.get("own") and unit is not None:
        params["own"] = "1"
        scope = kpis.own_scope(scope)
    return Filters(scope=scope, units=units, params=params)


def _table_parent(actor: Any, filters: Filters) -> Unit | None:
    """The unit whose towns or villages the table compares: the chosen unit, or the top of the actor's
    jurisdiction when it is one area (a district, a town)."""
    if filters.scope.unit is not None:
        return filters.scope.unit if filters.scope.unit.kind in kpis.TABLE_PARENT_KINDS else None
    tops = [u for u in filters.units if not any(u.path.startswith(o.path) and u != o for o in filters.units)]
    if len(tops) == 1 and tops[0].kind in kpis.TABLE_PARENT_KINDS:
        return tops[0]
    return None


def _link(key: str, filters: Filters, **extra: Any) -> str:
    return f"{reverse('cases:kpi_cases', args=[key])}?{filters.query(**extra)}"


@dataclass(frozen=True)
class Cell:
    """A number on a page and the list it links to."""

    key: str
    label: str
    value: int
    url: str
    capped: bool = False  # counted up to the cap only: shown as "10000+"


@dataclass(frozen=True)
class RateCell:
    key: str
    label: str
    definition: str
    ratio: kpis.Ratio
    numerator: Cell
    denominator: Cell


def _cells(figures: kpis.Figures, filters: Filters, keys: tuple[str, ...], **extra: Any) -> list[Cell]:
    return [Cell(k, str(kpis.FIGURES[k].label), figures.counts[k], _link(k, filters, **extra), k in figures.capped)
            for k in keys]


def _rate_cells(figures: kpis.Figures, filters: Filters, keys: tuple[str, ...], **extra: Any) -> list[RateCell]:
    result = []
    for key in keys:
        rate = kpis.RATES[key]
        num, den = _cells(figures, filters, (rate.numerator, rate.denominator), **extra)
        result.append(RateCell(key, str(rate.label), str(rate.definition), figures.rates[key], num, den))
    return result


@login_required
@require_GET
def kpi_dashboard(request: HttpRequest) -> HttpResponse:
    actor = request.user
    filters = _filters(request)
    now = timezone.now()
    figures = kpis.compute(actor, filters.scope, now)
    parent = _table_parent(actor, filters)
    table = []
    if parent is not None:
        for row in kpis.unit_table(actor, filters.scope, parent, now):
            extra = {"unit": row.unit.pk, "own": "1" if row.own else None}
            table.append({"row": row, "cells": _cells(row.figures, filters, kpis.TABLE_FIGURES, **extra),
                          "rates": _rate_cells(row.figures, filters, kpis.TABLE_RATES, **extra)})
    order = request.GET.get("order", "response_rate")
    order = order if order in kpis.RANKING_ORDERS else "response_rate"
    ranking = []
    for dept in kpis.department_ranking(actor, filters.scope, order, now):
        extra = {"department": dept.department.pk}
        ranking.append({"row": dept, "dispatches_url": _link("dispatches", filters, **extra),
                        "rates": [(key, dept.rates[key], _link(_RANKING_NUMERATORS[key], filters, **extra))
                                  for key in ("response_rate", "completion_rate", "resolution_rate",
                                              "satisfaction_rate")],
                        "rated_url": _link("rated", filters, **extra)})
    overdue_rows = kpis.figure_rows(actor, "overdue", filters.scope, now).select_related("area", "centre",
                                                                                        "category")
    overdue = [case_row(c, now) for c in overdue_rows.order_by("-id")[:OVERDUE_ON_PAGE]]
    period = filters.scope.period
    return render(request, "cases/kpi/dashboard.html", {
        "filters": filters,
        "form_period": period.kind,
        "period": period,
        "previous_query": filters.query(on=period.previous().start.isoformat(), start=None, end=None)
        if period.kind != "custom" else None,
        "next_query": filters.query(on=period.next().start.isoformat(), start=None, end=None)
        if period.kind != "custom" and period.next().start <= timezone.localdate() else None,
        "levels": Level.choices,
        "funnel": _cells(figures, filters, kpis.FUNNEL),
        "completion": _rate_cells(figures, filters, ("dispatch_completion",))[0],
        "three_rates": _rate_cells(figures, filters, kpis.THREE_RATES),
        "resolved_levels": _cells(figures, filters, tuple(k for k, _level in kpis.RESOLVED_LEVELS)),
        "resolved_total": figures.counts["resolved"],
        "others": _cells(figures, filters, ("closed", "called_back", "unsatisfied", "summons", "rated")),
        "table_parent": parent,
        "table": table,
        "table_figures": [kpis.FIGURES[k].label for k in kpis.TABLE_FIGURES],
        "table_rates": [kpis.RATES[k].label for k in kpis.TABLE_RATES],
        "ranking": ranking,
        "ranking_orders": kpis.RANKING_ORDERS,
        "order": order,
        "overdue": overdue,
        "overdue_cell": _cells(figures, filters, ("overdue", "dispatches_overdue")),
        "definitions": [(f.label, f.definition) for f in kpis.FIGURES.values()]
        + [(r.label, r.definition) for r in kpis.RATES.values()],
    })


_RANKING_NUMERATORS = {"response_rate": "checked_in_on_time", "completion_rate": "dispatches_answered",
                       "resolution_rate": "dispatch_case_resolved", "satisfaction_rate": "dispatch_case_satisfied"}


def _figure(key: str) -> kpis.Figure:
    try:
        return kpis.figure(key)
    except KeyError:
        raise Http404 from None


def _rows_of(request: HttpRequest, key: str, filters: Filters) -> Any:
    """The rows figure ``key`` counts, with what a list shows of them."""
    fig = _figure(key)
    rows = kpis.figure_rows(request.user, key, filters.scope)
    if fig.subject == kpis.DISPATCH:
        return rows.select_related("case", "case__area", "case__centre", "case__category", "department")
    return rows.select_related("area", "centre", "category")


@login_required
@require_GET
def kpi_cases(request: HttpRequest, key: str) -> HttpResponse:
    """The cases (or dispatches) behind one number, newest first, by keyset pages of 50."""
    fig = _figure(key)
    filters = _filters(request)
    rows = _rows_of(request, key, filters)
    page = keyset_page(rows, after=request.GET.get("after"), before=request.GET.get("before"), size=PAGE_SIZE,
                       descending=True, count=False)
    total, capped = kpis.figure_total(request.user, key, filters.scope)  # the number the page showed
    page = KeysetPage(items=page.items, next_after=page.next_after, prev_before=page.prev_before, total=total,
                      total_capped=capped)
    now = timezone.now()
    table = [dispatch_row(d, now) for d in page.items] if fig.subject == kpis.DISPATCH else [
        case_row(c, now) for c in page.items]
    return render(request, "cases/kpi/cases.html", {
        "figure": fig,
        "filters": filters,
        "page": page,
        "rows": table,
        "is_dispatch": fig.subject == kpis.DISPATCH,
        "level_label": Level(filters.scope.level).label if filters.scope.level else "",
        "back_query": urlencode({k: v for k, v in filters.params.items() if k not in ("department", "own")}),
    })


def _export_filename(stem: str) -> str:
    return f"{stem}-{timezone.localdate():%Y%m%d}.xlsx"


def _scope_note(filters: Filters) -> str:
    scope = filters.scope
    parts = [_("Period: %(period)s") % {"period": scope.period.label}]
    if scope.unit is not None:
        parts.append(_("Unit: %(unit)s") % {"unit": scope.unit.name})
    if scope.level is not None:
        parts.append(_("Level: %(level)s") % {"level": Level(scope.level).label})
    if scope.department is not None:
        parts.append(_("Department: %(unit)s") % {"unit": scope.department.name})
    return " · ".join(parts)


def _ratio_cell(ratio: kpis.Ratio) -> float | str:
    value = ratio.value
    return "" if value is None else round(value, 4)


@login_required
@require_GET
def kpi_export(request: HttpRequest) -> HttpResponse:
    """The KPI table as xlsx: one row for the whole scope, then one per town or village; audited."""
    actor = request.user
    filters = _filters(request)
    now = timezone.now()
    lines: list[tuple[str, kpis.Figures]] = [(_("Total"), kpis.compute(actor, filters.scope, now))]
    parent = _table_parent(actor, filters)
    if parent is not None:
        for row in kpis.unit_table(actor, filters.scope, parent, now):
            name = _("%(unit)s (itself)") % {"unit": row.unit.name} if row.own else row.unit.name
            lines.append((name, row.figures))
    keys = (*kpis.FUNNEL, "closed", "called_back", "satisfied", "unsatisfied", "overdue",
            *(k for k, _level in kpis.RESOLVED_LEVELS), "dispatches", "dispatches_answered", "checked_in_on_time",
            "dispatches_overdue", "summons")
    rates = ("dispatch_completion", *kpis.THREE_RATES)
    headers = [_("Unit"), *(str(kpis.FIGURES[k].label) for k in keys), *(str(kpis.RATES[r].label) for r in rates)]
    rows = [[name, *(figures.counts[k] for k in keys), *(_ratio_cell(figures.rates[r]) for r in rates)]
            for name, figures in lines]
    record_export(actor=actor, what="cases.kpi", count=len(rows))
    return xlsx_response(_export_filename(_("case-figures")), headers, rows, title=_("Case figures"),
                         notes=[_scope_note(filters)])


@login_required
@require_GET
def kpi_cases_export(request: HttpRequest, key: str) -> HttpResponse:
    """The cases (or dispatches) behind one number as xlsx, without the reporters' data; audited."""
    fig = _figure(key)
    filters = _filters(request)
    rows_qs = _rows_of(request, key, filters).order_by("-id")
    rows: list[list[Any]] = []
    yes, no = _("Yes"), _("No")
    for item in rows_qs.iterator(chunk_size=2000):
        if len(rows) >= EXPORT_MAX_ROWS:
            messages.error(request, _("More than %(n)s rows: narrow the period or the unit before exporting.")
                           % {"n": f"{EXPORT_MAX_ROWS:,}"})
            return redirect(f"{reverse('cases:kpi_cases', args=[key])}?{request.GET.urlencode()}")
        case: Case = item.case if isinstance(item, Dispatch) else item
        line = [case.tracking_code, case.title, kinds.get(case.kind).state_label(case.state),
                case.get_urgency_display(), case.area.name, case.centre.name, case.get_level_display(),
                case.created_at, case.resolved_at, case.get_resolved_level_display() or "",
                case.get_satisfaction_display() or "", yes if case.overdue else no]
        if isinstance(item, Dispatch):
            line += [item.department.name, item.get_role_display(), item.get_state_display(),
                     item.dispatched_at, item.checkin_due, item.checked_in_at, item.handle_due, item.feedback_at,
                     item.rating or ""]
        rows.append(line)
    headers = [_("Tracking code"), _("Title"), _("State"), _("Urgency"), _("Area"), _("Centre"), _("Level"),
               _("Collected"), _("Resolved"), _("Resolved at level"), _("Satisfaction"), _("Overdue")]
    if fig.subject == kpis.DISPATCH:
        headers += [_("Department"), _("Role"), _("Dispatch state"), _("Dispatched"), _("Check-in due"),
                    _("Checked in"), _("Handling due"), _("Result reported"), _("Rating")]
    record_export(actor=request.user, what=f"cases.kpi.{key}", count=len(rows))
    return xlsx_response(_export_filename(str(fig.key)), headers, rows, title=str(fig.label)[:31],
                         notes=[f"{fig.label}: {fig.definition}", _scope_note(filters)])


