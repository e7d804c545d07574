"""The audit trail is chained by HMAC-SM3: ``mofan audit verify`` finds a record changed, deleted, inserted or
moved directly in the database (around the append-only triggers), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from mofan.audit import chain, services
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditChainHead, AuditLog, AuditVerifyRun
from mofan.audit.services import audit_record, chain_verify

pytestmark = pytest.mark.django_db


def write(n: int) -> list[AuditLog]:
    return [audit_record(actor=None, actor_name=f"user{i}", event=AuditEvent.LOGIN_FAILED, success=False,
                         new={"z": i, "a": [1, "二"], "nested": {"b": 1.5, "a": None}}, note=f"n{i}")
            for i in range(n)]


def raw(sql: str, *params: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@contextmanager
def triggers_off() -> Iterator[None]:
    """What an attacker with the database's own powers does: on SQLite drop the triggers (inside the test's
    transaction, so they come back at its end), on PostgreSQL switch triggers off for the session."""
    if connection.vendor == "sqlite":
        for name in ("audit_auditlog_no_update", "audit_auditlog_no_delete", "audit_auditlog_no_replace"):
            raw(f"DROP TRIGGER IF EXISTS {name}")
        yield
    else:
        raw("SET session_replication_role = replica")
        try:
            yield
        finally:
            raw("SET session_replication_role = DEFAULT")


def test_chain_is_intact_and_gapless_after_many_writes() -> None:
    rows = write(120)
    result = chain_verify()
    assert result.ok, result
    head = AuditChainHead.objects.get(pk=1)
    assert head.seq == rows[-1].seq and head.mac == rows[-1].mac
    stored = list(AuditLog.objects.order_by("seq").values_list("seq", "prev_mac", "mac"))
    assert [s for s, _p, _m in stored] == list(range(stored[0][0], stored[0][0] + len(stored)))
    assert all(stored[i][1] == stored[i - 1][2] for i in range(1, len(stored)))
    assert result.checked == len(stored)


def test_a_rolled_back_write_gives_its_position_back() -> None:
    from django.db import transaction

    first = write(1)[0]
    with pytest.raises(RuntimeError), transaction.atomic():
        write(1)
        raise RuntimeError
    again = write(1)[0]
    assert again.seq == first.seq + 1 and again.prev_mac == first.mac
    assert chain_verify().ok


def test_the_key_matters() -> None:
    write(3)
    assert chain_verify().ok
    result = chain.verify(key_material="another key")
    assert not result.ok and result.kind == chain.ALTERED


def expect_broken(kind: str, seq: int) -> None:
    result = chain_verify()
    assert (result.ok, result.kind, result.first_bad_seq) == (False, kind, seq), result
    with pytest.raises(CommandError) as exc:
        call_command("audit", "verify")
    assert exc.value.returncode == 1 and f"first {kind} record at seq {seq}" in str(exc.value)
    run = AuditVerifyRun.objects.latest("id")
    assert run.ok is False and run.kind == kind and run.first_bad_seq == seq


def test_verify_command_passes_on_an_intact_chain(capsys: Any) -> None:
    write(5)
    call_command("audit", "verify")
    assert "audit chain intact" in capsys.readouterr().out
    run = AuditVerifyRun.objects.latest("id")
    assert run.ok is True and run.finished is not None and run.started_by == "mofan audit verify"
    row = AuditLog.objects.latest("seq")
    assert row.event_id == AuditEvent.AUDIT_CHAIN_VERIFIED.id and row.success and row.target_id == str(run.pk)


def test_a_row_changed_in_the_database_is_found() -> None:
    rows = write(10)
    with triggers_off():
        raw("UPDATE audit_auditlog SET note = 'forged' WHERE id = %s", rows[4].pk)
    expect_broken(chain.ALTERED, rows[4].seq)


def test_a_changed_json_value_is_found() -> None:
    rows = write(4)
    with triggers_off():
        raw("UPDATE audit_auditlog SET new_values = %s WHERE id = %s", '{"z": 99}', rows[2].pk)
    expect_broken(chain.ALTERED, rows[2].seq)


def test_a_deleted_row_is_found() -> None:
    rows = write(10)
    with triggers_off():
        raw("DELETE FROM audit_auditlog WHERE id = %s", rows[3].pk)
    expect_broken(chain.MISSING, rows[3].seq)


def test_a_deleted_row_with_the_later_ones_renumbered_is_found() -> None:
    rows = write(6)
    with triggers_off():
        raw("DELETE FROM audit_auditlog WHERE id = %s", rows[2].pk)
        for row in rows[3:]:
            raw("UPDATE audit_auditlog SET seq = seq - 1 WHERE id = %s", row.pk)
        raw("UPDATE audit_auditchainhead SET seq = seq - 1")
    expect_broken(chain.MISSING, rows[2].seq)


def test_the_last_rows_deleted_are_found() -> None:
    rows = write(5)
    with triggers_off():
        raw("DELETE FROM audit_auditlog WHERE id >= %s", rows[3].pk)
    expect_broken(chain.MISSING, rows[3].seq)


def test_an_inserted_row_is_found() -> None:
    rows = write(5)
    last = rows[-1]
    with triggers_off():
        raw("""INSERT INTO audit_auditlog (at, actor_name, event_id, event_name, success, target_type, target_id,
               target_repr, unit_path, note, seq, prev_mac, mac)
               VALUES (%s, 'ghost', 100, 'accounts.session.login', %s, '', '', '', '', '', %s, %s, %s)""",
            last.at, True, last.seq + 1, last.mac, "0" * 64)
    expect_broken(chain.INSERTED, last.seq + 1)


def test_a_row_inserted_in_the_middle_is_found() -> None:
    rows = write(5)
    with triggers_off():
        for row in reversed(rows[2:]):
            raw("UPDATE audit_auditlog SET seq = seq + 1 WHERE id = %s", row.pk)
        raw("""INSERT INTO audit_auditlog (at, actor_name, event_id, event_name, success, target_type, target_id,
               target_repr, unit_path, note, seq, prev_mac, mac)
               VALUES (%s, 'ghost', 100, 'accounts.session.login', %s, '', '', '', '', '', %s, %s, %s)""",
            rows[1].at, True, rows[2].seq, rows[1].mac, "0" * 64)
    result = chain_verify()
    assert (result.ok, result.kind, result.first_bad_seq) == (False, chain.INSERTED, rows[2].seq), result


def test_two_rows_swapped_are_found() -> None:
    rows = write(6)
    a, b = rows[2], rows[3]
    with triggers_off():
        raw("UPDATE audit_auditlog SET seq = -1 WHERE id = %s", a.pk)
        raw("UPDATE audit_auditlog SET seq = %s WHERE id = %s", a.seq, b.pk)
        raw("UPDATE audit_auditlog SET seq = %s WHERE id = %s", b.seq, a.pk)
    expect_broken(chain.REORDERED, a.seq)


def test_rows_written_before_the_chain_are_sealed_by_the_migration() -> None:
    """Migration 0004 seals the rows already there in id order; here the seal runs again over rows whose
    chain columns were wiped."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("mofan.audit.migrations.0004_chain")
    write(4)
    with triggers_off():
        raw("UPDATE audit_auditlog SET seq = -id, prev_mac = '', mac = ''")
    assert not chain_verify().ok

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection  # type: ignore[attr-defined]
    with triggers_off():
        migration.seal_existing(apps, editor)
    result = chain_verify()
    assert result.ok and result.checked == AuditLog.objects.count()
    assert list(AuditLog.objects.order_by("seq").values_list("id", flat=True)) == list(
        AuditLog.objects.order_by("id").values_list("id", flat=True))


def test_purge_moves_the_start_of_the_chain(settings: Any) -> None:
    from datetime import timedelta
    from unittest import mock

    from django.utils import timezone

    settings.MOFAN_AUDIT_RETENTION_DAYS = 183
    old_moment = timezone.now() - timedelta(days=400)
    with mock.patch("django.utils.timezone.now", return_value=old_moment):
        old = write(3)
    young = write(2)
    assert services.purge_expired() >= len(old)
    assert not AuditLog.objects.filter(pk__in=[r.pk for r in old]).exists()
    head = AuditChainHead.objects.get(pk=1)
    assert head.purged_through == old[-1].seq and head.purged_mac == old[-1].mac
    assert AuditLog.objects.filter(pk__in=[r.pk for r in young]).count() == 2
    assert chain_verify().ok
    assert AuditLog.objects.latest("seq").event_id == AuditEvent.AUDIT_CHAIN_PURGED.id
    assert services.purge_expired() == 0


# SQLite: no rewriting through INSERT OR REPLACE / UPSERT ---------------------------------------------------

sqlite_only = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite statements")

COLUMNS = "(id, at, actor_name, event_id, event_name, success, target_type, target_id, target_repr, unit_path, note, seq, prev_mac, mac)"


def assert_refused(sql: str, *params: Any) -> None:
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError) as exc, transaction.atomic():
        raw(sql, *params)
    assert "append-only" in str(exc.value)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite statements")
def test_sqlite_refuses_insert_or_replace_and_upsert_on_an_existing_row() -> None:
    rows = write(3)
    target = rows[1]
    values = "(%s, '2020-01-01 00:00:00', 'forger', 100, 'x', 1, '', '', '', '', 'forged', %s, '', '')"
    assert_refused(f"INSERT OR REPLACE INTO audit_auditlog {COLUMNS} VALUES {values}", target.pk, 10_000)
    assert_refused(f"REPLACE INTO audit_auditlog {COLUMNS} VALUES {values}", target.pk, 10_000)
    assert_refused(f"INSERT INTO audit_auditlog {COLUMNS} VALUES {values} ON CONFLICT (id) DO UPDATE SET note = "
                   "'forged', at = '2020-01-01 00:00:00'", target.pk, 10_000)
    # a REPLACE through the seq (a new id, an existing position) would delete the row of that position
    assert_refused(f"INSERT OR REPLACE INTO audit_auditlog {COLUMNS} VALUES {values}", 10_000, target.seq)
    target.refresh_from_db()
    assert target.note == "n1" and target.actor_name == "user1"
    # so the backdate-then-delete route is closed too
    assert_refused("DELETE FROM audit_auditlog WHERE id = %s", target.pk)
    assert chain_verify().ok


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite statements")
def test_sqlite_refuses_upsert_of_a_row_onto_itself_before_it_was_refused() -> None:
    """The defect as reported: INSERT OR REPLACE rewrote row 5 (this test fails without the INSERT trigger)."""
    write(6)
    target = AuditLog.objects.order_by("id")[4]
    assert_refused(f"INSERT OR REPLACE INTO audit_auditlog {COLUMNS} VALUES "
                   "(%s, '2020-01-01 00:00:00', 'forger', 100, 'x', 1, '', '', '', '', 'forged', %s, %s, %s)",
                   target.pk, target.seq, target.prev_mac, target.mac)
    assert AuditLog.objects.get(pk=target.pk).note == target.note


def test_the_benchmark_runs_and_leaves_the_chain_intact() -> None:
    from bench import runner

    result = runner.run_here("audit_chain", 30)
    metrics = result["metrics"]
    assert metrics["audit_record_queries"] > metrics["plain_insert_queries"] >= 1
    assert metrics["verify_per_s"] > 0 and "concurrent_per_s" not in metrics  # no threads inside a test
    assert chain_verify().ok


@pytest.mark.parametrize("ip", ["2001:DB8:0:0:0:0:0:1", "::ffff:10.0.0.1", "192.168.1.20"])
def test_what_the_database_gives_back_still_verifies(ip: str) -> None:
    """Addresses are stored normalised and JSON comes back reordered (PostgreSQL jsonb): the mac is of the
    values as read back."""
    from mofan.audit.context import RequestContext, reset_context, set_context

    token = set_context(RequestContext(ip=ip, user_agent="test"))
    try:
        audit_record(actor=None, actor_name="名字", event=AuditEvent.USER_UPDATED, note="备注\u00e9",
                     old={"z": 1.5, "a": {"y": [3, 2, 1], "b": None}, "长": "值"}, new={"n": 10 ** 15})
    finally:
        reset_context(token)
    assert chain_verify().ok


def test_upsert_onto_an_existing_row_is_refused_on_both_engines() -> None:
    """``INSERT … ON CONFLICT DO UPDATE`` backdating a record (to make it deletable) is refused: by the INSERT
    trigger on SQLite, by the UPDATE trigger on PostgreSQL; the record then cannot be deleted either."""
    target = write(2)[0]
    assert_refused(f"INSERT INTO audit_auditlog {COLUMNS} VALUES "
                   "(%s, %s, 'forger', 100, 'x', %s, '', '', '', '', 'forged', %s, '', '') "
                   "ON CONFLICT (id) DO UPDATE SET at = %s, note = 'forged'",
                   target.pk, target.at, True, 10_000, "2020-01-01 00:00:00+00:00")
    assert_refused("DELETE FROM audit_auditlog WHERE id = %s", target.pk)
    target.refresh_from_db()
    assert target.note == "n0" and target.at.year != 2020
    assert chain_verify().ok
