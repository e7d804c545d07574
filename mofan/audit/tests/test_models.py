"""The audit table is append-only in the database itself: UPDATE and DELETE fail even through raw SQL,
on SQLite and PostgreSQL alike. Rows older than the retention period (183 days) may be deleted, never
updated."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.audit.services import audit_record

pytestmark = pytest.mark.django_db


def recorded(days_ago: int = 0) -> AuditLog:
    moment = timezone.now() - timedelta(days=days_ago)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        return audit_record(actor=None, actor_name="someone", event=AuditEvent.LOGIN_FAILED, success=False,
                            note="original")


def raw(sql: str, *params: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def assert_refused(sql: str, *params: Any) -> None:
    with pytest.raises(DatabaseError) as exc, transaction.atomic():
        raw(sql, *params)
    assert "append-only" in str(exc.value)


def test_raw_sql_update_is_refused() -> None:
    row = recorded()
    assert_refused("UPDATE audit_auditlog SET note = 'forged' WHERE id = %s", row.pk)
    assert_refused("UPDATE audit_auditlog SET success = %s", True)
    row.refresh_from_db()
    assert row.note == "original" and row.success is False


def test_raw_sql_delete_is_refused() -> None:
    row = recorded()
    assert_refused("DELETE FROM audit_auditlog WHERE id = %s", row.pk)
    assert_refused("DELETE FROM audit_auditlog")
    assert AuditLog.objects.filter(pk=row.pk).exists()


def test_orm_update_and_delete_are_refused() -> None:
    row = recorded()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditLog.objects.filter(pk=row.pk).update(note="forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        row.note = "forged"
        row.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditLog.objects.filter(pk=row.pk).delete()
    row.refresh_from_db()
    assert row.note == "original"


def test_emptying_the_table_is_refused() -> None:
    """TRUNCATE on PostgreSQL; SQLite has no TRUNCATE, its equivalent is DELETE without WHERE."""
    recorded()
    assert_refused("TRUNCATE audit_auditlog" if connection.vendor == "postgresql" else "DELETE FROM audit_auditlog")
    assert AuditLog.objects.exists()


def test_rows_past_the_retention_period_can_be_deleted_but_never_updated() -> None:
    old = recorded(days_ago=200)
    young = recorded(days_ago=170)
    assert_refused("UPDATE audit_auditlog SET note = 'forged' WHERE id = %s", old.pk)
    assert_refused("DELETE FROM audit_auditlog WHERE id = %s", young.pk)
    with transaction.atomic():
        raw("DELETE FROM audit_auditlog WHERE id = %s", old.pk)
    assert not AuditLog.objects.filter(pk=old.pk).exists()
    assert AuditLog.objects.filter(pk=young.pk).exists()


def test_retention_purge_through_the_orm_keeps_the_last_183_days() -> None:
    old = [recorded(days_ago=days) for days in (184, 365, 800)]
    kept = recorded(days_ago=180)
    cutoff = timezone.now() - timedelta(days=183)
    with transaction.atomic():
        deleted, _ = AuditLog.objects.filter(at__lt=cutoff).delete()
    assert deleted == len(old)
    assert list(AuditLog.objects.filter(pk__in=[r.pk for r in [*old, kept]])) == [kept]


def test_insert_stays_possible() -> None:
    before = AuditLog.objects.count()
    recorded()
    assert AuditLog.objects.count() == before + 1
