"""Accounts fixtures: the three administrators (三员) of the district, and a person to give an account."""

from __future__ import annotations

from typing import Any

import pytest

from mofan.accounts.roles import Role
from mofan.core.identity import id_number_check_digit
from mofan.org import services as org_services


def make_id_number(seq: int) -> str:
    first17 = f"150102199001{seq % 28 + 1:02d}{seq % 1000:03d}"
    return first17 + id_number_check_digit(first17)


class Admins:
    def __init__(self, district: Any, make_user: Any) -> None:
        self.system = make_user(Role.SYSTEM_ADMIN, district.district, username="sysadmin")
        self.security = make_user(Role.SECURITY_ADMIN, district.district, username="secadmin")
        self.audit = make_user(Role.AUDIT_ADMIN, district.district, username="auditadmin")
        self.town_system = make_user(Role.SYSTEM_ADMIN, district.town_a, username="town_sysadmin")
        self.town_security = make_user(Role.SECURITY_ADMIN, district.town_a, username="town_secadmin")


@pytest.fixture
def admins(district: Any, make_user: Any) -> Admins:
    return Admins(district, make_user)


@pytest.fixture
def person_a(district: Any) -> Any:
    """张三 of 村一 (甲镇), without an account yet."""
    return org_services.person_create(actor=None, unit=district.village_a1, name="张三", id_number=make_id_number(1),
                                      phone="13812345678")


@pytest.fixture
def person_b(district: Any) -> Any:
    """李四 of 村三 (乙镇), without an account yet."""
    return org_services.person_create(actor=None, unit=district.village_b1, name="李四", id_number=make_id_number(2))


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    """Assert on the English msgids, whatever the zh-Hans catalogue says."""
    settings.LANGUAGE_CODE = "en"
