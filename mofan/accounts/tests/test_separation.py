"""三员分立 as an invariant of the services (issue 9): every account service × every administrator role as the
actor × every kind of target account, and the two-person rule for actions on administrators' accounts.

The meta-test discovers the account services (the public functions taking an ``actor`` of
``mofan.accounts.services`` and of the other apps' services that act on accounts, ``SERVICE_MODULES``: the
reset of an authenticator) and fails when one appears that it does not cover, or one it covers disappears, so
a new way of acting on accounts has to state here how the invariant applies to it. Every kind of request
(``AdminAction``) is filed and approved below, and the test fails when one is not."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from mofan.accounts import services
from mofan.accounts.models import AdminAction, AdminActionRequest, Membership, RequestState, User
from mofan.accounts.roles import ADMIN_ROLES, ROLE_ACTIONS, Role
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.conftest import PASSWORD
from mofan.core import crypto
from mofan.twofactor import services as twofactor_services
from mofan.twofactor import totp
from mofan.twofactor.models import RecoveryCode, TOTPDevice

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Meta-Test-Pass-2026"
ADMIN_ROLE_LIST: list[str] = sorted(str(role) for role in ADMIN_ROLES)


class Cast:
    """Two administrators of each role on the district (``first``/``second``), a business account (grid
    worker of 村一) and a deactivated business account; every target but the actor is locked, so that an
    unlock shows, and every account has an authenticator, so that its reset shows."""

    def __init__(self, district: Any, make_user: Any) -> None:
        self.district = district
        self.first: dict[str, User] = {role: make_user(role, district.district, username=f"{role}_1") for role in ADMIN_ROLE_LIST}
        self.second: dict[str, User] = {role: make_user(role, district.district, username=f"{role}_2") for role in ADMIN_ROLE_LIST}
        self.business = make_user(Role.GRID_WORKER, district.village_a1, username="business")
        self.inactive = make_user(Role.GRID_WORKER, district.village_a1, username="inactive")
        User.objects.filter(pk=self.inactive.pk).update(is_active=False)
        self.inactive.refresh_from_db()
        for user in [*self.first.values(), *self.second.values(), self.business, self.inactive]:
            give_authenticator(user)

    def target(self, actor_role: str, kind: str) -> User:
        if kind == "self":
            return self.first[actor_role]
        if kind in ADMIN_ROLES:  # an administrator of that role other than the actor (a peer for the same role)
            return self.second[kind] if kind == actor_role else self.first[kind]
        return self.business if kind == "business" else self.inactive


def give_authenticator(user: User) -> None:
    TOTPDevice.objects.create(user=user, secret_sealed=crypto.encrypt(totp.new_secret()), confirmed=True,
                              confirmed_at=timezone.now())
    RecoveryCode.objects.create(user=user, code_hash=f"meta-{user.pk}")


def has_authenticator(user: User) -> bool:
    return TOTPDevice.objects.filter(user_id=user.pk).exists()


def snapshot() -> dict[str, Any]:
    """Everything an account service could write, but refusals (ACCESS_DENIED, success false) in the trail."""
    return {
        "users": list(User.objects.order_by("pk").values_list(
            "pk", "password", "is_active", "locked_until", "failed_logins", "must_change_password")),
        "memberships": list(Membership.objects.order_by("pk").values_list("pk", "user_id", "unit_id", "role")),
        "requests": list(AdminActionRequest.objects.order_by("pk").values_list("pk", "state")),
        "authenticators": list(TOTPDevice.objects.order_by("pk").values_list("pk", "user_id", "confirmed")),
        "recovery_codes": list(RecoveryCode.objects.order_by("pk").values_list("pk", "used_at")),
        "audit": list(AuditLog.objects.filter(success=True).order_by("pk").values_list("pk", flat=True)),
    }


def _first_membership(user: User) -> Membership:
    return Membership.objects.filter(user=user).select_related("unit", "user").order_by("pk").first()  # type: ignore[return-value]


# The modules whose public functions taking an ``actor`` are account services; those outside accounts are named
# "<app>.<function>".
SERVICE_MODULES = {"": services, "twofactor.": twofactor_services}

# service name → (role that owns it, how to call it on a target, how to see it happened)
Call = Callable[[User, User, Any], Any]
Check = Callable[[User], bool]
ACCOUNT_SERVICES: dict[str, tuple[str, Call, Check]] = {
    "password_reset": (
        Role.SECURITY_ADMIN,
        lambda actor, user, d: services.password_reset(actor=actor, user=user, new_password=NEW_PASSWORD),
        lambda user: User.objects.get(pk=user.pk).check_password(NEW_PASSWORD),
    ),
    "user_unlock": (
        Role.SECURITY_ADMIN,
        lambda actor, user, d: services.user_unlock(actor=actor, user=user),
        lambda user: User.objects.get(pk=user.pk).locked_until is None,
    ),
    "user_deactivate": (
        Role.SYSTEM_ADMIN,
        lambda actor, user, d: services.user_deactivate(actor=actor, user=user),
        lambda user: not User.objects.get(pk=user.pk).is_active,
    ),
    "membership_grant": (
        Role.SECURITY_ADMIN,
        lambda actor, user, d: services.membership_grant(actor=actor, user=user, unit=d.village_a1, role=Role.CADRE),
        lambda user: Membership.objects.filter(user=user, role=Role.CADRE).exists(),
    ),
    "membership_revoke": (
        Role.SECURITY_ADMIN,
        lambda actor, user, d: services.membership_revoke(actor=actor, membership=_first_membership(user)),
        lambda user: not Membership.objects.filter(user=user).exists(),
    ),
    "twofactor.reset_device": (
        Role.SECURITY_ADMIN,
        lambda actor, user, d: twofactor_services.reset_device(actor=actor, user=user),
        lambda user: not has_authenticator(user) and not RecoveryCode.objects.filter(user_id=user.pk).exists(),
    ),
}

# Public services taking an actor that do not act on an existing account, and where they are tested.
NOT_ON_AN_EXISTING_ACCOUNT = {
    "user_create": "creates a new account (test_services: user_create_*)",
    "admin_request_create": "the two-person rule itself (below)",
    "admin_request_approve": "the two-person rule itself (below)",
    "admin_request_refuse": "the two-person rule itself (below)",
    "admin_request_withdraw": "the two-person rule itself (below)",
    "ensure_ordinary_account": "the check the services above call, writes nothing but a refusal",
    "twofactor.remove_device": "no check of its own: only the callers in UNCHECKED_CALLERS call it",
}

# The services without a permission check of their own, and the only files that may call them: each one a
# path that checked (or the operator's command line, outside the application).
UNCHECKED_CALLERS = {
    "remove_device": {
        "mofan/twofactor/services.py",  # reset_device, after ensure_ordinary_account
        "mofan/accounts/services.py",  # admin_request_approve: a RESET_DEVICE request a second one approved
        "mofan/twofactor/management/commands/twofactor_reset.py",  # the operator
    },
}

TARGET_KINDS = ["self", *ADMIN_ROLE_LIST, "business", "inactive"]


def test_every_account_service_is_covered() -> None:
    found = {
        prefix + name for prefix, module in SERVICE_MODULES.items()
        for name, fn in inspect.getmembers(module, inspect.isfunction)
        if fn.__module__ == module.__name__ and not name.startswith("_")
        and "actor" in inspect.signature(fn).parameters
    }
    assert found == set(ACCOUNT_SERVICES) | set(NOT_ON_AN_EXISTING_ACCOUNT), (
        "a new account service: add it to ACCOUNT_SERVICES (or, if it acts on no existing account, to "
        "NOT_ON_AN_EXISTING_ACCOUNT) and make it keep 三员分立"
    )


def test_the_unchecked_services_are_called_only_where_a_check_was_made() -> None:
    root = Path(services.__file__).resolve().parents[2]
    for name, allowed in UNCHECKED_CALLERS.items():
        calling = {
            str(path.relative_to(root)) for path in (root / "mofan").rglob("*.py")
            if "tests" not in path.parts and re.search(rf"\b{name}\(", path.read_text(encoding="utf-8"))
        }
        assert calling == allowed, f"{name} is called from {sorted(calling ^ allowed)}: check 三员分立 there first"


@pytest.mark.parametrize("kind", TARGET_KINDS)
@pytest.mark.parametrize("actor_role", ADMIN_ROLE_LIST)
@pytest.mark.parametrize("service", sorted(ACCOUNT_SERVICES))
def test_no_administrator_acts_alone_on_himself_or_another_administrator(
    district: Any, make_user: Any, service: str, actor_role: str, kind: str,
) -> None:
    cast = Cast(district, make_user)
    actor = cast.first[actor_role]
    target = cast.target(actor_role, kind)
    if kind != "self":
        User.objects.filter(pk=target.pk).update(locked_until=timezone.now() + timedelta(minutes=10))
        target.refresh_from_db()
    owner, call, happened = ACCOUNT_SERVICES[service]
    before = snapshot()
    succeeds = kind in ("business", "inactive") and actor_role == owner and not (
        kind == "inactive" and service == "user_deactivate")  # already deactivated
    if succeeds:
        call(actor, target, district)
        assert happened(target)
        assert snapshot()["audit"] != before["audit"]  # the write is audited
    else:
        with pytest.raises((ValidationError, PermissionDenied)):
            call(actor, target, district)
        assert snapshot() == before


@pytest.mark.parametrize("role", ADMIN_ROLE_LIST)
@pytest.mark.parametrize("actor_role", ADMIN_ROLE_LIST)
def test_no_administrator_role_is_granted_by_one_administrator_alone(district: Any, make_user: Any, role: str,
                                                                    actor_role: str) -> None:
    cast = Cast(district, make_user)
    plain = make_user(username="plain")  # no role at all: could become an administrator, but not by one alone
    before = snapshot()
    with pytest.raises((ValidationError, PermissionDenied)):
        services.membership_grant(actor=cast.first[actor_role], user=plain, unit=district.district, role=role)
    with pytest.raises((ValidationError, PermissionDenied)):
        services.membership_grant(actor=cast.first[actor_role], user=cast.business, unit=district.district,
                                  role=role)
    assert snapshot() == before


@pytest.mark.parametrize("role", ADMIN_ROLE_LIST)
def test_an_administrator_holds_no_business_role_whoever_grants(district: Any, make_user: Any, role: str) -> None:
    """Both directions, for the installer (actor None) too."""
    admin = make_user(role, district.district)
    business = make_user(Role.CADRE, district.village_a1)
    before = snapshot()
    with pytest.raises(ValidationError) as exc:
        services.membership_grant(actor=None, user=admin, unit=district.village_a1, role=Role.CENTRE_OPERATOR)
    assert "may not hold a business role" in " ".join(exc.value.messages)
    with pytest.raises(ValidationError) as exc:
        services.membership_grant(actor=None, user=business, unit=district.district, role=role)
    assert "holds business roles" in " ".join(exc.value.messages)
    assert snapshot() == before


def test_the_installer_still_creates_the_administrators(district: Any, make_user: Any) -> None:
    for role in ADMIN_ROLE_LIST:
        user = make_user(role, district.district, username=f"installed_{role}")
        assert list(user.memberships.values_list("role", flat=True)) == [role]


# The two-person rule ----------------------------------------------------------------------------------------

# action → (who files it, what to file, how to see it was carried out); the target is the first audit admin,
# or (for the grant of an administrator role) an account with no role yet.
REQUESTS: dict[str, tuple[str, Callable[[Cast, User], dict[str, Any]], Check]] = {
    AdminAction.RESET_PASSWORD: (
        Role.SECURITY_ADMIN, lambda c, u: {"password": NEW_PASSWORD},
        lambda u: (lambda fresh: fresh.check_password(NEW_PASSWORD) and fresh.must_change_password)(
            User.objects.get(pk=u.pk)),
    ),
    AdminAction.UNLOCK: (
        Role.SECURITY_ADMIN, lambda c, u: {}, lambda u: User.objects.get(pk=u.pk).locked_until is None,
    ),
    AdminAction.DEACTIVATE: (
        Role.SYSTEM_ADMIN, lambda c, u: {}, lambda u: not User.objects.get(pk=u.pk).is_active,
    ),
    AdminAction.REVOKE: (
        Role.SECURITY_ADMIN, lambda c, u: {"membership": _first_membership(u)},
        lambda u: not Membership.objects.filter(user=u).exists(),
    ),
    AdminAction.GRANT: (
        Role.SECURITY_ADMIN, lambda c, u: {"unit": c.district.district, "role": Role.AUDIT_ADMIN},
        lambda u: Membership.objects.filter(user=u, role=Role.AUDIT_ADMIN).exists(),
    ),
    AdminAction.RESET_DEVICE: (
        Role.SECURITY_ADMIN, lambda c, u: {}, lambda u: not has_authenticator(u),
    ),
}


def test_every_kind_of_request_is_filed_and_approved_here() -> None:
    """Each AdminAction is in REQUESTS (so filed and approved by the test below), and owned by exactly the
    administrator role ADR 0012's table names."""
    assert set(REQUESTS) == set(AdminAction.values) == set(services.REQUEST_OWNER)
    for action, (owner, _payload, _happened) in REQUESTS.items():
        holders = [role for role in ADMIN_ROLE_LIST if services.REQUEST_OWNER[action] in ROLE_ACTIONS[role]]
        assert holders == [owner], action


def _file(cast: Cast, make_user: Any, action: str) -> tuple[AdminActionRequest, User, Check]:
    owner, payload, happened = REQUESTS[action]
    target = make_user(username="newcomer") if action == AdminAction.GRANT else cast.first[Role.AUDIT_ADMIN]
    User.objects.filter(pk=target.pk).update(locked_until=timezone.now() + timedelta(minutes=10))
    target.refresh_from_db()
    request = services.admin_request_create(actor=cast.first[owner], action=action, user=target,
                                            note="工作需要", **payload(cast, target))
    return request, target, happened


def events_since(last: int) -> list[tuple[int, bool]]:
    return list(AuditLog.objects.filter(pk__gt=last).order_by("pk").values_list("event_id", "success"))


@pytest.mark.parametrize("action", sorted(REQUESTS))
def test_a_second_administrator_of_another_role_approves_and_the_action_is_carried_out(
    district: Any, make_user: Any, action: str,
) -> None:
    cast = Cast(district, make_user)
    last = AuditLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    request, target, happened = _file(cast, make_user, action)
    assert not happened(target)
    filed = [e for e in events_since(last) if e[0] != AuditEvent.USER_CREATED.id]  # the grant's newcomer
    assert filed == [(AuditEvent.ADMIN_REQUEST_FILED.id, True)]
    requester = request.requested_by
    peer = cast.second[request.requester_role]
    approver = next(cast.first[r] for r in ADMIN_ROLE_LIST if r != request.requester_role and r != Role.AUDIT_ADMIN
                    ) if target.pk == cast.first[Role.AUDIT_ADMIN].pk else cast.first[Role.AUDIT_ADMIN]
    refusers = [(requester, "You submitted this request"), (peer, "another role")]
    if action != AdminAction.GRANT:
        refusers.append((target, "your own account"))
    for who, message in refusers:
        before = snapshot()
        with pytest.raises(ValidationError) as exc:
            services.admin_request_approve(actor=who, request=request)
        assert message in " ".join(exc.value.messages)
        with pytest.raises(ValidationError):
            services.admin_request_refuse(actor=who, request=request)
        assert snapshot() == before and not happened(target)
    last = AuditLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    services.admin_request_approve(actor=approver, request=request, note="核实无误")
    assert happened(target)
    request.refresh_from_db()
    assert request.state == RequestState.APPROVED and request.decided_by == approver and request.password_hash == ""
    rows = list(AuditLog.objects.filter(pk__gt=last).order_by("pk"))
    assert [r.event_id for r in rows][-1] == AuditEvent.ADMIN_REQUEST_APPROVED.id
    carried_out = rows[0]  # the action itself, in the name of whoever owns it, noting the approval
    assert carried_out.actor_id == requester.pk and f"approved by {approver.username}" in carried_out.note
    with pytest.raises(ValidationError, match="already been decided"):
        services.admin_request_approve(actor=approver, request=request)


def test_a_refused_request_changes_nothing_and_is_audited(district: Any, make_user: Any) -> None:
    cast = Cast(district, make_user)
    request, target, happened = _file(cast, make_user, AdminAction.RESET_PASSWORD)
    services.admin_request_refuse(actor=cast.first[Role.SYSTEM_ADMIN], request=request, note="未经核实")
    request.refresh_from_db()
    assert request.state == RequestState.REFUSED and request.password_hash == ""
    assert User.objects.get(pk=target.pk).check_password(PASSWORD) and not happened(target)
    assert AuditLog.objects.filter(event_id=AuditEvent.ADMIN_REQUEST_REFUSED.id, note="未经核实").count() == 1


def test_only_the_submitter_withdraws(district: Any, make_user: Any) -> None:
    cast = Cast(district, make_user)
    request, _target, _happened = _file(cast, make_user, AdminAction.DEACTIVATE)
    with pytest.raises(ValidationError):
        services.admin_request_withdraw(actor=cast.first[Role.SECURITY_ADMIN], request=request)
    services.admin_request_withdraw(actor=request.requested_by, request=request)
    request.refresh_from_db()
    assert request.state == RequestState.WITHDRAWN
    with pytest.raises(ValidationError):
        services.admin_request_approve(actor=cast.first[Role.SECURITY_ADMIN], request=request)


def test_the_password_of_a_reset_request_is_kept_only_as_a_hash(district: Any, make_user: Any) -> None:
    cast = Cast(district, make_user)
    request, _target, _happened = _file(cast, make_user, AdminAction.RESET_PASSWORD)
    stored = AdminActionRequest.objects.filter(pk=request.pk).values().get()
    assert NEW_PASSWORD not in str(stored) and stored["password_hash"].startswith("md5$")
    assert NEW_PASSWORD not in str(list(AuditLog.objects.values()))


def test_who_may_submit(district: Any, make_user: Any) -> None:
    cast = Cast(district, make_user)
    security, system, audit = (cast.first[r] for r in (Role.SECURITY_ADMIN, Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN))
    before = snapshot()
    with pytest.raises(ValidationError, match="your own account"):  # nobody submits about himself
        services.admin_request_create(actor=security, action=AdminAction.RESET_PASSWORD, user=security,
                                      password=NEW_PASSWORD)
    with pytest.raises(PermissionDenied):  # the role must own the action
        services.admin_request_create(actor=audit, action=AdminAction.RESET_PASSWORD, user=system,
                                      password=NEW_PASSWORD)
    with pytest.raises(PermissionDenied):
        services.admin_request_create(actor=security, action=AdminAction.DEACTIVATE, user=audit)
    with pytest.raises(PermissionDenied):  # a business account cannot submit anything
        services.admin_request_create(actor=cast.business, action=AdminAction.UNLOCK, user=audit)
    with pytest.raises(ValidationError, match="do it directly"):  # an ordinary account needs no approval
        services.admin_request_create(actor=security, action=AdminAction.RESET_PASSWORD, user=cast.business,
                                      password=NEW_PASSWORD)
    with pytest.raises(ValidationError) as exc:  # the action's own rules are checked when it is submitted
        services.admin_request_create(actor=security, action=AdminAction.RESET_PASSWORD, user=audit,
                                      password="short")
    assert "password" in exc.value.message_dict
    with pytest.raises(ValidationError, match="may not hold a business role"):
        services.admin_request_create(actor=security, action=AdminAction.GRANT, user=audit,
                                      unit=district.village_a1, role=Role.CADRE)
    assert snapshot() == before


def test_approval_checks_the_rules_again(district: Any, make_user: Any) -> None:
    """An account given a business role after the grant of an administrator role was submitted does not
    become an administrator on approval; the request stays pending."""
    cast = Cast(district, make_user)
    request, target, happened = _file(cast, make_user, AdminAction.GRANT)
    services.membership_grant(actor=cast.first[Role.SECURITY_ADMIN], user=target, unit=district.village_a1,
                              role=Role.CADRE)
    with pytest.raises(ValidationError, match="holds business roles"):
        services.admin_request_approve(actor=cast.first[Role.SYSTEM_ADMIN], request=request)
    request.refresh_from_db()
    assert request.state == RequestState.PENDING and not happened(target)


def test_a_town_administrator_decides_only_in_his_town(district: Any, make_user: Any) -> None:
    cast = Cast(district, make_user)
    request, _target, _happened = _file(cast, make_user, AdminAction.UNLOCK)  # about a district administrator
    town_system = make_user(Role.SYSTEM_ADMIN, district.town_a, username="town_system")
    with pytest.raises(PermissionDenied):
        services.admin_request_approve(actor=town_system, request=request)
