"""Control characters in an imported file (found by tests/fuzz/test_importers.py): a cell holding one is
refused with its row, column and a clear message, and nothing is written; the report itself never carries
one (it is stored as JSON, and PostgreSQL refuses NUL there)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from mofan.accounts.roles import Role
from mofan.core.validators import CONTROL_CHARACTERS, control_character_message
from mofan.org.importers import (
    PEOPLE_COLUMNS,
    PEOPLE_SHEET,
    UNIT_COLUMNS,
    UNIT_SHEET,
    ImportRejected,
    RowError,
    import_people,
    import_units,
)
from mofan.org.models import Person, Unit

pytestmark = pytest.mark.django_db


def raw_xlsx(columns: tuple[str, ...], rows: list[list[Any]], sheet: str) -> SimpleUploadedFile:
    """An xlsx written by openpyxl directly: C1 characters and DEL are legal XML, so a workbook can hold them."""
    workbook = Workbook()
    worksheet = workbook.active
    assert worksheet is not None
    worksheet.title = sheet
    worksheet.append(list(columns))
    for row in rows:
        worksheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("import.xlsx", buffer.getvalue())


@pytest.fixture
def admin(district: Any, make_user: Any) -> Any:
    return make_user(Role.SYSTEM_ADMIN, district.district, username="sysadmin")


def test_a_unit_name_with_a_control_character_is_refused(district: Any, admin: Any) -> None:
    before = Unit.objects.count()
    upload = raw_xlsx(UNIT_COLUMNS, [["测试区/甲镇", "新\x85村", "村", ""], ["测试区/甲镇", "好村", "村", ""]],
                      UNIT_SHEET)
    with pytest.raises(ImportRejected) as refused:
        import_units(actor=admin, file=upload)
    assert [(e.row, e.column, e.message) for e in refused.value.report] == [
        (2, "名称", control_character_message("U+0085"))]
    assert refused.value.report[0].value == "新村"  # shown without the character
    assert Unit.objects.count() == before


def test_a_person_with_a_control_character_is_refused(district: Any, admin: Any) -> None:
    upload = raw_xlsx(PEOPLE_COLUMNS, [["张三", "男", "", "", "否", "书记\x9b", "测试区/甲镇/村一"]], PEOPLE_SHEET)
    with pytest.raises(ImportRejected) as refused:
        import_people(actor=admin, file=upload)
    assert [(e.row, e.column, e.message) for e in refused.value.report] == [
        (2, "职务", control_character_message("U+009B"))]
    assert not Person.objects.exists()


def test_a_report_line_never_carries_a_control_character() -> None:
    line = RowError(3, "列\x00", "值\x00\x1b", "消息\x7f")
    assert line.as_dict() == {"row": 3, "column": "列", "value": "值", "message": "消息"}
    assert not any(CONTROL_CHARACTERS.search(str(v)) for v in line.as_dict().values())
