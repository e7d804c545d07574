"""Reads on cases, always through the actor's jurisdiction (a case outside it is a 404, in lists, detail
pages, the API, exports and KPIs alike):

- a centre operator or grid worker (CASE_VIEW on a unit) sees cases held by centres under that unit or that
  happened in areas under it: a village its own, a town its villages;
- a department handler (CASE_HANDLE) sees only the cases dispatched to its department subtree.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from mofan.accounts.permissions import scope_filter, scope_paths
from mofan.accounts.roles import Action
from mofan.cases.models import Case, Dispatch


def jurisdiction(actor: Any) -> Q:
    """The Q of cases the actor may see at all."""
    query = Q(pk__in=[])
    if scope_paths(actor, Action.CASE_VIEW):
        query |= scope_filter(actor, Action.CASE_VIEW, "centre_path") | scope_filter(actor, Action.CASE_VIEW,
                                                                                      "area_path")
    if scope_paths(actor, Action.CASE_HANDLE):
        dispatched = Dispatch.objects.filter(scope_filter(actor, Action.CASE_HANDLE, "department_path"),
                                             case=OuterRef("pk")).exclude(state=Dispatch.State.WITHDRAWN)
        query |= Q(Exists(dispatched))
    return query


def case_list(*, actor: Any) -> QuerySet[Case]:
    return Case.objects.filter(jurisdiction(actor)).select_related("centre", "area", "category").order_by("-id")


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
