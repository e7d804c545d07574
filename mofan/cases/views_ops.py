"""The operations on a case as pages: POST-only views (one per operation, HTMX-friendly), the operations panel
the case page includes (``cases/ops/_operations.html``), and the working calendar's page.

Each view validates its form and calls one service; the service checks permission and state and audits.
Success and refusal both lead back to the case page with a message (an HTMX request gets ``HX-Redirect``),
so the page always shows the case as it now is. ``available_operations`` decides which forms to offer —
only as a courtesy: the services decide for real.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from mofan.accounts.permissions import can, has_action
from mofan.accounts.roles import Action
from mofan.cases import kinds
from mofan.cases.forms_ops import (
    AcceptForm,
    CalendarDayForm,
    CalendarLoadForm,
    CallbackForm,
    ClassifyForm,
    DecideExtensionForm,
    DispatchForm,
    ExtensionRequestForm,
    FeedbackForm,
    MergeForm,
    NoteForm,
    OperationForm,
    PressForm,
    RateForm,
    ReasonForm,
    RejectForm,
    RequiredNoteForm,
    SummonForm,
)
from mofan.cases.holidays import SCHEDULES, published_years
from mofan.cases.models import Case, Dispatch, Level
from mofan.cases.selectors import case_get, case_list, dispatch_get
from mofan.cases.services import closing, escalation, triage
from mofan.cases.services import dispatch as dispatching
from mofan.cases.services.calendar_days import (
    calendar_day_set,
    calendar_load_year,
    calendar_year,
    can_edit_calendar,
)

Run = Callable[[Any, Case, dict[str, Any], HttpRequest], Any]


@dataclass(frozen=True)
class Operation:
    form: type[OperationForm]
    run: Run
    done: str | Promise  # the success message
    multipart: bool = False


def _merge(actor: Any, case: Case, data: dict[str, Any], request: HttpRequest) -> Any:
    into = case_list(actor=actor).filter(tracking_code=data["into"].strip().upper()).first()
    if into is None:
        raise ValidationError({"into": _("No case you can see has this tracking code.")})
    return triage.case_merge(actor=actor, case=case, into=into, note=data["note"])


# The centre's operations on a case: /cases/<pk>/ops/<name>/
CASE_OPERATIONS: dict[str, Operation] = {
    "accept": Operation(AcceptForm, lambda a, c, d, r: triage.case_accept(
        actor=a, case=c, category=d["category"], note=d["note"]), gettext_lazy("The case is accepted.")),
    "reject": Operation(RejectForm, lambda a, c, d, r: triage.case_reject(
        actor=a, case=c, reason=d["reason"], redirect_to=d["redirect_to"]), gettext_lazy("The case is rejected.")),
    "classify": Operation(ClassifyForm, lambda a, c, d, r: triage.case_classify(
        actor=a, case=c, category=d["category"]), gettext_lazy("The category is set.")),
    "merge": Operation(MergeForm, _merge, gettext_lazy("The case is merged.")),
    "dispatch": Operation(DispatchForm, lambda a, c, d, r: dispatching.case_dispatch(
        actor=a, case=c, lead=d.get("lead"), co=list(d["co"]), checkin_due=d["checkin_due"],
        handle_due=d["handle_due"], note=d["note"]), gettext_lazy("The case is dispatched.")),
    "summon": Operation(SummonForm, lambda a, c, d, r: dispatching.case_summon(
        actor=a, case=c, departments=list(d["departments"]), handle_due=d["handle_due"], note=d["note"]),
        gettext_lazy("The departments are summoned.")),
    "redispatch": Operation(RequiredNoteForm, lambda a, c, d, r: dispatching.case_redispatch(
        actor=a, case=c, note=d["note"]), gettext_lazy("The case is back with the centre.")),
    "press": Operation(PressForm, lambda a, c, d, r: dispatching.case_press(
        actor=a, case=c, note=d["note"], dispatch=d["dispatch"]), gettext_lazy("The departments are pressed.")),
    "decide_extension": Operation(DecideExtensionForm, lambda a, c, d, r: dispatching.dispatch_decide_extension(
        actor=a, dispatch=d["dispatch"], approve=d["approve"], note=d["note"]),
        gettext_lazy("The request for more time is decided.")),
    "rate": Operation(RateForm, lambda a, c, d, r: dispatching.dispatch_rate(
        actor=a, dispatch=d["dispatch"], rating=d["rating"], note=d["note"]), gettext_lazy("The rating is saved.")),
    "escalate": Operation(ReasonForm, lambda a, c, d, r: escalation.case_escalate(
        actor=a, case=c, reason=d["reason"]), gettext_lazy("The case is escalated to the level above.")),
    "pause": Operation(ReasonForm, lambda a, c, d, r: closing.case_pause(
        actor=a, case=c, reason=d["reason"]), gettext_lazy("The clock is paused.")),
    "resume": Operation(NoteForm, lambda a, c, d, r: closing.case_resume(
        actor=a, case=c, note=d["note"]), gettext_lazy("The clock runs again.")),
    "verify": Operation(NoteForm, lambda a, c, d, r: closing.case_verify(
        actor=a, case=c, note=d["note"]), gettext_lazy("The result is verified.")),
    "verify_failed": Operation(ReasonForm, lambda a, c, d, r: closing.case_verify_failed(
        actor=a, case=c, reason=d["reason"]), gettext_lazy("The case goes back to be dispatched again.")),
    "callback": Operation(CallbackForm, lambda a, c, d, r: closing.case_callback(
        actor=a, case=c, satisfaction=d["satisfaction"], solved=d["solved"], note=d["note"]),
        gettext_lazy("The callback is recorded.")),
    "reopen": Operation(ReasonForm, lambda a, c, d, r: closing.case_reopen(
        actor=a, case=c, reason=d["reason"]), gettext_lazy("The case is reopened.")),
}


def _on_dispatch(run: Callable[[Any, Dispatch, dict[str, Any], HttpRequest], Any]) -> Run:
    """Dispatch operations receive the dispatch through ``request.mofan_dispatch`` (set by the view)."""
    return lambda a, c, d, r: run(a, r.mofan_dispatch, d, r)  # type: ignore[attr-defined]


# The dispatched department's operations: /cases/dispatches/<pk>/<name>/
DISPATCH_OPERATIONS: dict[str, Operation] = {
    "check_in": Operation(NoteForm, _on_dispatch(lambda a, x, d, r: dispatching.dispatch_check_in(
        actor=a, dispatch=x, note=d["note"])), gettext_lazy("Checked in.")),
    "feedback": Operation(FeedbackForm, _on_dispatch(lambda a, x, d, r: dispatching.dispatch_feedback(
        actor=a, dispatch=x, result=d["result"], files=r.FILES.getlist("files"))),
        gettext_lazy("The result is reported."), multipart=True),
    "return": Operation(ReasonForm, _on_dispatch(lambda a, x, d, r: dispatching.dispatch_return(
        actor=a, dispatch=x, reason=d["reason"])), gettext_lazy("The case is returned to the centre.")),
    "request_extension": Operation(ExtensionRequestForm, _on_dispatch(
        lambda a, x, d, r: dispatching.dispatch_request_extension(actor=a, dispatch=x, days=d["days"],
                                                                   reason=d["reason"])),
        gettext_lazy("The request for more time is sent to the centre.")),
}


# Which operations the actor may perform now ------------------------------------------------------------------


def _centre_condition(name: str, case: Case, dispatches: list[Dispatch]) -> bool:
    open_ = [d for d in dispatches if d.state in dispatching.OPEN]
    running = case.paused_at is None
    conditions: dict[str, Callable[[], bool]] = {
        "dispatch": lambda: running,
        "summon": lambda: running and case.level == Level.TOWN,
        "press": lambda: bool(open_),
        "decide_extension": lambda: any(d.extension_days is not None for d in open_),
        "rate": lambda: any(d.feedback_at is not None and d.rating is None for d in dispatches),
        "escalate": lambda: case.level != Level.DISTRICT,  # the service checks that a centre is above
        "pause": lambda: running,
        "resume": lambda: not running,
    }
    check = conditions.get(name)
    return check() if check is not None else True


def _department_operations(dispatch: Dispatch) -> list[str]:
    if dispatch.state == Dispatch.State.DISPATCHED:
        names = ["check_in", "return", "request_extension"]
    elif dispatch.state == Dispatch.State.CHECKED_IN:
        names = ["feedback", "return", "request_extension"]
    else:
        return []
    return [n for n in names if n != "request_extension" or dispatch.extension_days is None]


def _handled_by(actor: Any, case: Case, dispatches: list[Dispatch]) -> list[Dispatch]:
    if case.state != kinds.DISPATCHED:
        return []
    return [d for d in dispatches if d.state in dispatching.OPEN and can(actor, Action.CASE_HANDLE, d.department)]


def _centre_operations(actor: Any, case: Case, dispatches: list[Dispatch]) -> list[str]:
    kind = kinds.get(case.kind)
    if not can(actor, Action.CASE_TRIAGE, case.centre):
        return []
    return [name for name in CASE_OPERATIONS
            if name in kind.transitions and case.state in kind.transitions[name].sources
            and _centre_condition(name, case, dispatches)]


def available_operations(actor: Any, case: Case, dispatches: list[Dispatch] | None = None) -> list[str]:
    """The operations ``actor`` may perform on ``case`` now: the centre's (on the case) and the dispatched
    department's (on its dispatch), by name."""
    if dispatches is None:
        dispatches = list(case.dispatches.select_related("department").order_by("id"))
    names = _centre_operations(actor, case, dispatches)
    for dispatch in _handled_by(actor, case, dispatches):
        names.extend(n for n in _department_operations(dispatch) if n not in names)
    return names


@dataclass
class PanelEntry:
    name: str
    label: str
    url: str
    form: OperationForm
    multipart: bool = False
    dispatch: Dispatch | None = None


def operations_panel(actor: Any, case: Case, dispatches: list[Dispatch] | None = None) -> list[PanelEntry]:
    """The forms the case page shows: one per operation the actor may perform now, and one per dispatch for
    the operations on a dispatch (a department's own, the centre's decision on more time and rating)."""
    if dispatches is None:
        dispatches = list(case.dispatches.select_related("department").order_by("id"))
    kind = kinds.get(case.kind)
    entries: list[PanelEntry] = []

    def entry(name: str, url: str, operation: Operation, dispatch: Dispatch | None = None) -> PanelEntry:
        label = str(kind.transitions[name].label)
        suffix = f"{name}_{dispatch.pk}" if dispatch is not None else name
        form = operation.form(case=case, actor=actor, dispatches=dispatches, auto_id=f"id_{suffix}_%s",
                              initial={"dispatch": dispatch.pk} if dispatch is not None else None)
        if dispatch is not None:
            label = f"{label}：{dispatch.department.name}"
            if name == "decide_extension":
                label += _("(%(days)d working days)") % {"days": dispatch.extension_days or 0}
        return PanelEntry(name, label, url, form, operation.multipart, dispatch)

    for name in _centre_operations(actor, case, dispatches):
        url = reverse("cases:op_" + name, args=[case.pk])
        if name == "decide_extension":
            entries += [entry(name, url, CASE_OPERATIONS[name], d) for d in dispatches
                        if d.state in dispatching.OPEN and d.extension_days is not None]
        elif name == "rate":
            entries += [entry(name, url, CASE_OPERATIONS[name], d) for d in dispatches
                        if d.feedback_at is not None and d.rating is None]
        else:
            entries.append(entry(name, url, CASE_OPERATIONS[name]))
    for dispatch in _handled_by(actor, case, dispatches):
        for name in _department_operations(dispatch):
            entries.append(entry(name, reverse("cases:op_" + name, args=[dispatch.pk]), DISPATCH_OPERATIONS[name],
                                 dispatch))
    return entries


# The views --------------------------------------------------------------------------------------------------


def _back_to_case(request: HttpRequest, pk: int) -> HttpResponse:
    """To the case page, or to the workbench when the operation took the case out of the actor's sight."""
    visible = case_list(actor=request.user).filter(pk=pk).exists()
    url = reverse("cases:case_detail", args=[pk]) if visible else reverse("cases:workbench")
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


def _form_errors(form: OperationForm) -> str:
    parts = []
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else None
        parts += [f"{label}：{error}" if label else str(error) for error in errors]
    return "；".join(parts)


def _perform(request: HttpRequest, case: Case, operation: Operation) -> HttpResponse:
    form = operation.form(request.POST, case=case, actor=request.user)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _back_to_case(request, case.pk)
    try:
        operation.run(request.user, case, form.cleaned_data, request)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, str(operation.done))
    return _back_to_case(request, case.pk)


@login_required
@require_POST
def case_operation(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """One of the centre's operations on a case (``name`` is fixed by the URL pattern)."""
    case = case_get(actor=request.user, pk=pk)
    return _perform(request, case, CASE_OPERATIONS[name])


@login_required
@require_POST
def dispatch_operation(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """One of the dispatched department's operations (a dispatch of a case the actor cannot see is a 404)."""
    dispatch = dispatch_get(actor=request.user, pk=pk)
    request.mofan_dispatch = dispatch  # type: ignore[attr-defined]
    case = case_get(actor=request.user, pk=dispatch.case_id)
    return _perform(request, case, DISPATCH_OPERATIONS[name])


# The working calendar ---------------------------------------------------------------------------------------


def _refuse_unless_catalogue(actor: Any) -> None:
    if not has_action(actor, Action.CASE_CATALOGUE):
        raise PermissionDenied(_("You do not have permission to do this here."))


def _year(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("year") or request.POST.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    return min(max(year, 2000), 2100)


@login_required
@require_GET
def calendar_page(request: HttpRequest) -> HttpResponse:
    """The working calendar of one year: its holidays and adjusted working days, editable day by day."""
    actor = request.user
    _refuse_unless_catalogue(actor)
    year = _year(request)
    return render(request, "cases/ops/calendar.html", {
        "year": year,
        "days": calendar_year(year=year),
        "published": year in SCHEDULES,
        "published_years": published_years(),
        "can_edit": can_edit_calendar(actor),
        "day_form": CalendarDayForm(),
        "load_form": CalendarLoadForm(initial={"year": year}),
    })


def _back_to_calendar(year: int) -> HttpResponse:
    return HttpResponseRedirect(f"{reverse('cases:calendar')}?year={year}")


@login_required
@require_POST
def calendar_set(request: HttpRequest) -> HttpResponse:
    actor = request.user
    _refuse_unless_catalogue(actor)
    form = CalendarDayForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
        return _back_to_calendar(_year(request))
    data = form.cleaned_data
    try:
        calendar_day_set(actor=actor, day=data["date"], is_workday=data["is_workday"], note=data["note"])
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("%(date)s is saved.") % {"date": data["date"].isoformat()})
    return _back_to_calendar(data["date"].year)


@login_required
@require_POST
def calendar_load(request: HttpRequest) -> HttpResponse:
    actor = request.user
    _refuse_unless_catalogue(actor)
    form = CalendarLoadForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
        return _back_to_calendar(_year(request))
    year = form.cleaned_data["year"]
    try:
        count = calendar_load_year(actor=actor, year=year)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("The published schedule of %(year)d is loaded (%(count)d days).")
                         % {"year": year, "count": count})
    return _back_to_calendar(year)
