"""The audit trail pages: read, filter, export. There is no page that changes or deletes a record."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from django import forms
from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import escape_uri_path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from mofan.accounts.reauth import require_recent_auth
from mofan.accounts.roles import Action
from mofan.audit import selectors, services
from mofan.audit.events import all_events
from mofan.audit.models import AuditLog
from mofan.core import exports
from mofan.core.xlsx import xlsx_response
from mofan.org.forms import flash_errors

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"]


def _event_choices() -> list[tuple[Any, Any]]:
    return [("", gettext_lazy("All events"))] + [(e.id, f"{e.label} ({e.name})") for e in all_events()]


def _object_type_choices() -> list[tuple[str, Any]]:
    choices: list[tuple[str, Any]] = [("", gettext_lazy("All kinds"))]
    for model in apps.get_models():
        if model.__module__.startswith("mofan.") and model is not AuditLog:
            choices.append((model._meta.label_lower, model._meta.verbose_name))
    return choices


class LogFilterForm(forms.Form):
    """The filters of the audit trail, shared by the page, its exports and the API."""

    start = forms.DateTimeField(
        label=gettext_lazy("From"), required=False, input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    end = forms.DateTimeField(
        label=gettext_lazy("Until"), required=False, input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    user = forms.CharField(label=gettext_lazy("User name"), required=False, max_length=150)
    event = forms.TypedChoiceField(
        label=gettext_lazy("Event"), required=False, coerce=int, empty_value=None, choices=_event_choices
    )
    success = forms.TypedChoiceField(
        label=gettext_lazy("Outcome"), required=False, empty_value=None,
        coerce=lambda v: v == "1",
        choices=[("", gettext_lazy("Any outcome")), ("1", gettext_lazy("Succeeded")), ("0", gettext_lazy("Refused or failed"))],
    )
    object_type = forms.ChoiceField(label=gettext_lazy("Object kind"), required=False, choices=_object_type_choices)
    object = forms.CharField(
        label=gettext_lazy("Object"), required=False, max_length=200,
        help_text=gettext_lazy("The object's id, or part of its name."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The end of the time range lies before its start."))
        return data

    def filters(self) -> selectors.LogFilters:
        data = self.cleaned_data
        return selectors.LogFilters(
            start=data.get("start"), end=data.get("end"), user=(data.get("user") or "").strip(),
            event_id=data.get("event"), success=data.get("success"), object_type=data.get("object_type") or "",
            object=(data.get("object") or "").strip(),
        )


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _filter_query(params: QueryDict) -> str:
    """The filter part of the query string, for paging and export links."""
    keep = params.copy()
    for name in ("before", "after", "file"):
        keep.pop(name, None)
    return keep.urlencode()


@require_safe
@login_required
def log_list(request: HttpRequest) -> HttpResponse:
    selectors.ensure_audit_reader(request.user)
    form = LogFilterForm(request.GET or None)
    filters = form.filters() if form.is_valid() else selectors.LogFilters()
    if form.is_bound and not form.is_valid():
        page = selectors.LogPage([], None, None)
    else:
        page = selectors.log_page(
            actor=request.user, filters=filters,
            before=_int_or_none(request.GET.get("before")), after=_int_or_none(request.GET.get("after")),
        )
    context = {"form": form, "page": page, "query": _filter_query(request.GET), "size": selectors.PAGE_SIZE,
               "chain": selectors.chain_status(actor=request.user)}
    return render(request, "audit/log_list.html", context)


# Exports ---------------------------------------------------------------------------------------------

HEADERS = [
    gettext_lazy("No."), gettext_lazy("Time"), gettext_lazy("User name"), gettext_lazy("Address"),
    gettext_lazy("Event"), gettext_lazy("Event id"), gettext_lazy("Event name"), gettext_lazy("Outcome"),
    gettext_lazy("Object kind"), gettext_lazy("Object id"), gettext_lazy("Object"), gettext_lazy("Old values"),
    gettext_lazy("New values"), gettext_lazy("Note"),
]
def _values(values: Any) -> str:
    return json.dumps(values, ensure_ascii=False, sort_keys=True) if values else ""


def export_row(row: AuditLog) -> list[Any]:
    return [
        row.pk, timezone.localtime(row.at).strftime("%Y-%m-%d %H:%M:%S"), row.actor_name, row.ip or "",
        row.event_label, row.event_id, row.event_name, _("Succeeded") if row.success else _("Refused or failed"),
        row.target_type, row.target_id, row.target_repr, _values(row.old_values), _values(row.new_values), row.note,
    ]


def csv_lines(rows: Iterable[AuditLog]) -> Iterator[str]:
    """CSV text, starting with a UTF-8 byte-order mark so Excel reads the Chinese correctly; every cell through
    ``core.exports.safe_cell`` (formulas neutralised, control characters stripped)."""
    return exports.csv_lines(HEADERS, (export_row(row) for row in rows))


def _filename(ext: str) -> str:
    stem = _("audit-trail")
    return f"{stem}-{timezone.localtime():%Y%m%d-%H%M}.{ext}"


def export_response(rows: Any, file_format: str) -> HttpResponse | StreamingHttpResponse:
    if file_format == "xlsx":
        return xlsx_response(_filename("xlsx"), [str(h) for h in HEADERS], (export_row(r) for r in rows.iterator()),
                             title=_("Audit trail"))
    response = StreamingHttpResponse(csv_lines(rows.iterator(chunk_size=2000)), content_type=exports.CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{escape_uri_path(_filename('csv'))}"
    return response


@require_safe
@login_required
def log_export(request: HttpRequest, file_format: str) -> HttpResponse | StreamingHttpResponse:
    selectors.ensure_audit_reader(request.user, Action.AUDIT_EXPORT)
    require_recent_auth(request)  # actors, addresses and what they did: personal data leaving as a file
    form = LogFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        messages.error(request, _("Correct the filters before you export."))
        return redirect(f"{reverse('audit:log_list')}?{_filter_query(request.GET)}")
    filters = form.filters() if form.is_bound else selectors.LogFilters()
    try:
        rows = services.log_export(actor=request.user, filters=filters, file_format=file_format)
    except ValidationError as exc:
        flash_errors(request, exc)
        return redirect(f"{reverse('audit:log_list')}?{_filter_query(request.GET)}")
    return export_response(rows, file_format)


@require_POST
@login_required
def chain_verify(request: HttpRequest) -> HttpResponse:
    """The audit administrator verifies the chain now (the schedule does it once a day)."""
    run = services.verify_run(actor=request.user)
    if run.ok:
        messages.success(request, _("The audit chain is intact: %(n)d records checked.") % {"n": run.checked})
    else:
        messages.error(request, _("The audit chain is broken: the first %(kind)s record is at position %(seq)s.") % {
            "kind": selectors.chain_kind_label(run.kind), "seq": run.first_bad_seq})
    return redirect("audit:log_list")
