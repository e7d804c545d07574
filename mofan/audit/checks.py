"""``mofan check --deploy`` for the audit trail (ids mofan.E040–E049).

In production the audit chain needs its own secret key, and on PostgreSQL the application must run as a role
that neither owns the audit table (an owner can ``ALTER TABLE … DISABLE TRIGGER``) nor is a superuser (who can
``SET session_replication_role = replica``): either would let the application's credentials bypass the
append-only triggers. docs/deploy.md shows the two roles. SQLite has no roles: nothing to say there.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.db import DatabaseError, connection

AUDIT_TABLE = "audit_auditlog"
DEV_AUDIT_KEY_PREFIX = "dev-only"


def audit_table_privileges(conn: Any = None) -> dict[str, Any] | None:
    """On PostgreSQL: who the connection runs as, whether it is a superuser, and whether it owns (or is a
    member of the role that owns) the audit table. ``None`` on other engines or when the table is missing."""
    conn = conn if conn is not None else connection
    if conn.vendor != "postgresql":
        return None
    with conn.cursor() as cursor:
        cursor.execute(
            """SELECT current_user, r.rolsuper, t.tableowner, pg_has_role(current_user, t.tableowner, 'MEMBER')
                 FROM pg_tables t JOIN pg_roles r ON r.rolname = current_user
                WHERE t.tablename = %s AND t.schemaname = current_schema()""",
            [AUDIT_TABLE],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return {"user": row[0], "superuser": bool(row[1]), "owner": row[2], "owns": bool(row[3])}


@register(Tags.security, deploy=True)
def check_audit_trail(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if getattr(settings, "MOFAN_PROFILE", "") != "production":
        return []
    errors: list[CheckMessage] = []
    if str(getattr(settings, "MOFAN_AUDIT_KEY", "")).startswith(DEV_AUDIT_KEY_PREFIX):
        errors.append(Error("MOFAN_AUDIT_KEY must be set to a secret in production (it seals the audit chain).",
                            id="mofan.E042"))
    try:
        found = audit_table_privileges()
    except DatabaseError as exc:
        return [*errors, Error(f"Could not read who owns the audit table: {exc}", id="mofan.E043")]
    if found is None:
        return errors
    if found["owns"]:
        errors.append(Error(
            f"The application's database role {found['user']!r} owns the audit table (owner {found['owner']!r}) and "
            "could switch its append-only triggers off.",
            hint="Run migrations as the owner role and the application as a role with only SELECT/INSERT on it "
                 "(docs/deploy.md).", id="mofan.E040"))
    if found["superuser"]:
        errors.append(Error(
            f"The application's database role {found['user']!r} is a superuser and could bypass the audit "
            "table's triggers.", hint="docs/deploy.md", id="mofan.E041"))
    return errors
