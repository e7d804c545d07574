"""The permission model every module uses: a role grants actions within a unit subtree.

- ``can(actor, action, unit)``: does any of the actor's memberships cover this unit for this action?
- ``ensure_can(...)``: the same, raising ``PermissionDenied`` and auditing the refusal; services call it
  before they open their transaction.
- ``scope_filter(actor, action, field)``: a ``Q`` restricting a queryset to the actor's jurisdiction;
  selectors use it so that lists, detail pages, the API and exports agree.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q
from django.utils.translation import gettext as _

from mofan.accounts.roles import ROLE_ACTIONS

_CACHE_ATTR = "_mofan_scope_cache"


def _memberships(actor: Any) -> list[tuple[str, str]]:
    """(role, unit path) pairs of an actor, cached on the user object for the request."""
    cache = getattr(actor, _CACHE_ATTR, None)
    if cache is None:
        from mofan.accounts.models import Membership

        cache = list(
            Membership.objects.filter(user=actor, unit__is_active=True).values_list("role", "unit__path")
        )
        setattr(actor, _CACHE_ATTR, cache)
    return cache


def clear_cache(actor: Any) -> None:
    if hasattr(actor, _CACHE_ATTR):
        delattr(actor, _CACHE_ATTR)


def scope_paths(actor: Any, action: str) -> list[str]:
    """The minimal list of subtree roots where the actor may perform ``action``."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return []
    paths = sorted({path for role, path in _memberships(actor) if action in ROLE_ACTIONS.get(role, ())})
    roots: list[str] = []
    for path in paths:  # sorted, so an ancestor comes before its descendants
        if not any(path.startswith(root) for root in roots):
            roots.append(path)
    return roots


def has_action(actor: Any, action: str) -> bool:
    return bool(scope_paths(actor, action))


def can(actor: Any, action: str, unit: Any) -> bool:
    path = unit if isinstance(unit, str) else unit.path
    return any(path.startswith(root) for root in scope_paths(actor, action))


def ensure_can(actor: Any, action: str, unit: Any, *, target: Model | None = None) -> None:
    if can(actor, action, unit):
        return
    from mofan.audit.events import AuditEvent
    from mofan.audit.services import audit_refusal

    if actor is not None and getattr(actor, "is_authenticated", False):
        audit_refusal(actor=actor, event=AuditEvent.ACCESS_DENIED, target=target, note=action)
    raise PermissionDenied(_("You do not have permission to do this here."))


def scope_filter(actor: Any, action: str, field: str = "path") -> Q:
    """``Q`` matching rows whose unit path (``field``) lies in the actor's jurisdiction; empty when none."""
    roots = scope_paths(actor, action)
    if not roots:
        return Q(pk__in=[])
    query = Q()
    for root in roots:
        query |= Q(**{f"{field}__startswith": root})
    return query
