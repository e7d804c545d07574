"""/api/accounts/: the same jurisdiction and the same rules as the pages."""

from __future__ import annotations

from typing import Any

import pytest

from mofan.accounts import services
from mofan.accounts.models import Membership, User
from mofan.accounts.roles import Role
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog

pytestmark = pytest.mark.django_db

URL = "/api/accounts/"


def action_url(user: Any, name: str) -> str:
    return f"{URL}{user.pk}/{name}/"


def test_list_and_retrieve_stay_in_the_jurisdiction(district: Any, make_user: Any, admins: Any, login: Any) -> None:
    mine = make_user(Role.GRID_WORKER, district.village_a1, username="grid_a")
    other = make_user(Role.GRID_WORKER, district.village_b1, username="grid_b")
    client = login(admins.town_security)
    response = client.get(URL)
    assert response.status_code == 200
    names = {row["username"] for row in response.json()["results"]}
    assert "grid_a" in names and "grid_b" not in names
    detail = client.get(f"{URL}{mine.pk}/").json()
    assert detail["is_locked"] is False and detail["memberships"][0]["role"] == Role.GRID_WORKER
    assert client.get(f"{URL}{other.pk}/").status_code == 404
    for name in ("unlock", "deactivate", "grant", "revoke", "reset_password"):
        assert client.post(action_url(other, name), {}).status_code == 404


@pytest.mark.parametrize("who", ["audit", "anonymous"])
def test_audit_admin_and_anonymous_get_no_accounts(admins: Any, login: Any, who: str) -> None:
    from django.test import Client

    client = login(admins.audit) if who == "audit" else Client()
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}{admins.system.pk}/").status_code in (403, 404)


def test_create_requires_a_person_of_the_jurisdiction_and_a_strong_password(admins: Any, login: Any, person_a: Any,
                                                                            person_b: Any) -> None:
    client = login(admins.town_system)
    response = client.post(URL, {"person": person_a.pk, "username": "zhangsan", "password": "weakpassword"})
    assert response.status_code == 400 and "password" in response.json()
    response = client.post(URL, {"person": person_b.pk, "username": "lisi", "password": "Init-Pass-2026"})
    assert response.status_code == 400 and "person" in response.json()
    response = client.post(URL, {"person": person_a.pk, "username": "zhangsan", "password": "Init-Pass-2026"})
    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "zhangsan" and body["display_name"] == "张三" and body["must_change_password"]
    assert "password" not in body
    assert AuditLog.objects.filter(event_id=AuditEvent.USER_CREATED.id, target_id=str(body["id"])).count() == 1
    assert login(admins.security).post(URL, {"person": person_b.pk, "username": "lisi",
                                             "password": "Init-Pass-2026"}).status_code == 403


def test_grant_revoke_and_the_second_admin_role(district: Any, make_user: Any, admins: Any, login: Any,
                                                reauth: Any) -> None:
    user = make_user(Role.SYSTEM_ADMIN, district.town_a)
    client = login(admins.security)
    # Re-authentication first (issue 9): 403 reauth_required, nothing granted.
    response = client.post(action_url(user, "grant"), {"unit": district.district.pk, "role": Role.SECURITY_ADMIN})
    assert response.status_code == 403 and response.json()["code"] == "reauth_required"
    reauth(client)
    response = client.post(action_url(user, "grant"), {"unit": district.district.pk, "role": Role.SECURITY_ADMIN})
    assert response.status_code == 400
    assert "one person may hold only one of system, security and audit administrator" in response.json()["role"][0]
    # 三员分立 (issue 9): an administrator holds no business role, and his roles are not revoked directly.
    response = client.post(action_url(user, "grant"), {"unit": district.village_a1.pk, "role": Role.CADRE})
    assert response.status_code == 400 and "may not hold a business role" in response.json()["role"][0]
    membership = Membership.objects.get(user=user, role=Role.SYSTEM_ADMIN)
    response = client.post(action_url(user, "revoke"), {"membership": membership.pk})
    assert response.status_code == 400 and "second administrator" in str(response.json())
    business = make_user(Role.GRID_WORKER, district.village_a1)
    response = client.post(action_url(business, "grant"), {"unit": district.village_a1.pk, "role": Role.CADRE})
    assert response.status_code == 200
    assert {m["role"] for m in response.json()["memberships"]} == {Role.GRID_WORKER, Role.CADRE}
    membership = Membership.objects.get(user=business, role=Role.CADRE)
    response = client.post(action_url(business, "revoke"), {"membership": membership.pk})
    assert response.status_code == 200 and len(response.json()["memberships"]) == 1
    response = client.post(action_url(admins.security, "grant"), {"unit": district.town_a.pk,
                                                                  "role": Role.AUDIT_ADMIN})
    assert response.status_code == 400 and "yourself" in response.json()["role"][0]
    town = reauth(login(admins.town_security))
    local = make_user(Role.CADRE, district.village_a1)
    response = town.post(action_url(local, "grant"), {"unit": district.town_b.pk, "role": Role.CADRE})
    assert response.status_code == 400 and "unit" in response.json()


def test_unlock_reset_and_deactivate(make_user: Any, admins: Any, login: Any) -> None:
    user = make_user(username="wang")
    for _ in range(5):
        services.login_attempt(username="wang", password="wrong")
    security = login(admins.security)
    assert login(admins.system).post(action_url(user, "unlock")).status_code == 403
    response = security.post(action_url(user, "unlock"))
    assert response.status_code == 200 and response.json()["is_locked"] is False
    assert security.post(action_url(user, "reset_password"), {"password": "short"}).status_code == 400
    response = security.post(action_url(user, "reset_password"), {"password": "Temp-Pass-2026"})
    assert response.status_code == 200 and response.json()["must_change_password"] is True
    assert security.post(action_url(user, "deactivate")).status_code == 403
    response = login(admins.system).post(action_url(user, "deactivate"))
    assert response.status_code == 200 and response.json()["is_active"] is False
    events = list(AuditLog.objects.filter(target_id=str(user.pk), actor__isnull=False, success=True)
                  .values_list("event_id", flat=True))
    assert events.count(AuditEvent.ACCOUNT_UNLOCKED.id) == 1
    assert events.count(AuditEvent.PASSWORD_RESET.id) == 1
    assert events.count(AuditEvent.USER_DEACTIVATED.id) == 1
    assert User.objects.get(pk=user.pk).check_password("Temp-Pass-2026")


def test_accounts_api_is_in_the_schema(admins: Any, login: Any) -> None:
    response = login(admins.security).get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "/api/accounts/{id}/reset_password/" in text and "/api/audit/export/" in text
