"""Issue 9, defect 6: a unit whose name holds a control character exports (the xlsx export was a
500: openpyxl's IllegalCharacterError); the character is stripped, a formula-like name neutralised."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook

from mofan.org.models import Unit

pytestmark = pytest.mark.django_db


def test_a_unit_named_with_a_control_character_exports(district: Any, admin: Any) -> None:
    # Written directly: forms and the API may refuse the name at input; the export must hold what is stored.
    Unit.objects.filter(pk=district.village_a1.pk).update(name="控制\x01字符")
    Unit.objects.filter(pk=district.village_a2.pk).update(name="=HYPERLINK(\"http://x\")")
    response = admin.get("/org/units/export.xlsx")
    assert response.status_code == 200
    names = {r[0] for r in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)}
    assert "控制字符" in names and "'=HYPERLINK(\"http://x\")" in names
