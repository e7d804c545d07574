"""The audit table refuses UPDATE and DELETE in the database itself, even through raw SQL.

Rows older than the retention period (MOFAN_AUDIT_RETENTION_DAYS, at least 183 days) may be deleted by
the archive job; nothing can ever be updated.
Reviewed raw SQL: triggers only, one per engine.
"""

from django.db import migrations

SQLITE_UP = [
    """CREATE TRIGGER audit_auditlog_no_update BEFORE UPDATE ON audit_auditlog
       BEGIN SELECT RAISE(ABORT, 'audit trail is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER audit_auditlog_no_delete BEFORE DELETE ON audit_auditlog
       WHEN OLD.at > datetime('now', '-183 days')
       BEGIN SELECT RAISE(ABORT, 'audit trail is append-only: DELETE refused'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_auditlog_no_update",
    "DROP TRIGGER IF EXISTS audit_auditlog_no_delete",
]
POSTGRES_UP = [
    """CREATE OR REPLACE FUNCTION audit_auditlog_refuse() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'DELETE' THEN
           IF OLD.at < now() - interval '183 days' THEN
             RETURN OLD;
           END IF;
         END IF;
         RAISE EXCEPTION 'audit trail is append-only: % refused', TG_OP;
       END;
       $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_auditlog_no_update BEFORE UPDATE OR DELETE ON audit_auditlog
       FOR EACH ROW EXECUTE FUNCTION audit_auditlog_refuse()""",
    """CREATE TRIGGER audit_auditlog_no_truncate BEFORE TRUNCATE ON audit_auditlog
       FOR EACH STATEMENT EXECUTE FUNCTION audit_auditlog_refuse()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS audit_auditlog_no_update ON audit_auditlog",
    "DROP TRIGGER IF EXISTS audit_auditlog_no_truncate ON audit_auditlog",
    "DROP FUNCTION IF EXISTS audit_auditlog_refuse()",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, None)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        )
    ]
