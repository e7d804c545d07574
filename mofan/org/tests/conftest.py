"""Org fixtures: three people in two towns, and clients of 甲镇's system administrator and centre operator."""

from __future__ import annotations

from typing import Any

import pytest

from mofan.accounts.roles import Role
from mofan.core.identity import id_number_check_digit
from mofan.org import services
from mofan.org.models import Person


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    """Assert on the English msgids, whatever the zh-Hans catalogue says."""
    settings.LANGUAGE_CODE = "en"


def id_number(seq: int, *, male: bool = True) -> str:
    first17 = f"150102{1960 + seq % 40}0{seq % 9 + 1}1{seq % 9}{seq % 100:02d}{(1 if male else 2) + 2 * (seq % 4)}"
    return first17 + id_number_check_digit(first17)


@pytest.fixture
def people(district: Any) -> dict[str, Person]:
    make = services.person_create
    return {
        "a1": make(actor=None, unit=district.village_a1, name="甲一", phone="13812345678", id_number=id_number(1),
                   is_party_member=True, post="书记"),
        "a2": make(actor=None, unit=district.village_a2, name="甲二", phone="13900001111", id_number=id_number(2)),
        "b1": make(actor=None, unit=district.village_b1, name="乙一", phone="13700002222", id_number=id_number(3)),
    }


@pytest.fixture
def admin(district: Any, make_user: Any, login: Any) -> Any:
    """系统管理员 of 甲镇, logged in."""
    return login(make_user(Role.SYSTEM_ADMIN, district.town_a))


@pytest.fixture
def operator(district: Any, make_user: Any, login: Any) -> Any:
    """中心受理员 of 甲镇, logged in."""
    return login(make_user(Role.CENTRE_OPERATOR, district.town_a))


@pytest.fixture(params=[Role.SYSTEM_ADMIN, Role.CENTRE_OPERATOR])
def town_client(request: Any, district: Any, make_user: Any, login: Any) -> Any:
    return login(make_user(request.param, district.town_a))
