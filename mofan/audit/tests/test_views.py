"""The audit trail page and its exports: the audit administrator only, every export recorded, nothing
that edits or deletes a record."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.urls import NoReverseMatch, reverse
from openpyxl import load_workbook

from mofan.accounts.roles import Role
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.audit.services import audit_record

pytestmark = pytest.mark.django_db


def content(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("who", ["system", "security", "cadre"])
def test_trail_page_and_exports_refused_to_everyone_but_the_audit_admin(district: Any, make_user: Any, admins: Any,
                                                                        login: Any, who: str) -> None:
    actor = make_user(Role.CADRE, district.district) if who == "cadre" else getattr(admins, who)
    client = login(actor)
    for name in ("log_list", "log_export_csv", "log_export_xlsx"):
        assert client.get(reverse(f"audit:{name}")).status_code == 403
    assert not AuditLog.objects.filter(event_id=AuditEvent.AUDIT_EXPORTED.id).exists()
    home = client.get(reverse("core:home")).content.decode()
    assert reverse("audit:log_list") not in home  # not even offered in the menu


def test_anonymous_is_sent_to_sign_in() -> None:
    from django.test import Client

    response = Client().get(reverse("audit:log_list"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_audit_admin_reads_labels_and_masked_values(district: Any, admins: Any, login: Any,
                                                    django_assert_max_num_queries: Any) -> None:
    for n in range(60):
        audit_record(actor=None, actor_name=f"user{n}", event=AuditEvent.LOGIN_FAILED, success=False)
    audit_record(actor=admins.system, event=AuditEvent.PERSON_UPDATED, target=district.town_a,
                 old={"phone": "13812345678"}, new={"phone": "13900001111"})
    client = login(admins.audit)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("audit:log_list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert len(response.context["page"].rows) == 50
    assert str(AuditEvent.PERSON_UPDATED.label) in page and "org.person.updated" in page
    assert "138****5678" in page and "13812345678" not in page
    assert "before=" in page  # a link to the older records
    older = client.get(reverse("audit:log_list") + f"?before={response.context['page'].older}")
    assert older.status_code == 200 and older.context["page"].rows


def test_filters_on_the_page(admins: Any, login: Any) -> None:
    audit_record(actor=None, actor_name="stranger", event=AuditEvent.LOGIN_FAILED, success=False)
    client = login(admins.audit)
    response = client.get(reverse("audit:log_list"), {"user": "stranger", "event": AuditEvent.LOGIN_FAILED.id,
                                                      "success": "0"})
    assert [r.actor_name for r in response.context["page"].rows] == ["stranger"]
    response = client.get(reverse("audit:log_list"), {"start": "2030-01-02T00:00", "end": "2030-01-01T00:00"})
    assert response.status_code == 200 and response.context["form"].errors["end"]
    assert response.context["page"].rows == []
    response = client.get(reverse("audit:log_list"), {"event": "99999"})
    assert response.context["form"].errors["event"]


def test_csv_export_opens_in_excel_and_is_audited(admins: Any, login: Any, reauth: Any) -> None:
    audit_record(actor=None, actor_name="=HYPERLINK(1)", event=AuditEvent.LOGIN_FAILED, success=False, note="中文备注")
    fresh = login(admins.audit).get(reverse("audit:log_export_csv"), {"success": "0"})  # re-authenticate first
    assert fresh.status_code == 302 and fresh["Location"] == "/accounts/reauth/?next=/audit/export.csv%3Fsuccess%3D0"
    client = reauth(login(admins.audit))
    response = client.get(reverse("audit:log_export_csv"), {"success": "0"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = content(response)
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the Chinese
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == "No." and len(rows) >= 2
    assert any(r[2] == "'=HYPERLINK(1)" and r[-1] == "中文备注" for r in rows[1:])  # formulas neutralised
    assert all(r[7] == "Refused or failed" for r in rows[1:])
    exported = AuditLog.objects.get(event_id=AuditEvent.AUDIT_EXPORTED.id)
    assert exported.actor == admins.audit and exported.new_values == {"format": "csv", "filters": {"success": False}}


def test_xlsx_export_is_audited(admins: Any, login: Any, reauth: Any) -> None:
    client = reauth(login(admins.audit))
    response = client.get(reverse("audit:log_export_xlsx"), {"user": "secadmin"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(content(response))).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "No." and all(row[2] == "secadmin" for row in values[1:])
    assert AuditLog.objects.filter(event_id=AuditEvent.AUDIT_EXPORTED.id, actor=admins.audit).count() == 1
    # The next export lists the previous one.
    again = client.get(reverse("audit:log_export_csv"), {"event": AuditEvent.AUDIT_EXPORTED.id})
    assert str(AuditEvent.AUDIT_EXPORTED.label) in content(again).decode("utf-8-sig")


def test_export_with_bad_filters_returns_to_the_page(admins: Any, login: Any) -> None:
    response = login(admins.audit).get(reverse("audit:log_export_csv"), {"start": "not a date"})
    assert response.status_code == 302 and not AuditLog.objects.filter(
        event_id=AuditEvent.AUDIT_EXPORTED.id).exists()


def test_no_page_edits_or_deletes_a_record(admins: Any, login: Any) -> None:
    for name in ("log_edit", "log_delete", "log_detail", "log_update"):
        with pytest.raises(NoReverseMatch):
            reverse(f"audit:{name}", args=[1])
    client = login(admins.audit)
    before = AuditLog.objects.count()
    for name in ("log_list", "log_export_csv", "log_export_xlsx"):
        assert client.post(reverse(f"audit:{name}"), {"note": "x"}).status_code == 405
    assert AuditLog.objects.count() == before
