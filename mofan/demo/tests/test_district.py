"""The demo district as built: valid people, plausible party membership, one account per role.

The district is built once for this module (inside a transaction rolled back at the end) and only read.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from mofan.accounts.models import Membership, User
from mofan.accounts.roles import ADMIN_ROLES, Role
from mofan.core import crypto
from mofan.core.identity import validate_id_number, validate_phone
from mofan.demo.district import ACCOUNTS, DEMO_PASSWORD
from mofan.demo.structure import DISTRICT_CODE
from mofan.org.models import Person, Unit, UnitKind

MD5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def built(django_db_setup: Any, django_db_blocker: Any) -> Iterator[str]:
    """The demo's printed output; the district stays in the database for the module's tests."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=MD5), transaction.atomic():
        out = io.StringIO()
        call_command("demo", "--no-steps", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = MD5


def test_every_person_is_valid_and_plausible(built: str) -> None:
    people = list(Person.objects.all())
    digests = set()
    for person in people:
        number = crypto.decrypt(person.id_number_cipher)
        assert validate_id_number(number) == number
        assert number.startswith(DISTRICT_CODE)
        assert ("M" if int(number[16]) % 2 else "F") == person.gender
        assert 18 <= 2026 - int(number[6:10]) <= 65
        assert crypto.blind_index(number) == person.id_number_digest
        digests.add(person.id_number_digest)
        assert validate_phone(person.phone) == person.phone and len(person.phone) == 11
        assert 2 <= len(person.name) <= 6 and person.post
    assert len(digests) == len(people)
    organ_paths = [u.path for u in Unit.objects.filter(kind=UnitKind.ORGAN, depth=1)]
    in_organs = [p for p in Person.objects.select_related("unit") if any(p.unit.path.startswith(x) for x in organ_paths)]
    share = sum(p.is_party_member for p in in_organs) / len(in_organs)
    assert 0.4 <= share <= 0.65


def test_one_account_per_role_linked_to_a_person_and_able_to_sign_in(built: str) -> None:
    output = built
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == set(Role.values)
    root = Unit.objects.get(parent__isnull=True)
    for spec in ACCOUNTS:
        user = User.objects.get(username=spec.username)
        assert user.person is not None and not user.must_change_password
        assert user.check_password(DEMO_PASSWORD)
        assert spec.username in output
        membership = user.memberships.get()
        assert membership.role == spec.role
        if spec.role in ADMIN_ROLES and spec.key != "town_system_admin":
            assert membership.unit == root
    town_admin = User.objects.get(username="xinhua_xitong").memberships.get()
    assert town_admin.unit.kind == UnitKind.TOWN
    assert User.objects.get(username="shouli").memberships.get().unit == town_admin.unit
    assert User.objects.get(username="dangyuan").person.is_party_member  # type: ignore[union-attr]
    assert User.objects.get(username="shuji").memberships.get().unit.kind == UnitKind.PARTY_BRANCH
    assert DEMO_PASSWORD in output and "用户名" in output




def test_the_street_level_accounts_see_only_their_street(built: str) -> None:
    from mofan.org import selectors

    everyone = Person.objects.count()
    assert selectors.person_list(actor=User.objects.get(username="xitong")).count() == everyone
    for username in ("shouli", "xinhua_xitong"):
        user = User.objects.get(username=username)
        street = user.memberships.get().unit
        visible = selectors.person_list(actor=user)
        assert 0 < visible.count() < everyone
        assert not visible.exclude(unit__path__startswith=street.path).exists()
