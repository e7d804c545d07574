"""Reads on accounts, always through the actor's jurisdiction: an account outside it is a 404.

An account lies in a jurisdiction when its person's unit, or the unit of one of its memberships, lies in
the subtree where the actor holds an account action (create/deactivate, grant, unlock). An account placed
nowhere yet (no person, no role) belongs to the root unit, as in ``services._ensure_on_account``.

To add a read: take ``actor`` as a keyword, start from ``_account_scope`` (or ``scope_filter`` for other
models) and raise ``Http404`` for anything outside it.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from mofan.accounts.models import AdminActionRequest, Membership, RequestState, User
from mofan.accounts.permissions import can, has_action, scope_filter, scope_paths
from mofan.accounts.roles import ADMIN_ROLES, Action
from mofan.audit.events import AuditEvent
from mofan.audit.services import audit_refusal
from mofan.org.models import Person, Unit

ACCOUNT_ACTIONS = (Action.ACCOUNT_MANAGE, Action.ACCOUNT_GRANT, Action.ACCOUNT_UNLOCK)


def account_roots(actor: Any) -> list[str]:
    """Unit paths under which the actor may administer accounts (any of the account actions)."""
    paths = sorted({path for action in ACCOUNT_ACTIONS for path in scope_paths(actor, action)})
    roots: list[str] = []
    for path in paths:
        if not any(path.startswith(root) for root in roots):
            roots.append(path)
    return roots


def may_administer_accounts(actor: Any) -> bool:
    return bool(account_roots(actor))


def may_create_accounts(actor: Any) -> bool:
    return bool(scope_paths(actor, Action.ACCOUNT_MANAGE))


def _account_scope(actor: Any) -> Q:
    roots = account_roots(actor)
    if not roots:
        return Q(pk__in=[])
    unit_q = Q()
    for root in roots:
        unit_q |= Q(unit__path__startswith=root)
    person_q = Q()
    for root in roots:
        person_q |= Q(person__unit__path__startswith=root)
    in_scope = person_q | Q(Exists(Membership.objects.filter(unit_q, user=OuterRef("pk"))))
    if Unit.objects.filter(parent__isnull=True, path__in=roots).exists():
        # The root administrator also reaches accounts that are placed nowhere yet.
        in_scope |= Q(person__isnull=True) & ~Q(Exists(Membership.objects.filter(user=OuterRef("pk"))))
    return in_scope


def ensure_account_admin(actor: Any, action: str | None = None) -> None:
    """Refuse (403, audited) anyone who holds ``action`` nowhere, or with no action given, anyone who
    administers no accounts at all (e.g. the audit administrator)."""
    allowed = bool(scope_paths(actor, action)) if action else may_administer_accounts(actor)
    if allowed:
        return
    if actor is not None and getattr(actor, "is_authenticated", False):
        audit_refusal(actor=actor, event=AuditEvent.ACCESS_DENIED, note=action or "accounts.user.list")
    raise PermissionDenied(_("You do not have permission to do this here."))


def _scoped(actor: Any) -> QuerySet[User]:
    memberships = Membership.objects.select_related("unit").order_by("unit__path", "role")
    return (
        User.objects.filter(_account_scope(actor))
        .select_related("person__unit")
        .prefetch_related(Prefetch("memberships", queryset=memberships))
    )


def user_list(*, actor: Any, search: str = "", include_inactive: bool = True) -> QuerySet[User]:
    """Accounts in the actor's jurisdiction with their roles, by user name."""
    ensure_account_admin(actor)
    qs = _scoped(actor)
    search = (search or "").strip()[:200]  # longer than any name; SQLite refuses a LIKE pattern over 50,000 bytes
    if search:
        qs = qs.filter(Q(username__startswith=search) | Q(display_name__contains=search))
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs.order_by("username")


def user_get(*, actor: Any, pk: Any) -> User:
    try:
        return _scoped(actor).get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def account_home_unit(user: User) -> Unit | None:
    """The unit that places an account: its person's unit, else its first role's unit."""
    if user.person_id:
        return user.person.unit  # type: ignore[union-attr]
    memberships = list(user.memberships.all())
    if memberships:
        return min(memberships, key=lambda m: m.pk).unit
    return Unit.objects.filter(parent__isnull=True).order_by("id").first()


def account_permissions(*, actor: Any, user: User) -> dict[str, Any]:
    """Which account actions the actor may take on this account (to show only the buttons that work);
    the services decide for themselves all the same."""
    home = account_home_unit(user)
    return {
        "manage": home is not None and can(actor, Action.ACCOUNT_MANAGE, home),
        "grant": has_grant_scope(actor),
        "revocable": {m.pk for m in user.memberships.all() if can(actor, Action.ACCOUNT_GRANT, m.unit)},
        "unlock": home is not None and can(actor, Action.ACCOUNT_UNLOCK, home),
        "self": getattr(actor, "pk", None) == user.pk,
        # 三员分立: an administrator's account is acted on only through a request a second one approves.
        "admin_target": any(m.role in ADMIN_ROLES for m in user.memberships.all()),
        "may_request": has_action(actor, Action.ACCOUNT_APPROVE),
    }


def has_grant_scope(actor: Any) -> bool:
    return bool(scope_paths(actor, Action.ACCOUNT_GRANT))


def grantable_units(*, actor: Any) -> QuerySet[Unit]:
    """Active units on which the actor may grant roles."""
    return (
        Unit.objects.filter(scope_filter(actor, Action.ACCOUNT_GRANT, "path"), is_active=True)
        .only("id", "name", "path", "depth", "kind")
        .order_by("path")
    )


def grantable_unit_get(*, actor: Any, pk: Any) -> Unit:
    try:
        return grantable_units(actor=actor).get(pk=pk)
    except (Unit.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def membership_get(*, actor: Any, user: User, pk: Any) -> Membership:
    """One role of an account the actor can see; its unit must lie where the actor grants roles."""
    try:
        return (
            Membership.objects.filter(scope_filter(actor, Action.ACCOUNT_GRANT, "unit__path"), user=user)
            .select_related("unit", "user")
            .get(pk=pk)
        )
    except (Membership.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def person_choices(*, actor: Any, search: str = "", limit: int | None = None) -> QuerySet[Person]:
    """Active people without an account in the units where the actor may create accounts."""
    qs = Person.objects.filter(
        scope_filter(actor, Action.ACCOUNT_MANAGE, "unit__path"), is_active=True, account__isnull=True
    )
    search = (search or "").strip()[:200]  # longer than any name; SQLite refuses a LIKE pattern over 50,000 bytes
    if search:
        qs = qs.filter(Q(name__contains=search) | Q(post__contains=search))
    qs = qs.select_related("unit").order_by("unit__path", "name", "id")
    return qs[:limit] if limit else qs


def admin_requests(*, actor: Any, pending_only: bool = False) -> QuerySet[AdminActionRequest]:
    """Requests for actions on administrators' accounts where the actor may decide them (ACCOUNT_APPROVE
    covers the unit where the action applies), and those the actor submitted; newest first."""
    ensure_account_admin(actor, Action.ACCOUNT_APPROVE)
    qs = AdminActionRequest.objects.filter(
        scope_filter(actor, Action.ACCOUNT_APPROVE, "unit__path") | Q(requested_by=actor)
    ).select_related("target", "unit", "requested_by", "decided_by")
    if pending_only:
        qs = qs.filter(state=RequestState.PENDING)
    return qs.order_by("-requested_at", "-id")


def admin_request_get(*, actor: Any, pk: Any) -> AdminActionRequest:
    try:
        return admin_requests(actor=actor).get(pk=pk)
    except (AdminActionRequest.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def is_administrator(user: Any) -> bool:
    """Does the account hold one of the three administrator roles (on any unit, open or closed)?"""
    return Membership.objects.filter(user_id=user.pk, role__in=ADMIN_ROLES).exists()
