"""Shared test fixtures: a small district with two towns, and accounts holding roles in it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from mofan.accounts import services as account_services
from mofan.accounts.middleware import LAST_SEEN
from mofan.accounts.models import User
from mofan.org import services as org_services
from mofan.org.models import Unit, UnitKind
from mofan.twofactor.session import VERIFIED_AT

PASSWORD = "Mofan-Test-2026"


class District:
    """x区 → 甲镇 (村一, 村二), 乙镇 (村三); 区委政法委 → 综治科."""

    def __init__(self) -> None:
        mk = org_services.unit_create
        self.district = mk(actor=None, name="测试区", kind=UnitKind.DISTRICT, parent=None, code="150000")
        self.town_a = mk(actor=None, name="甲镇", kind=UnitKind.TOWN, parent=self.district)
        self.town_b = mk(actor=None, name="乙镇", kind=UnitKind.TOWN, parent=self.district)
        self.village_a1 = mk(actor=None, name="村一", kind=UnitKind.VILLAGE, parent=self.town_a)
        self.village_a2 = mk(actor=None, name="村二", kind=UnitKind.VILLAGE, parent=self.town_a)
        self.village_b1 = mk(actor=None, name="村三", kind=UnitKind.VILLAGE, parent=self.town_b)
        self.organ = mk(actor=None, name="区委政法委", kind=UnitKind.ORGAN, parent=self.district)
        self.department = mk(actor=None, name="综治科", kind=UnitKind.DEPARTMENT, parent=self.organ)

    def refresh(self) -> None:
        for value in vars(self).values():
            if isinstance(value, Unit):
                value.refresh_from_db()


@pytest.fixture
def district(db: Any) -> District:
    return District()


@pytest.fixture
def make_user(db: Any) -> Callable[..., User]:
    counter = {"n": 0}

    def make(role: str | None = None, unit: Unit | None = None, username: str | None = None) -> User:
        counter["n"] += 1
        user = account_services.user_create(
            actor=None, username=username or f"user{counter['n']}", display_name=f"用户{counter['n']}",
            password=PASSWORD, must_change_password=False,
        )
        if role is not None and unit is not None:
            account_services.membership_grant(actor=None, user=user, unit=unit, role=role)
        return user

    return make


@pytest.fixture
def make_learner(db: Any) -> Callable[..., User]:
    """An account linked to a person of ``unit`` (their branch), holding ``role`` (party member) there: the
    learner of the learning apps."""
    counter = {"n": 0}

    def make(unit: Unit, username: str | None = None, role: str = "party_member", name: str = "") -> User:
        counter["n"] += 1
        person = org_services.person_create(actor=None, unit=unit, name=name or f"学员{counter['n']}", gender="M",
                                            is_party_member=role == "party_member", audit=False)
        user = account_services.user_create(
            actor=None, username=username or f"learner{counter['n']}", display_name=person.name, password=PASSWORD,
            person=person, must_change_password=False,
        )
        account_services.membership_grant(actor=None, user=user, unit=unit, role=role)
        return user

    return make


@pytest.fixture
def login() -> Callable[[User], Client]:
    def make_client(user: User) -> Client:
        client = Client()
        client.force_login(user)
        session = client.session
        session[LAST_SEEN] = time.time()
        session[VERIFIED_AT] = time.time()  # counts as having passed the second factor (mofan.twofactor)
        session.save()
        return client

    return make_client


@pytest.fixture
def reauth() -> Callable[..., Client]:
    """Confirm the identity of a signed-in client's account the real way (POST /api/accounts/reauth/ with the
    password, and ``code`` when it has an authenticator), as a person must before unmasking personal data,
    exporting it or granting roles. Signing in alone does not count."""

    def confirm(client: Client, password: str = PASSWORD, code: str = "") -> Client:
        response = client.post("/api/accounts/reauth/", {"password": password, "code": code},
                               content_type="application/json")
        assert response.status_code == 200, response.content  # noqa: S101
        return client

    return confirm


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """PBKDF2 at full strength costs a fraction of a second per account; tests are about rules, not hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
