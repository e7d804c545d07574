"""What anyone may read without an account: the areas a citizen can report in, and the public status of a
case by its tracking code. Shared by the public pages and Open311.

The public view of a case carries no personal data (no reporter, no description, no title) and no internal
notes: only its state in plain words, its dates, the category and area, and the public parts of its
timeline — received, accepted, rejected (with the reason and where to go instead), handled, closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from mofan.cases import kinds
from mofan.cases.models import Case, CaseEvent
from mofan.org.models import Unit, UnitKind

PUBLIC_AREA_KINDS = (UnitKind.DISTRICT, UnitKind.TOWN, UnitKind.VILLAGE)
CLOSED_STATES = frozenset({kinds.CLOSED, kinds.REJECTED, kinds.MERGED})


def _centre_roots() -> list[str]:
    """Paths of the areas that have an open governance centre, reduced to the topmost ones."""
    paths = sorted(
        Unit.objects.filter(kind=UnitKind.CENTRE, is_active=True, parent__is_active=True,
                            parent__kind__in=list(PUBLIC_AREA_KINDS)).values_list("parent__path", flat=True)
    )
    roots: list[str] = []
    for path in paths:
        if not any(path.startswith(root) for root in roots):
            roots.append(path)
    return roots


def areas_in_reach(*, kind: str, parent: Unit | None = None) -> QuerySet[Unit]:
    """Open areas of ``kind`` whose case would reach a centre: one of their own or of an area above."""
    roots = _centre_roots()
    if not roots:
        return Unit.objects.none()
    reach = Q()
    for root in roots:
        reach |= Q(path__startswith=root)
    qs = Unit.objects.filter(reach, kind=kind, is_active=True)
    if parent is not None:
        qs = qs.filter(parent=parent)
    return qs.order_by("sort_order", "name")


def towns_in_reach() -> QuerySet[Unit]:
    """Towns a citizen can choose: in reach themselves, or holding a village in reach."""
    roots = _centre_roots()
    if not roots:
        return Unit.objects.none()
    reach = Q()
    for root in roots:
        reach |= Q(path__startswith=root)
    village_towns = Unit.objects.filter(reach, kind=UnitKind.VILLAGE, is_active=True).values("parent_id")
    return (Unit.objects.filter(kind=UnitKind.TOWN, is_active=True)
            .filter(reach | Q(pk__in=village_towns)).order_by("sort_order", "name"))


def town_in_reach(pk: Any) -> Unit | None:
    try:
        return towns_in_reach().get(pk=pk)
    except (Unit.DoesNotExist, TypeError, ValueError):
        return None


def area_in_reach(unit: Unit) -> bool:
    return unit.is_active and any(unit.path.startswith(root) for root in _centre_roots())


def top_area_in_reach() -> Unit | None:
    """The district: where a report goes when it names no town or village (Open311 without an area)."""
    return areas_in_reach(kind=UnitKind.DISTRICT).order_by("path").first()


# The public status of a case ---------------------------------------------------------------------------------

PUBLIC_STATE: dict[str, str | Promise] = {
    kinds.COLLECTED: _("Received, waiting to be accepted"),
    kinds.ACCEPTED: _("Accepted, being handled"),
    kinds.DISPATCHED: _("Accepted, being handled"),
    kinds.HANDLED: _("Handled, being checked"),
    kinds.VERIFIED: _("Handled, we will call you back"),
    kinds.CLOSED: _("Closed"),
    kinds.REJECTED: _("Not accepted"),
    kinds.MERGED: _("Handled together with an earlier report of the same problem"),
}

# Timeline actions shown to the public, in plain words; everything else (dispatches, check-ins, presses,
# notes) is internal work.
PUBLIC_ACTIONS: dict[str, str | Promise] = {
    "collect": _("Report received"),
    "accept": _("Accepted"),
    "reject": _("Not accepted"),
    "merge": _("Joined to an earlier report of the same problem"),
    "escalate": _("Passed to the level above"),
    "complete": _("Handled"),
    "verify": _("Result checked"),
    "verify_failed": _("Being handled again"),
    "callback": _("Closed after calling back"),
    "reopen": _("Reopened"),
}


def public_state(case: Case) -> str:
    return str(PUBLIC_STATE.get(case.state, kinds.get(case.kind).state_label(case.state)))


def is_closed(case: Case) -> bool:
    return case.state in CLOSED_STATES


@dataclass(frozen=True)
class PublicEvent:
    at: datetime
    label: str
    reason: str = ""  # only for a rejection: why, and where to go instead
    redirect_to: str = ""


@dataclass(frozen=True)
class PublicCase:
    tracking_code: str
    state: str
    closed: bool
    category: str
    area: str
    centre: str
    received_at: datetime
    accepted_at: datetime | None
    rejected_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime
    reject_reason: str
    redirect_to: str
    timeline: list[PublicEvent]


def _public_timeline(case: Case) -> list[PublicEvent]:
    events = CaseEvent.objects.filter(case=case, action__in=list(PUBLIC_ACTIONS)).only("at", "action", "data")
    timeline = []
    for event in events.order_by("id"):
        if event.action == "reject":
            timeline.append(PublicEvent(at=event.at, label=str(PUBLIC_ACTIONS["reject"]), reason=case.reject_reason,
                                        redirect_to=case.redirect_to))
        else:
            timeline.append(PublicEvent(at=event.at, label=str(PUBLIC_ACTIONS[event.action])))
    return timeline


def normalise_code(code: str) -> str:
    return "".join((code or "").split()).upper()[:20]


def public_case_get(code: str) -> Case | None:
    """A case by its tracking code (the reporter's handle), or None."""
    code = normalise_code(code)
    if not code:
        return None
    return Case.objects.select_related("category", "category__parent", "category__parent__parent", "area",
                                       "centre").filter(tracking_code=code).first()


def public_view(case: Case) -> PublicCase:
    from mofan.cases.categories import category_label

    return PublicCase(
        tracking_code=case.tracking_code, state=public_state(case), closed=is_closed(case),
        category=category_label(case.category) if case.category_id else "", area=case.area.name,
        centre=case.centre.name, received_at=case.created_at, accepted_at=case.accepted_at,
        rejected_at=case.rejected_at, resolved_at=case.resolved_at, closed_at=case.closed_at,
        updated_at=case.updated_at, reject_reason=case.reject_reason if case.state == kinds.REJECTED else "",
        redirect_to=case.redirect_to if case.state == kinds.REJECTED else "", timeline=_public_timeline(case),
    )
