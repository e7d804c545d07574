"""The category catalogue (事件分类: 一级/二级/三级分类): reads, and its xlsx template, export and import.

The catalogue is one tree for the whole district, so reading it needs no jurisdiction (the public form and
Open311 offer it too); changing it needs ``CASE_CATALOGUE`` on the top of the district tree.

An import is all-or-nothing and merges: every row names one path of categories (一级分类, optionally
二级分类 and 三级分类) and, optionally, the code of the default department (默认部门) of the deepest category it
names. Missing categories are created, existing ones are kept (a closed one is opened again), and a default
department given in the file replaces the stored one. Categories absent from the file are left as they are.
Rows are all checked first; only when none has an error is anything written, followed by ONE audit row
(``CATEGORY_IMPORTED``). Otherwise ``ImportRejected`` carries the per-row report, exactly like the unit and
people imports of ``mofan.org.importers``.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.comments import Comment

from mofan.accounts.permissions import ensure_can
from mofan.accounts.roles import Action
from mofan.audit.events import AuditEvent
from mofan.audit.services import audit_record
from mofan.cases.models import Category
from mofan.core.validators import control_character_message, first_control_character
from mofan.core.xlsx import SheetRow, XlsxReadError, add_help_sheet, read_rows, write_xlsx
from mofan.org.importers import ImportRejected, RowError
from mofan.org.models import Unit, UnitKind

# The column headers are part of the file format: fixed Chinese whatever the interface language.
LEVEL1, LEVEL2, LEVEL3, DEPARTMENT = "一级分类", "二级分类", "三级分类", "默认部门"
COLUMNS = (LEVEL1, LEVEL2, LEVEL3, DEPARTMENT)
LEVEL_COLUMNS = (LEVEL1, LEVEL2, LEVEL3)
SHEET, HELP_SHEET = "分类", "说明"
TEMPLATE_FILENAME = "事件分类导入模板.xlsx"
EXPORT_FILENAME = "事件分类.xlsx"
DEPARTMENT_KINDS = (UnitKind.ORGAN, UnitKind.DEPARTMENT, UnitKind.CENTRE)
MAX_NAME = 100


# Reads ------------------------------------------------------------------------------------------------------


def category_list(*, active_only: bool = True) -> QuerySet[Category]:
    """The whole catalogue, parents before children (ordered by level, then name)."""
    qs = Category.objects.select_related("parent", "parent__parent", "default_department")
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("level", "name", "id")


def category_children(*, parent: Category | None) -> QuerySet[Category]:
    """The open categories directly under ``parent`` (None: the 一级分类)."""
    qs = Category.objects.filter(is_active=True)
    qs = qs.filter(parent=parent) if parent is not None else qs.filter(parent__isnull=True)
    return qs.order_by("name", "id")


def category_get(pk: Any, *, active_only: bool = True) -> Category | None:
    """An open category by id, or None when there is none (an "unknown category")."""
    try:
        qs = Category.objects.select_related("parent", "parent__parent")
        if active_only:
            qs = qs.filter(is_active=True)
        return qs.get(pk=int(pk))
    except (Category.DoesNotExist, TypeError, ValueError):
        return None


def category_path(category: Category | None) -> list[Category]:
    """The category and its ancestors, 一级 first."""
    chain: list[Category] = []
    node = category
    while node is not None:
        chain.append(node)
        node = node.parent
    return list(reversed(chain))


def category_label(category: Category | None, separator: str = " / ") -> str:
    return separator.join(c.name for c in category_path(category))


@dataclass(frozen=True)
class CatalogueNode:
    category: Category
    children: list[CatalogueNode]


def category_tree(*, active_only: bool = True) -> list[CatalogueNode]:
    """The catalogue as a tree (one query), for the list page."""
    by_parent: dict[int | None, list[Category]] = {}
    for category in category_list(active_only=active_only):
        by_parent.setdefault(category.parent_id, []).append(category)

    def build(parent_id: int | None) -> list[CatalogueNode]:
        return [CatalogueNode(c, build(c.pk)) for c in by_parent.get(parent_id, [])]

    return build(None)


def category_leaves() -> list[Category]:
    """Open categories with no open children: what a report is filed under (Open311's services)."""
    categories = list(category_list())
    with_children = {c.parent_id for c in categories if c.parent_id is not None}
    return [c for c in categories if c.pk not in with_children]


# Permission ---------------------------------------------------------------------------------------------------


def catalogue_unit() -> Unit | None:
    """The top of the district tree: the catalogue belongs to the whole district."""
    return Unit.objects.filter(parent__isnull=True, is_active=True).order_by("path").first()


def ensure_may_maintain(actor: Any) -> Unit:
    """Refuse (audited) anyone without ``CASE_CATALOGUE`` over the whole district."""
    top = catalogue_unit()
    ensure_can(actor, Action.CASE_CATALOGUE, top if top is not None else "")
    assert top is not None  # noqa: S101 - ensure_can refuses the empty path
    return top


# Export and template ------------------------------------------------------------------------------------------


def export_rows() -> list[list[str]]:
    """One row per open leaf (its full path) and per open category without children, with its default
    department's code: a file that imports back unchanged."""
    rows = []
    for leaf in category_leaves():
        names = [c.name for c in category_path(leaf)]
        department = leaf.default_department
        code = (department.code or "") if department is not None else ""
        rows.append(names + [""] * (3 - len(names)) + [code])
    rows.sort()
    return rows


def export_xlsx() -> bytes:
    return write_xlsx(COLUMNS, export_rows(), title=SHEET)


def template_xlsx() -> bytes:
    """The import template: note lines above the header row (skipped by the parser), a header comment per
    column, and a sheet 说明 with an example."""
    notes = [
        _("Fill in one category per row below the header row and keep the header row as it is. The sheet 说明 "
          "explains each column and shows an example."),
        _("Categories already in the catalogue are kept; a row adds what is missing. A default department "
          "given in the file replaces the stored one."),
        _("The import is all-or-nothing: if any row has an error, nothing is imported and every error is "
          "listed with its row number."),
    ]
    explain = [
        (LEVEL1, True, _("The first-level category, at most 100 characters.")),
        (LEVEL2, False, _("The second-level category under it; leave empty for a first-level row.")),
        (LEVEL3, False, _("The third-level category under the second level; needs a second level.")),
        (DEPARTMENT, False, _("Optional: the code of the department that usually handles the deepest category "
                              "of the row (an organ, a department or a centre). Format the column as text.")),
    ]
    examples = [
        ["城乡建设", "市政设施", "路灯损坏", ""],
        ["矛盾纠纷", "劳动纠纷", "拖欠工资", ""],
    ]
    workbook = load_workbook(io.BytesIO(write_xlsx(COLUMNS, [], title=SHEET, notes=notes)))
    worksheet = workbook.worksheets[0]
    header_row = len(notes) + 1
    for number, (_column, _required, text) in enumerate(explain, start=1):
        worksheet.cell(row=header_row, column=number).comment = Comment(text, "mofan")
        worksheet.column_dimensions[chr(ord("A") + number - 1)].width = 20
    worksheet.column_dimensions["D"].number_format = "@"
    add_help_sheet(workbook, title=HELP_SHEET, columns=COLUMNS, explain=explain, examples=examples, first_width=16)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# Import -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueImportResult:
    created: int
    updated: int
    rows: int


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass
class _Planned:
    row: int
    names: tuple[str, ...]
    department: Unit | None


def _read(file: Any) -> list[SheetRow]:
    try:
        return read_rows(file, COLUMNS, settings.MOFAN_IMPORT_MAX_ROWS, optional=(DEPARTMENT,),
                         max_bytes=settings.MOFAN_IMPORT_MAX_BYTES, sheet=SHEET)
    except XlsxReadError as exc:
        raise ImportRejected([RowError(None, "", "", str(m)) for m in exc.messages]) from None


def _departments(codes: Iterable[str]) -> dict[str, Unit]:
    wanted = {c for c in codes if c}
    if not wanted:
        return {}
    units = Unit.objects.filter(code__in=wanted, is_active=True, kind__in=list(DEPARTMENT_KINDS))
    return {u.code: u for u in units}


def import_catalogue(*, actor: Any, file: Any) -> CatalogueImportResult:
    """Import the catalogue from a filled-in template (see the module docstring)."""
    top = ensure_may_maintain(actor)
    rows = _read(file)
    report: list[RowError] = []
    departments = _departments(_text(r.values.get(DEPARTMENT)) for r in rows)
    seen: dict[tuple[str, ...], int] = {}
    planned: list[_Planned] = []
    for sheet_row in rows:
        values = {column: _text(sheet_row.values.get(column)) for column in COLUMNS}
        errors_before = len(report)

        def error(column: str, message: str, values: dict[str, str] = values, number: int = sheet_row.number) -> None:
            report.append(RowError(number, column, values.get(column, "")[:200], message))

        for column in COLUMNS:
            code = first_control_character(values[column])
            if code:  # nobody types one, and PostgreSQL cannot store NUL
                error(column, control_character_message(code))
        names = tuple(values[c] for c in LEVEL_COLUMNS)
        if not names[0]:
            error(LEVEL1, _("The first-level category is required."))
        if names[2] and not names[1]:
            error(LEVEL2, _("A third-level category needs its second level."))
        for column, name in zip(LEVEL_COLUMNS, names, strict=True):
            if len(name) > MAX_NAME:
                error(column, _("The name is longer than %(n)d characters.") % {"n": MAX_NAME})
            elif "/" in name or "／" in name:
                error(column, _("A category name cannot contain \"/\"."))
        path = tuple(n for n in names if n)
        code = values[DEPARTMENT]
        department = departments.get(code) if code else None
        if code and department is None:
            error(DEPARTMENT, _("Unknown department: no open organ, department or centre has this code."))
        if path and path in seen:
            error(LEVEL_COLUMNS[len(path) - 1],
                  _("Row %(row)s of this file already names this category.") % {"row": seen[path]})
        elif path:
            seen[path] = sheet_row.number
        if len(report) == errors_before and path:
            planned.append(_Planned(row=sheet_row.number, names=path, department=department))
    if report:
        raise ImportRejected(report)
    try:
        with transaction.atomic():
            created, updated = _write(planned)
            audit_record(actor=actor, event=AuditEvent.CATEGORY_IMPORTED, unit_path=top.path,
                         new={"rows": len(planned), "created": created, "updated": updated,
                              "file": os.path.basename(str(getattr(file, "name", "") or ""))[:100]})
    except IntegrityError:
        raise ImportRejected([RowError(None, "", "", _("The catalogue was changed meanwhile by someone else; "
                                                          "upload the file again."))]) from None
    return CatalogueImportResult(created=created, updated=updated, rows=len(planned))


def _write(planned: list[_Planned]) -> tuple[int, int]:
    existing = {(c.parent_id, c.name): c for c in Category.objects.select_for_update().order_by("pk")}
    created = updated = 0
    for plan in planned:
        parent: Category | None = None
        for level, name in enumerate(plan.names, start=1):
            node = existing.get((parent.pk if parent else None, name))
            if node is None:
                node = Category.objects.create(name=name, parent=parent, level=level)
                existing[(node.parent_id, name)] = node
                created += 1
            elif not node.is_active:
                node.is_active = True
                node.save(update_fields=["is_active"])
                updated += 1
            parent = node
        assert parent is not None  # noqa: S101 - a planned row names at least one level
        if plan.department is not None and parent.default_department_id != plan.department.pk:
            parent.default_department = plan.department
            parent.save(update_fields=["default_department"])
            updated += 1
    return created, updated


def clean_category(value: Any) -> Category | None:
    """The category a form or the API names by id: None for empty, ValidationError for an unknown one."""
    if value in (None, ""):
        return None
    if isinstance(value, Category):
        category: Category | None = value if value.is_active else None
    else:
        category = category_get(value)
    if category is None:
        raise ValidationError({"category": _("Unknown category.")})
    return category
