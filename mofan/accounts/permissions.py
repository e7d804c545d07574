"""The permission model every module uses: a role grants actions within a unit subtree.

- ``can(actor, action, unit)``: does any of the actor's memberships cover this unit for this action?
- ``ensure_can(...)``: the same, raising ``PermissionDenied`` and auditing the refusal; services call it
  before they open their transaction.
- ``scope_filter(actor, action, field)``: a ``Q`` restricting a queryset to the actor's jurisdiction;
  selectors use it so that lists, detail pages, the API and exports agree.
- ``subtree_q(field, root, seek=...)``: "``field`` lies under ``root``" in the form that suits the query
  (see its docstring); ``scope_filter`` passes ``seek`` through.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from mofan.accounts.roles import ROLE_ACTIONS
from mofan.core.hotpath import Compiled

_CACHE_ATTR = "_mofan_scope_cache"


def _memberships_of(user_id: Any) -> QuerySet[Any]:
    from mofan.accounts.models import Membership

    return Membership.objects.filter(user_id=user_id, unit__is_active=True).values_list("role", "unit__path",
                                                                                        "unit__kind")


# Every request that checks a permission runs this query once: compiled once (core.hotpath).
_MEMBERSHIPS = Compiled(_memberships_of)


def _memberships(actor: Any) -> list[tuple[str, str, str]]:
    """(role, unit path, unit kind) of each membership of an actor, cached on the user object for the request."""
    cache = getattr(actor, _CACHE_ATTR, None)
    if cache is None:
        cache = _MEMBERSHIPS.rows(actor.pk)
        setattr(actor, _CACHE_ATTR, cache)
    return cache


def clear_cache(actor: Any) -> None:
    if hasattr(actor, _CACHE_ATTR):
        delattr(actor, _CACHE_ATTR)


def scope_paths(actor: Any, action: str) -> list[str]:
    """The minimal list of subtree roots where the actor may perform ``action``."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return []
    return [path for path, _kind in scope_roots(actor, action)]


def scope_roots(actor: Any, action: str) -> list[tuple[str, str]]:
    """``scope_paths`` with the kind of each root unit: (path, kind)."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return []
    units = sorted({(path, kind) for role, path, kind in _memberships(actor) if action in ROLE_ACTIONS.get(role, ())})
    roots: list[tuple[str, str]] = []
    for path, kind in units:  # sorted, so an ancestor comes before its descendants
        if not any(path.startswith(root) for root, _kind in roots):
            roots.append((path, kind))
    return roots


def acting_user(actor: Any) -> Any:
    """The actor as a user to record (``created_by``, ``decided_by`` …), or None for the system or an anonymous
    visitor."""
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


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


def subtree_q(field: str, root: str, *, seek: bool = False) -> Q:
    """``Q`` matching rows whose unit path (``field``) lies under ``root`` (the root included).

    Both forms select the same rows; they differ in the plan they lead to. With ``seek=False`` the test is
    ``LIKE 'root%'``: SQLite cannot use an index for it and tests each row it reads, which is what a list
    ordered by id over a large share of the table wants (walk the ids backwards, stop after a page). With
    ``seek=True`` SQLite gets the equivalent range ``root <= field < root'`` (``root'`` is the root with its
    last character raised by one: under SQLite's binary collation the range holds exactly the strings that
    start with the root), which an index on (state, path) serves — what a queue of one state wants.
    PostgreSQL uses LIKE in both cases (its ``varchar_pattern_ops`` indexes serve it; a range would be wrong
    under a locale collation) and its planner picks the plan from statistics.
    """
    if seek and connection.vendor == "sqlite" and root:
        upper = root[:-1] + chr(ord(root[-1]) + 1)
        return Q(**{f"{field}__gte": root, f"{field}__lt": upper})
    return Q(**{f"{field}__startswith": root})


def scope_filter(actor: Any, action: str, field: str = "path", *, seek: bool = False) -> Q:
    """``Q`` matching rows whose unit path (``field``) lies in the actor's jurisdiction; empty when none.
    ``seek``: see ``subtree_q``."""
    roots = scope_paths(actor, action)
    if not roots:
        return Q(pk__in=[])
    query = Q()
    for root in roots:
        query |= subtree_q(field, root, seek=seek)
    return query
