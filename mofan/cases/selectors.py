"""Reads on cases, always through the actor's jurisdiction (a case outside it is a 404, in lists, detail
pages, the API, exports and KPIs alike):

- a centre operator or grid worker (CASE_VIEW on a unit) sees cases held by centres under that unit or that
  happened in areas under it: a village its own, a town its villages;
- a department handler (CASE_HANDLE) sees only the cases dispatched to its department subtree.

The first rule needs one path test per root, not two: a case is held by the centre of its area or of an area
above it (``services.engine.holding_centre``, ``centre_above``), so a centre under a root that is not itself a
centre only holds cases of areas under that root — ``area_path`` decides. For a role placed on a centre unit
the centre's own cases are the ones held there — ``centre_path`` decides. One indexed column per root lets
the queues of one state use the (state, path) indexes (measured by ``mofan bench cases``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from mofan.accounts.permissions import scope_filter, scope_paths, scope_roots, subtree_q
from mofan.accounts.roles import Action
from mofan.cases.models import Case, Dispatch
from mofan.org.models import UnitKind


def viewable(actor: Any, prefix: str = "", *, seek: bool = False) -> Q:
    """The Q of cases the actor sees by CASE_VIEW (``prefix`` "case__" from dispatches); empty when none.
    ``seek``: see ``accounts.permissions.subtree_q``."""
    query = Q(pk__in=[])
    for root, kind in scope_roots(actor, Action.CASE_VIEW):
        field = "centre_path" if kind == UnitKind.CENTRE else "area_path"
        query |= subtree_q(f"{prefix}{field}", root, seek=seek)
    return query


def jurisdiction(actor: Any, *, seek: bool = False) -> Q:
    """The Q of cases the actor may see at all."""
    query = viewable(actor, seek=seek)
    if scope_paths(actor, Action.CASE_HANDLE):
        dispatched = Dispatch.objects.filter(scope_filter(actor, Action.CASE_HANDLE, "department_path"),
                                             case=OuterRef("pk")).exclude(state=Dispatch.State.WITHDRAWN)
        query |= Q(Exists(dispatched))
    return query


def held(actor: Any, *, seek: bool = False) -> Q:
    """The Q of cases held by a centre in the actor's triage jurisdiction ("my centres"): the work of a centre
    operator. Only triage roots that lie in the actor's CASE_VIEW jurisdiction count, and a case held by a
    centre under such a root happened under it (see the module docstring), so these cases are always a part of
    ``jurisdiction(actor)`` — which is why the 工作台 queues filter by this condition alone: a second, correlated
    path condition makes PostgreSQL misjudge how many rows match and pick a slow plan (``mofan bench cases``)."""
    viewing = scope_paths(actor, Action.CASE_VIEW)
    query = Q(pk__in=[])
    for root in scope_paths(actor, Action.CASE_TRIAGE):
        if any(root.startswith(view_root) for view_root in viewing):
            query |= subtree_q("centre_path", root, seek=seek)
    return query


def held_list(*, actor: Any, seek: bool = False) -> QuerySet[Case]:
    """The cases of ``held(actor)``, newest first."""
    return Case.objects.filter(held(actor, seek=seek)).select_related("centre", "area", "category").order_by("-id")


def case_list(*, actor: Any, seek: bool = False) -> QuerySet[Case]:
    """The cases the actor may see, newest first. ``seek=True`` when the caller narrows them to a state (see
    ``accounts.permissions.subtree_q``)."""
    return (Case.objects.filter(jurisdiction(actor, seek=seek)).select_related("centre", "area", "category")
            .order_by("-id"))


def case_get(*, actor: Any, pk: Any) -> Case:
    try:
        return Case.objects.filter(jurisdiction(actor)).select_related("centre", "area", "category").get(pk=pk)
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def dispatch_get(*, actor: Any, pk: Any) -> Dispatch:
    """A dispatch of a case the actor may see."""
    try:
        dispatch = Dispatch.objects.select_related("case", "department").get(pk=pk)
    except (Dispatch.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    case_get(actor=actor, pk=dispatch.case_id)
    return dispatch
