"""The xlsx import of units and people: all-or-nothing, a per-row report, jurisdiction and every bad input."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from mofan.accounts.roles import Action, Role
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.core import crypto
from mofan.core.identity import id_number_check_digit
from mofan.org import services
from mofan.org.importers import (
    PEOPLE_COLUMNS,
    UNIT_COLUMNS,
    ImportRejected,
    RowError,
    import_people,
    import_units,
    template_xlsx,
)
from mofan.org.models import Person, Unit, UnitChange, UnitKind

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def make_id(n: int, *, male: bool = True) -> str:
    """A valid 身份证号, different for each n (birth date and sequence vary)."""
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=n // 500)
    sequence = (n % 500) * 2 + (1 if male else 0)
    first17 = f"150102{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_number_check_digit(first17)


def xlsx_bytes(headers: Sequence[Any], rows: Sequence[Sequence[Any]], *, notes: Sequence[str] = (),
               title: str = "人员") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for note in notes:
        sheet.append([note])
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(data: bytes, name: str = "import.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=XLSX)


def people_file(rows: Sequence[Sequence[Any]], **kwargs: Any) -> SimpleUploadedFile:
    return upload(xlsx_bytes(PEOPLE_COLUMNS, rows, **kwargs), "people.xlsx")


def units_file(rows: Sequence[Sequence[Any]], **kwargs: Any) -> SimpleUploadedFile:
    return upload(xlsx_bytes(UNIT_COLUMNS, rows, title="单位", **kwargs), "units.xlsx")


def person_row(n: int, unit: str = "测试区/甲镇/村一", **overrides: Any) -> list[Any]:
    values = {"姓名": f"张{n}", "性别": "男", "手机号": f"138{n:08d}", "身份证号": make_id(n), "是否党员": "否",
              "职务": "村民", "所属单位": unit}
    values.update(overrides)
    return [values[c] for c in PEOPLE_COLUMNS]


def rejected(call: Any) -> list[RowError]:
    with pytest.raises(ImportRejected) as info:
        call()
    return info.value.report


def import_audits() -> int:
    return AuditLog.objects.filter(event_id__in=[AuditEvent.IMPORT_PEOPLE.id, AuditEvent.IMPORT_UNITS.id]).count()


@pytest.fixture
def admin(district: Any, make_user: Any) -> Any:
    return make_user(Role.SYSTEM_ADMIN, district.district)


@pytest.fixture
def town_admin(district: Any, make_user: Any) -> Any:
    return make_user(Role.SYSTEM_ADMIN, district.town_a)


# People: success -------------------------------------------------------------------------------------------


def test_people_import_creates_everyone_with_one_audit_row(district: Any, admin: Any) -> None:
    rows = [
        person_row(1),
        person_row(2, unit="测试区/甲镇/村二", 是否党员="是", 性别="", 职务="支部书记"),
        person_row(3, unit=" 测试区 ／ 乙镇 ", 身份证号=make_id(3, male=False), 性别="女", 手机号="0471-1234567"),
    ]
    audits_before = AuditLog.objects.count()
    result = import_people(actor=admin, file=people_file(rows))
    assert result.created == 3
    people = {p.name: p for p in Person.objects.select_related("unit")}
    assert people["张1"].unit == district.village_a1
    assert people["张2"].unit == district.village_a2 and people["张2"].is_party_member
    assert people["张2"].gender == "M"  # from the ID number
    assert people["张3"].unit == district.town_b and people["张3"].gender == "F"
    assert people["张3"].phone == "0471-1234567"
    assert crypto.decrypt(people["张1"].id_number_cipher) == make_id(1)
    assert people["张1"].id_number_masked.startswith("1501") and "*" in people["张1"].id_number_masked
    # exactly one audit row for the whole import, none per person
    new_rows = AuditLog.objects.order_by("id")[audits_before:]
    assert [row.event_id for row in AuditLog.objects.filter(pk__in=[r.pk for r in new_rows])] == [
        AuditEvent.IMPORT_PEOPLE.id
    ]
    audit = AuditLog.objects.get(event_id=AuditEvent.IMPORT_PEOPLE.id)
    assert audit.new_values == {"created": 3, "file": "people.xlsx"}
    assert audit.actor == admin and audit.unit_path == district.district.path


def test_people_import_accepts_numbers_from_excel_and_note_lines(district: Any, admin: Any) -> None:
    # Excel turns a typed phone number into a number; note lines above the header are skipped.
    rows = [person_row(1, 手机号=13800138000, 是否党员=True), person_row(2, 身份证号="", 性别="女", 手机号=None)]
    result = import_people(actor=admin, file=people_file(rows, notes=["说明：每行一人"]))
    assert result.created == 2
    first = Person.objects.get(name="张1")
    assert first.phone == "13800138000" and first.is_party_member
    second = Person.objects.get(name="张2")
    assert second.id_number_digest is None and second.gender == "F" and second.phone == ""


def test_people_import_by_unit_code_and_relative_path(district: Any, town_admin: Any) -> None:
    Unit.objects.filter(pk=district.village_a2.pk).update(code="001502")
    rows = [person_row(1, unit="001502"), person_row(2, unit="甲镇/村一"), person_row(3, unit="村一")]
    assert import_people(actor=town_admin, file=people_file(rows)).created == 3
    assert Person.objects.get(name="张1").unit == district.village_a2
    assert Person.objects.filter(unit=district.village_a1).count() == 2


def test_progress_is_reported(district: Any, admin: Any) -> None:
    calls: list[tuple[str, int, int]] = []
    rows = [person_row(n) for n in range(1, 601)]
    result = import_people(actor=admin, file=people_file(rows), progress=lambda *a: calls.append(a))
    assert result.created == 600
    assert ("validate", 250, 600) in calls and ("validate", 600, 600) in calls
    assert calls[-1] == ("write", 600, 600)


# People: the "Done when" -----------------------------------------------------------------------------------


def test_one_bad_row_imports_nothing_and_names_the_row_and_the_reason(district: Any, admin: Any) -> None:
    bad_id = make_id(4)[:-1] + ("0" if make_id(4)[-1] != "0" else "1")
    rows = [person_row(1), person_row(2), person_row(3), person_row(4, 身份证号=bad_id), person_row(5)]
    report = rejected(lambda: import_people(actor=admin, file=people_file(rows)))
    # header on row 1, so the fourth person is on row 5 as Excel shows it
    assert [(e.row, e.column) for e in report] == [(5, "身份证号")]
    assert report[0].message == _("The check digit of the ID number is wrong.")
    assert "*" in report[0].value  # the ID number is masked in the report
    assert Person.objects.count() == 0
    assert import_audits() == 0
    assert _("Row %(row)s, %(column)s: %(message)s") % {
        "row": 5, "column": "身份证号", "message": report[0].message} in str(ImportRejected(report))


# People: bad rows ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "column", "message"),
    [
        ({"身份证号": "15010219800101"}, "身份证号", "An ID number has 18 characters: 17 digits and a digit or X."),
        ({"身份证号": "15010219801301" + "1231"}, "身份证号", "The birth date inside the ID number is not a real date."),
        ({"身份证号": 1.50102198001011e17}, "身份证号",
         "Excel stored this long number as a number and lost its last digits. Format the column as text and type "
         "the number again."),
        ({"手机号": "1380013800"}, "手机号", "Not a valid phone number."),
        ({"手机号": "12345678901"}, "手机号", "Not a valid phone number."),
        ({"姓名": ""}, "姓名", "The name is required."),
        ({"性别": "女"}, "性别", "The gender does not match the ID number."),
        ({"性别": "未知", "身份证号": ""}, "性别", "Gender must be male or female."),
        ({"是否党员": "也许"}, "是否党员", "Write 是 or 否 (an empty cell means 否)."),
        ({"职务": "长" * 51}, "职务", "The post is longer than 50 characters."),
        ({"所属单位": ""}, "所属单位", None),
        ({"所属单位": "测试区/丙镇"}, "所属单位", None),
    ],
)
def test_bad_person_rows_are_refused(district: Any, admin: Any, overrides: dict[str, Any], column: str,
                                     message: str | None) -> None:
    rows = [person_row(1), person_row(2, **overrides)]
    report = rejected(lambda: import_people(actor=admin, file=people_file(rows)))
    assert [(e.row, e.column) for e in report] == [(3, column)]
    if message is not None:
        assert report[0].message == _(message)
    assert Person.objects.count() == 0


def test_unknown_unit_message_is_clear(district: Any, admin: Any) -> None:
    report = rejected(lambda: import_people(actor=admin, file=people_file([person_row(1, unit="测试区/丙镇")])))
    assert report[0].value == "测试区/丙镇"
    assert report[0].message.startswith(_("Unknown unit: no unit with this path or code in your jurisdiction. "
                                          "Write the path from the top, e.g. %(example)s, or the unit's code.")[:20])


def test_ambiguous_unit_name_asks_for_the_path(district: Any, admin: Any) -> None:
    services.unit_create(actor=None, name="村一", kind=UnitKind.VILLAGE, parent=district.town_b)
    report = rejected(lambda: import_people(actor=admin, file=people_file([person_row(1, unit="村一")])))
    assert report[0].column == "所属单位" and "测试区" in report[0].message


def test_duplicate_id_number_within_the_file_names_the_first_row(district: Any, admin: Any) -> None:
    rows = [person_row(1), person_row(2), person_row(3, 身份证号=make_id(1))]
    report = rejected(lambda: import_people(actor=admin, file=people_file(rows)))
    assert [(e.row, e.column, e.message) for e in report] == [
        (4, "身份证号", _("The same ID number is already in row %(row)s.") % {"row": 2})
    ]
    assert Person.objects.count() == 0


def test_duplicate_id_number_against_the_database(district: Any, admin: Any) -> None:
    services.person_create(actor=admin, unit=district.village_a1, name="李四", id_number=make_id(7))
    rows = [person_row(1), person_row(7)]
    report = rejected(lambda: import_people(actor=admin, file=people_file(rows)))
    assert [(e.row, e.column, e.message) for e in report] == [
        (3, "身份证号", _("A person with this ID number already exists."))
    ]
    assert Person.objects.count() == 1


def test_every_bad_row_is_reported(district: Any, admin: Any) -> None:
    rows = [person_row(1, 手机号="123"), person_row(2), person_row(3, 所属单位="nowhere", 是否党员="?")]
    report = rejected(lambda: import_people(actor=admin, file=people_file(rows)))
    assert [(e.row, e.column) for e in report] == [(2, "手机号"), (4, "是否党员"), (4, "所属单位")]


def test_closed_unit_is_refused(district: Any, admin: Any) -> None:
    closed = services.unit_create(actor=None, name="旧村", kind=UnitKind.VILLAGE, parent=district.town_a)
    services.unit_close(actor=admin, unit=closed)
    report = rejected(lambda: import_people(actor=admin, file=people_file([person_row(1, unit="测试区/甲镇/旧村")])))
    assert [(e.column, e.message) for e in report] == [("所属单位", _("The unit is closed."))]


# Jurisdiction and permission ----------------------------------------------------------------------------------


def test_town_importer_cannot_import_into_another_town(district: Any, town_admin: Any) -> None:
    rows = [person_row(1, unit="甲镇/村一"), person_row(2, unit="测试区/乙镇/村三")]
    report = rejected(lambda: import_people(actor=town_admin, file=people_file(rows)))
    # the other town's village is as unknown as one that does not exist
    unknown = rejected(lambda: import_people(actor=town_admin, file=people_file([person_row(3, unit="测试区/乙镇/村九")])))
    assert [(e.row, e.column) for e in report] == [(3, "所属单位")]
    assert report[0].message == unknown[0].message
    units = rejected(lambda: import_units(actor=town_admin, file=units_file([["测试区/乙镇", "新村", "嘎查村(社区)", ""]])))
    assert [(e.row, e.column) for e in units] == [(2, "上级单位")] and units[0].message == unknown[0].message
    # nor into the district above the town
    above = rejected(lambda: import_units(actor=town_admin, file=units_file([["测试区", "丙镇", "苏木镇(街道)", ""]])))
    assert above[0].column == "上级单位"
    assert Person.objects.count() == 0 and Unit.objects.filter(name__in=["新村", "丙镇"]).count() == 0


def test_unit_code_outside_the_jurisdiction_is_unknown(district: Any, town_admin: Any) -> None:
    Unit.objects.filter(pk=district.village_b1.pk).update(code="150102003")
    report = rejected(lambda: import_people(actor=town_admin, file=people_file([person_row(1, unit="150102003")])))
    assert report[0].column == "所属单位"


def test_actor_without_import_right_is_refused_and_audited(district: Any, make_user: Any) -> None:
    cadre = make_user(Role.CADRE, district.district)
    with pytest.raises(PermissionDenied):
        import_people(actor=cadre, file=people_file([person_row(1)]))
    refusal = AuditLog.objects.get(event_id=AuditEvent.ACCESS_DENIED.id)
    assert refusal.actor == cadre and not refusal.success and refusal.note == Action.ORG_IMPORT
    assert Person.objects.count() == 0


# Bad files ------------------------------------------------------------------------------------------------


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


BAD_FILES = {
    "empty": (b"", "The file is empty."),
    "csv renamed": ("姓名,性别\n张三,男\n".encode(), "The file is not an Excel .xlsx workbook (a CSV or text file "
                    "renamed to .xlsx is not one). Open it in Excel or WPS and save it as .xlsx."),
    "xls renamed": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
                    "This is an old .xls workbook or a password-protected file. Open it in Excel or WPS and save "
                    "it as an .xlsx workbook without a password."),
    "zip garbage": (_zip({"hello.txt": b"not a workbook"}),
                    "The workbook is damaged or is not an .xlsx workbook, so it could not be read. Open it in Excel "
                    "or WPS and save it again as .xlsx."),
    "truncated xlsx": (xlsx_bytes(PEOPLE_COLUMNS, [["x"] * 7])[:900],
                       "The workbook is damaged or is not an .xlsx workbook, so it could not be read. Open it in "
                       "Excel or WPS and save it again as .xlsx."),
    "random bytes": (bytes(range(256)) * 4, "The file is not an Excel .xlsx workbook (a CSV or text file renamed to "
                     ".xlsx is not one). Open it in Excel or WPS and save it as .xlsx."),
    "no rows": (xlsx_bytes(PEOPLE_COLUMNS, []), "There are no rows to import below the column headers."),
    "empty sheet": (xlsx_bytes([], []), "The sheet is empty: there is nothing to import."),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_files_are_refused_with_a_clear_message(district: Any, admin: Any, case: str) -> None:
    data, message = BAD_FILES[case]
    report = rejected(lambda: import_people(actor=admin, file=upload(data)))
    assert [(e.row, e.message) for e in report] == [(None, _(message))]
    assert Person.objects.count() == 0 and import_audits() == 0


def test_zip_garbage_with_an_xlsx_name_list_is_refused(district: Any, admin: Any) -> None:
    data = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<oops"})
    report = rejected(lambda: import_people(actor=admin, file=upload(data)))
    assert report[0].row is None and Person.objects.count() == 0


def test_missing_and_unknown_columns_are_named(district: Any, admin: Any) -> None:
    headers = ["姓名", "性别", "手机号", "身份证", "是否党员", "职务", "所属单位"]
    data = xlsx_bytes(headers, [["张三", "男", "", "", "否", "", "测试区"]])
    report = rejected(lambda: import_people(actor=admin, file=upload(data)))
    messages = [e.message for e in report]
    assert _("Missing columns: %(columns)s.") % {"columns": "身份证号"} in messages
    assert any("身份证" in m and m != messages[0] for m in messages)
    assert Person.objects.count() == 0


def test_header_row_not_found_lists_the_columns(district: Any, admin: Any) -> None:
    data = xlsx_bytes(["name", "gender"], [["张三", "男"]])
    report = rejected(lambda: import_people(actor=admin, file=upload(data)))
    assert len(report) == 1 and "身份证号" in report[0].message and "所属单位" in report[0].message


def test_duplicate_column_is_refused(district: Any, admin: Any) -> None:
    data = xlsx_bytes([*PEOPLE_COLUMNS, "姓名"], [person_row(1) + ["x"]])
    report = rejected(lambda: import_people(actor=admin, file=upload(data)))
    assert [e.message for e in report] == [_("The column %(column)s appears more than once.") % {"column": "姓名"}]


def test_units_file_given_as_people_says_which_columns(district: Any, admin: Any) -> None:
    report = rejected(lambda: import_people(actor=admin, file=units_file([["测试区", "丙镇", "苏木镇(街道)", ""]])))
    assert any("姓名" in e.message for e in report)


def test_too_many_rows(district: Any, admin: Any, settings: Any) -> None:
    settings.MOFAN_IMPORT_MAX_ROWS = 3
    report = rejected(lambda: import_people(actor=admin, file=people_file([person_row(n) for n in range(1, 5)])))
    assert [e.message for e in report] == [
        _("The file has more than %(limit)s rows. Split it into files of at most %(limit)s rows.") % {"limit": 3}
    ]
    assert import_people(actor=admin, file=people_file([person_row(n) for n in range(1, 4)])).created == 3


def test_oversize_file_is_refused_before_it_is_parsed(district: Any, admin: Any, settings: Any,
                                                      monkeypatch: Any) -> None:
    settings.MOFAN_IMPORT_MAX_BYTES = 1000
    import mofan.core.xlsx as xlsx

    def must_not_parse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("parsed an oversize file")

    monkeypatch.setattr(xlsx, "_open_workbook", must_not_parse)
    report = rejected(lambda: import_people(actor=admin, file=people_file([person_row(1)])))
    assert len(report) == 1 and report[0].row is None and "1000" in report[0].message.replace("\xa0", "")
    assert Person.objects.count() == 0


def test_empty_rows_between_data_are_skipped_and_numbered_as_excel_does(district: Any, admin: Any) -> None:
    rows = [person_row(1), [None] * 7, person_row(2, 手机号="1")]
    report = rejected(lambda: import_people(actor=admin, file=people_file(rows)))
    assert [(e.row, e.column) for e in report] == [(4, "手机号")]


# Units ---------------------------------------------------------------------------------------------------


def test_units_import_a_town_with_its_villages_in_one_file(district: Any, admin: Any) -> None:
    rows: list[list[Any]] = [
        ["测试区", "丙镇", "苏木镇(街道)", "0150105"],
        ["测试区/丙镇", "丙一村", "嘎查村（社区）", ""],
        ["0150105", "丙二村", "village", "015010502"],
        ["测试区/丙镇/丙一村", "第一网格", "网格", None],
        ["150000", "区司法局", "机关", ""],  # the district by its code
        ["测试区/区司法局", "办公室", "Department", ""],
    ]
    audits_before = AuditLog.objects.count()
    result = import_units(actor=admin, file=units_file(rows))
    assert result.created == 6
    town = Unit.objects.get(name="丙镇")
    assert town.parent == district.district and town.kind == UnitKind.TOWN and town.code == "0150105"
    villages = Unit.objects.filter(parent=town).order_by("name")
    assert [(v.name, v.kind, v.code) for v in villages] == [
        ("丙一村", UnitKind.VILLAGE, ""), ("丙二村", UnitKind.VILLAGE, "015010502")
    ]
    grid = Unit.objects.get(name="第一网格")
    assert grid.path.startswith(town.path) and grid.depth == 3 and grid.kind == UnitKind.GRID
    assert Unit.objects.get(name="办公室").parent == Unit.objects.get(name="区司法局")
    assert UnitChange.objects.filter(unit__name="丙镇", kind=UnitChange.Kind.CREATED).get().actor == admin
    new_audits = AuditLog.objects.count() - audits_before
    assert new_audits == 1
    audit = AuditLog.objects.get(event_id=AuditEvent.IMPORT_UNITS.id)
    assert audit.new_values == {"created": 6, "file": "units.xlsx"} and audit.unit_path == district.district.path


def test_town_importer_uses_paths_from_their_own_town(district: Any, town_admin: Any) -> None:
    rows = [["甲镇", "村四", "嘎查村(社区)", ""], ["甲镇/村四", "网格一", "网格", ""]]
    assert import_units(actor=town_admin, file=units_file(rows)).created == 2
    assert Unit.objects.get(name="村四").parent == district.town_a
    audit = AuditLog.objects.get(event_id=AuditEvent.IMPORT_UNITS.id)
    assert audit.unit_path == district.town_a.path


@pytest.mark.parametrize(
    ("row", "column"),
    [
        (["测试区", "村五", "嘎查村(社区)", ""], "类型"),  # a village cannot stand under the district
        (["测试区", "甲镇", "苏木镇(街道)", ""], "名称"),  # already stands there
        (["测试区/丙镇", "村五", "嘎查村(社区)", ""], "上级单位"),
        (["", "村五", "嘎查村(社区)", ""], "上级单位"),
        (["测试区/甲镇", "", "嘎查村(社区)", ""], "名称"),
        (["测试区/甲镇", "村/五", "嘎查村(社区)", ""], "名称"),
        (["测试区/甲镇", "村" * 101, "嘎查村(社区)", ""], "名称"),
        (["测试区/甲镇", "村五", "城堡", ""], "类型"),
        (["测试区/甲镇", "村五", "", ""], "类型"),
        (["测试区/甲镇", "村五", "嘎查村(社区)", "150000"], "代码"),  # the district's code
        (["测试区/甲镇", "村五", "嘎查村(社区)", "1" * 33], "代码"),
        (["测试区/甲镇/村一", "党小组", "党小组", ""], "类型"),
    ],
)
def test_bad_unit_rows_are_refused(district: Any, admin: Any, row: list[str], column: str) -> None:
    count = Unit.objects.count()
    report = rejected(lambda: import_units(actor=admin, file=units_file([["测试区/甲镇", "村六", "村", ""], row])))
    assert [(e.row, e.column) for e in report] == [(3, column)]
    assert Unit.objects.count() == count and import_audits() == 0


def test_kind_not_allowed_says_why(district: Any, admin: Any) -> None:
    report = rejected(lambda: import_units(actor=admin, file=units_file([["测试区", "村五", "嘎查村(社区)", ""]])))
    assert report[0].message == _("A %(kind)s cannot stand under %(parent)s.") % {
        "kind": UnitKind.VILLAGE.label, "parent": UnitKind.DISTRICT.label}


def test_duplicates_within_the_units_file(district: Any, admin: Any) -> None:
    rows = [
        ["测试区/甲镇", "村五", "嘎查村(社区)", "A1"],
        ["测试区/甲镇", "村五", "嘎查村(社区)", ""],
        ["测试区/乙镇", "村七", "嘎查村(社区)", "A1"],
    ]
    report = rejected(lambda: import_units(actor=admin, file=units_file(rows)))
    assert [(e.row, e.column, e.message) for e in report] == [
        (3, "名称", _("Row %(row)s of this file already creates a unit of this name under the same parent.")
         % {"row": 2}),
        (4, "代码", _("Row %(row)s of this file already uses this code.") % {"row": 2}),
    ]
    assert not Unit.objects.filter(name__in=["村五", "村七"]).exists()


def test_rows_under_a_bad_row_point_at_it(district: Any, admin: Any) -> None:
    rows = [["测试区", "丙镇", "嘎查村(社区)", ""], ["测试区/丙镇", "丙一村", "嘎查村(社区)", ""]]
    report = rejected(lambda: import_units(actor=admin, file=units_file(rows)))
    assert [(e.row, e.column) for e in report] == [(2, "类型"), (3, "上级单位")]
    assert report[1].message == _("The parent unit is created by row %(row)s, which has errors.") % {"row": 2}


def test_units_rows_cannot_refer_to_later_rows(district: Any, admin: Any) -> None:
    rows = [["测试区/丙镇", "丙一村", "嘎查村(社区)", ""], ["测试区", "丙镇", "苏木镇(街道)", ""]]
    report = rejected(lambda: import_units(actor=admin, file=units_file(rows)))
    assert [(e.row, e.column) for e in report] == [(2, "上级单位")]
    assert not Unit.objects.filter(name="丙镇").exists()


def test_unit_code_keeps_leading_zeros_and_numbers_lose_none(district: Any, admin: Any) -> None:
    rows: list[list[Any]] = [["测试区", "丙镇", "苏木镇(街道)", "000123"], ["测试区", "丁镇", "苏木镇(街道)", 150999]]
    assert import_units(actor=admin, file=units_file(rows)).created == 2
    assert Unit.objects.get(name="丙镇").code == "000123" and Unit.objects.get(name="丁镇").code == "150999"


# Templates --------------------------------------------------------------------------------------------------


def _fill_template(data: bytes, rows: Sequence[Sequence[Any]]) -> bytes:
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_people_template_round_trips(district: Any, admin: Any) -> None:
    data = template_xlsx(actor=admin, kind="people")
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["人员", "说明"]
    header = [c.value for c in next(r for r in workbook["人员"].iter_rows() if r[0].value == "姓名")]
    assert header == list(PEOPLE_COLUMNS)
    assert workbook["人员"].column_dimensions["D"].number_format == "@"  # 身份证号 stays text
    filled = _fill_template(data, [person_row(1), person_row(2, unit="测试区/乙镇/村三")])
    assert import_people(actor=admin, file=upload(filled)).created == 2


def test_units_template_round_trips(district: Any, town_admin: Any) -> None:
    data = template_xlsx(actor=town_admin, kind="units")
    help_rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(data))["说明"].iter_rows()]
    assert any(row[0] == "上级单位" for row in help_rows)
    assert any(row[0] == "测试区/甲镇" for row in help_rows)  # the example starts at the importer's own top unit
    filled = _fill_template(data, [["测试区/甲镇", "村九", "嘎查村(社区)", "0042"], ["甲镇/村九", "网格九", "网格", ""]])
    assert import_units(actor=town_admin, file=upload(filled)).created == 2
    assert Unit.objects.get(name="村九").code == "0042"


def test_template_with_nothing_filled_in_is_refused(district: Any, admin: Any) -> None:
    report = rejected(lambda: import_people(actor=admin, file=upload(template_xlsx(actor=admin, kind="people"))))
    assert [e.message for e in report] == [_("There are no rows to import below the column headers.")]


def test_template_needs_the_import_right(district: Any, make_user: Any) -> None:
    with pytest.raises(PermissionDenied):
        template_xlsx(actor=make_user(Role.CADRE, district.district), kind="units")


def test_zip_bomb_is_refused(district: Any, admin: Any, settings: Any) -> None:
    settings.MOFAN_IMPORT_MAX_BYTES = 10_000
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 1_000_000)
    assert len(buffer.getvalue()) < 10_000
    report = rejected(lambda: import_people(actor=admin, file=upload(buffer.getvalue())))
    assert len(report) == 1 and "zip bomb" in report[0].message  # 1 MB from a 1 KB upload: 100 × 1 KB at most


def test_rows_after_many_empty_rows_are_not_dropped(district: Any, admin: Any, settings: Any) -> None:
    settings.MOFAN_IMPORT_MAX_ROWS = 5
    rows: list[list[Any]] = [person_row(1), *([[None] * 7] * 3000), person_row(2)]
    assert import_people(actor=admin, file=people_file(rows)).created == 2
    workbook = load_workbook(io.BytesIO(xlsx_bytes(PEOPLE_COLUMNS, [person_row(3)])))
    workbook.worksheets[0].cell(row=20_000, column=1, value="张九")  # far below, past the empty-row allowance
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = rejected(lambda: import_people(actor=admin, file=upload(buffer.getvalue())))
    assert len(report) == 1 and report[0].row is None and Person.objects.filter(name="张3").count() == 0
