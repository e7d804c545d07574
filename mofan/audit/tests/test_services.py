"""Writing the trail: who, when, from where, which event, which object, and personal data masked."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from mofan.audit import services
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.audit.selectors import LogFilters
from mofan.core.identity import id_number_check_digit
from mofan.org import services as org_services

pytestmark = pytest.mark.django_db

ID_NUMBER = "15010219900101001" + id_number_check_digit("15010219900101001")


def test_personal_data_is_masked_in_stored_old_and_new_values(district: Any, admins: Any) -> None:
    person = org_services.person_create(actor=admins.system, unit=district.village_a1, name="张三",
                                        phone="13812345678", id_number=ID_NUMBER)
    created = AuditLog.objects.get(event_id=AuditEvent.PERSON_CREATED.id, target_id=str(person.pk))
    assert created.new_values["phone"] == "138****5678"  # type: ignore[index]
    assert created.new_values["id_number"] == "1501**********" + ID_NUMBER[-4:]  # type: ignore[index]
    org_services.person_update(actor=admins.system, person=person, name="张三", gender=None, phone="13900001111",
                               is_party_member=False, post="")
    updated = AuditLog.objects.get(event_id=AuditEvent.PERSON_UPDATED.id, target_id=str(person.pk))
    assert updated.old_values == {"phone": "138****5678"} and updated.new_values == {"phone": "139****1111"}
    stored = str(list(AuditLog.objects.values_list("old_values", "new_values")))
    assert "13812345678" not in stored and ID_NUMBER not in stored and "13900001111" not in stored


def test_audit_record_masks_passwords_and_records_the_context(admins: Any) -> None:
    row = services.audit_record(actor=admins.security, event=AuditEvent.PASSWORD_RESET, target=admins.system,
                                old={"password": "Old-Pass-2026"}, new={"password": "New-Pass-2026"})
    assert row.old_values == {"password": "******"} and row.new_values == {"password": "******"}
    assert row.actor == admins.security and row.actor_name == "secadmin"
    assert row.event_name == "accounts.user.password_reset" and row.event_label == str(AuditEvent.PASSWORD_RESET.label)
    assert row.target_type == "accounts.user" and row.target_id == str(admins.system.pk)


def test_the_request_address_is_recorded(admins: Any) -> None:
    client = Client(REMOTE_ADDR="10.1.2.3")
    client.post(reverse("accounts:login"), {"username": "nobody", "password": "x"})
    row = AuditLog.objects.filter(event_id=AuditEvent.LOGIN_FAILED.id).latest("id")
    assert row.ip == "10.1.2.3" and row.actor_name == "nobody" and row.success is False


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_is_itself_audited(admins: Any, file_format: str) -> None:
    filters = LogFilters(user="secadmin", success=True)
    rows = services.log_export(actor=admins.audit, filters=filters, file_format=file_format)
    row = AuditLog.objects.filter(event_id=AuditEvent.AUDIT_EXPORTED.id).get()
    assert row.actor == admins.audit
    assert row.new_values == {"format": file_format, "filters": {"user": "secadmin", "success": True}}
    assert all(r.actor_name == "secadmin" for r in rows)


@pytest.mark.parametrize("who", ["system", "security"])
def test_export_refused_to_everyone_but_the_audit_admin(admins: Any, who: str) -> None:
    with pytest.raises(PermissionDenied):
        services.log_export(actor=getattr(admins, who), filters=LogFilters(), file_format="csv")
    assert not AuditLog.objects.filter(event_id=AuditEvent.AUDIT_EXPORTED.id).exists()
    assert AuditLog.objects.filter(event_id=AuditEvent.ACCESS_DENIED.id, actor=getattr(admins, who)).exists()


def test_export_refuses_an_unknown_format_and_an_oversize_xlsx(admins: Any, monkeypatch: Any) -> None:
    with pytest.raises(ValidationError):
        services.log_export(actor=admins.audit, filters=LogFilters(), file_format="pdf")
    monkeypatch.setattr(services, "XLSX_EXPORT_MAX_ROWS", 2)
    with pytest.raises(ValidationError) as exc:
        services.log_export(actor=admins.audit, filters=LogFilters(), file_format="xlsx")
    assert "export CSV" in exc.value.messages[0]
    assert not AuditLog.objects.filter(event_id=AuditEvent.AUDIT_EXPORTED.id).exists()
