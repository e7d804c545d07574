"""Audit fixtures: the three administrators (三员) on the district root and a few recorded events."""

from __future__ import annotations

from typing import Any

import pytest

from mofan.accounts.roles import Role


class Admins:
    def __init__(self, district: Any, make_user: Any) -> None:
        self.system = make_user(Role.SYSTEM_ADMIN, district.district, username="sysadmin")
        self.security = make_user(Role.SECURITY_ADMIN, district.district, username="secadmin")
        self.audit = make_user(Role.AUDIT_ADMIN, district.district, username="auditadmin")


@pytest.fixture
def admins(district: Any, make_user: Any) -> Admins:
    return Admins(district, make_user)


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    """Assert on the English msgids, whatever the zh-Hans catalogue says."""
    settings.LANGUAGE_CODE = "en"
