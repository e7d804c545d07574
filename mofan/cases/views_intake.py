"""Intake pages (收集) and the public pages.

- staff intake: the four walk-in windows (劳动纠纷调解, 综合法律服务, 心理咨询, 妇女儿童维权) and the hotline,
  entered on the caller's behalf;
- the grid worker's phone form;
- the citizens' report page (no account, rate-limited per client address, honeypot) and the public status
  page of a tracking code;
- the category catalogue: list, xlsx template, export and import.

Each view validates input and calls one service (``intake.case_create``, ``categories.import_catalogue``) or
reads; permissions are decided by the services and selectors (``has_action`` here only refuses a form page
early with 403).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.encoding import escape_uri_path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from mofan.accounts.permissions import has_action
from mofan.accounts.roles import Action
from mofan.audit.middleware import client_ip
from mofan.cases import categories, ratelimit
from mofan.cases.forms_intake import STAFF_CHANNELS, GridIntakeForm, PublicReportForm, StaffIntakeForm
from mofan.cases.models import Case, Channel
from mofan.cases.public import areas_in_reach, public_case_get, public_view, town_in_reach
from mofan.cases.services.intake import case_create, case_for_token
from mofan.core.services import record_export
from mofan.core.xlsx import XLSX_CONTENT_TYPE, xlsx_response
from mofan.org.importers import ImportRejected, RowError
from mofan.org.models import UnitKind

SESSION_REPORTED = "mofan_public_reported"


def _show_errors(form: Any, exc: ValidationError, *, files_field: str, rename: dict[str, str] | None = None) -> None:
    """A service's errors on the form's fields. The only errors without a field are the attachment checks
    (type by content, size), so they go on the files field."""
    rename = {"category": "category_1", "attachments": files_field, **(rename or {})}
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            name = rename.get(field, field)
            form.add_error(name if name in form.fields and field != NON_FIELD_ERRORS else None, errors)
    else:
        form.add_error(files_field, exc.messages)


def _case_url(case: Case) -> str | None:
    """The case page, when the workbench offers one."""
    try:
        return reverse("cases:case_detail", args=[case.pk])
    except NoReverseMatch:
        return None


def _refuse_without(actor: Any, action: str) -> None:
    if not has_action(actor, action):
        raise PermissionDenied(_("You do not have permission to do this here."))


# Staff and grid intake ------------------------------------------------------------------------------------------


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def staff_intake(request: HttpRequest) -> HttpResponse:
    """A walk-in window or the hotline: register a case on the caller's behalf."""
    actor = request.user
    _refuse_without(actor, Action.CASE_INTAKE)
    channel = request.GET.get("channel", "")
    initial = {"channel": channel} if channel in {c.value for c in STAFF_CHANNELS} else {}
    form = StaffIntakeForm(request.POST or None, request.FILES or None, actor=actor, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = case_create(
                actor=actor, area=data["area"], channel=data["channel"], urgency=data["urgency"],
                category=data.get("category"), title=data["title"], description=data["description"],
                address=data["address"], reporter_name=data["reporter_name"], reporter_phone=data["reporter_phone"],
                reporter_id_number=data["reporter_id_number"], anonymous=data["anonymous"],
                attachments=data["attachments"],
            )
        except ValidationError as exc:
            _show_errors(form, exc, files_field="attachments")
        else:
            messages.success(request, _("Case %(code)s registered at %(centre)s.")
                             % {"code": case.tracking_code, "centre": case.centre.name})
            return redirect(_case_url(case) or f"{reverse('cases:intake')}?channel={case.channel}")
    return render(request, "cases/intake/staff.html", {
        "form": form, "channels": STAFF_CHANNELS, "has_areas": form.fields["area"].queryset.exists(),
    }, status=400 if request.method == "POST" else 200)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def grid_intake(request: HttpRequest) -> HttpResponse:
    """The grid worker's report, made for a phone."""
    actor = request.user
    _refuse_without(actor, Action.CASE_INTAKE)
    form = GridIntakeForm(request.POST or None, request.FILES or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = case_create(
                actor=actor, area=data["area"], channel=Channel.GRID, urgency=data["urgency"],
                category=data.get("category"), description=data["description"], address=data["address"],
                reporter_name=data["reporter_name"], reporter_phone=data["reporter_phone"],
                anonymous=data["anonymous"], attachments=data["photos"],
            )
        except ValidationError as exc:
            _show_errors(form, exc, files_field="photos")
        else:
            messages.success(request, _("Reported: %(code)s, sent to %(centre)s.")
                             % {"code": case.tracking_code, "centre": case.centre.name})
            return redirect("cases:intake_grid")
    return render(request, "cases/intake/grid.html", {
        "form": form, "has_areas": form.fields["area"].queryset.exists(),
    }, status=400 if request.method == "POST" else 200)


@login_required
@require_GET
def category_options(request: HttpRequest) -> HttpResponse:
    """HTMX: the <option>s of the level below the category just chosen (and an empty level below that)."""
    level, parent = 0, None
    for candidate in (2, 1):
        value = request.GET.get(f"category_{candidate}")
        if value is not None:
            level = candidate
            parent = categories.category_get(value) if value else None
            break
    children = list(categories.category_children(parent=parent)) if parent is not None else []
    return render(request, "cases/intake/_category_options.html", {
        "children": children, "clear_level": level + 2 if level + 2 <= 3 else None,
    })


# The public pages ---------------------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def public_report(request: HttpRequest) -> HttpResponse:
    """群众反映: no account. Rate-limited per client address; a bot filling the honeypot writes nothing."""
    form = PublicReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        address = client_ip(request)
        if form.is_bot:
            ratelimit.public_report_allowed(address, channel=Channel.PUBLIC)
            form.add_error(None, _("Your report could not be accepted. Please try again, or call the hotline."))
        elif form.is_valid():
            data = form.cleaned_data
            sent_before = case_for_token(data["client_token"] or None, channel=Channel.PUBLIC, actor=None)
            if sent_before is not None:  # the same form sent again: the report it made, no second case
                request.session[SESSION_REPORTED] = sent_before.tracking_code
                return redirect("cases:report_done")
            verdict = ratelimit.public_report_allowed(address, channel=Channel.PUBLIC)
            if not verdict.allowed:
                return _refused(request)
            try:
                case = case_create(
                    actor=None, area=data["area"], channel=Channel.PUBLIC, description=data["description"],
                    address=data["address"], reporter_name=data["reporter_name"],
                    reporter_phone=data["reporter_phone"], anonymous=data["anonymous"], attachments=data["photos"],
                    client_token=data["client_token"] or None,
                )
            except ValidationError as exc:
                ratelimit.refund(ratelimit.PUBLIC_BUCKET, address or "unknown")  # nothing written: not counted
                _show_errors(form, exc, files_field="photos", rename={"area": "village"})
            else:
                request.session[SESSION_REPORTED] = case.tracking_code
                return redirect("cases:report_done")
    return render(request, "cases/public/report.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


def _refused(request: HttpRequest) -> HttpResponse:
    response = render(request, "cases/public/refused.html", {
        "limit": ratelimit.public_limit(),
    }, status=429)
    response["Retry-After"] = str(ratelimit.WINDOW_SECONDS)
    return response


@require_GET
def public_villages(request: HttpRequest) -> HttpResponse:
    """HTMX: the villages in reach of the town just chosen."""
    town = town_in_reach(request.GET.get("town"))
    villages = list(areas_in_reach(kind=UnitKind.VILLAGE, parent=town)) if town is not None else []
    return render(request, "cases/public/_village_options.html", {"villages": villages})


@never_cache
@require_GET
def public_report_done(request: HttpRequest) -> HttpResponse:
    code = request.session.pop(SESSION_REPORTED, None)
    if not code:
        return redirect("cases:report")
    return render(request, "cases/public/report_done.html", {"code": code})


@never_cache
@require_GET
def track_lookup(request: HttpRequest) -> HttpResponse:
    """The lookup form: a tracking code leads to its status page."""
    code = (request.GET.get("code") or "").strip()
    error = ""
    if code:
        case = public_case_get(code)
        if case is not None:
            return redirect("cases:track_status", code=case.tracking_code)
        error = _("No report has the tracking code %(code)s. Check the code and try again.") % {"code": code[:20]}
    return render(request, "cases/public/track_lookup.html", {"code": code[:20], "error": error},
                  status=404 if error else 200)


@never_cache
@require_GET
def track_status(request: HttpRequest, code: str) -> HttpResponse:
    """The public status of a case: state, dates and the public timeline; no personal data, no notes."""
    case = public_case_get(code)
    if case is None:
        error = _("No report has the tracking code %(code)s. Check the code and try again.") % {"code": code[:20]}
        return render(request, "cases/public/track_lookup.html", {"code": code[:20], "error": error}, status=404)
    view = public_view(case)
    parent = public_view(case.parent) if case.parent_id and case.parent is not None else None
    response = render(request, "cases/public/track_status.html", {"case": view, "parent": parent})
    response["X-Robots-Tag"] = "noindex"
    return response


# The category catalogue -----------------------------------------------------------------------------------------


def _may_read_catalogue(actor: Any) -> bool:
    return any(has_action(actor, a) for a in (Action.CASE_CATALOGUE, Action.CASE_VIEW, Action.CASE_HANDLE,
                                                 Action.CASE_INTAKE))


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def category_list(request: HttpRequest) -> HttpResponse:
    """The catalogue as a tree; maintainers also import a filled-in template here (POST)."""
    actor = request.user
    if not _may_read_catalogue(actor):
        raise PermissionDenied(_("You do not have permission to do this here."))
    report: list[RowError] | None = None
    error_total = 0
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            report, error_total = [RowError(None, "", "", _("Choose the filled-in template to upload."))], 1
        else:
            try:
                result = categories.import_catalogue(actor=actor, file=upload)
            except ImportRejected as exc:
                report, error_total = exc.report, exc.total
            else:
                messages.success(request, _("Catalogue imported: %(created)s categories added, %(updated)s "
                                            "changed.") % {"created": result.created, "updated": result.updated})
                return redirect("cases:categories")
    return render(request, "cases/intake/categories.html", {
        "tree": categories.category_tree(),
        "may_maintain": has_action(actor, Action.CASE_CATALOGUE),
        "report": report, "error_total": error_total,
    }, status=400 if report else 200)


@login_required
@require_GET
def category_export(request: HttpRequest) -> HttpResponse:
    actor = request.user
    if not _may_read_catalogue(actor):
        raise PermissionDenied(_("You do not have permission to do this here."))
    rows = categories.export_rows()
    record_export(actor=actor, what="cases.category", count=len(rows))
    return xlsx_response(categories.EXPORT_FILENAME, categories.COLUMNS, rows, title=categories.SHEET)


@login_required
@require_GET
def category_template(request: HttpRequest) -> HttpResponse:
    categories.ensure_may_maintain(request.user)
    response = HttpResponse(categories.template_xlsx(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{escape_uri_path(categories.TEMPLATE_FILENAME)}"
    return response
