"""Export of a bank and the downloadable import templates, in the format of ``questions.formats``: an export
imports again, unchanged, into another bank (a text that reads like a formula is written with a leading quote,
``core.exports.safe_cell``, which the import removes). Exports are audited (``core.services.record_export``)."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from mofan.core.exports import csv_bytes
from mofan.core.services import record_export
from mofan.core.xlsx import XLSX_CONTENT_TYPE, add_help_sheet, write_xlsx
from mofan.questions import formats as f
from mofan.questions.models import ImportFormat, QuestionBank, QuestionType
from mofan.questions.selectors import question_list

CONTENT_TYPES: dict[str, str] = {ImportFormat.XLSX: XLSX_CONTENT_TYPE, ImportFormat.CSV: "text/csv; charset=utf-8",
                 ImportFormat.JSON: "application/json; charset=utf-8"}
FORMATS = tuple(str(v) for v in ImportFormat.values)


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    content_type: str
    filename: str


def _csv(columns: tuple[str, ...], rows: list[list[Any]]) -> bytes:
    # with a BOM, so that Excel and WPS open the UTF-8 file as UTF-8; every cell through ``safe_cell`` (a stem
    # starting with "=" is written "'=…" and the import takes the quote off again)
    return csv_bytes(columns, rows)


def _json(objects: list[dict[str, Any]]) -> bytes:
    return (json.dumps(objects, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def export_bank(*, actor: Any, bank: QuestionBank, fmt: str) -> ExportFile:
    """The active questions of ``bank`` (from ``selectors.bank_get``, so in the actor's scope) as a file."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    questions = list(question_list(actor=actor, bank=bank).order_by("id"))
    widest = max((len(q.options) for q in questions if q.qtype in (QuestionType.SINGLE, QuestionType.MULTIPLE)),
                 default=0)
    option_columns = max(f.TEMPLATE_OPTIONS, widest)
    if fmt == ImportFormat.JSON:
        content = _json([f.question_object(q) for q in questions])
    else:
        columns = f.row_columns(option_columns)
        rows = [f.question_row(q, option_columns) for q in questions]
        content = write_xlsx(columns, rows, title=f.SHEET) if fmt == ImportFormat.XLSX else _csv(columns, rows)
    record_export(actor=actor, what="questions.question", count=len(questions))
    return ExportFile(content=content, content_type=CONTENT_TYPES[fmt], filename=f"{bank.name}.{fmt}")


# Templates -----------------------------------------------------------------------------------------------------

_EXAMPLES: list[list[Any]] = [
    ["单选", "我国的根本政治制度是（ ）。", "人民代表大会制度", "中国共产党领导的多党合作和政治协商制度",
     "民族区域自治制度", "基层群众自治制度", "", "", "", "", "A", "政治制度", 2, "", ""],
    ["多选", "新时代好干部的标准包括（ ）。", "信念坚定", "为民服务", "勤政务实", "敢于担当", "清正廉洁", "", "", "",
     "信念坚定|为民服务|勤政务实|敢于担当|清正廉洁", "干部，党建", 3, "", ""],
    ["判断", "行政复议期间具体行政行为原则上不停止执行。", "", "", "", "", "", "", "", "", "对", "法律", 3, "", ""],
    ["填空", "实现中华民族伟大复兴的中国梦，就是要实现____、____、人民幸福。", "", "", "", "", "", "", "", "",
     "国家富强；民族振兴", "", 2, "", ""],
    ["简答", "简述“枫桥经验”的主要内容。", "", "", "", "", "", "", "", "", "", "基层治理", 4, "", ""],
]


def _explain() -> list[tuple[str, bool, str]]:
    return [
        (f.TYPE, True, _("单选, 多选, 判断, 填空 or 简答 (or single, multiple, judge, fill, short).")),
        (f.STEM, True, _("The question itself.")),
        (f"{f.OPTION_COLUMNS[0]} … {f.OPTION_COLUMNS[f.TEMPLATE_OPTIONS - 1]}", False,
         _("Choice questions only: one option per column, from 选项A on without gaps (at least two). Options are "
           "stored as text and shuffled in tests.")),
        (f.ANSWER, True, _("单选/多选: the texts of the right options, several separated by \"|\", or their letters "
                           "(\"A\", \"A C\", \"AC\", \"A,C\"), which the import turns into the option texts. 判断: 对 "
                           "or 错. 填空: the blanks separated by \"；\", the accepted answers of one blank by \"|\", "
                           "e.g. 北京|北京市；长城. 简答: the reference answer, may be empty.")),
        (f.TAGS, False, _("Topics, separated by \"，\" or \",\"; tests draw questions at random by tag.")),
        (f.DIFFICULTY, False, _("A whole number from 1 (easy) to 5 (hard); empty means 3.")),
        (f.SOURCE, False, _("Where the question comes from, at most 200 characters.")),
        (f.EXPLANATION, False, _("The explanation shown after the answer.")),
    ]


def template_file(fmt: str) -> ExportFile:
    """The import template of ``fmt``: xlsx with notes, a header row and a sheet 说明 with examples; CSV with
    the header row; JSON with one example of each question type (to be replaced)."""
    columns = f.row_columns()
    if fmt == ImportFormat.CSV:
        content = _csv(columns, [])
    elif fmt == ImportFormat.JSON:
        content = _json([
            {"type": f.type_code(row[0]), "stem": row[1], "options": [c for c in row[2:10] if c],
             "answers": f.parse_answers(str(f.type_code(row[0])), row[10], [c for c in row[2:10] if c]),
             "tags": f.split_tags(row[11]), "difficulty": row[12], "source": "", "explanation": ""}
            for row in _EXAMPLES
        ])
    elif fmt == ImportFormat.XLSX:
        content = _template_xlsx(columns)
    else:
        raise ValueError(fmt)
    return ExportFile(content=content, content_type=CONTENT_TYPES[fmt], filename=f"题目导入模板.{fmt}")


def _template_xlsx(columns: tuple[str, ...]) -> bytes:
    notes = [
        _("Fill in one question per row below the header row and keep the header row as it is. The sheet 说明 "
          "explains each column and shows an example of each question type."),
        _("The import is all-or-nothing: if any row has an error, nothing is imported and every error is listed "
          "with its row number."),
    ]
    workbook = load_workbook(io.BytesIO(write_xlsx(columns, [], title=f.SHEET, notes=notes)))
    worksheet = workbook.worksheets[0]
    header_row = len(notes) + 1
    explanations = {column: text for column, _required, text in _explain()}
    for number, column in enumerate(columns, start=1):
        letter = get_column_letter(number)
        text = explanations.get(column) or explanations[next(k for k in explanations if k.startswith(f.OPTION))]
        worksheet.cell(row=header_row, column=number).comment = Comment(text, "mofan")
        worksheet.column_dimensions[letter].width = 40 if column in (f.STEM, f.EXPLANATION) else 16
        worksheet.column_dimensions[letter].number_format = "@"  # text: answers like "1" stay text
    choice = DataValidation(type="list", formula1='"' + ",".join(f.TYPE_NAMES.values()) + '"', allow_blank=True,
                            showErrorMessage=False)
    choice.add(f"A{header_row + 1}:A{header_row + 20000}")
    worksheet.add_data_validation(choice)
    add_help_sheet(workbook, title=f.HELP_SHEET, columns=columns, explain=_explain(), examples=_EXAMPLES)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
