"""Chain the audit trail by HMAC-SM3 (docs/adr/0013-chain-the-audit-trail-with-hmac-sm3.md).

1. The append-only triggers of 0002 are dropped for the length of this migration: the rows already there
   are sealed by UPDATE, and on SQLite adding the columns rebuilds the table (which drops its triggers).
2. Columns ``seq`` (chain position), ``prev_mac`` and ``mac``; the chain head; the record of verify runs.
3. The rows already there are sealed in id order with the key of this deployment (``MOFAN_AUDIT_KEY``),
   and the head set to the last of them.
4. The triggers of 0002 come back, and on SQLite one more: a BEFORE INSERT trigger that refuses a row whose
   id or seq exists already, which stops ``INSERT OR REPLACE`` and UPSERT from rewriting a row (REPLACE deletes
   the old row without firing the DELETE trigger).

Reviewed raw SQL: triggers only, and the UPDATE that seals the existing rows.
"""

import django.utils.timezone
from django.db import migrations, models

from mofan.audit import chain

# The triggers of 0002, as they are there (imported, so both migrations say the same).
_0002 = __import__("mofan.audit.migrations.0002_append_only_triggers", fromlist=["SQLITE_UP"])

SQLITE_INSERT_GUARD = """CREATE TRIGGER audit_auditlog_no_replace BEFORE INSERT ON audit_auditlog
    WHEN EXISTS (SELECT 1 FROM audit_auditlog WHERE id = NEW.id OR seq = NEW.seq)
    BEGIN SELECT RAISE(ABORT, 'audit trail is append-only: INSERT onto an existing record refused'); END"""

TRIGGERS_DOWN = {
    "sqlite": [*_0002.SQLITE_DOWN, "DROP TRIGGER IF EXISTS audit_auditlog_no_replace"],
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_auditlog_no_update ON audit_auditlog",
        "DROP TRIGGER IF EXISTS audit_auditlog_no_truncate ON audit_auditlog",
    ],
}
TRIGGERS_UP = {
    "sqlite": [*_0002.SQLITE_UP, SQLITE_INSERT_GUARD],
    "postgresql": [sql for sql in _0002.POSTGRES_UP if "CREATE TRIGGER" in sql],
}
TRIGGERS_UP_0002 = {  # what 0003 left, for going back
    "sqlite": _0002.SQLITE_UP,
    "postgresql": [sql for sql in _0002.POSTGRES_UP if "CREATE TRIGGER" in sql],
}


def _run(statements):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, None)

    return run


def seal_existing(apps, schema_editor):
    """Seal every row in id order, in chunks (constant memory), and set the head."""
    AuditLog = apps.get_model("audit", "AuditLog")
    AuditChainHead = apps.get_model("audit", "AuditChainHead")
    fields = ("id", *chain.SEALED_FIELDS)
    seq, prev_mac, after = 0, "", 0
    with schema_editor.connection.cursor() as cursor:
        while True:
            rows = list(AuditLog.objects.filter(id__gt=after).order_by("id").values(*fields)[: chain.CHUNK])
            params = []
            for row in rows:
                seq += 1
                mac = chain.seal(row, prev_mac)
                params.append((seq, prev_mac, mac, row["id"]))
                prev_mac = mac
            if params:
                cursor.executemany("UPDATE audit_auditlog SET seq = %s, prev_mac = %s, mac = %s WHERE id = %s", params)
            if len(rows) < chain.CHUNK:
                break
            after = rows[-1]["id"]
    AuditChainHead.objects.update_or_create(pk=1, defaults={"seq": seq, "mac": prev_mac})


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_lookup_indexes")]

    operations = [
        migrations.RunPython(_run(TRIGGERS_DOWN), _run(TRIGGERS_UP_0002)),
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seq", models.BigIntegerField(default=0)),
                ("mac", models.CharField(blank=True, max_length=64)),
                ("purged_through", models.BigIntegerField(default=0)),
                ("purged_mac", models.CharField(blank=True, max_length=64)),
            ],
        ),
        migrations.CreateModel(
            name="AuditVerifyRun",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("started", models.DateTimeField(default=django.utils.timezone.now,
                                                 verbose_name="started")),
                ("finished", models.DateTimeField(blank=True, null=True, verbose_name="finished")),
                ("ok", models.BooleanField(null=True, verbose_name="intact")),
                ("checked", models.BigIntegerField(default=0, verbose_name="records checked")),
                ("first_bad_seq", models.BigIntegerField(blank=True, null=True, verbose_name="first bad position")),
                ("first_bad_id", models.BigIntegerField(blank=True, null=True)),
                ("kind", models.CharField(blank=True, max_length=20)),
                ("message", models.CharField(blank=True, max_length=500, verbose_name="message")),
                ("started_by", models.CharField(blank=True, max_length=150, verbose_name="started by")),
            ],
            options={"verbose_name": "audit chain verification", "ordering": ["-id"]},
        ),
        migrations.AddField("auditlog", "seq", models.BigIntegerField(null=True, editable=False)),
        migrations.AddField("auditlog", "prev_mac", models.CharField(blank=True, default="", editable=False,
                                                                     max_length=64),
                            preserve_default=False),
        migrations.AddField("auditlog", "mac", models.CharField(default="", editable=False, max_length=64),
                            preserve_default=False),
        migrations.AlterField(
            "auditlog", "at",
            models.DateTimeField(db_index=True, default=django.utils.timezone.now,
                                 editable=False, verbose_name="time"),
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop),
        migrations.AlterField(
            "auditlog", "seq",
            models.BigIntegerField(editable=False, unique=True, verbose_name="chain position"),
        ),
        migrations.RunPython(_run(TRIGGERS_UP), _run(TRIGGERS_DOWN)),
    ]
