"""CoveringIndex covers the same columns on every engine."""

from __future__ import annotations

import pytest
from django.db import connection

from mofan.cases.models import Case
from mofan.core.indexes import CoveringIndex

pytestmark = pytest.mark.django_db


def create_sql(index: CoveringIndex) -> str:
    editor = connection.SchemaEditorClass(connection, collect_sql=True)  # not entered: only renders SQL
    return str(index.create_sql(Case, editor))


def test_included_columns_are_covered_on_this_engine() -> None:
    index = CoveringIndex(fields=["state", "centre_path"], name="test_cover_idx", include=["id", "due_at"])
    sql = create_sql(index)
    key, _, included = sql.partition("INCLUDE")
    if connection.features.supports_covering_indexes:  # PostgreSQL: the key stays (state, centre_path)
        assert '"due_at"' in included and '"due_at"' not in key
    else:  # SQLite: the included columns trail the key
        assert not included
        assert key.index('"centre_path"') < key.index('"id"') < key.index('"due_at"')


def test_without_include_it_is_a_plain_index() -> None:
    index = CoveringIndex(fields=["state"], name="test_plain_idx")
    assert "INCLUDE" not in create_sql(index)
