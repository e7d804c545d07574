"""Issue 9, defects 1–3, reproduced over the API exactly as the attack ran: an administrator grants himself a
business role, resets another administrator's password, deactivates another administrator."""

from __future__ import annotations

from typing import Any

import pytest

from mofan.accounts.models import Membership, User
from mofan.accounts.roles import Role
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.conftest import PASSWORD

pytestmark = pytest.mark.django_db

URL = "/api/accounts/"


def action_url(user: Any, name: str) -> str:
    return f"{URL}{user.pk}/{name}/"


def successes(event: Any) -> int:
    return AuditLog.objects.filter(event_id=event.id, success=True).count()


def test_defect_1_security_admin_cannot_grant_himself_a_business_role(district: Any, admins: Any,
                                                                      login: Any) -> None:
    client = login(admins.security)
    for role in (Role.CENTRE_OPERATOR, Role.CADRE, Role.GRID_WORKER):
        response = client.post(action_url(admins.security, "grant"), {"unit": district.town_a.pk, "role": role},
                               content_type="application/json")
        assert response.status_code in (400, 403), response.content
    assert list(Membership.objects.filter(user=admins.security).values_list("role", flat=True)) == [
        Role.SECURITY_ADMIN]
    assert successes(AuditEvent.MEMBERSHIP_GRANTED) == 5  # the five administrators of the fixture, by the installer


@pytest.mark.parametrize("target", ["audit", "system", "town_security"])
def test_defect_2_security_admin_cannot_reset_another_administrators_password(admins: Any, login: Any,
                                                                              target: str) -> None:
    victim = getattr(admins, target)
    client = login(admins.security)
    response = client.post(action_url(victim, "reset_password"), {"password": "Taken-Over-2026"},
                           content_type="application/json")
    assert response.status_code in (400, 403), response.content
    victim = User.objects.get(pk=victim.pk)
    assert victim.check_password(PASSWORD) and not victim.check_password("Taken-Over-2026")
    assert not victim.must_change_password
    assert successes(AuditEvent.PASSWORD_RESET) == 0


@pytest.mark.parametrize("target", ["security", "audit", "town_system"])
def test_defect_3_system_admin_cannot_deactivate_another_administrator(admins: Any, login: Any, target: str) -> None:
    victim = getattr(admins, target)
    response = login(admins.system).post(action_url(victim, "deactivate"))
    assert response.status_code in (400, 403), response.content
    assert User.objects.get(pk=victim.pk).is_active
    assert successes(AuditEvent.USER_DEACTIVATED) == 0
