"""Signing in with a second factor, end to end through the pages: password, then the code step."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from mofan.accounts.models import User
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.conftest import PASSWORD
from mofan.twofactor import services, session, totp
from mofan.twofactor.models import RecoveryCode, TOTPDevice

pytestmark = pytest.mark.django_db

VERIFY = "/accounts/2fa/verify/"


def password_step(client: Client, username: str, password: str = PASSWORD, next_url: str = "") -> Any:
    return client.post(reverse("accounts:login"), {"username": username, "password": password, "next": next_url})


def code_step(client: Client, code: str) -> Any:
    return client.post(VERIFY, {"code": code})


def events(event: Any, user: User) -> int:
    return AuditLog.objects.filter(event_id=event.id, target_id=str(user.pk)).count()


def test_password_then_code_signs_in(make_user: Any, enroll: Any) -> None:
    user = make_user(username="li")
    secret = enroll(user)
    client = Client()
    response = password_step(client, "li", next_url="/org/")
    assert response.status_code == 302 and response.url == VERIFY
    # The password alone does not sign in: no authenticated session, the pages send back to sign-in.
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302
    assert client.get("/api/units/").status_code == 403
    page = client.get(VERIFY)
    assert page.status_code == 200 and "输入动态码" in page.content.decode()
    response = code_step(client, totp.code_at(secret))
    assert response.status_code == 302 and response.url == "/org/"
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.session[session.VERIFIED_HOW] == "totp"
    assert client.get("/").status_code == 200
    assert events(AuditEvent.TWOFACTOR_VERIFIED, user) == 1
    assert AuditLog.objects.filter(event_id=AuditEvent.LOGIN.id, actor=user).count() == 1


def test_user_without_device_signs_in_with_password_only(make_user: Any) -> None:
    make_user(username="zhao")
    client = Client()
    response = password_step(client, "zhao")
    assert response.status_code == 302 and response.url == "/"
    assert client.get("/").status_code == 200


def test_wrong_code_refused_counted_audited_and_locks_at_the_limit(make_user: Any, enroll: Any,
                                                                   settings: Any) -> None:
    user = make_user(username="qian")
    secret = enroll(user)
    client = Client()
    password_step(client, "qian")
    wrong = str((int(totp.code_at(secret)) + 1) % 1_000_000).zfill(6)
    response = code_step(client, wrong)
    assert response.status_code == 200
    assert "动态码不正确" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert TOTPDevice.objects.get(user=user).failed_codes == 1
    assert events(AuditEvent.TWOFACTOR_FAILED, user) == 1
    # A correct password in between does not reset the count of wrong codes.
    password_step(client, "qian")
    for _ in range(settings.MOFAN_LOCKOUT_ATTEMPTS - 2):
        assert code_step(client, wrong).status_code == 200
    response = code_step(client, wrong)
    assert response.status_code == 302 and response.url == reverse("accounts:login")
    user.refresh_from_db()
    assert user.is_locked()
    assert events(AuditEvent.ACCOUNT_LOCKED, user) == 1
    # Locked: the password is refused, and so would the right code be.
    assert password_step(client, "qian").status_code == 200
    assert services.verify_code(user=user, code=totp.code_at(secret)) is False
    assert "_auth_user_id" not in client.session


def test_replayed_code_refused(make_user: Any, enroll: Any) -> None:
    user = make_user(username="sun")
    secret = enroll(user)
    code = totp.code_at(secret)
    first = Client()
    password_step(first, "sun")
    assert code_step(first, code).status_code == 302
    # Someone who saw the code tries it within its 30 seconds (or the ±1 step window): refused.
    other = Client()
    password_step(other, "sun")
    response = code_step(other, code)
    assert response.status_code == 200 and "_auth_user_id" not in other.session
    assert AuditLog.objects.filter(event_id=AuditEvent.TWOFACTOR_FAILED.id, note__startswith="replayed").count() == 1
    # A code of an earlier step, still inside the window, is refused too once a later one was used.
    assert services.verify_code(user=user, code=totp.code_at(secret, totp.time.time() - 30)) is False


def test_recovery_code_works_once(make_user: Any, clock: Any) -> None:
    user = make_user(username="zhou")
    secret = services.enroll_start(user=user)["secret"]
    codes = services.enroll_confirm(user=user, code=totp.code_at(secret))
    assert len(codes) == services.RECOVERY_CODE_COUNT
    client = Client()
    password_step(client, "zhou")
    response = code_step(client, codes[0].lower())  # case and the dash do not matter
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(user.pk)
    assert client.session[session.VERIFIED_HOW] == "recovery"
    assert events(AuditEvent.TWOFACTOR_RECOVERY_USED, user) == 1
    assert services.recovery_codes_left(user) == services.RECOVERY_CODE_COUNT - 1
    again = Client()
    password_step(again, "zhou")
    assert code_step(again, codes[0]).status_code == 200
    assert "_auth_user_id" not in again.session
    assert code_step(again, codes[1]).status_code == 302


def test_codes_are_not_stored_in_clear(make_user: Any, clock: Any) -> None:
    user = make_user(username="wu")
    secret = services.enroll_start(user=user)["secret"]
    codes = services.enroll_confirm(user=user, code=totp.code_at(secret))
    device = TOTPDevice.objects.get(user=user)
    assert secret not in device.secret_sealed
    stored = " ".join(RecoveryCode.objects.filter(user=user).values_list("code_hash", flat=True))
    assert not any(code.replace("-", "") in stored for code in codes)


def test_code_step_without_a_password_goes_back_to_sign_in(make_user: Any, enroll: Any) -> None:
    user = make_user(username="zheng")
    secret = enroll(user)
    client = Client()
    response = code_step(client, totp.code_at(secret))
    assert response.status_code == 302 and response.url == reverse("accounts:login")
    assert "_auth_user_id" not in client.session


def test_code_step_expires(make_user: Any, enroll: Any, monkeypatch: Any) -> None:
    user = make_user(username="feng")
    secret = enroll(user)
    client = Client()
    password_step(client, "feng")
    s = client.session
    s[session.PENDING_SINCE] = s[session.PENDING_SINCE] - session.PENDING_SECONDS - 1
    s.save()
    response = code_step(client, totp.code_at(secret))
    assert response.status_code == 302 and response.url == reverse("accounts:login")
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("code", ["", " ", "x" * 40, "12345\x00", "１２３４５６", "' OR 1=1 --"])
def test_malformed_codes_are_refused_cleanly(make_user: Any, enroll: Any, code: str) -> None:
    enroll(make_user(username="chen"))
    client = Client()
    password_step(client, "chen")
    response = code_step(client, code)
    assert response.status_code in (200, 400)  # the form's message, or control characters refused at input
    assert "_auth_user_id" not in client.session


def test_session_signed_in_before_enrollment_must_give_the_code(make_user: Any, clock: Any, login: Any) -> None:
    """A session that never passed the code step (signed in before the device was enrolled elsewhere) is held
    on the code page."""
    user = make_user(username="wei")
    client = Client()
    password_step(client, "wei")
    assert client.get("/").status_code == 200
    secret = services.enroll_start(user=user)["secret"]
    services.enroll_confirm(user=user, code=totp.code_at(secret))
    clock.tick()
    response = client.get("/org/")
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    api = client.get("/api/units/")
    assert api.status_code == 403 and "动态码" in api.json()["detail"]
    response = client.post(f"{VERIFY}?next=/org/", {"code": totp.code_at(secret), "next": "/org/"})
    assert response.status_code == 302 and response["Location"] == "/org/"
    assert client.get("/").status_code == 200


def test_password_of_another_account_signs_the_current_one_out(make_user: Any, enroll: Any) -> None:
    make_user(username="jiang")
    other = make_user(username="han")
    secret = enroll(other)
    client = Client()
    password_step(client, "jiang")
    assert client.get("/").status_code == 200
    password_step(client, "han")
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302
    assert code_step(client, totp.code_at(secret)).status_code == 302
    assert client.session["_auth_user_id"] == str(other.pk)
