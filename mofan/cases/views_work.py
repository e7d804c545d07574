"""The 工作台 (workbench) and the case page.

The views validate input and read through the selectors (``selectors.case_get``: a case outside the actor's
jurisdiction is a 404) or call one service (the reporter's unmasked data: ``services.privacy``).
``can()`` only decides which buttons to show; the services decide for real.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from mofan.accounts.reauth import require_recent_auth
from mofan.cases import categories, kinds
from mofan.cases import selectors_work as work
from mofan.cases.models import (
    Case,
    CaseAttachment,
    CaseEvent,
    Channel,
    Dispatch,
    Level,
    Satisfaction,
    Urgency,
)
from mofan.cases.selectors import case_get, case_list
from mofan.cases.services import privacy

OPERATIONS_TEMPLATE = "cases/ops/_operations.html"
SEARCH_MAX = 100

# Timeline entries that are not transitions of the kind.
EXTRA_ACTIONS = {
    "collect": gettext_lazy("Collected"),  # 收集
    "merged_in": gettext_lazy("A duplicate was merged into this case"),
    "remind": gettext_lazy("Reminder"),
    "sweep": gettext_lazy("Time limit passed"),
}


# The workbench -----------------------------------------------------------------------------------------


def _choice(value: str, allowed: list[str]) -> str:
    return value if value in allowed else ""


def _flat_catalogue() -> list[tuple[Any, int]]:
    """(category, depth) in catalogue order, for the filter."""
    flat: list[tuple[Any, int]] = []

    def walk(nodes: list[categories.CatalogueNode], depth: int) -> None:
        for node in nodes:
            flat.append((node.category, depth))
            walk(node.children, depth + 1)

    walk(categories.category_tree(), 0)
    return flat


def _filters(request: HttpRequest, catalogue: list[tuple[Any, int]], areas: list[Any]) -> work.CaseFilters:
    """The filters from the query string. An unknown value (a category or area id that is not offered) is
    dropped: a filter never widens the jurisdiction."""
    params = request.GET
    category_pk, area_pk = params.get("category", ""), params.get("area", "")
    return work.CaseFilters(
        search=params.get("q", "").strip()[:SEARCH_MAX],
        urgency=_choice(params.get("urgency", ""), list(Urgency.values)),
        channel=_choice(params.get("channel", ""), list(Channel.values)),
        category=next((c for c, _depth in catalogue if str(c.pk) == category_pk), None),
        area=next((a for a in areas if str(a.pk) == area_pk), None),
    )


@login_required
@require_GET
def workbench(request: HttpRequest) -> HttpResponse:
    """工作台: the actor's queues with counts, and a page of the chosen one (?queue=), filtered."""
    actor = request.user
    catalogue = _flat_catalogue()
    areas = work.area_choices(actor=actor)
    filters = _filters(request, catalogue, areas)
    bench = work.workbench(actor=actor, queue_key=request.GET.get("queue", ""), filters=filters,
                           after=request.GET.get("after"), before=request.GET.get("before"))
    return render(request, "cases/work/workbench.html", {
        "bench": bench,
        "filters": filters,
        "catalogue": catalogue,
        "areas": areas,
        "urgencies": Urgency.choices,
        "channels": Channel.choices,
        "is_dispatch_queue": bench.current is not None and bench.current.model is Dispatch,
    })


# The case page -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    event: CaseEvent
    label: str
    from_label: str
    to_label: str
    details: list[tuple[str, str]]
    attachments: list[CaseAttachment]


def action_label(kind: kinds.CaseKind, action: str) -> str:
    transition = kind.transitions.get(action)
    if transition is not None:
        return str(transition.label)
    extra = EXTRA_ACTIONS.get(action)
    return str(extra) if extra is not None else action


def _detail_labels() -> dict[str, str]:
    return {
        "channel": _("Channel"), "category": _("Category"), "reason": _("Reason"),
        "redirect_to": _("Where to go instead"), "into": _("Merged into"), "duplicate": _("Duplicate"),
        "department": _("Department"), "departments": _("Departments"), "lead": _("Lead department"),
        "co": _("Co-handling departments"), "result": _("Result"), "satisfaction": _("Satisfaction"),
        "days": _("Days"), "extension_days": _("Days asked for"), "approved": _("Approved"),
        "rating": _("Rating"), "centre": _("Centre"),
        "from_centre": pgettext("escalation", "From"), "to_centre": pgettext("escalation", "To"),
        "level": _("Level"), "checkin_due": _("Check in by"), "handle_due": _("Report back by"), "due": _("Due"),
        "late": _("Late"), "solved": _("Solved"), "withdrawn": _("Withdrawn from"),
        "resolved_level": _("Resolved at level"), "paused_minutes": _("Minutes paused"),
    }


def _detail_value(key: str, value: Any) -> str:
    if key in ("checkin_due", "handle_due", "due") and isinstance(value, str):
        try:
            return timezone.localtime(datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return value
    if key == "resolved_level" and value in Level.values:
        return str(Level(value).label)
    if key == "channel" and value in Channel.values:
        return str(Channel(value).label)
    if key == "satisfaction" and value in Satisfaction.values:
        return str(Satisfaction(value).label)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return str(value)


def _details(event: CaseEvent) -> list[tuple[str, str]]:
    """The timeline data worth showing, in words; keys this page does not know are left out."""
    labels = _detail_labels()
    data = event.data if isinstance(event.data, dict) else {}
    shown = []
    if "from" in data and "to" in data and data.get("from") != data.get("to"):
        shown.append((_("Changed"), f"{data['from'] or '—'} → {data['to'] or '—'}"))
    for key, value in data.items():
        if key in ("late", "summons") and not value:  # only worth saying when it is so
            continue
        if key in labels and value not in (None, "", [], {}):
            shown.append((labels[key], _detail_value(key, value)))
    return shown


def _timeline(case: Case, kind: kinds.CaseKind) -> list[TimelineEntry]:
    events = list(case.events.select_related("actor", "actor_unit").prefetch_related("attachments").order_by("id"))
    entries = []
    for event in events:
        entries.append(TimelineEntry(
            event=event,
            label=action_label(kind, event.action),
            from_label=kind.state_label(event.from_state) if event.from_state else "",
            to_label=kind.state_label(event.to_state) if event.to_state else "",
            details=_details(event),
            attachments=list(event.attachments.all()),
        ))
    return entries


def operations_template() -> str | None:
    """The operations panel is written separately (cases/ops); the page renders without it."""
    try:
        get_template(OPERATIONS_TEMPLATE)
    except TemplateDoesNotExist:
        return None
    return OPERATIONS_TEMPLATE


def _may_reveal(actor: Any, case: Case) -> bool:
    """Whether to offer the "show" button; ``privacy.reporter_reveal`` checks again and audits the view."""
    has_data = case.reporter_name or case.reporter_phone or case.reporter_id_cipher
    return bool(has_data) and not case.anonymous and privacy.may_view_reporter(actor, case)


def _case_context(actor: Any, case: Case) -> dict[str, Any]:
    kind = kinds.get(case.kind)
    now = timezone.now()
    dispatches = list(case.dispatches.select_related("department").order_by("id"))
    visible = case_list(actor=actor).select_related(None).only("id", "tracking_code", "title", "state", "kind")
    return {
        "case": case,
        "kind": kind,
        "row": work.case_row(case, now),
        "category_path": categories.category_path(case.category),
        "dispatches": dispatches,
        "dispatch_rows": [(d, work.dispatch_row(d, now)) for d in dispatches],
        "timeline": _timeline(case, kind),
        "loose_attachments": list(case.attachments.filter(event__isnull=True).order_by("id")),
        "duplicates": list(visible.filter(parent=case).order_by("id")),
        "parent": visible.filter(pk=case.parent_id).first() if case.parent_id else None,
        "reporter": privacy.reporter_masked(case),
        "reporter_empty": not (case.reporter_name or case.reporter_phone or case.reporter_id_cipher),
        "can_reveal": _may_reveal(actor, case),
        "operations_template": operations_template(),
        "terminal": case.state in kind.terminal,
    }


@login_required
@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_get(actor=request.user, pk=pk)
    return render(request, "cases/work/case_detail.html", _case_context(request.user, case))


@login_required
@require_POST
@never_cache
def reporter_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """The reporter's unmasked name, phone and ID number after a recent re-authentication (else the way to it);
    the service checks CASE_VIEW_REPORTER and audits the view. HTMX swaps the reporter block; without HTMX the case page comes back with it open."""
    case = case_get(actor=request.user, pk=pk)
    if privacy.may_view_reporter(request.user, case):  # without the permission: the service's 403
        require_recent_auth(request)
    revealed = privacy.reporter_reveal(actor=request.user, case=case)
    if request.headers.get("HX-Request"):
        return render(request, "cases/work/_reporter_revealed.html", {"case": case, "revealed": revealed})
    context = _case_context(request.user, case)
    context["revealed"] = revealed
    return render(request, "cases/work/case_detail.html", context)


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    """A file of a case the actor may see; any other case's file is a 404."""
    case = case_get(actor=request.user, pk=pk)
    attachment = CaseAttachment.objects.filter(case=case, pk=attachment_pk).first()
    if attachment is None or not attachment.file:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.name,
                            content_type=attachment.content_type or "application/octet-stream")
    response["Cache-Control"] = "private, no-store"
    return response
