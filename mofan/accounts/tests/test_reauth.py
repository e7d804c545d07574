"""Re-authentication before sensitive actions (issue 9 item 3): the page and the API confirm the password
(and the authenticator code when enrolled), the session holds it for MOFAN_REAUTH_MINUTES, wrong values count
towards the lockout and are audited, and ``require_recent_auth`` answers pages with a redirect (HTMX:
``HX-Redirect``) and the API with a 403 ``reauth_required``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.messages.storage.fallback import FallbackStorage
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from mofan.accounts import reauth as reauth_module
from mofan.accounts.models import User
from mofan.accounts.reauth import REAUTH_AT, ReauthRequired, recent_auth_required, require_recent_auth
from mofan.accounts.roles import Role
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.conftest import PASSWORD
from mofan.twofactor import services as twofactor
from mofan.twofactor import totp
from mofan.twofactor.session import VERIFIED_AT

pytestmark = pytest.mark.django_db

PAGE = "/accounts/reauth/"
API = "/api/accounts/reauth/"


class Clock:
    """The time the TOTP functions see, moved on by hand (the rest keeps the real clock)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now

    def tick(self) -> None:
        self.now += totp.STEP_SECONDS


@pytest.fixture
def clock(monkeypatch: Any) -> Clock:
    c = Clock()
    monkeypatch.setattr(totp, "time", c)
    return c


def enroll(user: User, clock: Clock) -> str:
    secret = twofactor.enroll_start(user=user)["secret"]
    twofactor.enroll_confirm(user=user, code=totp.code_at(secret))
    clock.tick()
    return secret


def signed_in_with_code(login: Any, user: User) -> Client:
    """A session that passed the sign-in code step (as the two-factor sign-in leaves it)."""
    client = login(user)
    session = client.session
    session[VERIFIED_AT] = 1.0
    session.save()
    return client


def api_post(client: Client, data: Any) -> Any:
    return client.post(API, json.dumps(data), content_type="application/json")


def events(event: Any, user: User) -> int:
    return AuditLog.objects.filter(event_id=event.id, target_id=str(user.pk)).count()


@pytest.fixture
def user(make_user: Any, district: Any) -> User:
    return make_user(Role.CENTRE_OPERATOR, district.town_a, username="shouli")


# The page -----------------------------------------------------------------------------------------------

def test_page_confirms_the_password_and_returns_to_next(user: User, login: Any) -> None:
    client = login(user)
    response = client.get(PAGE, {"next": "/org/people/"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="password"' in html and 'name="code"' not in html and 'value="/org/people/"' in html
    assert REAUTH_AT not in client.session
    response = client.post(PAGE, {"password": PASSWORD, "next": "/org/people/"})
    assert response.status_code == 302 and response.url == "/org/people/"
    assert REAUTH_AT in client.session
    assert events(AuditEvent.REAUTHENTICATED, user) == 1


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)",
                                      "/\\evil.example"])
def test_page_never_sends_elsewhere(user: User, login: Any, next_url: str) -> None:
    response = login(user).post(PAGE, {"password": PASSWORD, "next": next_url})
    assert response.status_code == 302 and response.url == reverse("core:home")


def test_wrong_password_counts_towards_the_lockout_and_is_audited(user: User, login: Any, settings: Any) -> None:
    client = login(user)
    response = client.post(PAGE, {"password": "wrong", "next": "/org/"})
    assert response.status_code == 200
    assert "The password is not correct." in response.content.decode() or "密码不正确" in response.content.decode()
    assert REAUTH_AT not in client.session
    user.refresh_from_db()
    assert user.failed_logins == 1
    assert events(AuditEvent.REAUTH_FAILED, user) == 1
    assert events(AuditEvent.LOGIN_FAILED, user) == 1  # the sign-in policy's own count
    # Up to the limit: locked, and the session is signed out.
    for _ in range(settings.MOFAN_LOCKOUT_ATTEMPTS - 1):
        response = client.post(PAGE, {"password": "wrong"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    user.refresh_from_db()
    assert user.is_locked()
    assert "_auth_user_id" not in client.session
    assert AuditLog.objects.filter(event_id=AuditEvent.REAUTH_FAILED.id, note="password; locked").count() == 1
    assert events(AuditEvent.ACCOUNT_LOCKED, user) == 1
    # Locked: a session of the account is not even signed in, the right password confirms nothing.
    again = login(user)
    assert api_post(again, {"password": PASSWORD}).status_code == 403
    assert REAUTH_AT not in again.session


def test_right_password_clears_the_failure_count(user: User, login: Any) -> None:
    client = login(user)
    client.post(PAGE, {"password": "wrong"})
    client.post(PAGE, {"password": PASSWORD})
    user.refresh_from_db()
    assert user.failed_logins == 0


def test_page_needs_sign_in(client: Client) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert client.post(API, {"password": PASSWORD}).status_code in (401, 403)


# The API ------------------------------------------------------------------------------------------------

def test_api_confirms_and_reports_the_window(user: User, login: Any, settings: Any) -> None:
    client = login(user)
    state = client.get(API).json()
    assert state == {"recent": False, "until": None, "minutes": settings.MOFAN_REAUTH_MINUTES, "needs_code": False}
    response = api_post(client, {"password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["recent"] is True and body["until"] and body["minutes"] == settings.MOFAN_REAUTH_MINUTES
    assert client.get(API).json()["recent"] is True
    assert events(AuditEvent.REAUTHENTICATED, user) == 1


@pytest.mark.parametrize("data", [{}, {"password": ""}, {"password": ["x"]}, {"password": {"a": 1}},
                                  {"password": "x" * 5000}, [], "text", {"password": PASSWORD, "code": "9" * 50}])
def test_api_bad_input_is_a_clear_400_and_counts_nothing(user: User, login: Any, data: Any) -> None:
    client = login(user)
    response = api_post(client, data)
    assert response.status_code == 400
    user.refresh_from_db()
    assert user.failed_logins == 0 and REAUTH_AT not in client.session


def test_api_wrong_password_is_a_400_on_the_field(user: User, login: Any) -> None:
    client = login(user)
    response = api_post(client, {"password": "wrong"})
    assert response.status_code == 400 and "password" in response.json()
    assert REAUTH_AT not in client.session
    assert events(AuditEvent.REAUTH_FAILED, user) == 1


# With an authenticator ----------------------------------------------------------------------------------

def test_with_an_authenticator_the_code_is_required_too(user: User, login: Any, clock: Clock) -> None:
    secret = enroll(user, clock)
    client = signed_in_with_code(login, user)
    assert 'name="code"' in client.get(PAGE).content.decode()
    assert client.get(API).json()["needs_code"] is True
    response = api_post(client, {"password": PASSWORD})
    assert response.status_code == 400 and "code" in response.json()
    response = api_post(client, {"password": PASSWORD, "code": "000000" if totp.code_at(secret) != "000000"
                                 else "111111"})
    assert response.status_code == 400 and "code" in response.json()
    assert REAUTH_AT not in client.session
    response = api_post(client, {"password": PASSWORD, "code": totp.code_at(secret)})
    assert response.status_code == 200 and REAUTH_AT in client.session
    assert AuditLog.objects.filter(event_id=AuditEvent.TWOFACTOR_VERIFIED.id, note="reauth; totp").count() == 1
    # The same code again (replay) is refused.
    response = api_post(client, {"password": PASSWORD, "code": totp.code_at(secret)})
    assert response.status_code == 400 and "code" in response.json()


def test_page_with_an_authenticator(user: User, login: Any, clock: Clock) -> None:
    secret = enroll(user, clock)
    client = signed_in_with_code(login, user)
    response = client.post(PAGE, {"password": PASSWORD, "code": totp.code_at(secret), "next": "/org/"})
    assert response.status_code == 302 and response["Location"] == "/org/"
    assert REAUTH_AT in client.session


def test_right_password_does_not_reset_the_count_of_wrong_codes(user: User, login: Any, clock: Clock,
                                                                 settings: Any) -> None:
    """Whoever holds the session and the password cannot guess codes for ever: the code is checked before the
    password, so the right password never clears the count of wrong codes."""
    secret = enroll(user, clock)
    client = signed_in_with_code(login, user)
    wrong = "000000" if totp.code_at(secret) != "000000" else "111111"
    for _ in range(settings.MOFAN_LOCKOUT_ATTEMPTS - 1):
        assert api_post(client, {"password": PASSWORD, "code": wrong}).status_code == 400
    response = api_post(client, {"password": PASSWORD, "code": wrong})
    assert response.status_code == 401 and response.json()["code"] == "account_locked"
    user.refresh_from_db()
    assert user.is_locked()
    assert "_auth_user_id" not in client.session


# require_recent_auth ------------------------------------------------------------------------------------

def test_require_recent_auth_window(user: User, login: Any, settings: Any) -> None:
    settings.MOFAN_REAUTH_MINUTES = 2
    client = login(user)
    api_post(client, {"password": PASSWORD})
    request = RequestFactory().get("/x")
    request.session = client.session
    require_recent_auth(request)  # fresh: passes
    request.session[REAUTH_AT] -= 2 * 60 + 1
    with pytest.raises(ReauthRequired):
        require_recent_auth(request)
    request.session[REAUTH_AT] = "garbage"
    with pytest.raises(ReauthRequired):
        require_recent_auth(request)


def test_signing_in_does_not_count(user: User) -> None:
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": "shouli", "password": PASSWORD})
    assert response.status_code == 302
    assert REAUTH_AT not in client.session
    assert client.get(API).json()["recent"] is False


def test_pages_are_sent_to_confirm(user: User, login: Any) -> None:
    """A page view decorated with ``recent_auth_required``: the middleware sends a GET back to itself, an HTMX
    request through HX-Redirect to the page it came from, a POST to a local referer only."""
    @recent_auth_required
    def sensitive(request: Any) -> HttpResponse:
        return HttpResponse("secret")

    client = login(user)
    factory = RequestFactory()
    middleware = reauth_module.ReauthMiddleware(lambda r: HttpResponse())
    for request, check in [
        (factory.get("/org/people/export.xlsx?unit=3"),
         lambda r: r.status_code == 302 and r.url == f"{PAGE}?next=/org/people/export.xlsx%3Funit%3D3"),
        (factory.post("/org/people/1/reveal/", HTTP_HX_REQUEST="true",
                      HTTP_HX_CURRENT_URL="http://testserver/org/people/1/"),
         lambda r: r.status_code == 204 and r["HX-Redirect"] == f"{PAGE}?next=/org/people/1/"),
        (factory.post("/org/people/1/reveal/", HTTP_REFERER="https://evil.example/"),
         lambda r: r.status_code == 302 and r.url == PAGE),
    ]:
        request.session = client.session
        request.user = user
        setattr(request, "_messages", FallbackStorage(request))  # noqa: B010 - as MessageMiddleware does
        try:
            sensitive(request)
        except ReauthRequired as exc:
            response = middleware.process_exception(request, exc)
        assert response is not None and check(response), response


def test_api_refusal_names_the_way_to_confirm(user: User, login: Any) -> None:
    exc = ReauthRequired()
    assert exc.status_code == 403
    detail: Any = exc.detail
    assert detail["code"] == "reauth_required"
    assert detail["reauth_url"] == API
    assert "分钟" in str(detail["detail"]) or "minutes" in str(detail["detail"])
