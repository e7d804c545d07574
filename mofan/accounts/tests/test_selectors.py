"""Account reads through the jurisdiction: a town's administrators see their town's accounts only, and the
audit administrator administers no accounts at all."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from mofan.accounts import selectors, services
from mofan.accounts.roles import Role
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts(district: Any, make_user: Any, admins: Any, person_a: Any, person_b: Any) -> dict[str, Any]:
    by_person_a = services.user_create(actor=None, username="zhangsan", display_name="张三", password="Init-Pass-2026",
                                       person=person_a)
    by_person_b = services.user_create(actor=None, username="lisi", display_name="李四", password="Init-Pass-2026",
                                       person=person_b)
    by_role_a = make_user(Role.GRID_WORKER, district.village_a2, username="grid_a")
    by_role_b = make_user(Role.GRID_WORKER, district.village_b1, username="grid_b")
    unplaced = make_user(username="unplaced")
    return {"a": {by_person_a, by_role_a}, "b": {by_person_b, by_role_b}, "unplaced": unplaced}


def names(users: Any) -> set[str]:
    return {u.username for u in users}


@pytest.mark.parametrize("who", ["town_system", "town_security"])
def test_town_admin_lists_only_accounts_of_their_town(admins: Any, accounts: dict[str, Any], who: str) -> None:
    actor = getattr(admins, who)
    listed = names(selectors.user_list(actor=actor))
    assert names(accounts["a"]) <= listed
    assert not listed & names(accounts["b"])
    assert "unplaced" not in listed and "sysadmin" not in listed
    for user in accounts["b"] | {accounts["unplaced"], admins.system}:
        with pytest.raises(Http404):
            selectors.user_get(actor=actor, pk=user.pk)
    assert not selectors.user_list(actor=actor, search="lisi").exists()


@pytest.mark.parametrize("who", ["system", "security"])
def test_district_admin_lists_every_account(admins: Any, accounts: dict[str, Any], who: str) -> None:
    listed = names(selectors.user_list(actor=getattr(admins, who)))
    assert names(accounts["a"] | accounts["b"]) | {"unplaced", "sysadmin", "auditadmin"} <= listed


def test_audit_admin_and_everyday_roles_administer_no_accounts(district: Any, make_user: Any, admins: Any) -> None:
    cadre = make_user(Role.CADRE, district.district)
    for actor in (admins.audit, cadre):
        with pytest.raises(PermissionDenied):
            selectors.user_list(actor=actor)
        with pytest.raises(Http404):
            selectors.user_get(actor=actor, pk=admins.system.pk)
    assert AuditLog.objects.filter(event_id=AuditEvent.ACCESS_DENIED.id, actor=admins.audit).exists()


def test_search_and_locked_state(admins: Any, accounts: dict[str, Any]) -> None:
    assert names(selectors.user_list(actor=admins.security, search="zhang")) == {"zhangsan"}
    assert names(selectors.user_list(actor=admins.security, search="李")) == {"lisi"}
    for _ in range(5):
        services.login_attempt(username="lisi", password="wrong")
    lisi = selectors.user_get(actor=admins.security, pk=next(u.pk for u in accounts["b"] if u.username == "lisi"))
    assert lisi.is_locked()


def test_user_list_query_count_is_flat(district: Any, make_user: Any, admins: Any,
                                       django_assert_max_num_queries: Any) -> None:
    for n in range(30):
        make_user(Role.GRID_WORKER, district.village_a1 if n % 2 else district.village_b1, username=f"grid{n:02d}")
    with django_assert_max_num_queries(4):
        users = list(selectors.user_list(actor=admins.security))
        shown = [
            (user.person.unit.name if user.person else "", [m.unit.name for m in user.memberships.all()])
            for user in users
        ]
    assert len(shown) >= 35


def test_grantable_units_and_person_choices_stay_in_the_jurisdiction(district: Any, admins: Any, person_a: Any,
                                                                     person_b: Any) -> None:
    units = set(selectors.grantable_units(actor=admins.town_security).values_list("name", flat=True))
    assert units == {"甲镇", "村一", "村二"}
    assert not selectors.grantable_units(actor=admins.town_system).exists()
    with pytest.raises(Http404):
        selectors.grantable_unit_get(actor=admins.town_security, pk=district.town_b.pk)
    assert list(selectors.person_choices(actor=admins.town_system)) == [person_a]
    assert set(selectors.person_choices(actor=admins.system)) == {person_a, person_b}
    services.user_create(actor=None, username="zhangsan", display_name="", password="Init-Pass-2026", person=person_a)
    assert list(selectors.person_choices(actor=admins.town_system)) == []
    assert not selectors.person_choices(actor=admins.security).exists()


@pytest.mark.parametrize("seek", [False, True])
def test_subtree_q_selects_exactly_the_subtree(district: Any, seek: bool) -> None:
    """Both forms of "under this unit" (LIKE, and the range SQLite seeks an index with) pick the same units as
    a prefix test in Python, for every unit of the district as the root."""
    from mofan.accounts.permissions import subtree_q
    from mofan.org.models import Unit

    paths = list(Unit.objects.values_list("path", flat=True))
    assert len(paths) > 5
    for root in paths:
        expected = {p for p in paths if p.startswith(root)}
        assert set(Unit.objects.filter(subtree_q("path", root, seek=seek)).values_list("path", flat=True)) == expected


def test_acting_user_is_the_signed_in_user_or_none(make_user: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    from mofan.accounts.permissions import acting_user

    user = make_user()
    assert acting_user(user) is user
    assert acting_user(AnonymousUser()) is None
    assert acting_user(None) is None


def test_memberships_are_read_once_per_request(district: Any, make_user: Any,
                                               django_assert_num_queries: Any) -> None:
    """The compiled membership query gives the roles of active units only, and is cached on the user."""
    from mofan.accounts.permissions import clear_cache, scope_roots
    from mofan.accounts.roles import Action
    from mofan.org.models import Unit

    user = make_user(Role.SECRETARY, district.town_a)
    services.membership_grant(actor=None, user=user, unit=district.village_b1, role=Role.SECRETARY)
    clear_cache(user)
    with django_assert_num_queries(1):
        assert scope_roots(user, Action.LEARN) == sorted([(district.town_a.path, district.town_a.kind),
                                                     (district.village_b1.path, district.village_b1.kind)])
        scope_roots(user, Action.LEARN)
    Unit.objects.filter(pk=district.village_b1.pk).update(is_active=False)
    clear_cache(user)
    assert scope_roots(user, Action.LEARN) == [(district.town_a.path, district.town_a.kind)]
