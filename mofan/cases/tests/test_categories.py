"""The category catalogue: xlsx template, import (all-or-nothing, per-row errors), export, list page."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from mofan.accounts.roles import Role
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.cases import categories
from mofan.cases.models import Category
from mofan.core.xlsx import write_xlsx
from mofan.org.importers import ImportRejected
from mofan.org.models import Unit

pytestmark = pytest.mark.django_db

ROWS = [
    ["城乡建设", "市政设施", "路灯损坏", "SFJ-01"],
    ["城乡建设", "市政设施", "井盖缺失", ""],
    ["城乡建设", "市容环境", "", "CGJ-01"],
    ["矛盾纠纷", "劳动纠纷", "拖欠工资", "SFJ-01"],
    ["矛盾纠纷", "", "", ""],
]


def xlsx(rows: list[list[Any]], columns: tuple[str, ...] = categories.COLUMNS, name: str = "分类.xlsx") -> Any:
    return SimpleUploadedFile(name, write_xlsx(columns, rows, title=categories.SHEET))


@pytest.fixture
def admin(gov: Any, make_user: Any) -> Any:
    Unit.objects.filter(pk=gov.justice.pk).update(code="SFJ-01")
    Unit.objects.filter(pk=gov.urban.pk).update(code="CGJ-01")
    return make_user(Role.SYSTEM_ADMIN, gov.d.district, username="sysadmin")


def names(category: Category) -> str:
    return categories.category_label(category, "/")


def test_import_builds_the_three_levels_with_default_departments(gov: Any, admin: Any) -> None:
    result = categories.import_catalogue(actor=admin, file=xlsx(ROWS))
    assert (result.created, result.rows) == (8, 5)
    assert sorted(names(c) for c in Category.objects.all()) == [
        "城乡建设", "城乡建设/市容环境", "城乡建设/市政设施", "城乡建设/市政设施/井盖缺失", "城乡建设/市政设施/路灯损坏",
        "矛盾纠纷", "矛盾纠纷/劳动纠纷", "矛盾纠纷/劳动纠纷/拖欠工资",
    ]
    lamp = Category.objects.get(name="路灯损坏")
    assert (lamp.level, lamp.default_department_id) == (3, gov.justice.pk)
    assert Category.objects.get(name="市容环境").default_department_id == gov.urban.pk
    audit = AuditLog.objects.filter(event_id=AuditEvent.CATEGORY_IMPORTED.id)
    assert audit.count() == 1
    assert (audit.get().new_values or {})["created"] == 8


def test_import_merges_with_the_catalogue(gov: Any, admin: Any) -> None:
    categories.import_catalogue(actor=admin, file=xlsx(ROWS))
    Category.objects.filter(name="井盖缺失").update(is_active=False)
    result = categories.import_catalogue(actor=admin, file=xlsx([
        ["城乡建设", "市政设施", "路灯损坏", "CGJ-01"],  # new default department
        ["城乡建设", "市政设施", "井盖缺失", ""],  # opened again
        ["城乡建设", "市政设施", "道路破损", ""],  # new
    ]))
    assert (result.created, result.updated) == (1, 2)
    assert Category.objects.count() == 9
    assert Category.objects.get(name="路灯损坏").default_department_id == gov.urban.pk
    assert Category.objects.get(name="井盖缺失").is_active


def test_bad_rows_are_all_reported_and_nothing_is_written(gov: Any, admin: Any) -> None:
    bad = [
        ["城乡建设", "市政设施", "路灯损坏", "NOPE"],  # unknown department
        ["", "市政设施", "井盖缺失", ""],  # no first level
        ["矛盾纠纷", "", "拖欠工资", ""],  # third level without second
        ["城乡建设", "市政设施", "路灯损坏", ""],  # the same category twice (row 2 already names it)
        ["城乡建设", "a/b", "", ""],  # a slash in a name
        ["城乡建设", "x" * 101, "", ""],
        ["综合", "法律服务", "", gov.d.village_a1.code or "150000"],  # an area is not a department
    ]
    with pytest.raises(ImportRejected) as caught:
        categories.import_catalogue(actor=admin, file=xlsx(bad))
    report = [(e.row, e.column) for e in caught.value.report]
    assert report == [(2, "默认部门"), (3, "一级分类"), (4, "二级分类"), (5, "三级分类"), (6, "二级分类"),
                      (7, "二级分类"), (8, "默认部门")]
    assert caught.value.report[0].message == _(
        "Unknown department: no open organ, department or centre has this code.")
    assert not Category.objects.exists()
    assert not AuditLog.objects.filter(event_id=AuditEvent.CATEGORY_IMPORTED.id).exists()


def test_a_file_that_is_not_the_template_is_refused(gov: Any, admin: Any) -> None:
    with pytest.raises(ImportRejected) as caught:
        categories.import_catalogue(actor=admin, file=xlsx([["a", "b"]], columns=("名称", "类型")))
    assert caught.value.report[0].row is None
    with pytest.raises(ImportRejected):
        categories.import_catalogue(actor=admin, file=SimpleUploadedFile("x.xlsx", b"not a workbook"))
    assert not Category.objects.exists()


def test_only_the_catalogue_role_over_the_district_imports(gov: Any, make_user: Any) -> None:
    town_admin = make_user(Role.SYSTEM_ADMIN, gov.d.town_a)
    for actor in (gov.district_operator, town_admin):
        with pytest.raises(PermissionDenied):
            categories.import_catalogue(actor=actor, file=xlsx(ROWS))
    assert not Category.objects.exists()
    assert AuditLog.objects.filter(event_id=AuditEvent.ACCESS_DENIED.id, success=False).count() == 2


def test_template_has_the_columns_and_an_example(gov: Any, admin: Any, login: Any) -> None:
    response = login(admin).get(reverse("cases:category_template"))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook[categories.SHEET]
    rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    assert categories.COLUMNS in rows
    assert "说明" in workbook.sheetnames
    # The empty template imports as "no rows", not as a broken file.
    with pytest.raises(ImportRejected) as caught:
        categories.import_catalogue(actor=admin, file=SimpleUploadedFile("t.xlsx", response.content))
    assert caught.value.report[0].message == _("There are no rows to import below the column headers.")
    assert login(gov.town_a_operator).get(reverse("cases:category_template")).status_code == 403


def test_export_imports_back_unchanged(gov: Any, admin: Any, login: Any) -> None:
    categories.import_catalogue(actor=admin, file=xlsx(ROWS))
    response = login(gov.town_a_operator).get(reverse("cases:category_export"))
    assert response.status_code == 200
    exported = list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
    assert exported[0] == categories.COLUMNS
    assert ("城乡建设", "市政设施", "路灯损坏", "SFJ-01") in exported
    assert AuditLog.objects.filter(event_id=AuditEvent.EXPORT_LIST.id, note="cases.category").count() == 1
    before = Category.objects.count()
    result = categories.import_catalogue(actor=admin, file=SimpleUploadedFile("e.xlsx", response.content))
    assert (result.created, result.updated, Category.objects.count()) == (0, 0, before)


def test_list_page_shows_the_tree_and_imports(gov: Any, admin: Any, login: Any) -> None:
    client = login(admin)
    response = client.post(reverse("cases:categories"), {"file": xlsx(ROWS)})
    assert response.status_code == 302
    page = client.get(reverse("cases:categories")).content.decode()
    assert "路灯损坏" in page and "司法局" in page and 'name="file"' in page
    bad = client.post(reverse("cases:categories"), {"file": xlsx([["", "x", "", ""]])})
    assert bad.status_code == 400 and _("The first-level category is required.") in bad.content.decode()
    # An operator reads the catalogue but cannot import.
    operator = login(gov.town_a_operator)
    assert 'name="file"' not in operator.get(reverse("cases:categories")).content.decode()
    assert operator.post(reverse("cases:categories"), {"file": xlsx(ROWS)}).status_code == 403


def test_catalogue_pages_need_a_case_role(gov: Any, make_user: Any, login: Any) -> None:
    nobody = make_user(Role.PARTY_MEMBER, gov.d.village_a1)
    assert login(nobody).get(reverse("cases:categories")).status_code == 403
    assert login(nobody).get(reverse("cases:category_export")).status_code == 403


def test_clean_category_refuses_unknown_and_closed(db: Any) -> None:
    closed = Category.objects.create(name="旧", level=1, is_active=False)
    for value in (closed.pk, "999999", "abc", closed):
        with pytest.raises(ValidationError) as caught:
            categories.clean_category(value)
        assert caught.value.message_dict == {"category": [_("Unknown category.")]}
    assert categories.clean_category("") is None


def test_leaves_are_the_open_categories_without_open_children(db: Any) -> None:
    top = Category.objects.create(name="A", level=1)
    mid = Category.objects.create(name="B", level=2, parent=top)
    Category.objects.create(name="C", level=3, parent=mid, is_active=False)
    lone = Category.objects.create(name="D", level=1)
    assert {c.pk for c in categories.category_leaves()} == {mid.pk, lone.pk}
