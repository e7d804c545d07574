"""Reads on the district tree, always through the actor's jurisdiction: what lies outside is a 404."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from mofan.accounts.permissions import scope_filter
from mofan.accounts.roles import Action
from mofan.org.models import Person, Unit, UnitChange

# A search text is cut to this: longer than any name; SQLite refuses a LIKE pattern over 50,000 bytes.
MAX_SEARCH = 200


def unit_list(
    *, actor: Any, parent: Unit | None = None, within: Unit | None = None, kind: str | None = None,
    search: str = "", include_closed: bool = False,
) -> QuerySet[Unit]:
    qs = Unit.objects.filter(scope_filter(actor, Action.ORG_VIEW, "path"))
    if parent is not None:
        qs = qs.filter(parent=parent)
    if within is not None:
        qs = qs.filter(path__startswith=within.path)
    if kind:
        qs = qs.filter(kind=kind)
    if search:
        search = search[:MAX_SEARCH]
        qs = qs.filter(Q(name__contains=search) | Q(code__startswith=search))
    if not include_closed:
        qs = qs.filter(is_active=True)
    return qs.select_related("parent").order_by("path")


def unit_roots(*, actor: Any) -> QuerySet[Unit]:
    """The highest units the actor may see: the tops of their jurisdiction."""
    from mofan.accounts.permissions import scope_paths

    roots = scope_paths(actor, Action.ORG_VIEW)
    return Unit.objects.filter(path__in=roots).order_by("path")


def unit_children(*, actor: Any, unit: Unit) -> QuerySet[Unit]:
    return (
        unit_list(actor=actor, parent=unit)
        .annotate(child_count=Count("children", filter=Q(children__is_active=True)))
        .order_by("sort_order", "name")
    )


def unit_get(*, actor: Any, pk: Any) -> Unit:
    try:
        return Unit.objects.filter(scope_filter(actor, Action.ORG_VIEW, "path")).select_related("parent").get(pk=pk)
    except (Unit.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def unit_history(*, actor: Any, unit: Unit) -> QuerySet[UnitChange]:
    unit_get(actor=actor, pk=unit.pk)
    return unit.changes.select_related("actor", "old_parent", "new_parent")


def unit_ancestors(*, actor: Any, unit: Unit) -> list[Unit]:
    """The breadcrumb: the ancestors the actor may see, root first."""
    visible = Unit.objects.filter(scope_filter(actor, Action.ORG_VIEW, "path")).filter(pk__in=unit.ancestor_ids())
    return list(visible.order_by("depth"))


def person_list(
    *, actor: Any, within: Unit | None = None, search: str = "", party_member: bool | None = None,
    include_inactive: bool = False,
) -> QuerySet[Person]:
    """People in the actor's jurisdiction, optionally under one unit; newest last, by id (index-friendly)."""
    qs = Person.objects.filter(scope_filter(actor, Action.ORG_VIEW, "unit__path"))
    if within is not None:
        qs = qs.filter(unit__path__startswith=within.path)
    if search:
        search = search[:MAX_SEARCH]
        qs = qs.filter(Q(name__contains=search) | Q(post__contains=search))
    if party_member is not None:
        qs = qs.filter(is_party_member=party_member)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs.select_related("unit").order_by("id")


def person_get(*, actor: Any, pk: Any) -> Person:
    try:
        return (
            Person.objects.filter(scope_filter(actor, Action.ORG_VIEW, "unit__path"))
            .select_related("unit")
            .get(pk=pk)
        )
    except (Person.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
