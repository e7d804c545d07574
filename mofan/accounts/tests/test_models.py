"""三员分立 in the database itself: a second administrator role is refused even without the service."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction

from mofan.accounts.models import Membership, User
from mofan.accounts.roles import ADMIN_ROLES, Role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("first", sorted(ADMIN_ROLES))
@pytest.mark.parametrize("second", sorted(ADMIN_ROLES))
def test_database_refuses_a_second_admin_role_bypassing_the_service(district: Any, make_user: Any, first: str,
                                                                     second: str) -> None:
    user = make_user(first, district.district)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, unit=district.town_a, role=second)
    assert list(Membership.objects.filter(user=user).values_list("role", flat=True)) == [first]


def test_database_allows_everyday_roles_beside_one_admin_role(district: Any, make_user: Any) -> None:
    user = make_user(Role.SYSTEM_ADMIN, district.district)
    Membership.objects.create(user=user, unit=district.town_a, role=Role.CADRE)
    Membership.objects.create(user=user, unit=district.town_b, role=Role.CADRE)
    assert user.memberships.count() == 3


def test_user_is_never_superuser(district: Any, make_user: Any) -> None:
    for role in sorted(ADMIN_ROLES):
        user = make_user(role, district.district)
        assert user.is_superuser is False and user.is_staff is False
    assert not hasattr(User.objects, "create_superuser")
    with pytest.raises(AttributeError):
        user.is_superuser = True
