"""Issue 9 item 6 (and defect 13's rule for cases): the reporter is masked in the workbench, the case page,
the API list and the API detail for every role; the clear values come only through the unmask action (the
case page's button, ``POST /api/cases/<id>/reveal/``), which needs CASE_VIEW_REPORTER on the case's centre and
a recent re-authentication, and writes exactly one audit row per view."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from mofan.accounts.roles import ROLE_ACTIONS, Action, Role
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.cases.models import Case, Channel
from mofan.cases.services.intake import case_create

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
NAME = "王五"
ID_NUMBER = "11010519491231002X"
READER_ROLES = [r for r in Role.values if Action.CASE_VIEW_REPORTER in ROLE_ACTIONS[r]]
# Roles that see cases but not their reporters, each placed where it sees the case.
OTHER_ROLES = [r for r in Role.values if Action.CASE_VIEW in ROLE_ACTIONS[r] and r not in READER_ROLES]


@pytest.fixture
def case(gov: Any) -> Case:
    return case_create(actor=gov.village_a1_operator, area=gov.d.village_a1, channel=Channel.HOTLINE,
                       description="路灯不亮", reporter_name=NAME, reporter_phone=PHONE, reporter_id_number=ID_NUMBER)


def views_audited() -> int:
    return AuditLog.objects.filter(event_id=AuditEvent.CASE_REPORTER_VIEWED.id).count()


def client_for(role: str, gov: Any, make_user: Any, login: Any) -> Any:
    return login(make_user(role, gov.d.village_a1))


def every_read(client: Any, case: Case) -> list[str]:
    responses = [
        client.get(reverse("cases:workbench")),
        client.get(reverse("cases:case_detail", args=[case.pk])),
        client.get("/api/cases/"),
        client.get(f"/api/cases/{case.pk}/"),
    ]
    for response in responses:
        assert response.status_code == 200, (response.request["PATH_INFO"], response.status_code)
    return [r.content.decode() for r in responses]


def test_the_roles_are_known() -> None:
    assert READER_ROLES == [Role.CENTRE_OPERATOR] and OTHER_ROLES == [Role.GRID_WORKER]


@pytest.mark.parametrize("role", READER_ROLES + OTHER_ROLES)
def test_lists_details_and_api_mask_the_reporter_for_every_role(
    role: str, gov: Any, case: Case, make_user: Any, login: Any, reauth: Any,
) -> None:
    client = reauth(client_for(role, gov, make_user, login))  # even a fresh re-authentication unmasks nothing
    for text in every_read(client, case):
        assert PHONE not in text and ID_NUMBER not in text and NAME not in text
    assert "139****5678" in every_read(client, case)[1]
    assert client.get(f"/api/cases/{case.pk}/").json()["reporter"]["masked"] is True
    assert views_audited() == 0


@pytest.mark.parametrize("role", READER_ROLES)
def test_unmask_on_the_page_needs_a_recent_reauth(
    role: str, gov: Any, case: Case, make_user: Any, login: Any, reauth: Any,
) -> None:
    client = client_for(role, gov, make_user, login)
    page = reverse("cases:case_detail", args=[case.pk])
    reveal = reverse("cases:case_reporter_reveal", args=[case.pk])
    response = client.post(reveal, HTTP_REFERER=f"http://testserver{page}")
    assert response.status_code == 302 and response["Location"] == f"{reverse('accounts:reauth')}?next={page}"
    response = client.post(reveal, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=f"http://testserver{page}")
    assert response["HX-Redirect"] == f"{reverse('accounts:reauth')}?next={page}"
    assert PHONE not in response.content.decode() and views_audited() == 0
    reauth(client)
    response = client.post(reveal, HTTP_HX_REQUEST="true")
    text = response.content.decode()
    assert response.status_code == 200 and PHONE in text and ID_NUMBER in text and NAME in text
    assert views_audited() == 1
    row = AuditLog.objects.get(event_id=AuditEvent.CASE_REPORTER_VIEWED.id)
    assert row.target_id == str(case.pk) and row.note == "name,phone,id_number"
    assert PHONE not in client.get(page).content.decode()  # the page stays masked afterwards
    assert views_audited() == 1


@pytest.mark.parametrize("role", READER_ROLES)
def test_unmask_through_the_api_needs_a_recent_reauth(
    role: str, gov: Any, case: Case, make_user: Any, login: Any, reauth: Any,
) -> None:
    client = client_for(role, gov, make_user, login)
    path = f"/api/cases/{case.pk}/reveal/"
    response = client.post(path)
    assert response.status_code == 403 and response.json()["code"] == "reauth_required"
    assert PHONE not in json.dumps(response.json()) and views_audited() == 0
    reauth(client)
    response = client.post(path)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert response.json() == {"name": NAME, "phone": PHONE, "id_number": ID_NUMBER, "masked": False,
                               "anonymous": False}
    assert views_audited() == 1
    assert client.get(path).status_code == 405


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_unmask_is_refused_without_the_permission_even_after_reauth(
    role: str, gov: Any, case: Case, make_user: Any, login: Any, reauth: Any,
) -> None:
    client = client_for(role, gov, make_user, login)
    assert client.post(f"/api/cases/{case.pk}/reveal/").json().get("code") != "reauth_required"
    reauth(client)
    for response in (client.post(f"/api/cases/{case.pk}/reveal/"),
                     client.post(reverse("cases:case_reporter_reveal", args=[case.pk]))):
        assert response.status_code == 403 and PHONE not in response.content.decode()
    assert views_audited() == 0


def test_unmask_outside_the_jurisdiction_is_a_404(gov: Any, case: Case, login: Any, reauth: Any) -> None:
    client = reauth(login(gov.town_b_operator))
    assert client.post(f"/api/cases/{case.pk}/reveal/").status_code == 404
    assert client.post(reverse("cases:case_reporter_reveal", args=[case.pk])).status_code == 404
    assert views_audited() == 0
