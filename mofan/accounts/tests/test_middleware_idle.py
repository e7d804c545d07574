"""Idle sign-out is audited every time (defect 12), with the real timing of a session.

The old tests moved only the middleware's "last seen" back and left the stored session fresh; in production
the session store dropped the session on the same limit, so the returning user was already anonymous and the
middleware never saw (nor audited) the idle timeout. Here time passes for the whole session: its "last seen"
AND the expiry date the store gave it at its last save move back together, as if the last request had been
``minutes`` ago. The session cookie is a browser-session cookie, so a closed browser never comes back: the
idle sweep ends and audits those sessions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from mofan.accounts.middleware import LAST_SEEN
from mofan.accounts.roles import Role
from mofan.accounts.sessions import reset_throttle, sweep_idle_sessions
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(username: str) -> Client:
    """Through the sign-in page, as a person does (no test shortcut for the session)."""
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]
    assert client.get(reverse("core:home")).status_code == 200
    return client


def let_time_pass(client: Client, minutes: float) -> str:
    """The session as it is ``minutes`` after its last request: last seen and stored expiry both that far back."""
    key = client.session.session_key
    assert key is not None
    store = SessionStore(session_key=key)
    data = store.load()
    data[LAST_SEEN] = float(data[LAST_SEEN]) - minutes * 60
    row = Session.objects.get(session_key=key)
    Session.objects.filter(session_key=key).update(
        session_data=store.encode(data), expire_date=row.expire_date - timedelta(minutes=minutes))
    return key


def idle_logouts(user: Any) -> int:
    return AuditLog.objects.filter(event_id=AuditEvent.IDLE_LOGOUT.id, actor=user).count()


@pytest.fixture
def cadre(district: Any, make_user: Any) -> Any:
    return make_user(Role.CADRE, district.district, username="idle_cadre")


def test_returning_after_the_idle_limit_is_signed_out_and_audited(cadre: Any) -> None:
    client = sign_in("idle_cadre")
    let_time_pass(client, settings.MOFAN_IDLE_TIMEOUT_MINUTES + 1)
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?expired=1")
    assert idle_logouts(cadre) == 1
    row = AuditLog.objects.get(event_id=AuditEvent.IDLE_LOGOUT.id, actor=cadre)
    assert row.ip == "127.0.0.1" and (row.new_values or {})["ended_by"] == "request"
    # Ended once: the next request is anonymous and the sweep finds nothing more to audit.
    assert client.get(reverse("core:home")).status_code == 302
    assert sweep_idle_sessions() == 0
    assert idle_logouts(cadre) == 1


def test_an_api_client_returning_after_the_idle_limit_gets_401_and_is_audited(cadre: Any) -> None:
    client = sign_in("idle_cadre")
    let_time_pass(client, settings.MOFAN_IDLE_TIMEOUT_MINUTES + 5)
    response = client.get("/api/audit/")
    assert response.status_code == 401
    assert idle_logouts(cadre) == 1


def test_a_closed_browser_is_signed_out_and_audited_by_the_sweep(cadre: Any) -> None:
    client = sign_in("idle_cadre")
    key = let_time_pass(client, settings.MOFAN_IDLE_TIMEOUT_MINUTES + 1)
    # The browser was closed: its session cookie is gone and nobody comes back.
    assert sweep_idle_sessions() == 1
    assert idle_logouts(cadre) == 1
    assert not Session.objects.filter(session_key=key).exists()
    assert sweep_idle_sessions() == 0  # audited once
    assert idle_logouts(cadre) == 1


def test_a_session_past_its_stored_expiry_is_still_audited(cadre: Any) -> None:
    """The server was down for two days, or nobody used it: the store's own expiry has passed."""
    client = sign_in("idle_cadre")
    let_time_pass(client, 2 * 24 * 60)
    assert client.get(reverse("core:home")).status_code == 302  # signed out whatever happens
    sweep_idle_sessions()
    assert idle_logouts(cadre) == 1
    assert sweep_idle_sessions() == 0
    assert idle_logouts(cadre) == 1


def test_a_session_within_the_idle_limit_is_left_alone(cadre: Any) -> None:
    client = sign_in("idle_cadre")
    let_time_pass(client, settings.MOFAN_IDLE_TIMEOUT_MINUTES - 1)
    assert sweep_idle_sessions() == 0
    assert client.get(reverse("core:home")).status_code == 200
    assert idle_logouts(cadre) == 0


def test_the_sweep_and_the_request_audit_one_idle_timeout_once(cadre: Any) -> None:
    """Whichever ends the session first audits it; the other finds it ended."""
    client = sign_in("idle_cadre")
    let_time_pass(client, settings.MOFAN_IDLE_TIMEOUT_MINUTES + 1)
    assert sweep_idle_sessions() == 1
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert idle_logouts(cadre) == 1


def test_the_store_keeps_a_session_longer_than_the_idle_limit() -> None:
    """The store must not drop a session before the middleware or the sweep can end and audit it."""
    assert settings.SESSION_COOKIE_AGE > settings.MOFAN_IDLE_TIMEOUT_MINUTES * 60
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"


def test_an_anonymous_session_is_not_audited(client: Client) -> None:
    store = SessionStore()
    store["django_language"] = "en"
    store.create()
    Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() - timedelta(days=1))
    assert sweep_idle_sessions() == 0
    assert not AuditLog.objects.filter(event_id=AuditEvent.IDLE_LOGOUT.id).exists()
    assert SESSION_KEY not in store.load()


def test_the_embedded_profile_sweeps_after_someone_elses_response(district: Any, make_user: Any) -> None:
    """Without Celery the sweep runs after a response, at most once a minute: a closed browser is audited as
    soon as anybody uses mofan."""
    left = make_user(Role.CADRE, district.district, username="idle_left")
    make_user(Role.CADRE, district.district, username="idle_active")
    gone = sign_in("idle_left")
    let_time_pass(gone, settings.MOFAN_IDLE_TIMEOUT_MINUTES + 1)
    reset_throttle()
    with override_settings(MOFAN_SWEEP_IN_REQUESTS=True):
        sign_in("idle_active")
    assert idle_logouts(left) == 1
    reset_throttle()


def test_the_sweep_pages_past_sessions_it_leaves(cadre: Any, monkeypatch: Any) -> None:
    """Anonymous sessions inside the window stay (they are nobody's idle sign-in) and must not hide the signed-in
    ones behind them from a sweep that reads in pages."""
    monkeypatch.setattr("mofan.accounts.sessions.SWEEP_BATCH", 2)
    for _ in range(3):
        store = SessionStore()
        store["django_language"] = "en"
        store.create()
        Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() + timedelta(hours=1))
    client = sign_in("idle_cadre")
    let_time_pass(client, settings.MOFAN_IDLE_TIMEOUT_MINUTES + 1)
    assert sweep_idle_sessions() == 1
    assert idle_logouts(cadre) == 1
    assert Session.objects.count() == 3
