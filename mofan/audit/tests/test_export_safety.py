"""Issue 9, defect 6: a control character planted by an anonymous failed sign-in must not break the audit
export (openpyxl's IllegalCharacterError was a 500); it is stripped on export, in xlsx and CSV alike."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from mofan.audit.events import AuditEvent
from mofan.audit.services import audit_record

pytestmark = pytest.mark.django_db


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_a_failed_sign_in_with_a_control_character_exports(admins: Any, login: Any, reauth: Any) -> None:
    # Created directly: the sign-in form may refuse the name at input; the export must hold whatever is stored.
    audit_record(actor=None, actor_name="probe\x0buser", event=AuditEvent.LOGIN_FAILED, success=False,
                 note="=cmd|' /C calc'!A0\x01")
    client = reauth(login(admins.audit))  # exports of personal data ask for a recent re-authentication
    response = client.get(reverse("audit:log_export_xlsx"))
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(body(response))).active.iter_rows(values_only=True))
    failed = next(r for r in rows[1:] if r[2] == "probeuser")
    assert failed[-1] == "'=cmd|' /C calc'!A0"
    response = client.get(reverse("audit:log_export_csv"))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))
    assert any(r[2] == "probeuser" and r[-1] == "'=cmd|' /C calc'!A0" for r in rows[1:])
