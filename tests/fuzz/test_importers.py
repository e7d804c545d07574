"""Fuzz targets for every importer: units and people (``org.importers``), questions (``questions.importers``,
xlsx, CSV and JSON) and the case category catalogue (``cases.categories``).

Each target feeds generated files through the real import entry point: well-formed files with the real
headers and random cells (control characters, NUL, huge and non-finite numbers, formulas, dates, booleans,
values of the wrong type, plausible values), files with shuffled or missing headers, and random bytes (also
behind a zip or xlsx signature). The property: the import either succeeds, or raises a ``ValidationError``
whose messages are Chinese; never another exception; and a refused import writes nothing (no unit, person,
question, tag, category or audit row).

Bounded: ``MOFAN_FUZZ_IMPORT_EXAMPLES`` examples per target, derandomized (the same files on every run)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import zipfile
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from mofan.accounts.roles import Role
from mofan.audit.models import AuditLog
from mofan.cases import categories
from mofan.cases.models import Category
from mofan.core.identity import id_number_check_digit
from mofan.core.validators import CONTROL_CHARACTERS
from mofan.org import importers as org_importers
from mofan.org.importers import ImportRejected
from mofan.org.models import Person, Unit, UnitKind
from mofan.questions import formats
from mofan.questions import importers as question_importers
from mofan.questions.models import Question, Tag
from mofan.questions.services import bank_create

EXAMPLES = int(os.environ.get("MOFAN_FUZZ_IMPORT_EXAMPLES", "200"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
CJK = re.compile(r"[\u4e00-\u9fff]")

# Cells ------------------------------------------------------------------------------------------------------

CONTROL = st.one_of(st.just("\x00"), st.characters(min_codepoint=0, max_codepoint=0x1F),
                    st.sampled_from("\x7f\x85\x9b\u2028\u202e\ufeff\uffff"))  # NUL first: PostgreSQL refuses it
TEXT = st.text(st.one_of(st.characters(exclude_categories=["Cs"]), CONTROL), max_size=40)
PLAUSIBLE = st.sampled_from([
    "测试区", "测试区/甲镇", "测试区/甲镇/村一", "甲镇", "村一", "村", "镇", "社区", "机关", "部门", "中心", "150000",
    "张三", "男", "女", "是", "否", "13812345678", "150102198001011234", "15010219800101123X", "单选", "多选",
    "判断", "填空", "简答", "single", "A", "AC", "对", "北京|北京市；长城", "1", "5", "0", "6", "噪音", "综治科",
    "书记", "/", "／", " ", "",
])
FORMULA = st.sampled_from(["=1+1", "=SUM(A1:A3)", "=HYPERLINK(\"http://x\",\"y\")", "@SUM(1)", "+cmd|' /C calc'!A0",
                           "-2+3", "=1/0", "=A2"])
NUMBER = st.one_of(st.integers(min_value=-(10**30), max_value=10**30), st.floats(allow_nan=True, allow_infinity=True),
                   st.decimals(allow_nan=False, allow_infinity=False, places=3).map(float))
CELL = st.one_of(st.none(), PLAUSIBLE, TEXT, NUMBER, FORMULA, st.booleans(),
                 st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 1, 1)),  # noqa: DTZ001
                 st.dates(min_value=dt.date(1900, 3, 1)))
NAME = st.text("甲乙丙丁戊己庚辛东西南北中新村镇社区科室", min_size=1, max_size=6)


@st.composite
def id_number(draw: Any) -> str:
    first17 = "150102" + draw(st.dates(min_value=dt.date(1940, 1, 1), max_value=dt.date(2005, 12, 31))).strftime(
        "%Y%m%d") + draw(st.from_regex(r"\A[0-9]{3}\Z"))
    return first17 + id_number_check_digit(first17)


# Values that pass each column's checks, so that whole rows get through and imports also succeed.
GOOD: dict[str, st.SearchStrategy[Any]] = {
    org_importers.PARENT: st.sampled_from(["测试区", "测试区/甲镇", "测试区/乙镇", "测试区/甲镇/村一"]),
    org_importers.NAME: NAME,
    org_importers.KIND: st.sampled_from(["镇", "村", "社区", "机关", "部门", "网格"]),
    org_importers.CODE: st.one_of(st.just(""), st.from_regex(r"\A[0-9]{6,9}\Z")),
    org_importers.P_NAME: NAME,
    org_importers.P_GENDER: st.sampled_from(["", "男", "女"]),
    org_importers.P_PHONE: st.one_of(st.just(""), st.from_regex(r"\A1[3-9][0-9]{9}\Z")),
    org_importers.P_ID: st.one_of(st.just(""), id_number()),
    org_importers.P_PARTY: st.sampled_from(["", "是", "否"]),
    org_importers.P_POST: st.sampled_from(["", "书记", "主任"]),
    org_importers.P_UNIT: st.sampled_from(["测试区/甲镇/村一", "测试区/甲镇/村二", "测试区/乙镇/村三", "村一"]),
    formats.TYPE: st.sampled_from(["单选", "多选", "判断", "填空", "简答", "single"]),
    formats.STEM: NAME.map(lambda n: f"{n}是什么？"),
    formats.ANSWER: st.sampled_from(["A", "AB", "甲", "对", "错", "北京|北京市；长城", "参考答案"]),
    formats.DIFFICULTY: st.sampled_from(["", 1, 3, 5, "3"]),
    **{column: st.just(column[-1] + "项") for column in formats.OPTION_COLUMNS[:4]},
    categories.LEVEL1: NAME, categories.LEVEL2: st.one_of(st.just(""), NAME),
    categories.LEVEL3: st.one_of(st.just(""), NAME), categories.DEPARTMENT: st.sampled_from(["", "FZ01", "nope"]),
}
# Rows whose cells agree with each other (a kind that may stand under the parent, options for the answer).
COHERENT: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    org_importers.UNIT_SHEET: st.sampled_from([("测试区", "镇"), ("测试区", "机关"), ("测试区/甲镇", "村"),
                                               ("测试区/甲镇", "社区"), ("测试区/甲镇/村一", "网格"),
                                               ("测试区/区委政法委", "部门")]).map(
        lambda pk: {org_importers.PARENT: pk[0], org_importers.KIND: pk[1]}),
    formats.SHEET: st.sampled_from([
        {formats.TYPE: "单选", formats.ANSWER: "B"}, {formats.TYPE: "多选", formats.ANSWER: "AC"},
        {formats.TYPE: "判断", formats.ANSWER: "对", **{c: "" for c in formats.OPTION_COLUMNS}},
        {formats.TYPE: "填空", formats.ANSWER: "北京|北京市；长城", **{c: "" for c in formats.OPTION_COLUMNS}},
        {formats.TYPE: "简答", formats.ANSWER: "参考答案", **{c: "" for c in formats.OPTION_COLUMNS}},
    ]).map(lambda row: {**{c: "" for c in formats.OPTION_COLUMNS[4:]}, **row}),
    categories.SHEET: st.sampled_from([{}, {categories.LEVEL3: ""}, {categories.LEVEL2: "", categories.LEVEL3: ""}]),
}
FREE_TEXT = {org_importers.NAME, org_importers.P_NAME, org_importers.P_POST, formats.STEM, *formats.OPTION_COLUMNS[:4],
             categories.LEVEL1, categories.LEVEL2, categories.LEVEL3}


def with_control(values: st.SearchStrategy[Any]) -> st.SearchStrategy[str]:
    """A value that would pass, with a control character put inside it."""
    return st.tuples(values, CONTROL, st.integers(min_value=0, max_value=3)).map(
        lambda t: str(t[0])[: t[2]] + t[1] + str(t[0])[t[2]:])


def xlsx_cell(value: Any) -> Any:
    """What openpyxl can store: XML forbids most control characters in a workbook, so those are dropped."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


@st.composite
def table(draw: Any, columns: Sequence[str], sheet: str) -> list[list[Any]]:
    """A header row (the real one, or shuffled, cut, doubled or with a stranger) and up to six rows."""
    header = list(columns)
    change = draw(st.sampled_from(["same"] * 6 + ["shuffle", "drop", "extra", "duplicate"]))
    if change == "shuffle":
        header = draw(st.permutations(header))
    elif change == "drop":
        header = header[: draw(st.integers(min_value=0, max_value=len(header) - 1))]
    elif change == "extra":
        header = [*header, draw(TEXT)]
    elif change == "duplicate":
        header = [*header, header[0]]
    # clean: values that pass; odd: free text (names, stems, options) anything, control characters included;
    # wild: any cell anywhere, rows of any length.
    quality = draw(st.sampled_from(["clean", "clean", "odd", "wild"]))
    rows = []
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        if quality == "wild" and draw(st.booleans()):
            rows.append(draw(st.lists(CELL, max_size=len(header) + 1)))
        elif quality == "wild":
            rows.append([draw(CELL if draw(st.integers(0, 3)) == 0 else GOOD.get(c, CELL)) for c in header])
        else:
            fixed = draw(COHERENT.get(sheet, st.just({})))
            odd = quality == "odd"
            rows.append([fixed[c] if c in fixed else draw(
                st.one_of(with_control(GOOD[c]), TEXT, FORMULA, GOOD[c]) if odd and c in FREE_TEXT else GOOD.get(c, CELL))
                for c in header])
    notes = draw(st.lists(st.lists(CELL, max_size=3), max_size=2))  # lines above the header
    return [*notes, header, *rows]


def xlsx_bytes(rows: list[list[Any]], sheet: str) -> bytes:
    workbook = Workbook()
    worksheet = workbook.active
    assert worksheet is not None
    worksheet.title = sheet
    for row in rows:
        worksheet.append([xlsx_cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list[Any]], encoding: str) -> bytes:
    text = io.StringIO()
    csv.writer(text).writerows([["" if v is None else str(v) for v in row] for row in rows])
    return text.getvalue().encode(encoding, errors="replace")


def zip_bytes(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


RANDOM_BYTES = st.one_of(
    st.binary(max_size=300),
    st.binary(max_size=200).map(lambda b: b"PK\x03\x04" + b),
    st.binary(max_size=200).map(lambda b: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b),  # an old .xls
    st.lists(st.tuples(st.sampled_from(["[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml",
                                        "xl/sharedStrings.xml", "_rels/.rels", "junk"]),
                       st.binary(max_size=100)), max_size=4).map(zip_bytes),
)


def workbook_file(columns: Sequence[str], sheet: str) -> st.SearchStrategy[bytes]:
    """An xlsx of the importer's table (most of the time), else random bytes."""
    return st.one_of(table(columns, sheet).map(lambda rows: xlsx_bytes(rows, sheet)),
                     table(columns, sheet).map(lambda rows: xlsx_bytes(rows, "Sheet")), RANDOM_BYTES)


# The property -------------------------------------------------------------------------------------------------


def rows_written() -> tuple[int, ...]:
    return (Unit.objects.count(), Person.objects.count(), Question.objects.count(), Tag.objects.count(),
            Category.objects.count(), AuditLog.objects.count())


def check_import(run: Callable[[], Any]) -> Any:
    """Run one import: success, or a Chinese ValidationError and nothing written. Any other exception fails."""
    before = rows_written()
    with translation.override("zh-hans"):
        try:
            result = run()
            event("imported")
            return result
        except ValidationError as exc:
            event("refused")
            assert exc.messages, "a refusal without a message"
            for message in exc.messages:
                assert CJK.search(str(message)), f"not a Chinese message: {message!r}"
            if isinstance(exc, ImportRejected):  # the report is shown and kept as JSON: no control character
                texts = [str(value) for line in exc.report for value in line.as_dict().values()]
                assert not any(CONTROL_CHARACTERS.search(t) for t in texts), f"a control character in {texts!r}"
    assert rows_written() == before, "a refused import wrote rows"
    return None


@pytest.fixture
def admin(district: Any, make_user: Any) -> Any:
    return make_user(Role.SYSTEM_ADMIN, district.district, username="fz_admin")


@pytest.fixture
def secretary(district: Any, make_user: Any) -> Any:
    return make_user(Role.SECRETARY, district.town_a, username="fz_secretary")


@FUZZ
@given(data=workbook_file(org_importers.UNIT_COLUMNS, org_importers.UNIT_SHEET))
def test_units_import_refuses_cleanly_or_imports(admin: Any, data: bytes) -> None:
    before = Unit.objects.count()
    result = check_import(lambda: org_importers.import_units(
        actor=admin, file=SimpleUploadedFile("单位.xlsx", data)))
    if result is not None:
        assert Unit.objects.count() == before + result.created


@FUZZ
@given(data=workbook_file(org_importers.PEOPLE_COLUMNS, org_importers.PEOPLE_SHEET))
def test_people_import_refuses_cleanly_or_imports(admin: Any, data: bytes) -> None:
    before = Person.objects.count()
    result = check_import(lambda: org_importers.import_people(
        actor=admin, file=SimpleUploadedFile("人员.xlsx", data)))
    if result is not None:
        assert Person.objects.count() == before + result.created


JSON_VALUE = st.recursive(st.one_of(st.none(), st.booleans(), NUMBER.filter(lambda n: n == n and abs(n) != float("inf")),
                                    TEXT, PLAUSIBLE),
                          lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=3),
                          max_leaves=8)
JSON_KEY = st.one_of(st.sampled_from([*formats.COLUMNS, "type", "qtype", "stem", "options", "answers", "answer", "tags",
                                      "difficulty", "source", "explanation", "id"]), TEXT)


@st.composite
def questions_file(draw: Any) -> tuple[str, bytes]:
    """A question file by name and bytes: xlsx, CSV (UTF-8, with BOM, GB18030), a JSON list or JSON Lines, or
    random bytes under any of those names."""
    kind = draw(st.sampled_from(["xlsx", "csv", "csv-bom", "csv-gb", "json", "jsonl", "bytes"]))
    if kind == "xlsx":
        return "题目.xlsx", xlsx_bytes(draw(table(formats.COLUMNS, formats.SHEET)), formats.SHEET)
    if kind.startswith("csv"):
        encoding = {"csv": "utf-8", "csv-bom": "utf-8-sig", "csv-gb": "gb18030"}[kind]
        return "题目.csv", csv_bytes(draw(table(formats.COLUMNS, formats.SHEET)), encoding)
    if kind in ("json", "jsonl"):
        objects = draw(st.lists(st.one_of(st.dictionaries(JSON_KEY, JSON_VALUE, max_size=6), JSON_VALUE),
                                max_size=5))
        if kind == "json":
            return "题目.json", json.dumps(objects, ensure_ascii=draw(st.booleans())).encode()
        return "题目.jsonl", "\n".join(json.dumps(o, ensure_ascii=False) for o in objects).encode()
    name = draw(st.sampled_from(["题目.xlsx", "题目.csv", "题目.json", "题目.jsonl", "题目.txt", "题目"]))
    return name, draw(RANDOM_BYTES)


@FUZZ
@given(upload=questions_file())
def test_questions_import_refuses_cleanly_or_imports(district: Any, secretary: Any, upload: tuple[str, bytes]) -> None:
    bank = bank_create(actor=secretary, unit=district.town_a, name="导入题库") if not hasattr(district, "bank") \
        else district.bank
    district.bank = bank
    name, data = upload
    before = Question.objects.filter(bank=bank).count()
    result = check_import(lambda: question_importers.import_questions(
        actor=secretary, bank=bank, file=SimpleUploadedFile(name, data)))
    if result is not None:
        assert Question.objects.filter(bank=bank).count() == before + result.created


@FUZZ
@given(data=workbook_file(categories.COLUMNS, categories.SHEET))
def test_categories_import_refuses_cleanly_or_imports(district: Any, admin: Any, data: bytes) -> None:
    if not Unit.objects.filter(code="FZ01").exists():
        Unit.objects.filter(pk=district.department.pk).update(code="FZ01")
        assert district.department.kind == UnitKind.DEPARTMENT
    check_import(lambda: categories.import_catalogue(actor=admin, file=SimpleUploadedFile("分类.xlsx", data)))
