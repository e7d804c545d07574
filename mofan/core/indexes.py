"""Index shapes shared by the models."""

from __future__ import annotations

from typing import Any

from django.db import models


class CoveringIndex(models.Index):
    """An index with INCLUDE columns that covers the same queries on every engine: where the database has no
    INCLUDE (SQLite) the included columns become trailing key columns, so an index-only count stays
    index-only there too. PostgreSQL keeps them out of the key, so the planner's estimates for the key
    columns (and so its choice between walking the ids and scanning the index) do not change (ADR 0009)."""

    def create_sql(self, model: Any, schema_editor: Any, using: str = "", **kwargs: Any) -> Any:
        if not self.include or schema_editor.connection.features.supports_covering_indexes:
            return super().create_sql(model, schema_editor, using=using, **kwargs)
        keyed = models.Index(fields=[*self.fields, *self.include], name=self.name, db_tablespace=self.db_tablespace,
                             condition=self.condition)
        return keyed.create_sql(model, schema_editor, using=using, **kwargs)
