"""The case engine: every change of a case goes through ``perform``.

``perform`` checks the permission of the transition on its unit and that the case is in one of the
transition's source states *before* opening the transaction (so a refusal is audited and survives), then
locks the case row, re-checks, applies the operation's changes, moves the state, and writes the timeline
entry and the audit row together.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts.permissions import acting_user, ensure_can
from mofan.audit.events import AuditEvent
from mofan.audit.services import audit_record, audit_refusal
from mofan.cases import kinds, kpis
from mofan.cases.models import Case, CaseEvent, Level
from mofan.org.models import Unit, UnitKind

LEVEL_OF_AREA = {UnitKind.DISTRICT: Level.DISTRICT, UnitKind.TOWN: Level.TOWN, UnitKind.VILLAGE: Level.VILLAGE}
AREA_KINDS_UP = (UnitKind.VILLAGE, UnitKind.TOWN, UnitKind.DISTRICT)
_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_tracking_code() -> str:
    """MF + yymmdd + 6 characters without look-alikes (0/O, 1/I): read out on the phone without mistakes."""
    stamp = timezone.localdate().strftime("%y%m%d")
    while True:
        code = "MF" + stamp + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))
        if not Case.objects.filter(tracking_code=code).exists():
            return code


def area_of(unit: Unit) -> Unit:
    """The area (村社 / 镇街 / 区) a unit lies in: itself when it is one, else its nearest area ancestor."""
    if unit.kind in LEVEL_OF_AREA:
        return unit
    if unit.kind == UnitKind.GRID and unit.parent is not None:
        return unit.parent
    ancestors = Unit.objects.filter(pk__in=unit.ancestor_ids(), kind__in=list(LEVEL_OF_AREA)).order_by("-depth")
    area = ancestors.first()
    if area is None:
        raise ValidationError({"area": _("This unit lies in no area.")})
    return area


def centre_of(area: Unit) -> Unit | None:
    """The governance centre of an area: a unit of kind centre directly under it."""
    return Unit.objects.filter(parent=area, kind=UnitKind.CENTRE, is_active=True).order_by("id").first()


def holding_centre(area: Unit) -> tuple[Unit, int]:
    """The centre that receives a case of ``area``: its own, or the nearest level above that has one."""
    current: Unit | None = area_of(area)
    while current is not None:
        if current.kind in LEVEL_OF_AREA:
            centre = centre_of(current)
            if centre is not None:
                return centre, int(LEVEL_OF_AREA[UnitKind(current.kind)])
        current = current.parent
    raise ValidationError({"area": _("No governance centre covers this area.")})


def centre_above(case: Case) -> tuple[Unit, int] | None:
    """The centre one level above the case's holding centre, or None at the district (the 兜底 level)."""
    area = case.centre.parent
    current = area.parent if area is not None else None
    while current is not None:
        if current.kind in LEVEL_OF_AREA:
            centre = centre_of(current)
            if centre is not None:
                return centre, int(LEVEL_OF_AREA[UnitKind(current.kind)])
        current = current.parent
    return None


def _scope_unit(case: Case, transition: kinds.Transition) -> Unit:
    return case.area if transition.scope == "area" else case.centre


def refuse_state(actor: Any, case: Case, transition: kinds.Transition) -> ValidationError:
    kind = kinds.get(case.kind)
    if actor is not None:
        audit_refusal(actor=actor, event=AuditEvent.CASE_TRANSITION, target=case,
                      note=f"{transition.name} refused in state {case.state}")
    return ValidationError(
        _("The case is “%(state)s”: “%(action)s” is not possible now.")
        % {"state": kind.state_label(case.state), "action": transition.label}
    )


def perform(
    *, actor: Any, case: Case, name: str, note: str = "", data: dict[str, Any] | None = None,
    scope_unit: Unit | None = None, change: Callable[[Case], dict[str, Any] | None] | None = None,
    system: bool = False,
) -> tuple[Case, CaseEvent]:
    """Apply transition ``name`` to ``case``. ``change(locked_case)`` makes the operation's own changes inside
    the transaction and may return extra data for the timeline. ``system`` is the sweeper acting without a
    user (timeouts): it skips the permission check, never a state check."""
    kind = kinds.get(case.kind)
    transition = kind.transitions.get(name)
    if transition is None:
        raise ValidationError(_("Unknown operation."))
    if not system:
        ensure_can(actor, transition.action, scope_unit or _scope_unit(case, transition), target=case)
    if case.state not in transition.sources:
        raise refuse_state(actor, case, transition)
    with transaction.atomic():
        locked = Case.objects.select_for_update().select_related("centre", "area").get(pk=case.pk)
        if locked.state not in transition.sources:
            raise ValidationError(_("Someone else changed this case meanwhile; reload it and try again."))
        old_state = locked.state
        tally = kpis.tally_before(locked.pk)  # the KPI counters follow every change (cases.kpis)
        extra = change(locked) if change is not None else None
        if transition.target:
            locked.state = transition.target
        locked.save()
        kpis.tally_after(locked.pk, tally)
        user = acting_user(actor)
        event = CaseEvent.objects.create(
            case=locked, actor=user, actor_name=user.get_username() if user else ("system" if system else ""),
            action=name, from_state=old_state, to_state=locked.state, note=note[:4000],
            data={**(data or {}), **(extra or {})},
        )
        audit_record(actor=actor, event=AuditEvent.CASE_TRANSITION, target=locked, unit_path=locked.centre_path,
                     old={"state": old_state}, new={"state": locked.state, "action": name},
                     note=name if not system else f"{name} (system)")
    return locked, event
