"""Nothing typed is lost to a re-authentication (issue 9): a page POST that needs one keeps its non-secret
fields (bounded, never a password, code or token); after confirming, /accounts/reauth/resume/ carries them as
hidden inputs with a fresh CSRF token and a 继续 button to where they were going."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from mofan.accounts.models import Membership, User
from mofan.accounts.reauth import RESUME, RESUME_MAX_CHARS
from mofan.accounts.roles import Role
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.conftest import PASSWORD
from mofan.twofactor.session import VERIFIED_AT

pytestmark = pytest.mark.django_db

REAUTH = "/accounts/reauth/"
RESUME_URL = "/accounts/reauth/resume/"
TEMPORARY = "Temp-Reset-2026"


def strict(login: Any, user: User) -> Client:
    """A signed-in client that must send CSRF tokens, as a browser does."""
    client = login(user)
    client.handler.enforce_csrf_checks = True
    return client


def token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def hidden_fields(html: str) -> list[tuple[str, str]]:
    form = html[html.index('id="resume"'):html.index("</form>", html.index('id="resume"'))]
    return [(n, v) for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)
            if n != "csrfmiddlewaretoken"]


def confirm(client: Client, next_url: str) -> Any:
    page = client.get(REAUTH, {"next": next_url}).content.decode()
    return client.post(REAUTH, {"csrfmiddlewaretoken": token(page), "password": PASSWORD, "next": next_url})


def resume(client: Client) -> tuple[str, list[tuple[str, str]], str]:
    html = client.get(RESUME_URL).content.decode()
    action = re.search(r'<form method="post" action="([^"]+)" id="resume">', html)
    assert action, html
    return action.group(1), hidden_fields(html), token(html)


def test_the_grant_form_comes_back_to_be_sent_after_reauthentication(
    district: Any, admins: Any, make_user: Any, login: Any
) -> None:
    worker = make_user(Role.GRID_WORKER, district.village_a1, username="wangge")
    detail = reverse("accounts:user_detail", args=[worker.pk])
    grant = reverse("accounts:user_grant", args=[worker.pk])
    client = strict(login, admins.security)
    page = client.get(detail).content.decode()
    typed = {"unit": str(district.village_a1.pk), "role": Role.CADRE}
    response = client.post(grant, {"csrfmiddlewaretoken": token(page), **typed},
                           HTTP_REFERER=f"http://testserver{detail}")
    assert response.status_code == 302 and response["Location"] == f"{REAUTH}?next={detail}"
    assert not Membership.objects.filter(user=worker, role=Role.CADRE).exists()
    assert "csrfmiddlewaretoken" not in str(client.session[RESUME])
    assert 'id="kept"' in client.get(REAUTH, {"next": detail}).content.decode()
    response = confirm(client, detail)
    assert response.status_code == 302 and response["Location"] == RESUME_URL
    action, fields, fresh = resume(client)
    assert action == grant and sorted(fields) == sorted(typed.items())
    assert RESUME not in client.session  # shown once
    response = client.post(action, {"csrfmiddlewaretoken": fresh, **dict(fields)})
    assert response.status_code == 302 and response["Location"] == detail
    assert Membership.objects.filter(user=worker, unit=district.village_a1, role=Role.CADRE).exists()
    assert AuditLog.objects.filter(event_id=AuditEvent.MEMBERSHIP_GRANTED.id, target_id=str(worker.pk),
                                   actor=admins.security).count() == 1
    assert client.get(RESUME_URL)["Location"] == reverse("core:home")  # nothing kept any more


def test_passwords_are_never_kept_and_the_rest_refills_the_form(admins: Any, login: Any) -> None:
    detail = reverse("accounts:user_detail", args=[admins.audit.pk])
    client = strict(login, admins.security)
    page = client.get(detail).content.decode()
    client.post(reverse("accounts:user_request", args=[admins.audit.pk]), {
        "csrfmiddlewaretoken": token(page), "action": "reset_password", "membership": "",
        "password": TEMPORARY, "password_again": TEMPORARY, "note": "忘记密码，已当面核实",
    }, HTTP_REFERER=f"http://testserver{detail}")
    kept = client.session[RESUME]
    assert TEMPORARY not in str(kept) and {n for n, _v in kept["fields"]} == {"action", "membership", "note"}
    assert confirm(client, detail)["Location"] == RESUME_URL
    action, fields, fresh = resume(client)
    assert TEMPORARY not in str(fields)
    response = client.post(action, {"csrfmiddlewaretoken": fresh, **dict(fields)})
    html = response.content.decode()
    assert response.status_code == 400 and "Set the temporary password." in html  # typed again, only that
    assert 'value="忘记密码，已当面核实"' in html and '<option value="reset_password" selected>' in html


def test_a_reveal_button_through_htmx_is_carried_out_on_continue(
    admins: Any, person_a: Any, login: Any
) -> None:
    detail = reverse("org:person_detail", args=[person_a.pk])
    client = strict(login, admins.system)
    page = client.get(detail).content.decode()
    response = client.post(reverse("org:person_reveal", args=[person_a.pk]), {"csrfmiddlewaretoken": token(page)},
                           HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=f"http://testserver{detail}")
    assert response.status_code == 204 and response["HX-Redirect"] == f"{REAUTH}?next={detail}"
    assert confirm(client, detail)["Location"] == RESUME_URL
    action, fields, fresh = resume(client)
    assert action == reverse("org:person_reveal", args=[person_a.pk]) and fields == []
    response = client.post(action, {"csrfmiddlewaretoken": fresh})
    assert response.status_code == 200 and "13812345678" in response.content.decode()
    assert AuditLog.objects.filter(event_id=AuditEvent.PERSON_SENSITIVE_VIEWED.id).count() == 1


def test_what_is_not_kept(admins: Any, district: Any, make_user: Any, login: Any, settings: Any) -> None:
    worker = make_user(Role.GRID_WORKER, district.village_a1, username="wangge")
    detail = reverse("accounts:user_detail", args=[worker.pk])
    grant = reverse("accounts:user_grant", args=[worker.pk])
    client = login(admins.security)
    # too big: nothing kept, back to the page as before
    client.post(grant, {"unit": "1", "role": "x" * RESUME_MAX_CHARS}, HTTP_REFERER=f"http://testserver{detail}")
    assert RESUME not in client.session
    assert confirm(client, detail)["Location"] == detail
    # kept for one way back only, and only within the re-authentication window
    session = client.session
    session.pop("mofan_reauth_at")
    session.save()
    client.post(grant, {"unit": "1", "role": Role.CADRE}, HTTP_REFERER=f"http://testserver{detail}")
    assert RESUME in client.session
    assert confirm(client, "/org/")["Location"] == "/org/"
    session = client.session
    session[RESUME] = {**session[RESUME], "at": time.time() - settings.MOFAN_REAUTH_MINUTES * 60 - 5}
    session.save()
    assert confirm(client, detail)["Location"] == detail
    # an interrupted GET (an export) keeps nothing and drops what was kept
    session = client.session
    session.pop("mofan_reauth_at")
    session[RESUME] = {"action": grant, "next": detail, "fields": [], "at": time.time()}
    session[VERIFIED_AT] = time.time()
    session.save()
    assert client.get(reverse("accounts:user_export"))["Location"].startswith(REAUTH)
    assert RESUME not in client.session
