"""/api/audit/: read-only, the audit administrator only, cursor-paged, exports audited."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from mofan.accounts.roles import Role
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.audit.services import audit_record

pytestmark = pytest.mark.django_db

URL = "/api/audit/"


@pytest.mark.parametrize("who", ["system", "security", "cadre", "anonymous"])
def test_everyone_but_the_audit_admin_is_refused(district: Any, make_user: Any, admins: Any, login: Any,
                                                 who: str) -> None:
    if who == "anonymous":
        client = Client()
    else:
        client = login(make_user(Role.CADRE, district.district) if who == "cadre" else getattr(admins, who))
    row = AuditLog.objects.latest("id")
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}{row.pk}/").status_code in (403, 404)
    assert client.get(f"{URL}export/", {"file": "csv"}).status_code == 403
    assert not AuditLog.objects.filter(event_id=AuditEvent.AUDIT_EXPORTED.id).exists()


def test_audit_admin_lists_with_labels_fifty_a_page(admins: Any, login: Any) -> None:
    for n in range(70):
        audit_record(actor=None, actor_name=f"user{n}", event=AuditEvent.LOGIN_FAILED, success=False)
    client = login(admins.audit)
    first = client.get(URL).json()
    assert len(first["results"]) == 50 and first["next"]
    assert first["results"][0]["event_label"] == str(AuditEvent.LOGIN_FAILED.label)
    second = client.get(first["next"]).json()
    ids = [r["id"] for r in first["results"] + second["results"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
    one = client.get(f"{URL}{ids[0]}/").json()
    assert one["id"] == ids[0] and one["success"] is False


def test_api_filters_and_bad_filters(admins: Any, login: Any) -> None:
    audit_record(actor=None, actor_name="stranger", event=AuditEvent.LOGIN_FAILED, success=False)
    client = login(admins.audit)
    rows = client.get(URL, {"user": "stranger", "success": "0"}).json()["results"]
    assert [r["actor_name"] for r in rows] == ["stranger"]
    rows = client.get(URL, {"event": AuditEvent.USER_CREATED.id}).json()["results"]
    assert rows and all(r["event_name"] == "accounts.user.created" for r in rows)
    response = client.get(URL, {"start": "yesterday"})
    assert response.status_code == 400 and "start" in response.json()


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_no_method_changes_the_trail(admins: Any, login: Any, method: str) -> None:
    client = login(admins.audit)
    row = AuditLog.objects.latest("id")
    before = list(AuditLog.objects.values_list("id", "note"))
    for url in (URL, f"{URL}{row.pk}/"):
        response = getattr(client, method)(url, {"note": "forged"}, content_type="application/json")
        assert response.status_code == 405
    assert list(AuditLog.objects.values_list("id", "note")) == before


def test_api_exports_are_audited(admins: Any, login: Any, reauth: Any) -> None:
    fresh = login(admins.audit).get(f"{URL}export/", {"file": "csv"}, HTTP_ACCEPT="text/csv")
    assert fresh.status_code == 403 and b"reauth_required" in fresh.content  # re-authenticate first
    client = reauth(login(admins.audit))
    response = client.get(f"{URL}export/", {"file": "csv", "user": "secadmin"}, HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\xef\xbb\xbf")
    response = client.get(f"{URL}export/", {"file": "xlsx"})
    assert response.status_code == 200
    assert load_workbook(io.BytesIO(response.content)).active is not None
    exports = AuditLog.objects.filter(event_id=AuditEvent.AUDIT_EXPORTED.id).order_by("id")
    assert [e.new_values["format"] for e in exports] == ["csv", "xlsx"]  # type: ignore[index]
    assert client.get(f"{URL}export/", {"file": "pdf"}).status_code == 400
    assert exports.count() == 2
