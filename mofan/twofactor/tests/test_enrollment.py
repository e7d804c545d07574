"""Enrollment (page and API), compulsory for the three administrators; recovery codes; reset by the security
administrator; the deploy check."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.checks import registry
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from mofan.accounts.roles import Role
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.conftest import PASSWORD
from mofan.twofactor import services, totp
from mofan.twofactor.checks import check_admin_two_factor
from mofan.twofactor.models import TOTPDevice

pytestmark = pytest.mark.django_db

ENROLL = "/accounts/2fa/"


def signed_in(username: str) -> Client:
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def secret_on(page: str) -> str:
    match = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page)
    assert match, page
    return match.group(1).replace(" ", "")


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN])
def test_admin_without_device_is_held_on_enrollment(district: Any, make_user: Any, clock: Any, role: str) -> None:
    admin = make_user(role, district.district, username="admin")
    client = signed_in("admin")
    for path in ["/", "/org/", "/audit/", reverse("accounts:user_list")]:
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == ENROLL, path
    api = client.get("/api/units/")
    assert api.status_code == 403
    assert api.json()["detail"] == "管理员必须先绑定验证器（双因素认证），才能使用其他功能。"
    page = client.get(ENROLL)
    content = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in content and "<script" not in content.split("<main", 1)[1]
    assert "管理员必须使用双因素认证登录" in content
    secret = secret_on(content)
    assert client.get(ENROLL).content.decode().count(totp.grouped(secret)) == 1  # a reload keeps the secret
    wrong = client.post(ENROLL, {"code": "000000" if totp.code_at(secret) != "000000" else "111111"})
    assert wrong.status_code == 200 and "动态码不正确" in wrong.content.decode()
    assert not services.has_device(admin)
    done = client.post(ENROLL, {"code": totp.code_at(secret)})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([A-Z0-9-]+)</code></li>", done.content.decode())
    assert len(codes) == services.RECOVERY_CODE_COUNT
    assert services.has_device(admin)
    assert client.get("/").status_code == 200
    assert AuditLog.objects.filter(event_id=AuditEvent.TWOFACTOR_ENROLLED.id, target_id=str(admin.pk)).count() == 1


def test_admin_enrolls_over_the_api(district: Any, make_user: Any, clock: Any) -> None:
    admin = make_user(Role.SECURITY_ADMIN, district.district, username="anquan")
    client = signed_in("anquan")
    assert client.get("/api/accounts/").status_code == 403
    status = client.get("/api/2fa/status/").json()
    assert status["enrolled"] is False and status["must_enroll"] is True and status["verified"] is False
    started = client.post("/api/2fa/enroll/").json()
    assert started["uri"].startswith("otpauth://totp/") and started["secret"] in started["uri"]
    bad = client.post("/api/2fa/confirm/", {"code": "12"}, content_type="application/json")
    assert bad.status_code == 400 and "动态码不正确" in str(bad.json())
    missing = client.post("/api/2fa/confirm/", {}, content_type="application/json")
    assert missing.status_code == 400
    not_object = client.post("/api/2fa/confirm/", ["x"], content_type="application/json")
    assert not_object.status_code == 400
    ok = client.post("/api/2fa/confirm/", {"code": totp.code_at(started["secret"])}, content_type="application/json")
    assert ok.status_code == 200 and len(ok.json()["recovery_codes"]) == services.RECOVERY_CODE_COUNT
    assert client.get("/api/accounts/").status_code == 200
    status = client.get("/api/2fa/status/").json()
    assert status["enrolled"] is True and status["verified"] is True
    again = client.post("/api/2fa/enroll/")
    assert again.status_code == 400 and "已绑定" in str(again.json())
    assert services.has_device(admin)


def test_admins_are_not_forced_when_the_setting_is_off(district: Any, make_user: Any, settings: Any) -> None:
    settings.MOFAN_ADMIN_2FA = False
    make_user(Role.SYSTEM_ADMIN, district.district, username="xitong")
    client = signed_in("xitong")
    assert client.get("/").status_code == 200
    assert client.get("/api/units/").status_code == 200


def test_staff_enrollment_is_optional(district: Any, make_user: Any, clock: Any) -> None:
    user = make_user(Role.GRID_WORKER, district.village_a1, username="wangge")
    client = signed_in("wangge")
    assert client.get("/").status_code == 200
    page = client.get(ENROLL).content.decode()
    assert "绑定验证器后" in page
    secret = secret_on(page)
    client.post(ENROLL, {"code": totp.code_at(secret)})
    assert services.has_device(user)
    status_page = client.get(ENROLL).content.decode()
    assert "剩余恢复码" in status_page and "totp-secret" not in status_page


def test_regenerated_recovery_codes_replace_the_old(make_user: Any, enroll: Any, login: Any) -> None:
    user = make_user(username="liu")
    enroll(user)
    old = services.regenerate_recovery_codes(user=user)
    client = login(user)
    response = client.post(reverse("twofactor:recovery_codes"))
    new = re.findall(r"<li><code>([A-Z0-9-]+)</code></li>", response.content.decode())
    assert len(new) == services.RECOVERY_CODE_COUNT and not set(new) & set(old)
    assert services.verify_code(user=user, code=old[0]) is False
    assert services.verify_code(user=user, code=new[0]) is True
    api = client.post("/api/2fa/recovery-codes/")
    assert api.status_code == 200 and services.verify_code(user=user, code=new[1]) is False
    assert AuditLog.objects.filter(event_id=AuditEvent.TWOFACTOR_RECOVERY_REGENERATED.id).count() == 3


def test_recovery_codes_need_a_device(make_user: Any, login: Any) -> None:
    client = login(make_user(username="he"))
    assert client.post("/api/2fa/recovery-codes/").status_code == 400
    assert client.post(reverse("twofactor:recovery_codes")).status_code == 302


def test_security_admin_resets_a_lost_device(district: Any, make_user: Any, enroll: Any, login: Any) -> None:
    anquan = make_user(Role.SECURITY_ADMIN, district.district, username="anquan")
    worker = make_user(Role.GRID_WORKER, district.village_a1, username="wangge")
    enroll(worker)
    client = login(anquan)
    response = client.post(reverse("twofactor:reset", args=[worker.pk]))
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=worker).exists() and services.recovery_codes_left(worker) == 0
    assert AuditLog.objects.filter(event_id=AuditEvent.TWOFACTOR_RESET.id, target_id=str(worker.pk)).count() == 1
    again = client.post(f"/api/2fa/reset/{worker.pk}/")
    assert again.status_code == 400 and "未绑定验证器" in str(again.json())
    assert client.post("/api/2fa/reset/999999/").status_code == 404
    assert client.post("/api/2fa/reset/99999999999999999999/").status_code == 404


def test_reset_refused_on_own_and_admin_accounts_and_without_the_role(
    district: Any, make_user: Any, enroll: Any, login: Any
) -> None:
    anquan = make_user(Role.SECURITY_ADMIN, district.district, username="anquan")
    xitong = make_user(Role.SYSTEM_ADMIN, district.district, username="xitong")
    worker = make_user(Role.GRID_WORKER, district.village_a1, username="wangge")
    for user in (anquan, xitong, worker):
        enroll(user)
    with pytest.raises((ValidationError, PermissionDenied)):
        services.reset_device(actor=anquan, user=anquan)
    with pytest.raises((ValidationError, PermissionDenied)):
        services.reset_device(actor=anquan, user=xitong)
    with pytest.raises(PermissionDenied):
        services.reset_device(actor=xitong, user=worker)
    with pytest.raises(PermissionDenied):
        services.reset_device(actor=worker, user=worker)
    assert TOTPDevice.objects.filter(confirmed=True).count() == 3
    response = login(xitong).post(f"/api/2fa/reset/{worker.pk}/")
    assert response.status_code == 403
    assert not AuditLog.objects.filter(event_id=AuditEvent.TWOFACTOR_RESET.id).exists()


def test_deploy_check_fails_when_off_or_without_middleware(settings: Any) -> None:
    assert check_admin_two_factor() == []
    settings.MOFAN_ADMIN_2FA = False
    assert [e.id for e in check_admin_two_factor()] == ["mofan.E030"]
    deploy_ids = {e.id for e in registry.run_checks(include_deployment_checks=True)}
    assert "mofan.E030" in deploy_ids
    assert "mofan.E030" not in {e.id for e in registry.run_checks(include_deployment_checks=False)}
    settings.MOFAN_ADMIN_2FA = True
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "twofactor" not in m]
    assert [e.id for e in check_admin_two_factor()] == ["mofan.E031"]
    settings.MIDDLEWARE = ["mofan.twofactor.middleware.TwoFactorMiddleware",
                           *[m for m in settings.MIDDLEWARE if "twofactor" not in m]]
    assert [e.id for e in check_admin_two_factor()] == ["mofan.E032"]


def test_operator_removes_an_administrators_device_from_the_command_line(
    district: Any, make_user: Any, enroll: Any
) -> None:
    from django.core.management import CommandError, call_command

    admin = make_user(Role.AUDIT_ADMIN, district.district, username="shenji")
    enroll(admin)
    call_command("twofactor_reset", "shenji")
    assert not services.has_device(admin)
    row = AuditLog.objects.get(event_id=AuditEvent.TWOFACTOR_RESET.id, target_id=str(admin.pk))
    assert row.actor is None and "command line" in row.note
    with pytest.raises(CommandError):
        call_command("twofactor_reset", "shenji")
    with pytest.raises(CommandError):
        call_command("twofactor_reset", "nobody")


def test_forced_password_change_comes_first_then_enrollment(district: Any, make_user: Any, clock: Any) -> None:
    admin = make_user(Role.SYSTEM_ADMIN, district.district, username="xitong")
    admin.must_change_password = True
    admin.save(update_fields=["must_change_password"])
    client = signed_in("xitong")
    assert client.get("/").url == reverse("accounts:password_change")  # type: ignore[attr-defined]
    assert client.get(reverse("accounts:password_change")).status_code == 200  # not sent on to enrollment
    assert client.get(ENROLL).url == reverse("accounts:password_change")  # type: ignore[attr-defined]
    new = "Another-Pass-2026"
    response = client.post(reverse("accounts:password_change"),
                           {"old_password": PASSWORD, "new_password": new, "new_password_again": new})
    assert response.status_code == 302
    assert client.get("/").url == ENROLL  # type: ignore[attr-defined]
    assert client.get(ENROLL).status_code == 200
