"""导入: units and people from the xlsx templates the import page offers for download.

An import is all-or-nothing. Every row is validated first, with the rules the forms and the API use
(``services.clean_person_fields``, the placement, name and code rules of ``unit_create``), against the
database and against the earlier rows of the same file. Only when no row has an error are the rows written,
through the ordinary services (``audit=False``) inside one transaction, followed by ONE audit row for the
whole import. Otherwise ``ImportRejected`` carries a report of (row as Excel shows it, column, value, reason)
and nothing is written.

Units are named by their path of names from the top ("测试区/甲镇"), by a path starting at the top of the
importer's jurisdiction ("甲镇/村一"), by a name that is unique in that jurisdiction, or by their code. A unit
outside the jurisdiction is "unknown", exactly like one that does not exist.

To add an importable kind: give it a column tuple and a sheet title, a ``import_<kind>`` function following
``import_people``, an entry in ``KINDS``/``IMPORTERS``, and its template rows in ``template_xlsx``.
"""

from __future__ import annotations

import io
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from mofan.accounts.permissions import can, ensure_can, has_action, scope_filter, scope_paths
from mofan.accounts.roles import Action
from mofan.audit.events import AuditEvent
from mofan.audit.services import audit_record
from mofan.core.identity import id_number_check_digit
from mofan.core.masking import mask_id_number, mask_phone
from mofan.core.validators import (
    CONTROL_CHARACTERS,
    control_character_message,
    first_control_character,
    strings_in,
)
from mofan.core.xlsx import SheetRow, XlsxReadError, add_help_sheet, read_rows, write_xlsx
from mofan.org.models import ALLOWED_PARENTS, PATH_SEGMENT, Unit, UnitKind
from mofan.org.services import (
    ID_NUMBER_TAKEN,
    PersonDraft,
    _check_placement,
    clean_person_fields,
    id_numbers_taken,
    person_bulk_create,
    unit_create,
)

# The column headers are part of the file format: fixed Chinese whatever the interface language.
PARENT, NAME, KIND, CODE = "上级单位", "名称", "类型", "代码"
UNIT_COLUMNS = (PARENT, NAME, KIND, CODE)
P_NAME, P_GENDER, P_PHONE, P_ID, P_PARTY, P_POST, P_UNIT = "姓名", "性别", "手机号", "身份证号", "是否党员", "职务", "所属单位"
PEOPLE_COLUMNS = (P_NAME, P_GENDER, P_PHONE, P_ID, P_PARTY, P_POST, P_UNIT)
UNIT_SHEET, PEOPLE_SHEET, HELP_SHEET = "单位", "人员", "说明"

KINDS = (("units", gettext_lazy("Units")), ("people", gettext_lazy("People")))

# 类型 as written in the template (the Chinese names the district uses); the English values and labels and
# a few everyday short forms are accepted as well.
KIND_NAMES: dict[str, str] = {
    UnitKind.DISTRICT: "区",
    UnitKind.TOWN: "苏木镇(街道)",
    UnitKind.VILLAGE: "嘎查村(社区)",
    UnitKind.GRID: "网格",
    UnitKind.ORGAN: "机关",
    UnitKind.DEPARTMENT: "部门",
    UnitKind.PARTY_COMMITTEE: "党委",
    UnitKind.PARTY_GENERAL_BRANCH: "党总支",
    UnitKind.PARTY_BRANCH: "党支部",
    UnitKind.PARTY_GROUP: "党小组",
    UnitKind.CENTRE: "社会治理中心",
    UnitKind.WINDOW: "窗口",
    UnitKind.STATION: "站点",
    UnitKind.MEDIATION_ORG: "调解组织",
}
_KIND_ALIASES: dict[str, str] = {
    "镇": UnitKind.TOWN, "乡": UnitKind.TOWN, "苏木": UnitKind.TOWN, "街道": UnitKind.TOWN, "苏木镇": UnitKind.TOWN,
    "村": UnitKind.VILLAGE, "嘎查": UnitKind.VILLAGE, "社区": UnitKind.VILLAGE, "嘎查村": UnitKind.VILLAGE,
    "科室": UnitKind.DEPARTMENT, "基层所": UnitKind.DEPARTMENT, "分局": UnitKind.DEPARTMENT,
    "中心": UnitKind.CENTRE, "站": UnitKind.STATION, "服务站": UnitKind.STATION, "维权服务站": UnitKind.STATION,
    "调解委员会": UnitKind.MEDIATION_ORG,
}
_YES = {"是", "y", "yes", "true", "1", "党员"}
_NO = {"否", "n", "no", "false", "0", "非党员", "群众"}
_GENDERS = {"男": "男", "男性": "男", "m": "M", "male": "M", "女": "女", "女性": "女", "f": "F", "female": "F"}

MAX_REPORTED_ERRORS = 500
PROGRESS_EVERY = 250
# Excel keeps 15 significant digits: a longer number typed into a General cell has lost its last digits.
_EXACT_DIGITS_LIMIT = 10**15

ProgressCallback = Callable[[str, int, int], None]
"""``progress(stage, done, total)`` with stage "validate" or "write"."""


@dataclass(frozen=True)
class RowError:
    """One line of the error report. ``row`` is the row number Excel shows (None: the file as a whole)."""

    row: int | None
    column: str
    value: str
    message: str

    def __post_init__(self) -> None:
        # The report is shown, and kept as JSON by the import jobs (PostgreSQL refuses NUL there): no control
        # character from the file (a header, a key, a cell) gets into it.
        for name in ("column", "value", "message"):
            object.__setattr__(self, name, CONTROL_CHARACTERS.sub("", str(getattr(self, name))))

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value, "message": self.message}

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        return _("Row %(row)s, %(column)s: %(message)s") % {
            "row": self.row, "column": self.column or "-", "message": self.message,
        }


class ImportRejected(ValidationError):
    """The file was refused and nothing was written; ``report`` lists every error found (capped)."""

    def __init__(self, report: Sequence[RowError]) -> None:
        self.total = len(report)
        ordered = sorted(report, key=lambda e: (e.row or 0))
        if len(ordered) > MAX_REPORTED_ERRORS:
            more = len(ordered) - MAX_REPORTED_ERRORS
            ordered = ordered[:MAX_REPORTED_ERRORS] + [
                RowError(None, "", "", _("… and %(count)s more errors.") % {"count": more})
            ]
        self.report: list[RowError] = ordered
        super().__init__([str(e) for e in ordered])


@dataclass(frozen=True)
class ImportResult:
    kind: str
    created: int


class _CellError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _cell_text(value: Any) -> str:
    """The text of a cell as the user typed it. Numbers that Excel stored as numbers come back without a
    trailing ".0"; a number too long for Excel to keep exactly is refused rather than silently changed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            if abs(value) >= _EXACT_DIGITS_LIMIT:
                raise _CellError(_("Excel stored this long number as a number and lost its last digits. Format "
                                   "the column as text and type the number again."))
            return str(int(value))
        return str(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


class _Row:
    """Reads the cells of one sheet row and collects its errors."""

    def __init__(self, row: SheetRow, report: list[RowError], masked: Iterable[str] = ()) -> None:
        self.number = row.number
        self._row = row
        self._report = report
        self._masked = set(masked)
        self.ok = True
        self._refuse_control_characters()

    def _refuse_control_characters(self) -> None:
        """A cell holding a control character (in a JSON row: in a list or object, at any depth) is refused
        with its column: nobody types one, and PostgreSQL cannot store NUL."""
        for column, value in self._row.values.items():
            code = next(filter(None, (first_control_character(text) for text in strings_in(value))), None)
            if code:
                self.error(column, control_character_message(code))

    def shown(self, column: str) -> str:
        value = self._row.values.get(column)
        text = str(value).strip() if value is not None else ""
        if isinstance(value, float) and value.is_integer() and abs(value) < _EXACT_DIGITS_LIMIT:
            text = str(int(value))
        if column in self._masked and text:
            return mask_id_number(text) if column == P_ID else mask_phone(text)
        return text[:200]

    def text(self, column: str) -> str:
        try:
            return _cell_text(self._row.values.get(column))
        except _CellError as exc:
            self.error(column, exc.message)
            return ""

    def error(self, column: str, message: str) -> None:
        self.ok = False
        self._report.append(RowError(self.number, column, self.shown(column), message))

    def errors_from(self, exc: ValidationError, columns: dict[str, str]) -> None:
        if hasattr(exc, "error_dict"):
            for field, messages in exc.message_dict.items():
                column = columns.get(field, "") if field != NON_FIELD_ERRORS else ""
                for message in messages:
                    self.error(column, message)
        else:
            for message in exc.messages:
                self.error("", message)


def _progress_step(progress: ProgressCallback | None, stage: str, done: int, total: int) -> None:
    if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
        progress(stage, done, total)


# Permission and reading -----------------------------------------------------------------------------------


def ensure_may_import(actor: Any) -> None:
    """Refuse (and audit the refusal) an actor who may import nowhere; where they may import is then
    decided row by row, a unit outside their jurisdiction being an unknown unit."""
    if has_action(actor, Action.ORG_IMPORT):
        return
    ensure_can(actor, Action.ORG_IMPORT, "")  # no unit is in their jurisdiction: refused and audited


def _read(file: Any, columns: Sequence[str], sheet: str) -> list[SheetRow]:
    try:
        return read_rows(file, columns, settings.MOFAN_IMPORT_MAX_ROWS, max_bytes=settings.MOFAN_IMPORT_MAX_BYTES,
                         sheet=sheet)
    except XlsxReadError as exc:
        raise ImportRejected([RowError(None, "", "", str(m)) for m in exc.messages]) from None


def _file_name(file: Any) -> str:
    return os.path.basename(str(getattr(file, "name", "") or ""))[:100]


def _common_path(paths: Iterable[str]) -> str:
    """The path of the deepest unit above all the given units (for the audit row)."""
    common: str | None = None
    for path in paths:
        if common is None:
            common = path
            continue
        length = 0
        while length < min(len(common), len(path)) and common[length] == path[length]:
            length += 1
        common = common[: length - length % PATH_SEGMENT]
    return common or ""


# Units as the importer may name them -----------------------------------------------------------------------


@dataclass(eq=False)
class _NewUnit:
    """A unit a row of the file will create; later rows may stand under it."""

    row: int
    name: str
    kind: str
    code: str
    parent: Unit | _NewUnit | None
    ok: bool
    created: Unit | None = None

    @property
    def depth(self) -> int:
        return self.parent.depth + 1 if self.parent is not None else 0


_Target = Unit | _NewUnit


def _norm_path(text: str) -> str:
    parts = [part.strip() for part in re.split(r"[/／\\]", text)]
    return "/".join(part for part in parts if part)


class _UnitIndex:
    """The units of the actor's import jurisdiction, by path, code and name, plus those the file creates."""

    def __init__(self, actor: Any) -> None:
        self.roots = scope_paths(actor, Action.ORG_IMPORT)
        units = list(
            Unit.objects.filter(scope_filter(actor, Action.ORG_IMPORT, "path"))
            .only("id", "name", "kind", "code", "parent_id", "path", "depth", "is_active")
        )
        names = {u.pk: u.name for u in units}
        above = {int(root[i : i + PATH_SEGMENT - 1]) for root in self.roots for i in range(0, len(root), PATH_SEGMENT)}
        names.update(Unit.objects.filter(pk__in=above - names.keys()).values_list("pk", "name"))
        self.by_key: dict[str, list[_Target]] = defaultdict(list)
        self.by_name: dict[str, list[_Target]] = defaultdict(list)
        self.by_code: dict[str, _Target] = {}
        self.keys: dict[_Target, list[str]] = {}
        # (parent, name) of every unit already standing, to refuse a second unit of the same name there
        self.taken_names: dict[tuple[int | _NewUnit, str], int | None] = {
            (u.parent_id, u.name): None for u in units if u.parent_id is not None
        }
        for unit in units:
            # Creating under a unit takes both rights; a unit without them is "unknown" to this importer.
            if not (can(actor, Action.ORG_IMPORT, unit) and can(actor, Action.ORG_MANAGE, unit)):
                continue
            segments = [names[pk] for pk in unit.ancestor_ids()]
            keys = ["/".join(segments)]
            for root in self.roots:
                if unit.path.startswith(root):
                    keys.append("/".join(segments[len(root) // PATH_SEGMENT - 1 :]))
            self._register(unit, keys)
        self.example = self._example_path()

    def _example_path(self) -> str:
        for target, keys in self.keys.items():
            if isinstance(target, Unit) and target.path in self.roots:
                return keys[0]
        return "测试区/甲镇"

    def _register(self, target: _Target, keys: list[str]) -> None:
        keys = list(dict.fromkeys(_norm_path(k) for k in keys))
        self.keys[target] = keys
        for key in keys:
            # a row repeating an existing path does not hide the existing unit from the rows after it
            if isinstance(target, Unit) or not self.by_key.get(key):
                self.by_key[key].append(target)
        self.by_name[_norm_path(target.name)].append(target)
        if target.code:
            self.by_code.setdefault(target.code, target)

    def add_new(self, new: _NewUnit) -> None:
        parent_keys = self.keys.get(new.parent, []) if new.parent is not None else []
        self._register(new, [f"{key}/{new.name}" for key in parent_keys] if new.name else [])

    def find(self, text: str) -> _Target:
        text = _norm_path(text)
        if "/" not in text and text in self.by_code:
            return self.by_code[text]
        matches = self.by_key.get(text) or ([] if "/" in text else self.by_name.get(text, []))
        unique = list(dict.fromkeys(matches))
        if len(unique) == 1:
            return unique[0]
        if unique:
            raise _CellError(_("Several units match this name. Write the full path from the top, e.g. "
                               "%(example)s, or the unit's code.") % {"example": self.example})
        raise _CellError(_("Unknown unit: no unit with this path or code in your jurisdiction. Write the path "
                           "from the top, e.g. %(example)s, or the unit's code.") % {"example": self.example})


def _kind_key(text: str) -> str:
    return re.sub(r"\s+", "", text).replace("（", "(").replace("）", ")").lower()


def _kind_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {_kind_key(alias): kind for alias, kind in _KIND_ALIASES.items()}
    for kind in UnitKind:
        lookup[_kind_key(kind.value)] = kind.value
        lookup[_kind_key(str(kind.label))] = kind.value
        with translation.override("en"):
            lookup[_kind_key(str(kind.label))] = kind.value
        lookup[_kind_key(KIND_NAMES[kind])] = kind.value
    return lookup


# Units -------------------------------------------------------------------------------------------------------

_UNIT_FIELDS = {"name": NAME, "kind": KIND, "parent": PARENT, "code": CODE}


def import_units(*, actor: Any, file: Any, progress: ProgressCallback | None = None) -> ImportResult:
    """Create the units of an xlsx file (template columns 上级单位, 名称, 类型, 代码), all or none.
    A row may stand under a unit created by an earlier row, so a town and its villages import together."""
    ensure_may_import(actor)
    rows = _read(file, UNIT_COLUMNS, UNIT_SHEET)
    index = _UnitIndex(actor)
    kinds = _kind_lookup()
    file_codes = [c for c in (_safe_text(r.values.get(CODE)) for r in rows) if c]
    codes_in_use = set(Unit.objects.filter(code__in=set(file_codes)).values_list("code", flat=True))
    codes_in_file: dict[str, int] = {}
    report: list[RowError] = []
    planned: list[_NewUnit] = []
    for done, sheet_row in enumerate(rows, start=1):
        row = _Row(sheet_row, report)
        parent = _unit_parent(row, index)
        name = row.text(NAME)
        if not name:
            row.error(NAME, _("The name is required."))
        elif len(name) > 100:
            row.error(NAME, _("The name is longer than 100 characters."))
        elif "/" in name or "／" in name:
            row.error(NAME, _("A unit name cannot contain \"/\": it separates the levels of a path."))
        elif parent is not None and (_parent_key(parent), name) in index.taken_names:
            earlier = index.taken_names[(_parent_key(parent), name)]
            if earlier is None:
                row.error(NAME, _("A unit of this name already stands under the same parent."))
            else:
                row.error(NAME, _("Row %(row)s of this file already creates a unit of this name under the same "
                                  "parent.") % {"row": earlier})
        kind_text = row.text(KIND)
        kind = kinds.get(_kind_key(kind_text)) if kind_text else None
        if not kind_text:
            row.error(KIND, _("The kind is required, e.g. %(example)s.") % {"example": KIND_NAMES[UnitKind.TOWN]})
        elif kind is None:
            row.error(KIND, _("Unknown kind. Write one of: %(kinds)s.") % {"kinds": "、".join(KIND_NAMES.values())})
        elif parent is not None:
            try:
                _check_placement(kind, parent if isinstance(parent, Unit) else
                                 Unit(kind=parent.kind, depth=parent.depth, is_active=True))
            except ValidationError as exc:
                for message in exc.messages:
                    row.error(KIND, message)
        code = row.text(CODE)
        if len(code) > 32:
            row.error(CODE, _("The code is longer than 32 characters."))
        elif code in codes_in_file:
            row.error(CODE, _("Row %(row)s of this file already uses this code.") % {"row": codes_in_file[code]})
        elif code in codes_in_use:
            row.error(CODE, _("Another unit has this code."))
        new = _NewUnit(row=row.number, name=name, kind=kind or "", code=code, parent=parent, ok=row.ok)
        if code:
            codes_in_file.setdefault(code, row.number)
        if name and parent is not None:
            index.taken_names.setdefault((_parent_key(parent), name), row.number)
        index.add_new(new)
        planned.append(new)
        _progress_step(progress, "validate", done, len(rows))
    if report:
        raise ImportRejected(report)
    targets = {new.parent for new in planned if isinstance(new.parent, Unit)}
    for target in sorted(targets, key=lambda u: u.path):
        ensure_can(actor, Action.ORG_IMPORT, target)
    with transaction.atomic():
        for done, new in enumerate(planned, start=1):
            parent_unit = new.parent if isinstance(new.parent, Unit) else new.parent.created if new.parent else None
            try:
                new.created = unit_create(actor=actor, name=new.name, kind=new.kind, parent=parent_unit,
                                          code=new.code, audit=False)
            except ValidationError as exc:
                row = _Row(rows[done - 1], report)
                row.errors_from(exc, _UNIT_FIELDS)
                raise ImportRejected(report) from None
            except IntegrityError:
                raise ImportRejected([_changed_meanwhile(rows[done - 1].number)]) from None
            _progress_step(progress, "write", done, len(planned))
        audit_record(actor=actor, event=AuditEvent.IMPORT_UNITS, unit_path=_common_path(t.path for t in targets),
                     new={"created": len(planned), "file": _file_name(file)})
    return ImportResult(kind="units", created=len(planned))


def _parent_key(parent: _Target) -> int | _NewUnit:
    return parent.pk if isinstance(parent, Unit) else parent


def _safe_text(value: Any) -> str:
    try:
        return _cell_text(value)
    except _CellError:
        return ""


def _unit_parent(row: _Row, index: _UnitIndex) -> _Target | None:
    text = row.text(PARENT)
    if not text:
        row.error(PARENT, _("Write the parent unit: its path from the top, e.g. %(example)s, or its code.")
                  % {"example": index.example})
        return None
    try:
        parent = index.find(text)
    except _CellError as exc:
        row.error(PARENT, exc.message)
        return None
    if isinstance(parent, _NewUnit) and not parent.ok:
        row.error(PARENT, _("The parent unit is created by row %(row)s, which has errors.") % {"row": parent.row})
        return None
    if isinstance(parent, Unit) and not parent.is_active:
        row.error(PARENT, _("The parent unit is closed."))
        return None
    return parent


def _changed_meanwhile(row: int | None) -> RowError:
    return RowError(row, "", "", _("Someone changed the same units while the file was being imported. "
                                   "Nothing was imported; try again."))


# People ------------------------------------------------------------------------------------------------------

_PERSON_FIELDS = {"name": P_NAME, "gender": P_GENDER, "phone": P_PHONE, "id_number": P_ID, "post": P_POST,
                  "unit": P_UNIT}


@dataclass
class _NewPerson:
    row: int
    unit: Unit
    values: dict[str, Any]
    is_party_member: bool


def import_people(*, actor: Any, file: Any, progress: ProgressCallback | None = None) -> ImportResult:
    """Create the people of an xlsx file (template columns 姓名, 性别, 手机号, 身份证号, 是否党员, 职务,
    所属单位), all or none."""
    ensure_may_import(actor)
    rows = _read(file, PEOPLE_COLUMNS, PEOPLE_SHEET)
    index = _UnitIndex(actor)
    report: list[RowError] = []
    planned: list[_NewPerson] = []
    ids_in_file: dict[str, int] = {}
    rows_by_id: dict[str, _Row] = {}
    for done, sheet_row in enumerate(rows, start=1):
        row = _Row(sheet_row, report, masked=(P_ID, P_PHONE))
        gender = row.text(P_GENDER)
        gender = _GENDERS.get(gender.lower(), gender)
        party_text = row.text(P_PARTY).lower()
        is_party_member = party_text in _YES
        if party_text and party_text not in _YES | _NO:
            row.error(P_PARTY, _("Write 是 or 否 (an empty cell means 否)."))
        post = row.text(P_POST)
        if len(post) > 50:
            row.error(P_POST, _("The post is longer than 50 characters."))
        values: dict[str, Any] = {}
        try:
            values = clean_person_fields(name=row.text(P_NAME), gender=gender, phone=row.text(P_PHONE),
                                         id_number=row.text(P_ID), post=post, check_taken=False)
        except ValidationError as exc:
            row.errors_from(exc, _PERSON_FIELDS)
        id_number = values.get("id_number", "")
        if id_number:
            if id_number in ids_in_file:
                row.error(P_ID, _("The same ID number is already in row %(row)s.") % {"row": ids_in_file[id_number]})
            else:
                ids_in_file[id_number] = row.number
                rows_by_id[id_number] = row
        unit = _person_unit(row, index)
        if row.ok and unit is not None:
            planned.append(_NewPerson(row=row.number, unit=unit, values=values, is_party_member=is_party_member))
        _progress_step(progress, "validate", done, len(rows))
    for id_number in id_numbers_taken(list(rows_by_id)):
        rows_by_id[id_number].error(P_ID, str(ID_NUMBER_TAKEN))
    if report:
        raise ImportRejected(report)
    targets = {p.unit for p in planned}
    for target in sorted(targets, key=lambda u: u.path):
        ensure_can(actor, Action.ORG_IMPORT, target)
    drafts = [
        PersonDraft(unit=new.unit, name=new.values["name"], gender=new.values["gender"], phone=new.values["phone"],
                    id_number=new.values["id_number"], is_party_member=new.is_party_member, post=new.values["post"])
        for new in planned
    ]
    try:
        created = person_bulk_create(
            actor=actor, drafts=drafts, event=AuditEvent.IMPORT_PEOPLE, audit_new={"file": _file_name(file)},
            progress=lambda done, total: _progress_step(progress, "write", done, total),
        )
    except (ValidationError, IntegrityError):
        # Rows were checked above; only a concurrent change can make the write fail now.
        raise ImportRejected([_changed_meanwhile(planned[0].row if planned else None)]) from None
    return ImportResult(kind="people", created=created)


def _person_unit(row: _Row, index: _UnitIndex) -> Unit | None:
    text = row.text(P_UNIT)
    if not text:
        row.error(P_UNIT, _("Write the person's unit: its path from the top, e.g. %(example)s, or its code.")
                  % {"example": index.example})
        return None
    try:
        unit = index.find(text)
    except _CellError as exc:
        row.error(P_UNIT, exc.message)
        return None
    if not isinstance(unit, Unit):  # a people import creates no units, so this does not happen
        return None
    if not unit.is_active:
        row.error(P_UNIT, _("The unit is closed."))
        return None
    return unit


IMPORTERS: dict[str, Callable[..., ImportResult]] = {"units": import_units, "people": import_people}


# Templates ---------------------------------------------------------------------------------------------------


def _child_kind(kind: str) -> str:
    for candidate in (UnitKind.TOWN, UnitKind.VILLAGE, UnitKind.GRID, UnitKind.DEPARTMENT, UnitKind.PARTY_BRANCH,
                      UnitKind.PARTY_GROUP, UnitKind.STATION):
        if kind in ALLOWED_PARENTS[candidate]:
            return candidate.value
    return UnitKind.STATION.value


def _example_id_number() -> str:
    first17 = "11010519491231002"  # the worked example printed in GB 11643 itself, not a real person's number
    return first17 + id_number_check_digit(first17)


def template_xlsx(*, actor: Any, kind: str) -> bytes:
    """The import template of ``kind`` ("units" or "people"): sheet 单位/人员 with note lines above the
    header row (the parser skips them), and a sheet 说明 explaining each column with an example."""
    ensure_may_import(actor)
    index = _UnitIndex(actor)
    top = next((u for u in index.keys if isinstance(u, Unit) and u.path in index.roots), None)
    top_path = index.keys[top][0] if top is not None else "测试区"
    top_kind = top.kind if top is not None else UnitKind.DISTRICT.value
    all_or_nothing = _("The import is all-or-nothing: if any row has an error, nothing is imported and every "
                       "error is listed with its row number.")
    columns: tuple[str, ...]
    text_columns: tuple[str, ...]
    if kind == "units":
        columns, sheet, text_columns = UNIT_COLUMNS, UNIT_SHEET, (CODE,)
        child = _child_kind(top_kind)
        grandchild = _child_kind(child)
        examples = [
            [top_path, _("Example town"), KIND_NAMES[child], ""],
            [f"{top_path}/{_('Example town')}", _("Example village"), KIND_NAMES[grandchild], ""],
        ]
        notes = [
            _("Fill in one unit per row below the header row and keep the header row as it is. The sheet 说明 "
              "explains each column and shows an example."),
            _("A row may use a unit created by an earlier row of the same file as its parent, so a town and its "
              "villages import in one file."),
            all_or_nothing,
        ]
        explain = [
            (PARENT, True, _("The unit above: its path of names from the top, separated by \"/\" (e.g. %(path)s), "
                             "or its code. It may be a unit created by an earlier row.") % {"path": top_path}),
            (NAME, True, _("The unit's name, at most 100 characters, unique under its parent.")),
            (KIND, True, _("One of: %(kinds)s.") % {"kinds": "、".join(KIND_NAMES.values())}),
            (CODE, False, _("Optional: a GB/T 2260-style area code or the unit's own code, unique. Format the "
                            "column as text so that leading zeros are kept.")),
        ]
        validations = {KIND: list(KIND_NAMES.values())}
    elif kind == "people":
        columns, sheet, text_columns = PEOPLE_COLUMNS, PEOPLE_SHEET, (P_PHONE, P_ID)
        examples = [[_("Zhang San"), "女", "13800138000", _example_id_number(), "是", _("Grid worker"), top_path]]
        notes = [
            _("Fill in one person per row below the header row and keep the header row as it is. The sheet 说明 "
              "explains each column and shows an example."),
            all_or_nothing,
        ]
        explain = [
            (P_NAME, True, _("The person's name, at most 50 characters.")),
            (P_GENDER, False, _("男 or 女. May be left empty when the ID number is given.")),
            (P_PHONE, False, _("A mobile number (11 digits) or a landline with its area code, e.g. 0471-1234567.")),
            (P_ID, False, _("The 18-character resident ID number; it is checked (birth date and check digit) and "
                            "must not belong to another person. Format the column as text.")),
            (P_PARTY, False, _("是 or 否; an empty cell means 否.")),
            (P_POST, False, _("The person's post, at most 50 characters.")),
            (P_UNIT, True, _("The person's unit: its path of names from the top, separated by \"/\" (e.g. "
                             "%(path)s), or its code.") % {"path": top_path}),
        ]
        validations = {P_GENDER: ["男", "女"], P_PARTY: ["是", "否"]}
    else:
        raise ValueError(kind)
    workbook = load_workbook(io.BytesIO(write_xlsx(columns, [], title=sheet, notes=notes)))
    worksheet = workbook.worksheets[0]
    header_row = len(notes) + 1
    last_row = header_row + settings.MOFAN_IMPORT_MAX_ROWS
    explanations = {column: text for column, _required, text in explain}
    for number, column in enumerate(columns, start=1):
        letter = get_column_letter(number)
        cell = worksheet.cell(row=header_row, column=number)
        cell.comment = Comment(explanations[column], "mofan")
        if column in text_columns:
            worksheet.column_dimensions[letter].number_format = "@"
        worksheet.column_dimensions[letter].width = 24 if column in (PARENT, P_UNIT, P_ID) else 14
        if column in validations:
            choice = DataValidation(type="list", formula1='"' + ",".join(validations[column]) + '"', allow_blank=True,
                                    showErrorMessage=False)
            choice.add(f"{letter}{header_row + 1}:{letter}{last_row}")
            worksheet.add_data_validation(choice)
    add_help_sheet(workbook, title=HELP_SHEET, columns=columns, explain=explain, examples=examples)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_filename(kind: str) -> str:
    return {"units": "单位导入模板.xlsx", "people": "人员导入模板.xlsx"}[kind]
