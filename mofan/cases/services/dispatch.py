"""交办 / 吹哨 / 报到: the centre hands an accepted case to departments, and the departments answer.

A centre dispatches (交办) to one lead department (主办) and any co-handling departments (协办), each with a
check-in clock (报到) and a handling clock (办结反馈) taken from the kind's limits by urgency. A township centre
may also summon (吹哨) district departments, who must report on site within 30 minutes. The dispatched
department checks in, reports its result with evidence, returns the case (退单) or asks for more time (延期);
the centre decides on extensions, presses (督办) and rates each department's response.

Every operation here is one ``engine.perform`` call: permission and state are checked first (refusals are
audited), then the case row is locked, then the dispatch rows (always in that order), and one timeline entry
and one audit row are written. When the lead and every co-handling department still on the case have
reported back, the case moves to ``handled`` by itself (the system's ``complete`` step).

``Case.due_at`` always shows the current step's due: for a dispatched case, the earliest open check-in or
handling due of its dispatches (see ``refresh_case_due``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts.permissions import ensure_can
from mofan.audit.events import AuditEvent
from mofan.audit.services import audit_refusal
from mofan.cases import kinds
from mofan.cases.calendar import add_working_days, due_after
from mofan.cases.kinds import Limit
from mofan.cases.models import Case, CaseEvent, Dispatch, Level
from mofan.cases.services.engine import perform, refuse_state
from mofan.cases.services.intake import MAX_ATTACHMENTS, attach_files
from mofan.core.uploads import check_upload
from mofan.org.models import ORGAN_KINDS, PARTY_KINDS, PATH_SEGMENT, Unit, UnitKind

State = Dispatch.State
LIVE = (State.DISPATCHED, State.CHECKED_IN, State.DONE)  # on the case now
OPEN = (State.DISPATCHED, State.CHECKED_IN)  # still owing an answer
SUMMONS_CHECKIN = Limit(minutes=30)  # 吹哨: report on site within 30 minutes
MAX_DEPARTMENTS = 20
MAX_EXTENSION_DAYS = 30
MAX_TEXT = 4000


# Shared by the operations on a case (also used by closing and escalation) --------------------------------


def transition(case: Case, name: str) -> kinds.Transition:
    return kinds.get(case.kind).transition(name)


def precheck(actor: Any, case: Case, name: str, scope_unit: Unit | None = None) -> None:
    """Permission, then state, before anything else: both refusals are audited (by ``ensure_can`` and
    ``refuse_state``), and ``perform`` checks both again under the row lock."""
    step = transition(case, name)
    ensure_can(actor, step.action, scope_unit or case.centre, target=case)
    if case.state not in step.sources:
        raise refuse_state(actor, case, step)


def refuse(actor: Any, case: Case, name: str, message: str, field: str | None = None) -> ValidationError:
    """A refused attempt that matters (wrong dispatch state, outside reach, paused clock): audited, then raised."""
    if actor is not None:
        audit_refusal(actor=actor, event=AuditEvent.CASE_TRANSITION, target=case, note=f"{name} refused: {message}")
    return ValidationError({field: message} if field else message)


def ensure_running(actor: Any, case: Case, name: str) -> None:
    if case.paused_at is not None:
        raise refuse(actor, case, name, _("The clock is paused while waiting for the reporter: resume the case "
                                          "first."))


def required_text(value: str | None, field: str, message: str, limit: int = MAX_TEXT) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: message})
    if len(text) > limit:
        raise ValidationError({field: _("This text is longer than %(n)d characters.") % {"n": limit}})
    return text


def optional_text(value: str | None, field: str, limit: int = MAX_TEXT) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise ValidationError({field: _("This text is longer than %(n)d characters.") % {"n": limit}})
    return text


def triage_due(case: Case, now: datetime) -> datetime:
    return due_after(now, kinds.get(case.kind).triage_limit[case.urgency])


def step_due(dispatch: Dispatch) -> datetime | None:
    if dispatch.state == State.DISPATCHED:
        return dispatch.checkin_due
    if dispatch.state == State.CHECKED_IN:
        return dispatch.handle_due
    return None


def set_case_due(case: Case, due: datetime | None, now: datetime) -> None:
    """Move the case's clock. The overdue flag stays only while the case is still overdue, so the sweeper
    neither repeats a reminder for a step it already flagged nor misses a new lapse."""
    case.due_at = due
    case.overdue = bool(case.overdue and due is not None and due <= now)


def refresh_case_due(case: Case, now: datetime) -> None:
    """For a dispatched case: the earliest open check-in/handling due; with nothing open, the centre's turn
    (the triage limit from now)."""
    dues = [d for d in (step_due(x) for x in Dispatch.objects.filter(case=case, state__in=OPEN)) if d is not None]
    set_case_due(case, min(dues) if dues else triage_due(case, now), now)


def withdraw_live(case: Case) -> list[str]:
    """Withdraw every dispatch still on the case (escalation, taking the case back, failed verification).
    Returned dispatches keep their state; their department may be dispatched again later."""
    live = Dispatch.objects.filter(case=case, state__in=LIVE)
    names = list(live.order_by("id").values_list("department__name", flat=True))
    live.update(state=State.WITHDRAWN, overdue=False)
    return names


def pressed_dispatch_ids(case: Case) -> set[int]:
    """Dispatches the centre has pressed (督办), read from the timeline."""
    ids: set[int] = set()
    for data in CaseEvent.objects.filter(case=case, action="press").values_list("data", flat=True):
        ids.update(int(pk) for pk in (data or {}).get("dispatches", []))
    return ids


# Reach ---------------------------------------------------------------------------------------------------


def dispatch_reach(case: Case) -> QuerySet[Unit]:
    """The units the holding centre may dispatch to: for the district centre, the organs and departments of
    the district; for a township or village centre, the units inside its own area (village committees,
    grids, stations, windows, mediation organisations, its organs), never a centre or a party organisation."""
    area_path = case.centre_path[:-PATH_SEGMENT]  # a centre stands directly under its area
    if not area_path:
        return Unit.objects.none()
    units = Unit.objects.filter(is_active=True, path__startswith=area_path)
    if case.level == Level.DISTRICT:
        return units.filter(kind__in=list(ORGAN_KINDS))
    return units.exclude(kind__in=[UnitKind.CENTRE, *PARTY_KINDS])


def summon_reach(case: Case) -> QuerySet[Unit]:
    """吹哨: a township centre summons the district's own departments (not those of another township)."""
    area = case.centre.parent
    if case.level != Level.TOWN or area is None:
        return Unit.objects.none()
    district = Unit.objects.filter(pk__in=area.ancestor_ids(), kind=UnitKind.DISTRICT).order_by("-depth").first()
    if district is None:
        return Unit.objects.none()
    units = Unit.objects.filter(is_active=True, path__startswith=district.path, kind__in=list(ORGAN_KINDS))
    towns = Unit.objects.filter(parent=district, kind=UnitKind.TOWN).values_list("path", flat=True)
    outside = Q()
    for path in towns:
        outside |= Q(path__startswith=path)
    return units.exclude(outside) if outside else units


def units_by_ids(ids: Iterable[Any]) -> list[Unit]:
    """Units named by id in a form or API call, in the order given; unknown ids are a clear error. Whether
    they may be dispatched to is the service's decision (``dispatch_reach``)."""
    try:
        wanted = [int(pk) for pk in ids]
    except (TypeError, ValueError):
        raise ValidationError({"departments": _("Unknown unit.")}) from None
    found = Unit.objects.in_bulk(wanted)
    if len(found) != len(set(wanted)):
        raise ValidationError({"departments": _("Unknown unit.")})
    return [found[pk] for pk in wanted]


# 交办 and 吹哨 ----------------------------------------------------------------------------------------------


def case_dispatch(
    *, actor: Any, case: Case, lead: Unit | None, co: list[Unit] | None = None,
    checkin_due: datetime | None = None, handle_due: datetime | None = None, note: str = "",
) -> list[Dispatch]:
    """交办: hand the case to a lead department and co-handling departments. ``lead`` may be None only when
    the case already has a lead (adding co-handling departments). Dues default to the kind's limits."""
    return _dispatch(actor=actor, case=case, name="dispatch", lead=lead, co=list(co or []), summons=False,
                     checkin_due=checkin_due, handle_due=handle_due, note=note)


def case_summon(
    *, actor: Any, case: Case, departments: list[Unit], handle_due: datetime | None = None, note: str = "",
) -> list[Dispatch]:
    """吹哨: a township centre summons district departments to report on site within 30 minutes. When the
    case has no lead yet, the first department summoned leads; the others co-handle."""
    return _dispatch(actor=actor, case=case, name="summon", lead=None, co=list(departments), summons=True,
                     checkin_due=None, handle_due=handle_due, note=note)


def _dispatch(
    *, actor: Any, case: Case, name: str, lead: Unit | None, co: list[Unit], summons: bool,
    checkin_due: datetime | None, handle_due: datetime | None, note: str,
) -> list[Dispatch]:
    precheck(actor, case, name)
    ensure_running(actor, case, name)
    if summons and case.level != Level.TOWN:
        raise refuse(actor, case, name, _("Only a township centre summons district departments (吹哨)."))
    units = ([lead] if lead is not None else []) + co
    if not units:
        raise ValidationError({"lead": _("Choose the lead department.")})
    if len({u.pk for u in units}) != len(units):
        raise ValidationError({"co": _("A department is listed twice.")})
    if len(units) > MAX_DEPARTMENTS:
        raise ValidationError({"co": _("At most %(n)d departments at once.") % {"n": MAX_DEPARTMENTS}})
    reach = summon_reach(case) if summons else dispatch_reach(case)
    allowed = set(reach.filter(pk__in=[u.pk for u in units]).values_list("pk", flat=True))
    outside = [u.name for u in units if u.pk not in allowed]
    if outside:
        message = (_("%(units)s: only district departments can be summoned.") if summons
                   else _("%(units)s lies outside the reach of %(centre)s."))
        raise refuse(actor, case, name, message % {"units": "、".join(outside), "centre": case.centre.name},
                     field="lead" if lead is not None and lead.name in outside else "co")
    note = optional_text(note, "note")
    now = timezone.now()
    kind = kinds.get(case.kind)
    checkin = checkin_due or due_after(now, SUMMONS_CHECKIN if summons else kind.checkin_limit[case.urgency])
    handle = handle_due or due_after(now, kind.handle_limit[case.urgency])
    if checkin <= now or handle <= now:
        raise ValidationError({"handle_due": _("A due time must lie in the future.")})
    if handle < checkin:
        raise ValidationError({"handle_due": _("The handling due cannot come before the check-in due.")})
    created: list[Dispatch] = []

    def change(locked: Case) -> dict[str, Any]:
        current = list(Dispatch.objects.select_for_update().filter(case=locked).exclude(state=State.WITHDRAWN)
                       .order_by("id"))
        has_lead = any(d.role == Dispatch.Role.LEAD and d.state in LIVE for d in current)
        if lead is not None and has_lead:
            raise ValidationError({"lead": _("The case already has a lead department: add co-handling "
                                             "departments, or take the case back to dispatch it anew.")})
        if lead is None and not has_lead and not summons:
            raise ValidationError({"lead": _("Choose the lead department.")})
        ids = {u.pk for u in units}
        busy = [d.department.name for d in current if d.state in LIVE and d.department_id in ids]
        if busy:
            raise ValidationError({"co": _("%(units)s already has this case.") % {"units": "、".join(busy)}})
        returned = [d.pk for d in current if d.state == State.RETURNED and d.department_id in ids]
        Dispatch.objects.filter(pk__in=returned).update(state=State.WITHDRAWN)
        user = actor if actor is not None and actor.is_authenticated else None
        for index, unit in enumerate(units):
            leads = unit is lead or (summons and not has_lead and index == 0)
            created.append(Dispatch.objects.create(
                case=locked, department=unit, department_path=unit.path,
                role=Dispatch.Role.LEAD if leads else Dispatch.Role.CO, summons=summons, dispatched_by=user,
                checkin_due=checkin, handle_due=handle,
            ))
        refresh_case_due(locked, now)
        lead_rows = [d for d in created if d.role == Dispatch.Role.LEAD]
        return {
            "lead": lead_rows[0].department.name if lead_rows else None,
            "co": [d.department.name for d in created if d.role == Dispatch.Role.CO],
            "dispatches": [d.pk for d in created], "summons": summons,
            "checkin_due": checkin.isoformat(), "handle_due": handle.isoformat(),
        }

    perform(actor=actor, case=case, name=name, note=note, change=change)
    return created


def case_redispatch(*, actor: Any, case: Case, note: str) -> Case:
    """Take the case back from its departments (after a 退单, or to start over): back to ``accepted``."""
    precheck(actor, case, "redispatch")
    note = required_text(note, "note", _("Say why the case is taken back."))
    now = timezone.now()

    def change(locked: Case) -> dict[str, Any]:
        withdrawn = withdraw_live(locked)
        set_case_due(locked, triage_due(locked, now), now)
        return {"withdrawn": withdrawn}

    return perform(actor=actor, case=case, name="redispatch", note=note, change=change)[0]


# The department's side: 报到, 办结反馈, 退单, 延期 ------------------------------------------------------------


def _fresh_case(dispatch: Dispatch) -> Case:
    return Case.objects.select_related("centre", "area").get(pk=dispatch.case_id)


def _state_refusal(actor: Any, case: Case, dispatch: Dispatch, name: str) -> ValidationError:
    return refuse(actor, case, name, _("This dispatch is “%(state)s”: “%(action)s” is not possible now.")
                  % {"state": dispatch.get_state_display(), "action": transition(case, name).label})


def _department_op(
    *, actor: Any, dispatch: Dispatch, name: str, states: tuple[str, ...],
    apply: Callable[[Case, Dispatch, datetime], dict[str, Any] | None], note: str = "",
    check: Callable[[Case, Dispatch], None] | None = None,
) -> tuple[Dispatch, Case, CaseEvent]:
    """An operation of the dispatched department, checked on the department itself (scope_unit): a
    department that was not dispatched is refused (and audited) before anything happens."""
    case = _fresh_case(dispatch)
    department = dispatch.department
    precheck(actor, case, name, scope_unit=department)
    if dispatch.state not in states:
        raise _state_refusal(actor, case, dispatch, name)
    if check is not None:
        check(case, dispatch)
    now = timezone.now()
    holder: dict[str, Dispatch] = {}

    def change(locked: Case) -> dict[str, Any]:
        row = Dispatch.objects.select_for_update().select_related("department").get(pk=dispatch.pk)
        if row.state not in states:
            raise ValidationError(_("Someone else changed this case meanwhile; reload it and try again."))
        extra = apply(locked, row, now) or {}
        row.save()
        refresh_case_due(locked, now)
        holder["dispatch"] = row
        return {"dispatch": row.pk, "department": row.department.name, **extra}

    locked, event = perform(actor=actor, case=case, name=name, note=note, scope_unit=department, change=change)
    return holder["dispatch"], locked, event


def dispatch_check_in(*, actor: Any, dispatch: Dispatch, note: str = "") -> Dispatch:
    """报到: the dispatched department acknowledges the case (on site, for a summons)."""
    note = optional_text(note, "note")

    def apply(case: Case, row: Dispatch, now: datetime) -> dict[str, Any]:
        row.state, row.checked_in_at, row.overdue = State.CHECKED_IN, now, False
        return {"late": now > row.checkin_due}

    return _department_op(actor=actor, dispatch=dispatch, name="check_in", states=(State.DISPATCHED,),
                          apply=apply, note=note)[0]


def dispatch_feedback(*, actor: Any, dispatch: Dispatch, result: str, files: list[Any] | None = None) -> Dispatch:
    """办结反馈: the department reports what it did, with evidence (photos, documents). When the lead and
    all co-handling departments still on the case have reported, the case moves to ``handled``."""
    result = required_text(result, "result", _("Say what was done and with what result."))
    files = list(files or [])
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationError({"files": _("At most %(n)d files per report.") % {"n": MAX_ATTACHMENTS}})
    checked = [check_upload(f) for f in files]

    def apply(case: Case, row: Dispatch, now: datetime) -> dict[str, Any]:
        # On a dispatch that is done, ``overdue`` says it answered late (the case page shows "was late").
        row.state, row.feedback_at, row.result, row.overdue = State.DONE, now, result, now > row.handle_due
        row.extension_days = None  # a request for more time still open is moot now
        return {"late": row.overdue, "files": len(checked)}

    row, locked, event = _department_op(actor=actor, dispatch=dispatch, name="feedback", states=(State.CHECKED_IN,),
                                        apply=apply, note=result)
    if checked:
        attach_files(case=locked, event=event, actor=actor,
                     files=[ContentFile(c.content, name=c.name) for c in checked])
    complete_if_answered(locked)
    return row


def dispatch_return(*, actor: Any, dispatch: Dispatch, reason: str) -> Dispatch:
    """退单: the department says the case is not its to handle, and why; the centre reviews (dispatches
    again, or takes the case back)."""
    reason = required_text(reason, "reason", _("Say why the case is returned."), limit=500)

    def apply(case: Case, row: Dispatch, now: datetime) -> dict[str, Any]:
        row.state, row.return_reason, row.overdue = State.RETURNED, reason, False
        row.extension_days = None
        return {"role": row.role}

    row, locked, _event = _department_op(actor=actor, dispatch=dispatch, name="return", states=OPEN, apply=apply,
                                         note=reason)
    complete_if_answered(locked)
    return row


def dispatch_request_extension(*, actor: Any, dispatch: Dispatch, days: int, reason: str) -> Dispatch:
    """延期申请: more working days to handle, with a reason; the centre decides."""
    reason = required_text(reason, "reason", _("Say why more time is needed."), limit=500)
    if not isinstance(days, int) or not 1 <= days <= MAX_EXTENSION_DAYS:
        raise ValidationError({"days": _("Ask for 1 to %(n)d working days.") % {"n": MAX_EXTENSION_DAYS}})

    def check(case: Case, row: Dispatch) -> None:
        if row.extension_days is not None:
            raise refuse(actor, case, "request_extension",
                         _("A request for more time is already waiting for the centre's decision."))

    def apply(case: Case, row: Dispatch, now: datetime) -> dict[str, Any]:
        if row.extension_days is not None:
            raise ValidationError(_("Someone else changed this case meanwhile; reload it and try again."))
        row.extension_days, row.extension_reason = days, reason
        return {"days": days}

    return _department_op(actor=actor, dispatch=dispatch, name="request_extension", states=OPEN, apply=apply,
                          note=reason, check=check)[0]


# The centre's side on a dispatch: 延期审批, 督办, 评价 -------------------------------------------------------


def _centre_dispatch_op(
    *, actor: Any, dispatch: Dispatch, name: str, check: Callable[[Dispatch], str | None],
    apply: Callable[[Case, Dispatch, datetime], dict[str, Any]], note: str = "",
) -> Dispatch:
    case = _fresh_case(dispatch)
    precheck(actor, case, name)
    problem = check(dispatch)
    if problem:
        raise refuse(actor, case, name, problem)
    now = timezone.now()
    holder: dict[str, Dispatch] = {}

    def change(locked: Case) -> dict[str, Any]:
        row = Dispatch.objects.select_for_update().select_related("department").get(pk=dispatch.pk)
        if row.case_id != locked.pk or check(row):
            raise ValidationError(_("Someone else changed this case meanwhile; reload it and try again."))
        extra = apply(locked, row, now)
        row.save()
        if locked.state == kinds.DISPATCHED:
            refresh_case_due(locked, now)
        holder["dispatch"] = row
        return {"dispatch": row.pk, "department": row.department.name, **extra}

    perform(actor=actor, case=case, name=name, note=note, change=change)
    return holder["dispatch"]


def dispatch_decide_extension(*, actor: Any, dispatch: Dispatch, approve: bool, note: str = "") -> Dispatch:
    """延期审批: approved, the handling due moves by the working days asked for; refused, it stays."""
    note = optional_text(note, "note", limit=500)

    def check(row: Dispatch) -> str | None:
        if row.extension_days is None or row.state not in OPEN:
            return _("There is no request for more time to decide.")
        return None

    def apply(case: Case, row: Dispatch, now: datetime) -> dict[str, Any]:
        days = row.extension_days or 0
        if approve:
            row.handle_due = add_working_days(row.handle_due, days)
            if row.state == State.CHECKED_IN:
                row.overdue = bool(row.overdue and row.handle_due <= now)
        row.extension_days = None
        return {"approved": approve, "days": days, "handle_due": row.handle_due.isoformat()}

    return _centre_dispatch_op(actor=actor, dispatch=dispatch, name="decide_extension", check=check, apply=apply,
                               note=note)


def case_press(*, actor: Any, case: Case, note: str, dispatch: Dispatch | None = None) -> Case:
    """督办: the centre presses one department, or every department still owing an answer."""
    precheck(actor, case, "press")
    note = required_text(note, "note", _("Say what the departments are pressed for."), limit=500)
    if dispatch is not None and (dispatch.case_id != case.pk or dispatch.state not in OPEN):
        raise refuse(actor, case, "press", _("Only a department still handling the case can be pressed."))

    def change(locked: Case) -> dict[str, Any]:
        rows = Dispatch.objects.filter(case=locked, state__in=OPEN)
        if dispatch is not None:
            rows = rows.filter(pk=dispatch.pk)
        pressed = list(rows.order_by("id").values_list("pk", "department__name"))
        if not pressed:
            raise ValidationError(_("No department is still handling the case."))
        return {"dispatches": [pk for pk, _name in pressed], "departments": [name for _pk, name in pressed]}

    return perform(actor=actor, case=case, name="press", note=note, change=change)[0]


def dispatch_rate(*, actor: Any, dispatch: Dispatch, rating: int, note: str = "") -> Dispatch:
    """评价: the centre rates a department's response (1–5) once it has reported back."""
    note = optional_text(note, "note", limit=500)
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationError({"rating": _("Rate from 1 to 5.")})

    def check(row: Dispatch) -> str | None:
        if row.feedback_at is None:
            return _("A department is rated after it has reported back.")
        if row.rating is not None:
            return _("This department's response is already rated.")
        return None

    def apply(case: Case, row: Dispatch, now: datetime) -> dict[str, Any]:
        row.rating, row.rating_note = rating, note
        return {"rating": rating}

    return _centre_dispatch_op(actor=actor, dispatch=dispatch, name="rate", check=check, apply=apply, note=note)


# The system's step ----------------------------------------------------------------------------------------


def complete_if_answered(case: Case) -> Case:
    """When the lead and every co-handling department still on the case have reported back, the case is
    handled: the system's ``complete`` step starts the centre's verification clock."""
    live = Dispatch.objects.filter(case_id=case.pk, state__in=LIVE)
    if case.state != kinds.DISPATCHED or not live.filter(role=Dispatch.Role.LEAD).exists():
        return case
    if live.filter(state__in=OPEN).exists():
        return case
    now = timezone.now()

    def change(locked: Case) -> dict[str, Any]:
        locked.paused_at = None
        set_case_due(locked, due_after(now, kinds.get(locked.kind).verify_limit), now)
        return {"departments": list(live.values_list("department__name", flat=True))}

    try:
        return perform(actor=None, case=case, name="complete", change=change, system=True,
                       note=_("Every department has reported back."))[0]
    except ValidationError:  # someone took the case back meanwhile
        return case
