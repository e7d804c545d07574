"""Zip bombs (issue 9, defect 5): an uploaded workbook may unpack only to what its rows may legitimately hold,
checked before parsing (the zip's central directory) and while parsing (the bytes decompressed), through every
importer; a refused workbook writes nothing. The memory figures are in ``bench/zipbomb.py``, not here."""

from __future__ import annotations

import io
import random
import re
import zipfile
from typing import Any

import pytest

from bench.zipbomb import SST_HEAD, shared_strings_declared
from mofan.core.xlsx import (
    XlsxReadError,
    _GuardedZipFile,
    _UnpackBudget,
    read_rows,
    unpacked_limit,
    write_xlsx,
)
from mofan.org.importers import ImportRejected
from mofan.questions import formats as f
from mofan.questions.importers import import_questions
from mofan.questions.models import Question, QuestionBank
from mofan.questions.services import bank_create

pytestmark = pytest.mark.django_db

ROWS: list[list[Any]] = [
    ["判断", "行政复议期间具体行政行为原则上不停止执行。", "", "", "", "", "", "", "", "", "对", "法律", 3, "", ""],
    ["简答", "简述枫桥经验。", "", "", "", "", "", "", "", "", "矛盾不上交", "基层治理", 4, "", ""],
]
BOMB_MESSAGE = "zip bomb"
# a part that does not compress (a picture, say): an upload large enough for the ratio to allow what follows
INCOMPRESSIBLE = {"xl/media/image1.bin": random.Random(9).randbytes(64 * 1024)}


def rebuild(workbook: bytes, replace: dict[str, bytes], add: dict[str, bytes] | None = None) -> bytes:
    """``workbook`` with some parts replaced (and some added), deflated as Excel does."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, replace.get(info.filename, source.read(info.filename)), zipfile.ZIP_DEFLATED,
                            9)
        for name, content in (add or {}).items():
            target.writestr(name, content, zipfile.ZIP_DEFLATED, 9)
    return out.getvalue()


def padded_sheet(workbook: bytes, padding: int) -> bytes:
    """The workbook with ``padding`` bytes of XML comment in its sheet: valid XML that unpacks big and squeezes
    to almost nothing, around the same rows."""
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
    comment = b"<!--" + b"x" * padding + b"-->"
    return rebuild(workbook, {"xl/worksheets/sheet1.xml": xml.replace(b"<sheetData>", b"<sheetData>" + comment, 1)})


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    """Assert on the English msgids (the Chinese text is checked once, below)."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def bank(district: Any) -> QuestionBank:
    return bank_create(actor=None, unit=district.village_a1, name="题库")


@pytest.fixture
def secretary(district: Any, make_user: Any) -> Any:
    from mofan.accounts.roles import Role

    return make_user(Role.SECRETARY, district.village_a1)


def test_the_limit_follows_the_rows_and_the_upload() -> None:
    rows_bound = unpacked_limit(columns=17, max_rows=20_000, upload_size=5 * 1024 * 1024)
    assert rows_bound == 1024 * 1024 + 20_000 * 17 * 256  # a large upload: what 20,000 rows may hold
    ratio_bound = unpacked_limit(columns=17, max_rows=20_000, upload_size=287_000)
    assert ratio_bound == 100 * 287_000  # the 287 KB bomb: 28 MiB, not 191 MiB
    assert unpacked_limit(columns=17, max_rows=100, upload_size=287_000) == 1024 * 1024 + 100 * 17 * 256


def test_a_bomb_is_refused_from_the_zip_directory_and_nothing_is_written(
        settings: Any, bank: QuestionBank, secretary: Any) -> None:
    settings.MOFAN_IMPORT_MAX_ROWS = 100  # a limit of 1 MiB + 100 rows × 17 columns × 256 bytes, or 100 × the upload
    bomb = padded_sheet(write_xlsx(f.row_columns(), ROWS, title=f.SHEET), 4 * 1024 * 1024)
    assert len(bomb) < 48 * 1024  # 4 MiB of sheet in a few KB
    with pytest.raises(ImportRejected) as caught:
        import_questions(actor=secretary, bank=bank, file=bomb, fmt="xlsx")
    assert BOMB_MESSAGE in caught.value.report[0].message
    assert Question.objects.count() == 0


def test_the_same_rows_unpadded_import(settings: Any, bank: QuestionBank, secretary: Any) -> None:
    settings.MOFAN_IMPORT_MAX_ROWS = 100
    plain = padded_sheet(write_xlsx(f.row_columns(), ROWS, title=f.SHEET), 1000)
    assert import_questions(actor=secretary, bank=bank, file=plain, fmt="xlsx").created == 2


def many_sheets_one_part(sheets: int, rels_padding: int) -> bytes:
    """A workbook naming ``sheets`` sheets that are all the same part, whose relationships part is padded:
    the zip's directory declares that part once, openpyxl reads it once for every sheet."""
    workbook = write_xlsx(["名称"], [["甲"]], title="表")
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        book = archive.read("xl/workbook.xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    entries = "".join(f'<sheet name="S{i}" sheetId="{i + 10}" state="visible" r:id="rIdX{i}"/>' for i in range(sheets))
    book = re.sub(r"(<sheets>.*?)(</sheets>)", lambda m: m.group(1) + entries + m.group(2), book, flags=re.S)
    links = "".join(
        f'<Relationship Id="rIdX{i}" Target="/xl/worksheets/sheet1.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>' for i in range(sheets))
    rels = rels.replace("</Relationships>", links + "</Relationships>")
    sheet_rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships '
                  'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><!--' + "x" * rels_padding
                  + "--></Relationships>").encode()
    return rebuild(workbook, {"xl/workbook.xml": book.encode(), "xl/_rels/workbook.xml.rels": rels.encode()},
                   add={"xl/worksheets/_rels/sheet1.xml.rels": sheet_rels})


def test_a_directory_that_understates_what_is_decompressed_is_caught_while_parsing() -> None:
    workbook = many_sheets_one_part(sheets=300, rels_padding=64 * 1024)
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        declared = sum(i.file_size for i in archive.infolist())
    limit = unpacked_limit(columns=1, max_rows=100, upload_size=len(workbook))
    assert declared < limit < 300 * 64 * 1024  # the directory passes; what openpyxl reads does not
    with pytest.raises(XlsxReadError) as caught:
        read_rows(workbook, ["名称"], 100)
    assert BOMB_MESSAGE in caught.value.messages[0]


def test_every_member_read_counts_against_one_budget() -> None:
    workbook = write_xlsx(["名称"], [["甲" * 1000]], title="表")
    budget = _UnpackBudget(limit=2000, max_rows=10)
    with _GuardedZipFile(workbook, budget) as archive, pytest.raises(XlsxReadError):
        for name in archive.namelist():
            with archive.open(name) as member:
                while member.read(512):
                    pass
    assert budget.exceeded and budget.used > 2000
    with _GuardedZipFile(workbook, budget) as archive, pytest.raises(XlsxReadError):  # once over, stays over
        archive.read("[Content_Types].xml")


def test_a_member_compressed_other_than_deflate_is_refused() -> None:
    workbook = write_xlsx(["名称"], [["甲"]], title="表")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename), zipfile.ZIP_BZIP2)
    with pytest.raises(XlsxReadError) as caught:
        read_rows(out.getvalue(), ["名称"], 100)
    assert "damaged" in caught.value.messages[0]


def test_people_and_categories_go_through_the_same_reader(settings: Any, district: Any, make_user: Any) -> None:
    from mofan.accounts.roles import Role
    from mofan.cases import categories
    from mofan.org import importers as org

    settings.MOFAN_IMPORT_MAX_ROWS = 100
    admin = make_user(Role.SYSTEM_ADMIN, district.district)
    people = padded_sheet(write_xlsx(org.PEOPLE_COLUMNS, [], title=org.PEOPLE_SHEET), 4 * 1024 * 1024)
    with pytest.raises(ImportRejected) as caught:
        org.import_people(actor=admin, file=people)
    assert BOMB_MESSAGE in caught.value.report[0].message
    cats = padded_sheet(write_xlsx(categories.COLUMNS, [], title=categories.SHEET), 4 * 1024 * 1024)
    with pytest.raises(ImportRejected) as caught:
        categories.import_catalogue(actor=admin, file=cats)
    assert BOMB_MESSAGE in caught.value.report[0].message


def test_the_refusal_is_in_chinese(settings: Any) -> None:
    settings.LANGUAGE_CODE = "zh-hans"
    settings.MOFAN_IMPORT_MAX_ROWS = 100
    bomb = padded_sheet(write_xlsx(f.row_columns(), ROWS, title=f.SHEET), 4 * 1024 * 1024)
    with pytest.raises(XlsxReadError) as caught:
        read_rows(bomb, f.COLUMNS, 100, optional=f.OPTIONAL)
    assert "压缩炸弹" in caught.value.messages[0]


def test_a_row_wider_than_excel_allows_is_refused_while_parsing() -> None:
    """Within the byte limit, one row of millions of tiny cells cost 4.4 GB before openpyxl saw its end; a row
    may hold at most Excel's 16,384 cells."""
    workbook = write_xlsx(["名称"], [], title="表")
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
    row = b"<row>" + b'<c t="inlineStr"><is><t>b</t></is></c>' * 20_000 + b"</row>"
    wide = rebuild(workbook, {"xl/worksheets/sheet1.xml": xml.replace(b"<sheetData>", b"<sheetData>" + row, 1)},
                   add=INCOMPRESSIBLE)
    assert len(row) < unpacked_limit(columns=1, max_rows=20_000, upload_size=len(wide))  # the bytes pass
    with pytest.raises(XlsxReadError) as caught:
        read_rows(wide, ["名称"], 20_000)
    assert BOMB_MESSAGE in caught.value.messages[0]


def test_more_shared_strings_than_cells_are_refused_while_parsing() -> None:
    """Tiny shared strings cost 1.4 GB for 80 MiB; a table holds at most one per cell."""
    workbook = write_xlsx(["名称"], [["甲"]], title="表")
    sst = SST_HEAD + b"<si><t>b</t></si>" * 120_000 + b"</sst>"
    bomb = rebuild(workbook, shared_strings_declared(workbook), add={"xl/sharedStrings.xml": sst, **INCOMPRESSIBLE})
    assert len(sst) < unpacked_limit(columns=1, max_rows=5000, upload_size=len(bomb))  # the bytes pass
    with pytest.raises(XlsxReadError) as caught:
        read_rows(bomb, ["名称"], 5000)
    assert BOMB_MESSAGE in caught.value.messages[0]


def test_shared_strings_read_as_openpyxl_reads_them() -> None:
    from openpyxl.reader.strings import read_string_table

    from mofan.core.xlsx import _read_shared_strings

    sst = ('<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
           'main" count="5" uniqueCount="5"><si><t>甲</t></si><si><t xml:space="preserve"> 空格 </t></si>'
           '<si><r><rPr><b/></rPr><t>粗</t></r><r><t>体</t></r><rPh sb="0" eb="1"><t>ふりがな</t></rPh></si>'
           '<si><t/></si><si><t>a_x005F_x000D_b</t></si></sst>').encode()
    assert _read_shared_strings(io.BytesIO(sst)) == list(read_string_table(io.BytesIO(sst)))
    assert _read_shared_strings(io.BytesIO(sst))[:4] == ["甲", " 空格 ", "粗体", ""]


def test_a_workbook_with_shared_strings_reads_through_the_guarded_reader() -> None:
    """As Excel and WPS save: the cells refer to the shared strings by index."""
    workbook = write_xlsx(["名称"], [], title="表")
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    sst = SST_HEAD + '<si><t>名称</t></si><si><r><t>甲</t></r><r><t>乙</t></r></si><si><t>\'=1+1</t></si></sst>'.encode()
    rows = b'<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>' \
           b'<row r="3"><c r="A3" t="s"><v>2</v></c></row>'
    sheet = re.sub(rb"<sheetData>.*</sheetData>", b"<sheetData>" + rows + b"</sheetData>", sheet, flags=re.S)
    sheet = sheet.replace(b'<dimension ref="A1:A1" />', b'<dimension ref="A1:A3" />')
    content = rebuild(workbook, {**shared_strings_declared(workbook), "xl/worksheets/sheet1.xml": sheet},
                      add={"xl/sharedStrings.xml": sst})
    assert [r.values["名称"] for r in read_rows(content, ["名称"], 10)] == ["甲乙", "=1+1"]


@pytest.mark.parametrize("junk", [
    pytest.param(b"<x/>" * 150_000, id="elements-a-parser-keeps"),
    pytest.param(b"<row>" + b"<x/>" * 150_000 + b"</row>", id="elements-in-one-row"),
    pytest.param(b"<a>" * 100 + b"</a>" * 100, id="nested-too-deep"),
])
def test_elements_a_parser_would_hold_are_counted_while_parsing(junk: bytes) -> None:
    """Within the byte limit, empty elements openpyxl does not clear cost 327 MiB for 78 MiB; at most 100,000
    outside rows and shared strings, 81,920 in one row, 64 open at once."""
    workbook = write_xlsx(["名称"], [["甲"]], title="表")
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
    bomb = rebuild(workbook, {"xl/worksheets/sheet1.xml": xml.replace(b"<sheetData>", junk + b"<sheetData>", 1)},
                   add=INCOMPRESSIBLE)
    assert len(junk) < unpacked_limit(columns=1, max_rows=20_000, upload_size=len(bomb))  # the bytes pass
    with pytest.raises(XlsxReadError) as caught:
        read_rows(bomb, ["名称"], 20_000)
    assert BOMB_MESSAGE in caught.value.messages[0]
