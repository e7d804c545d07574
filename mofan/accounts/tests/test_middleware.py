"""Idle logout after 30 minutes and the forced password change (first sign-in, reset, 90-day expiry)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from mofan.accounts.middleware import LAST_SEEN
from mofan.accounts.models import User
from mofan.accounts.roles import Role
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def idle_for(client: Client, minutes: float) -> None:
    session = client.session
    session[LAST_SEEN] = time.time() - minutes * 60
    session.save()


# Idle session -------------------------------------------------------------------------------------------


def test_session_idle_over_30_minutes_is_signed_out_and_sent_to_login(district: Any, make_user: Any,
                                                                        login: Any) -> None:
    user = make_user(Role.CADRE, district.district)
    client = login(user)
    assert client.get(reverse("core:home")).status_code == 200
    idle_for(client, 31)
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?expired=1")
    assert AuditLog.objects.filter(event_id=AuditEvent.IDLE_LOGOUT.id, actor=user).count() == 1
    # Signed out for good: the next request is anonymous.
    assert "_auth_user_id" not in client.session
    again = client.get(reverse("core:home"))
    assert again.status_code == 302 and "expired" not in again["Location"]
    page = client.get(response["Location"])
    assert "30 minutes without activity" in page.content.decode()


def test_session_idle_under_30_minutes_stays_signed_in(district: Any, make_user: Any, login: Any) -> None:
    client = login(make_user(Role.CADRE, district.district))
    idle_for(client, 29)
    assert client.get(reverse("core:home")).status_code == 200
    # Each request renews the clock.
    assert time.time() - client.session[LAST_SEEN] < 5


def test_idle_api_session_gets_401(district: Any, make_user: Any, login: Any) -> None:
    client = login(make_user(Role.CADRE, district.district))
    idle_for(client, 45)
    response = client.get("/api/audit/")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


@override_settings(MOFAN_IDLE_TIMEOUT_MINUTES=10)
def test_idle_timeout_follows_the_setting(district: Any, make_user: Any, login: Any) -> None:
    client = login(make_user(Role.CADRE, district.district))
    idle_for(client, 11)
    assert client.get(reverse("core:home")).status_code == 302


# Forced password change ---------------------------------------------------------------------------------


def test_first_sign_in_forces_the_password_change(make_user: Any) -> None:
    user = make_user(username="newbie")
    User.objects.filter(pk=user.pk).update(must_change_password=True)
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": "newbie", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:password_change")
    # Every other page sends the holder back to the form; the API says 403 with a clear reason.
    home = client.get(reverse("core:home"))
    assert home.status_code == 302 and home["Location"] == reverse("accounts:password_change")
    api = client.get("/api/accounts/")
    assert api.status_code == 403 and "change your password" in api.json()["detail"]
    form = client.get(reverse("accounts:password_change"))
    assert form.status_code == 200 and "You must set a new password" in form.content.decode()
    response = client.post(reverse("accounts:password_change"), {
        "old_password": PASSWORD, "new_password": "Mofan-New-2026", "new_password_again": "Mofan-New-2026"})
    assert response.status_code == 302
    assert client.get(reverse("core:home")).status_code == 200


def test_expired_password_forces_the_change_on_pages_and_api(make_user: Any, login: Any) -> None:
    user = make_user()
    client = login(user)
    assert client.get(reverse("core:home")).status_code == 200
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - timedelta(days=91))
    response = client.get(reverse("core:home"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:password_change")
    response = client.post("/api/accounts/", {})
    assert response.status_code == 403
    # Signing out stays possible.
    assert client.post(reverse("accounts:logout")).status_code == 302


def test_password_change_form_refuses_weak_and_reused_passwords(make_user: Any, login: Any) -> None:
    user = make_user()
    client = login(user)
    url = reverse("accounts:password_change")
    for weak, reason in (("Ab1!", "at least 8"), ("abcdefgh12", "at least 3"), (PASSWORD, "must differ")):
        response = client.post(url, {"old_password": PASSWORD, "new_password": weak, "new_password_again": weak})
        assert response.status_code == 200 and reason in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
