"""A category name with a control character (found by tests/fuzz/test_importers.py) is refused, with its row
and column, and nothing is written."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from mofan.accounts.roles import Role
from mofan.cases import categories
from mofan.cases.models import Category
from mofan.core.validators import control_character_message
from mofan.org.importers import ImportRejected

pytestmark = pytest.mark.django_db


def test_a_category_with_a_control_character_is_refused(gov: Any, make_user: Any) -> None:
    admin = make_user(Role.SYSTEM_ADMIN, gov.d.district, username="sysadmin")
    workbook = Workbook()
    worksheet = workbook.active
    assert worksheet is not None
    worksheet.title = categories.SHEET
    for row in (list(categories.COLUMNS), ["城乡建设", "市政\x85设施", "", ""], ["矛盾纠纷", "", "", ""]):
        worksheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(ImportRejected) as refused:
        categories.import_catalogue(actor=admin, file=SimpleUploadedFile("分类.xlsx", buffer.getvalue()))
    assert [(e.row, e.column, e.message) for e in refused.value.report] == [
        (2, categories.LEVEL2, control_character_message("U+0085"))]
    assert not Category.objects.exists()
