"""Defect 13 and issue 9 item 6: a person's phone and ID number are masked in every list, detail and export,
for every role; the clear values come only through the explicit unmask action (page button or
``POST /api/people/<id>/reveal/``), which needs PERSON_VIEW_SENSITIVE, a recent re-authentication, and writes
exactly one audit row."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from mofan.accounts.roles import ROLE_ACTIONS, Action, Role
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.org.tests.conftest import id_number

pytestmark = pytest.mark.django_db

CLEAR_PHONE = "13812345678"
MASKED_PHONE = "138****5678"
SENSITIVE_ROLES = [r for r in Role.values if Action.PERSON_VIEW_SENSITIVE in ROLE_ACTIONS[r]]
VIEWING_ROLES = [r for r in Role.values if Action.ORG_VIEW in ROLE_ACTIONS[r]]
OTHER_VIEWING_ROLES = [r for r in VIEWING_ROLES if r not in SENSITIVE_ROLES]


def sensitive_views() -> int:
    return AuditLog.objects.filter(event_id=AuditEvent.PERSON_SENSITIVE_VIEWED.id).count()


def reveal_api(person: Any) -> str:
    return f"/api/people/{person.pk}/reveal/"


def every_read(client: Any, district: Any, person: Any) -> list[str]:
    """The person as every list, detail and export of the people shows them to ``client``."""
    pages = [
        client.get(reverse("org:person_list")),
        client.get(reverse("org:person_list"), {"unit": district.village_a1.pk}),
        client.get(reverse("org:unit_detail", args=[district.village_a1.pk])),
        client.get(reverse("org:person_detail", args=[person.pk])),
        client.get("/api/people/"),
        client.get("/api/people/", {"search": person.name}),
        client.get(f"/api/people/{person.pk}/"),
    ]
    texts = []
    for response in pages:
        assert response.status_code == 200, (response.request["PATH_INFO"], response.status_code)
        texts.append(response.content.decode())
    return texts


def test_sensitive_roles_are_known() -> None:
    assert SENSITIVE_ROLES == [Role.SYSTEM_ADMIN] and OTHER_VIEWING_ROLES


@pytest.mark.parametrize("role", VIEWING_ROLES)
def test_lists_details_and_api_mask_the_phone_for_every_role(
    role: str, district: Any, people: Any, make_user: Any, login: Any, reauth: Any,
) -> None:
    """Defect 13: 系统管理员 saw the phone in clear in /api/people/ (list and detail) with no audit row."""
    client = reauth(login(make_user(role, district.town_a)))  # even a fresh re-authentication unmasks nothing
    before = sensitive_views()
    for text in every_read(client, district, people["a1"]):
        assert CLEAR_PHONE not in text and id_number(1) not in text
        assert MASKED_PHONE in text
    api_row = client.get(f"/api/people/{people['a1'].pk}/").json()
    assert api_row["phone"] == MASKED_PHONE
    assert sensitive_views() == before  # nothing shown in clear, nothing to audit


@pytest.mark.parametrize("role", VIEWING_ROLES)
def test_people_export_is_masked_and_needs_reauth(
    role: str, district: Any, people: Any, make_user: Any, login: Any, reauth: Any,
) -> None:
    client = login(make_user(role, district.town_a))
    export = reverse("org:person_export")
    response = client.get(export, {"unit": district.village_a1.pk})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:reauth')}?next=" + \
        f"{export}%3Funit%3D{district.village_a1.pk}"
    assert not AuditLog.objects.filter(event_id=AuditEvent.EXPORT_LIST.id).exists()
    reauth(client)
    response = client.get(export, {"unit": district.village_a1.pk})
    assert response.status_code == 200
    cells = [c for row in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True) for c in row]
    assert MASKED_PHONE in cells and CLEAR_PHONE not in cells and id_number(1) not in cells
    assert AuditLog.objects.filter(event_id=AuditEvent.EXPORT_LIST.id).count() == 1


def test_edit_page_never_shows_the_phone_in_clear(district: Any, people: Any, make_user: Any, login: Any,
                                                  reauth: Any) -> None:
    client = reauth(login(make_user(Role.SYSTEM_ADMIN, district.town_a)))
    html = client.get(reverse("org:person_edit", args=[people["a1"].pk])).content.decode()
    assert CLEAR_PHONE not in html and MASKED_PHONE in html
    # A blank phone keeps the stored number.
    response = client.post(reverse("org:person_edit", args=[people["a1"].pk]), {
        "name": "甲一", "gender": "M", "phone": "", "id_number": "", "post": "主任", "is_party_member": "on"})
    assert response.status_code == 302
    people["a1"].refresh_from_db()
    assert (people["a1"].phone, people["a1"].post) == (CLEAR_PHONE, "主任")


@pytest.mark.parametrize("role", SENSITIVE_ROLES)
def test_unmask_on_the_page_needs_a_recent_reauth(
    role: str, district: Any, people: Any, make_user: Any, login: Any, reauth: Any,
) -> None:
    person = people["a1"]
    client = login(make_user(role, district.town_a))
    detail = reverse("org:person_detail", args=[person.pk])
    reveal = reverse("org:person_reveal", args=[person.pk])
    # Without: back to the person after confirming, nothing shown, nothing audited.
    response = client.post(reveal, HTTP_REFERER=f"http://testserver{detail}")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:reauth')}?next={detail}"
    response = client.post(reveal, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=f"http://testserver{detail}")
    assert response["HX-Redirect"].startswith(reverse("accounts:reauth"))
    assert CLEAR_PHONE not in response.content.decode()
    assert sensitive_views() == 0
    # With: the clear values, exactly one audit row naming the person.
    reauth(client)
    response = client.post(reveal, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    text = response.content.decode()
    assert CLEAR_PHONE in text and id_number(1) in text
    assert sensitive_views() == 1
    row = AuditLog.objects.get(event_id=AuditEvent.PERSON_SENSITIVE_VIEWED.id)
    assert row.target_id == str(person.pk) and row.actor_id is not None
    # The page itself stays masked afterwards: unmasking is per action.
    assert CLEAR_PHONE not in client.get(detail).content.decode()
    assert sensitive_views() == 1


@pytest.mark.parametrize("role", SENSITIVE_ROLES)
def test_unmask_through_the_api_needs_a_recent_reauth(
    role: str, district: Any, people: Any, make_user: Any, login: Any, reauth: Any,
) -> None:
    person = people["a1"]
    client = login(make_user(role, district.town_a))
    response = client.post(reveal_api(person))
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "reauth_required" and body["reauth_url"] == "/api/accounts/reauth/"
    assert CLEAR_PHONE not in json.dumps(body) and sensitive_views() == 0
    reauth(client)
    response = client.post(reveal_api(person))
    assert response.status_code == 200
    assert response.json() == {"id_number": id_number(1), "phone": CLEAR_PHONE}
    assert sensitive_views() == 1


@pytest.mark.parametrize("role", OTHER_VIEWING_ROLES)
def test_unmask_is_refused_without_the_permission_even_after_reauth(
    role: str, district: Any, people: Any, make_user: Any, login: Any, reauth: Any,
) -> None:
    person = people["a1"]
    client = login(make_user(role, district.town_a))
    # Refused for the permission, not sent to re-authenticate first.
    assert client.post(reveal_api(person)).json().get("code") != "reauth_required"
    reauth(client)
    for response in (client.post(reveal_api(person)),
                     client.post(reverse("org:person_reveal", args=[person.pk]))):
        assert response.status_code == 403
        assert CLEAR_PHONE not in response.content.decode()
    assert sensitive_views() == 0


def test_reauth_expires_after_the_window(district: Any, people: Any, make_user: Any, login: Any, reauth: Any,
                                         settings: Any) -> None:
    client = reauth(login(make_user(Role.SYSTEM_ADMIN, district.town_a)))
    session = client.session
    session["mofan_reauth_at"] = session["mofan_reauth_at"] - settings.MOFAN_REAUTH_MINUTES * 60 - 1
    session.save()
    assert client.post(reveal_api(people["a1"])).json()["code"] == "reauth_required"
    assert sensitive_views() == 0
