"""Every spreadsheet cell the project writes goes through ``core.exports.safe_cell`` (issue 9, defects 6 and
10): formulas neutralised with a leading quote (numbers left alone), control characters stripped, and the quote
taken off again on import. A meta-test keeps any CSV or xlsx writer from bypassing the helper."""

from __future__ import annotations

import ast
import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from mofan.core.exports import csv_bytes, csv_lines, restore_cell, safe_cell, strip_control
from mofan.core.xlsx import read_rows, sheet_title, write_xlsx

FORMULAS = ['=HYPERLINK("http://evil.example","x")', "@SUM(1+1)", "+cmd|' /C calc'!A0", "-2+3", "  =1+1",
            "\t=1+1", "\r=1", "\n@x", "\u3000=全角空格后", "\tplain after a tab", "=", "'=already quoted"]


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_like_texts_are_quoted(text: str) -> None:
    assert safe_cell(text) == "'" + text
    assert restore_cell(safe_cell(text)) == text


@pytest.mark.parametrize("value", [-5, -2.5, Decimal("-1.50"), 0, 3, dt.date(2026, 1, 1), None, True,
                                   "plain", "", "中文", "'quoted but harmless", "a=b", "1-2"])
def test_other_values_are_left_alone(value: Any) -> None:
    assert safe_cell(value) == value and type(safe_cell(value)) is type(value)
    assert restore_cell(value) == value


def test_control_characters_are_stripped() -> None:
    assert safe_cell("probe\x0buser") == "probeuser"
    assert safe_cell("控制\x01字符\x7f\x85\x9f") == "控制字符"
    assert safe_cell("行一\n行二\t制表\r回车") == "行一\n行二\t制表\r回车"  # tab, line feed and CR are text
    assert safe_cell("\x01=1+1") == "'=1+1"  # stripped first, then checked
    with translation.override("en"):
        assert safe_cell(gettext_lazy("Name")) == "Name"


def test_no_character_openpyxl_refuses_survives() -> None:
    every = "".join(chr(c) for c in range(0x0, 0x3000))
    assert not ILLEGAL_CHARACTERS_RE.search(strip_control(every))
    assert not ILLEGAL_CHARACTERS_RE.search(str(safe_cell(every)))


@given(st.text())
def test_restore_undoes_safe_cell(text: str) -> None:
    clean = strip_control(text)
    assert restore_cell(safe_cell(text)) == clean
    assert not str(safe_cell(text)).lstrip().startswith(("=", "+", "-", "@"))


def test_an_xlsx_holds_strings_never_formulas_and_survives_control_characters() -> None:
    content = write_xlsx(["=标题", "名称\x01"], [["=1+1", -3], ["a\x0bb", "@SUM(A1)"]], title="表[1]:\x02",
                         notes=['=HYPERLINK("http://x","y")'])
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert sheet.title == "表 1"
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c for c in cells if c.data_type == "f"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["'=HYPERLINK(\"http://x\",\"y\")", None], ["'=标题", "名称"], ["'=1+1", -3], ["ab", "'@SUM(A1)"]]
    assert sheet.cell(row=3, column=2).data_type == "n"  # a negative number stays a number
    rows = read_rows(content, ["=标题", "名称"], 10)  # and reads back as written
    assert [r.values for r in rows] == [{"=标题": "=1+1", "名称": -3}, {"=标题": "ab", "名称": "@SUM(A1)"}]


def test_sheet_titles_are_valid() -> None:
    assert sheet_title("a/b\\c*d?e:f[g]h") == "a b c d e f g h"
    assert sheet_title("\x01") == "Sheet1" and len(sheet_title("长" * 40)) == 31


def test_csv_cells_go_through_safe_cell() -> None:
    content = csv_bytes(["=h", "名称"], [["+1", -1], ["x\x00y", "@a"]])
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows == [["'=h", "名称"], ["'+1", "-1"], ["xy", "'@a"]]
    assert "".join(csv_lines(["a"], [["=1"]], bom=False)) == "a\r\n'=1\r\n"


# The meta-test ------------------------------------------------------------------------------------------------

SOURCE = Path(__file__).resolve().parents[2]  # the mofan package
HELPERS = {SOURCE / "core" / "exports.py", SOURCE / "core" / "xlsx.py"}


def writers_outside_the_helper(tree: ast.AST) -> list[str]:
    """What writes spreadsheet cells without ``core.exports``/``core.xlsx``: a csv writer, an openpyxl
    Workbook or write-only cell, cell values set or rows appended by hand, a Word document."""
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = {a.name for a in node.names}
            if node.module == "csv" and names & {"writer", "DictWriter"}:
                found.append(f"line {node.lineno}: from csv import a writer")
            if node.module.startswith("openpyxl") and names & {"Workbook", "WriteOnlyCell"}:
                found.append(f"line {node.lineno}: openpyxl Workbook/WriteOnlyCell imported")
            if node.module.split(".")[0] == "docx":
                found.append(f"line {node.lineno}: python-docx")
        elif isinstance(node, ast.Import) and any(a.name.split(".")[0] == "docx" for a in node.names):
            found.append(f"line {node.lineno}: python-docx")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
            if owner == "csv" and name in ("writer", "DictWriter"):
                found.append(f"line {node.lineno}: csv.{name}")
            if name in ("Workbook", "WriteOnlyCell"):
                found.append(f"line {node.lineno}: {name}()")
            if name == "cell" and any(k.arg == "value" for k in node.keywords):
                found.append(f"line {node.lineno}: .cell(value=…)")
            if name == "append" and (owner.lower().endswith("sheet") or owner in ("ws", "worksheet")):
                found.append(f"line {node.lineno}: {owner}.append")
        elif isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr == "value":
                    found.append(f"line {node.lineno}: a cell's .value set")
    return found


def test_the_scanner_finds_writers() -> None:
    sample = ("import csv\nfrom openpyxl import Workbook\nw = csv.writer(f)\nwb = Workbook()\n"
              "ws.append([1])\nws.cell(row=1, column=1, value='=x')\nws['A1'].value = '=x'\nimport docx\n")
    assert len(writers_outside_the_helper(ast.parse(sample))) == 7
    assert writers_outside_the_helper(ast.parse("xlsx_response('a.xlsx', ['h'], [])\nrows.append(1)\n")) == []


def test_no_export_bypasses_the_helper() -> None:
    offenders = []
    for path in sorted(SOURCE.rglob("*.py")):
        if path in HELPERS or "tests" in path.relative_to(SOURCE).parts or "migrations" in path.parts:
            continue
        for finding in writers_outside_the_helper(ast.parse(path.read_text(encoding="utf-8"))):
            offenders.append(f"{path.relative_to(SOURCE.parent)} {finding}")
    assert offenders == [], "write CSV and xlsx through mofan.core.exports / mofan.core.xlsx:\n" + "\n".join(offenders)
