"""The two-person rule over the API (/api/accounts/requests/) and the pages (/accounts/requests/)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from mofan.accounts.models import AdminActionRequest, Membership, RequestState, User
from mofan.accounts.roles import Role
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.conftest import PASSWORD

pytestmark = pytest.mark.django_db

URL = "/api/accounts/requests/"
TEMPORARY = "Temp-Reset-2026"


def test_reset_of_the_audit_admin_over_the_api_needs_the_system_admin(admins: Any, login: Any, reauth: Any) -> None:
    security = login(admins.security)
    response = security.post(URL, {"action": "reset_password", "user": admins.audit.pk, "password": TEMPORARY},
                             content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "reauth_required"
    reauth(security)
    response = security.post(URL, {"action": "reset_password", "user": admins.audit.pk, "password": TEMPORARY,
                                   "note": "忘记密码"}, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "pending" and body["requested_by"] == "secadmin"
    assert TEMPORARY not in str(body) and "password_hash" not in body
    pk = body["id"]
    # neither the submitter nor the subject decides
    assert security.post(f"{URL}{pk}/approve/").status_code == 400
    audit = reauth(login(admins.audit))
    response = audit.post(f"{URL}{pk}/approve/")
    assert response.status_code == 400 and "your own account" in str(response.json())
    assert User.objects.get(pk=admins.audit.pk).check_password(PASSWORD)
    # the pending list of the system administrator shows it; he approves
    system = login(admins.system)
    assert [row["id"] for row in system.get(URL, {"state": "pending"}).json()["results"]] == [pk]
    assert system.post(f"{URL}{pk}/approve/").status_code == 403  # not re-authenticated
    reauth(system)
    response = system.post(f"{URL}{pk}/approve/", {"note": "已当面核实"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["state"] == "approved"
    assert response.json()["decided_by"] == "sysadmin"
    fresh = User.objects.get(pk=admins.audit.pk)
    assert fresh.check_password(TEMPORARY) and fresh.must_change_password
    assert system.post(f"{URL}{pk}/approve/").status_code == 400  # decided once
    events = set(AuditLog.objects.filter(success=True).values_list("event_id", flat=True))
    assert {AuditEvent.ADMIN_REQUEST_FILED.id, AuditEvent.ADMIN_REQUEST_APPROVED.id,
            AuditEvent.PASSWORD_RESET.id} <= events


def test_api_requests_refuse_withdraw_and_bad_input(admins: Any, login: Any, district: Any, make_user: Any,
                                                   reauth: Any) -> None:
    system = reauth(login(admins.system))
    response = system.post(URL, {"action": "deactivate", "user": admins.security.pk}, content_type="application/json")
    assert response.status_code == 201
    pk = response.json()["id"]
    assert login(admins.security).post(f"{URL}{pk}/withdraw/").status_code == 400  # not his request
    response = login(admins.audit).post(f"{URL}{pk}/refuse/", {"note": "理由不足"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["state"] == "refused"
    assert User.objects.get(pk=admins.security.pk).is_active
    response = system.post(URL, {"action": "deactivate", "user": admins.security.pk}, content_type="application/json")
    pk = response.json()["id"]
    assert system.post(f"{URL}{pk}/withdraw/").json()["state"] == "withdrawn"
    # bad input: a clear 400 and nothing written, never a 500
    count = AdminActionRequest.objects.count()
    for payload in ({"action": "explode", "user": admins.audit.pk}, {"action": "deactivate", "user": "x"},
                    {"action": "deactivate", "user": 9223372036854775808}, {"action": "revoke", "user": admins.audit.pk,
                                                                         "membership": 999999},
                    {"action": "grant", "user": admins.audit.pk}, {"action": "reset_password", "user": admins.audit.pk},
                    {"action": "deactivate", "user": admins.system.pk}):
        response = system.post(URL, payload, content_type="application/json")
        assert response.status_code in (400, 403), (payload, response.status_code)
    assert system.get(URL, {"state": "nonsense"}).status_code == 400
    assert system.get(f"{URL}abc/").status_code == 404
    assert AdminActionRequest.objects.count() == count
    # the audit administrator sees the requests but submits nothing and sees no accounts
    audit = reauth(login(admins.audit))
    assert audit.get(URL).status_code == 200
    assert audit.post(URL, {"action": "unlock", "user": admins.system.pk}, content_type="application/json"
                      ).status_code in (400, 403)
    plain = make_user(Role.CADRE, district.village_a1)
    assert login(plain).get(URL).status_code == 403
    assert Client().get(URL).status_code in (401, 403)


def test_grant_of_an_administrator_role_over_the_api(admins: Any, login: Any, make_user: Any,
                                                     district: Any, reauth: Any) -> None:
    newcomer = make_user(username="newcomer")
    security = reauth(login(admins.security))
    response = security.post(f"/api/accounts/{newcomer.pk}/grant/", {"unit": district.district.pk,
                                                                      "role": Role.AUDIT_ADMIN})
    assert response.status_code == 400 and "approval" in str(response.json())
    response = security.post(URL, {"action": "grant", "user": newcomer.pk, "unit": district.district.pk,
                                   "role": Role.AUDIT_ADMIN}, content_type="application/json")
    assert response.status_code == 201
    assert not Membership.objects.filter(user=newcomer).exists()
    response = reauth(login(admins.audit)).post(f"{URL}{response.json()['id']}/approve/")
    assert response.status_code == 200
    assert list(Membership.objects.filter(user=newcomer).values_list("role", flat=True)) == [Role.AUDIT_ADMIN]


def test_the_page_journey(admins: Any, login: Any, reauth: Any) -> None:
    security = reauth(login(admins.security))
    page = security.get(f"/accounts/users/{admins.system.pk}/").content.decode()
    assert "Submit for approval" in page and "/deactivate/" not in page
    own = security.get(f"/accounts/users/{admins.security.pk}/").content.decode()
    assert "your own account" in own and "Submit for approval" not in own and "Reset password" not in own
    response = security.post(f"/accounts/users/{admins.system.pk}/request/",
                             {"action": "reset_password", "password": TEMPORARY, "password_again": "different"})
    assert response.status_code == 400 and AdminActionRequest.objects.count() == 0
    response = security.post(f"/accounts/users/{admins.system.pk}/request/",
                             {"action": "reset_password", "password": TEMPORARY, "password_again": TEMPORARY,
                              "note": "忘记密码"})
    assert response.status_code == 302 and response.url == "/accounts/requests/"
    item = AdminActionRequest.objects.get()
    listing = security.get("/accounts/requests/").content.decode()
    assert "Withdraw" in listing and "Approve" not in listing
    system = reauth(login(admins.system))  # the subject: may not decide
    assert "Approve" not in system.get("/accounts/requests/").content.decode()
    system.post(f"/accounts/requests/{item.pk}/decide/", {"decision": "approve"})
    item.refresh_from_db()
    assert item.state == RequestState.PENDING
    audit = reauth(login(admins.audit))
    assert "Approve" in audit.get("/accounts/requests/").content.decode()
    response = audit.post(f"/accounts/requests/{item.pk}/decide/", {"decision": "approve", "note": "核实"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.state == RequestState.APPROVED
    assert User.objects.get(pk=admins.system.pk).check_password(TEMPORARY)
    assert audit.post(f"/accounts/requests/{item.pk}/decide/", {"decision": "nonsense"}).status_code == 404


def test_direct_actions_on_an_administrator_through_the_pages_are_refused_with_a_message(
    admins: Any, login: Any, reauth: Any,
) -> None:
    security = reauth(login(admins.security))
    membership = Membership.objects.get(user=admins.audit)
    response = security.post(f"/accounts/users/{admins.audit.pk}/roles/{membership.pk}/revoke/", follow=True)
    assert "second administrator" in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()
    response = security.post(f"/accounts/users/{admins.audit.pk}/unlock/", follow=True)
    assert response.status_code == 200 and "second administrator" in response.content.decode()
    response = security.post(f"/accounts/users/{admins.audit.pk}/password/",
                             {"password": TEMPORARY, "password_again": TEMPORARY})
    assert response.status_code == 200 and "second administrator" in response.content.decode()
    response = login(admins.system).post(f"/accounts/users/{admins.audit.pk}/deactivate/", follow=True)
    assert "second administrator" in response.content.decode()
    assert User.objects.get(pk=admins.audit.pk).is_active
    assert User.objects.get(pk=admins.audit.pk).check_password(PASSWORD)


def test_out_of_range_ids_are_refused_cleanly(admins: Any, login: Any, reauth: Any) -> None:
    big = 9223372036854775808
    client = reauth(login(admins.security))
    for payload in ({"action": "grant", "user": admins.audit.pk, "unit": big, "role": "cadre"},
                    {"action": "revoke", "user": admins.audit.pk, "membership": big},
                    {"action": "unlock", "user": big}, {"action": "unlock", "user": -1}):
        response = client.post(URL, payload, content_type="application/json")
        assert response.status_code in (400, 403, 404), (payload, response.status_code)
    assert client.get(f"{URL}{big}/").status_code in (400, 404)
    assert client.post(f"{URL}{big}/approve/").status_code in (400, 404)
    assert client.post(f"/accounts/requests/{big}/decide/", {"decision": "approve"}).status_code in (400, 404)
    response = client.post(f"/accounts/users/{admins.audit.pk}/request/", {"action": "revoke", "membership": big})
    assert response.status_code == 400
    assert AdminActionRequest.objects.count() == 0
