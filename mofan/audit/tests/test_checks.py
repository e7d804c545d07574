"""``check --deploy`` in production: the audit chain's key, and on PostgreSQL the application's role must
neither own the audit table nor be a superuser (mofan.E040–E043)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.db import connection

from mofan.audit import checks

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL roles")


def ids(settings: Any) -> set[str]:
    return {str(e.id) for e in checks.check_audit_trail()}


@pytest.fixture
def production(settings: Any) -> Any:
    settings.MOFAN_PROFILE = "production"
    settings.MOFAN_AUDIT_KEY = "a-real-secret-for-the-audit-chain-0123456789"
    return settings


def test_development_profile_says_nothing(settings: Any) -> None:
    settings.MOFAN_PROFILE = "development"
    assert ids(settings) == set()


def test_development_audit_key_refused_in_production(production: Any) -> None:
    production.MOFAN_AUDIT_KEY = "dev-only-audit-key-change-me"
    assert "mofan.E042" in ids(production)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite has no roles")
def test_sqlite_has_nothing_to_say_about_roles(production: Any) -> None:
    assert checks.audit_table_privileges() is None
    assert ids(production) == set()


@postgres_only
def test_the_test_superuser_owning_the_table_fails(production: Any) -> None:
    found = checks.audit_table_privileges()
    assert found is not None and found["owns"] and found["superuser"]
    assert {"mofan.E040", "mofan.E041"} <= ids(production)


APP_ROLE = "mofan_c_app_check"


@pytest.fixture
def app_connection() -> Iterator[Any]:
    """A second, committed role with only SELECT/INSERT on the audit table (what docs/deploy.md says), and a
    Django connection signed in as it."""
    import psycopg
    from django.db.backends.postgresql.base import DatabaseWrapper

    conf = connection.settings_dict
    admin = psycopg.connect(host=conf["HOST"] or None, port=conf["PORT"] or None, user=conf["USER"],
                            dbname=conf["NAME"], autocommit=True)
    admin.execute(f"DROP OWNED BY {APP_ROLE}") if admin.execute(
        "SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE]).fetchone() else None
    admin.execute(f"DROP ROLE IF EXISTS {APP_ROLE}")
    admin.execute(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER")
    admin.execute(f"GRANT SELECT, INSERT ON audit_auditlog TO {APP_ROLE}")
    wrapper = DatabaseWrapper({**conf, "USER": APP_ROLE, "PASSWORD": ""}, alias="app_role")
    try:
        yield wrapper
    finally:
        wrapper.close()
        admin.execute(f"DROP OWNED BY {APP_ROLE}")
        admin.execute(f"DROP ROLE {APP_ROLE}")
        admin.close()


@postgres_only
def test_an_application_role_that_does_not_own_the_table_passes(production: Any, app_connection: Any) -> None:
    found = checks.audit_table_privileges(app_connection)
    assert found == {"user": APP_ROLE, "superuser": False, "owner": connection.settings_dict["USER"],
                     "owns": False}
    with mock.patch.object(checks, "connection", app_connection):
        assert ids(production) == set()
    # and that role indeed cannot switch the triggers off
    from django.db import DatabaseError

    for sql in ("ALTER TABLE audit_auditlog DISABLE TRIGGER USER", "SET session_replication_role = replica"):
        with pytest.raises(DatabaseError), app_connection.cursor() as cursor:
            cursor.execute(sql)
        app_connection.rollback() if not app_connection.get_autocommit() else None


@postgres_only
def test_a_member_of_the_owner_role_fails(production: Any, app_connection: Any) -> None:
    import psycopg

    conf = connection.settings_dict
    with psycopg.connect(host=conf["HOST"] or None, port=conf["PORT"] or None, user=conf["USER"],
                         dbname=conf["NAME"], autocommit=True) as admin:
        found = admin.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_auditlog'").fetchone()
        assert found is not None
        owner = found[0]
        admin.execute(f'GRANT "{owner}" TO {APP_ROLE}')
    with mock.patch.object(checks, "connection", app_connection):
        assert "mofan.E040" in ids(production)
