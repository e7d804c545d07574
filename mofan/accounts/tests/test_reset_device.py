"""Resetting an authenticator from the account's page and the API (issue 9): directly on a business account
(the 安全管理员, ``twofactor.services.reset_device``), through the two-person rule on an administrator's
(``AdminAction.RESET_DEVICE``, carried out by the twofactor service on approval), both audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from mofan.accounts.models import AdminAction, AdminActionRequest, RequestState, User
from mofan.accounts.roles import Role
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.core import crypto
from mofan.twofactor import services as twofactor
from mofan.twofactor import totp
from mofan.twofactor.models import RecoveryCode, TOTPDevice

pytestmark = pytest.mark.django_db

REQUESTS = "/api/accounts/requests/"


def give_authenticator(user: User) -> None:
    TOTPDevice.objects.create(user=user, secret_sealed=crypto.encrypt(totp.new_secret()), confirmed=True)
    RecoveryCode.objects.create(user=user, code_hash=f"test-{user.pk}")


def rows(event: Any, user: User) -> list[AuditLog]:
    return list(AuditLog.objects.filter(event_id=event.id, target_id=str(user.pk)).order_by("pk"))


@pytest.fixture
def worker(district: Any, make_user: Any) -> User:
    user = make_user(Role.GRID_WORKER, district.village_a1, username="wangge")
    give_authenticator(user)
    return user


def test_the_security_admin_resets_a_business_account_from_its_page(admins: Any, worker: User, login: Any) -> None:
    security = login(admins.security)
    page = security.get(reverse("accounts:user_detail", args=[worker.pk])).content.decode()
    assert f'action="{reverse("twofactor:reset", args=[worker.pk])}"' in page and "Reset the authenticator" in page
    response = security.post(reverse("twofactor:reset", args=[worker.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:user_detail", args=[worker.pk])
    assert not twofactor.has_device(worker) and twofactor.recovery_codes_left(worker) == 0
    [row] = rows(AuditEvent.TWOFACTOR_RESET, worker)
    assert row.actor_id == admins.security.pk and row.success
    # no authenticator left: no button
    page = security.get(reverse("accounts:user_detail", args=[worker.pk])).content.decode()
    assert "Reset the authenticator" not in page


def test_only_the_owning_role_sees_the_button_and_may_reset(admins: Any, worker: User, login: Any) -> None:
    system = login(admins.system)
    page = system.get(reverse("accounts:user_detail", args=[worker.pk])).content.decode()
    assert "Reset the authenticator" not in page
    system.post(reverse("twofactor:reset", args=[worker.pk]))
    assert system.post(f"/api/2fa/reset/{worker.pk}/").status_code == 403
    assert twofactor.has_device(worker) and not rows(AuditEvent.TWOFACTOR_RESET, worker)


def test_an_administrators_authenticator_is_reset_only_with_a_second_administrators_approval(
    admins: Any, login: Any, reauth: Any
) -> None:
    target = admins.audit
    give_authenticator(target)
    security = login(admins.security)
    detail = reverse("accounts:user_detail", args=[target.pk])
    page = security.get(detail).content.decode()
    form = page[page.index('id="reset-device"') - 200:page.index('id="reset-device"') + 400]
    assert reverse("accounts:user_request", args=[target.pk]) in form
    assert 'name="action" value="reset_device"' in form and "Submit for approval" in form
    # directly: refused by the one rule, audited, nothing removed
    response = security.post(reverse("twofactor:reset", args=[target.pk]), follow=True)
    assert "submit the action for a second administrator" in response.content.decode()
    assert twofactor.has_device(target)
    assert [r.note for r in rows(AuditEvent.ACCESS_DENIED, target)] == ["administrator's account"]
    # through the button: re-authentication first, then a request awaiting approval
    assert security.post(reverse("accounts:user_request", args=[target.pk]),
                         {"action": "reset_device"})["Location"].startswith(reverse("accounts:reauth"))
    reauth(security)
    response = security.post(reverse("accounts:user_request", args=[target.pk]), {"action": "reset_device"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:request_list")
    request = AdminActionRequest.objects.get()
    assert (request.action, request.state, request.requested_by_id) == (AdminAction.RESET_DEVICE,
                                                                         RequestState.PENDING, admins.security.pk)
    assert twofactor.has_device(target)
    assert len(rows(AuditEvent.ADMIN_REQUEST_FILED, target)) == 1
    listing = security.get(reverse("accounts:request_list")).content.decode()
    assert "Reset the authenticator" in listing
    # the same again is refused while it waits
    response = security.post(reverse("accounts:user_request", args=[target.pk]), {"action": "reset_device"})
    assert response.status_code == 400 and "already awaiting approval" in response.content.decode()
    # the system administrator approves on the requests page: the twofactor service removes the device
    system = reauth(login(admins.system))
    response = system.post(reverse("accounts:request_decide", args=[request.pk]), {"decision": "approve"})
    assert response.status_code == 302
    assert not twofactor.has_device(target) and twofactor.recovery_codes_left(target) == 0
    [row] = rows(AuditEvent.TWOFACTOR_RESET, target)
    assert row.actor_id == admins.security.pk and f"request {request.pk}, approved by sysadmin" in row.note
    [approved] = rows(AuditEvent.ADMIN_REQUEST_APPROVED, target)
    assert approved.actor_id == admins.system.pk and approved.pk > row.pk
    request.refresh_from_db()
    assert request.state == RequestState.APPROVED


def test_reset_over_the_api_directly_and_by_request(admins: Any, worker: User, login: Any, reauth: Any) -> None:
    security = login(admins.security)
    assert security.post(f"/api/2fa/reset/{worker.pk}/").status_code == 204
    assert not twofactor.has_device(worker) and len(rows(AuditEvent.TWOFACTOR_RESET, worker)) == 1
    target = admins.system
    give_authenticator(target)
    response = security.post(f"/api/2fa/reset/{target.pk}/")
    assert response.status_code == 400 and "submit the action" in str(response.json())
    assert twofactor.has_device(target) and not rows(AuditEvent.TWOFACTOR_RESET, target)
    body = {"action": "reset_device", "user": target.pk, "note": "手机丢失"}
    response = security.post(REQUESTS, body, content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "reauth_required"
    reauth(security)
    response = security.post(REQUESTS, body, content_type="application/json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert response.json()["action"] == "reset_device" and response.json()["state"] == "pending"
    assert twofactor.has_device(target)
    # whoever submitted may not decide; the audit administrator may
    response = security.post(f"{REQUESTS}{pk}/approve/")
    assert response.status_code == 400 and "You submitted this request" in str(response.json())
    assert twofactor.has_device(target)
    audit = reauth(login(admins.audit))
    response = audit.post(f"{REQUESTS}{pk}/approve/", {"note": "当面核实"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["state"] == "approved"
    assert not twofactor.has_device(target)
    [row] = rows(AuditEvent.TWOFACTOR_RESET, target)
    assert row.actor_id == admins.security.pk and "approved by auditadmin" in row.note
    assert len(rows(AuditEvent.ADMIN_REQUEST_APPROVED, target)) == 1


def test_a_request_needs_an_authenticator_to_reset_then_and_when_approved(
    admins: Any, login: Any, reauth: Any
) -> None:
    security = reauth(login(admins.security))
    response = security.post(REQUESTS, {"action": "reset_device", "user": admins.audit.pk},
                             content_type="application/json")
    assert response.status_code == 400 and "no authenticator" in str(response.json())
    assert not AdminActionRequest.objects.exists()
    give_authenticator(admins.audit)
    pk = security.post(REQUESTS, {"action": "reset_device", "user": admins.audit.pk},
                       content_type="application/json").json()["id"]
    twofactor.remove_device(user=admins.audit, actor=None, note="operator (command line)")  # meanwhile
    response = reauth(login(admins.system)).post(f"{REQUESTS}{pk}/approve/")
    assert response.status_code == 400 and "no authenticator" in str(response.json())
    assert AdminActionRequest.objects.get(pk=pk).state == RequestState.PENDING
    assert not rows(AuditEvent.ADMIN_REQUEST_APPROVED, admins.audit)
