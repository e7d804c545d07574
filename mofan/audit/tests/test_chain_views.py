"""A broken audit chain is an alert on the audit administrator's page and in the API; the audit
administrator can verify the chain from the page; the runs are audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from mofan.audit import chain
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog, AuditVerifyRun
from mofan.audit.services import audit_record, verify_run

pytestmark = pytest.mark.django_db


def tamper() -> AuditLog:
    rows = [audit_record(actor=None, actor_name=f"u{i}", event=AuditEvent.LOGIN_FAILED, success=False)
            for i in range(5)]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER audit_auditlog_no_update")
            cursor.execute("UPDATE audit_auditlog SET actor_name = 'nobody' WHERE id = %s", [rows[2].pk])
        else:
            cursor.execute("SET session_replication_role = replica")
            cursor.execute("UPDATE audit_auditlog SET actor_name = 'nobody' WHERE id = %s", [rows[2].pk])
            cursor.execute("SET session_replication_role = DEFAULT")
    return rows[2]


def test_a_failed_verification_is_an_alert_on_the_page_and_in_the_api(admins: Any, login: Any) -> None:
    client = login(admins.audit)
    page = client.get(reverse("audit:log_list")).content.decode()
    assert 'id="chain-alert"' not in page and "Verify the chain now" in page
    row = tamper()
    run = verify_run(started_by="schedule")
    assert run.ok is False and run.kind == chain.ALTERED and run.first_bad_seq == row.seq
    response = client.get(reverse("audit:log_list"))
    page = response.content.decode()
    assert 'id="chain-alert"' in page and "Alert: the audit trail has been tampered with." in page
    assert f"first altered record at chain position {row.seq}" in page and f"Record No. {row.pk}." in page
    api = client.get("/api/audit/chain/").json()
    assert api["alert"] is True and api["last_run"]["first_bad_seq"] == row.seq
    assert api["last_run"]["kind"] == "altered" and api["last_run"]["ok"] is False


def test_an_intact_chain_shows_no_alert(admins: Any, login: Any) -> None:
    verify_run(started_by="schedule")
    client = login(admins.audit)
    page = client.get(reverse("audit:log_list")).content.decode()
    assert 'id="chain-alert"' not in page and "Audit chain intact" in page
    assert client.get("/api/audit/chain/").json()["alert"] is False


def test_the_audit_admin_verifies_from_the_page_and_it_is_audited(admins: Any, login: Any) -> None:
    client = login(admins.audit)
    response = client.post(reverse("audit:chain_verify"), follow=True)
    assert response.status_code == 200 and "The audit chain is intact" in response.content.decode()
    run = AuditVerifyRun.objects.get()
    assert run.ok and run.started_by == admins.audit.username
    record = AuditLog.objects.filter(event_id=AuditEvent.AUDIT_CHAIN_VERIFIED.id).get()
    assert record.actor == admins.audit and record.success and record.target_id == str(run.pk)
    tamper()
    response = client.post(reverse("audit:chain_verify"), follow=True)
    assert "The audit chain is broken" in response.content.decode()
    assert 'id="chain-alert"' in response.content.decode()
    api = client.post("/api/audit/chain/verify/")
    assert api.status_code == 200 and api.json()["ok"] is False and api.json()["kind"] == "altered"


@pytest.mark.parametrize("who", ["system", "security"])
def test_only_the_audit_admin_starts_a_verification(admins: Any, login: Any, who: str) -> None:
    client = login(getattr(admins, who))
    assert client.post(reverse("audit:chain_verify")).status_code == 403
    assert client.post("/api/audit/chain/verify/").status_code == 403
    assert client.get("/api/audit/chain/").status_code == 403
    assert not AuditVerifyRun.objects.exists()


def test_verification_is_scheduled(settings: Any) -> None:
    from mofan.audit import middleware, tasks

    assert settings.CELERY_BEAT_SCHEDULE["audit-verify"]["task"] == tasks.verify_task.name == "mofan.audit.verify"
    assert "mofan.audit.middleware.VerifyAfterResponseMiddleware" in settings.MIDDLEWARE
    assert middleware.verify_due()
    assert tasks.verify_task() is True
    assert not middleware.verify_due()
    assert AuditVerifyRun.objects.get().started_by == "schedule"


def test_embedded_profile_verifies_after_a_response(settings: Any, admins: Any, login: Any) -> None:
    from mofan.audit import middleware

    settings.MOFAN_SWEEP_IN_REQUESTS = True
    middleware.reset_throttle()
    try:
        login(admins.system).get(reverse("core:home"))
        assert AuditVerifyRun.objects.filter(started_by="schedule", ok=True).count() == 1
        login(admins.system).get(reverse("core:home"))  # throttled, and not due anyway
        assert AuditVerifyRun.objects.count() == 1
    finally:
        middleware.reset_throttle()
