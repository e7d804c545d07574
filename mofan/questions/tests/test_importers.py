"""Importing questions from xlsx, CSV and JSON: all or nothing, with a per-row report."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.core.xlsx import write_xlsx
from mofan.org.importers import ImportRejected
from mofan.questions import formats as f
from mofan.questions.exporters import export_bank, template_file
from mofan.questions.importers import import_questions
from mofan.questions.models import Question, QuestionBank, Tag
from mofan.questions.services import bank_create, question_create

pytestmark = pytest.mark.django_db

GOOD_ROWS: list[list[Any]] = [
    ["单选", "我国的根本政治制度是什么？", "人民代表大会制度", "民族区域自治制度", "", "", "", "", "", "", "A", "政治，制度",
     2, "宪法", "见宪法第二条"],
    ["多选", "以下哪些是直辖市？", "北京", "天津", "广州", "重庆", "", "", "", "", "A C", "", "", "", ""],
    ["多选", "以下哪些属于新发展理念？", "创新", "协调", "封闭", "", "", "", "", "", "创新|协调", "理念", 4, "", ""],
    ["判断", "行政复议期间具体行政行为原则上不停止执行。", "", "", "", "", "", "", "", "", "正确", "法律", 3, "", ""],
    ["填空", "实现____、____、人民幸福。", "", "", "", "", "", "", "", "", "国家富强|富强；民族振兴", "", 1, "", ""],
    ["简答", "简述枫桥经验。", "", "", "", "", "", "", "", "", "矛盾不上交", "基层治理", 5, "", ""],
    ["single", "AC 还是 BD？", "AC", "BD", "", "", "", "", "", "", "AC", "", 3, "", ""],
]


def xlsx(rows: list[list[Any]]) -> bytes:
    return write_xlsx(f.row_columns(), rows, title=f.SHEET)


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(f.row_columns())
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def by_stem(bank: QuestionBank) -> dict[str, Question]:
    return {q.stem: q for q in Question.objects.filter(bank=bank).prefetch_related("tags")}


def check_good_rows(bank: QuestionBank) -> None:
    questions = by_stem(bank)
    assert len(questions) == len(GOOD_ROWS)
    single = questions["我国的根本政治制度是什么？"]
    assert single.qtype == "single" and single.answers == ["人民代表大会制度"]
    assert single.options == ["人民代表大会制度", "民族区域自治制度"]
    assert sorted(t.name for t in single.tags.all()) == ["制度", "政治"]
    assert (single.difficulty, single.source, single.explanation) == (2, "宪法", "见宪法第二条")
    assert questions["以下哪些是直辖市？"].answers == ["北京", "广州"]  # letters "A C" became texts
    assert questions["以下哪些是直辖市？"].difficulty == 3
    assert questions["以下哪些属于新发展理念？"].answers == ["创新", "协调"]
    assert questions["行政复议期间具体行政行为原则上不停止执行。"].answers == ["对"]
    assert questions["实现____、____、人民幸福。"].answers == [["国家富强", "富强"], ["民族振兴"]]
    assert questions["简述枫桥经验。"].answers == ["矛盾不上交"]
    assert questions["AC 还是 BD？"].answers == ["AC"]  # an option that reads like letters is taken as text


@pytest.mark.parametrize("content", [
    pytest.param(lambda: xlsx(GOOD_ROWS), id="xlsx"),
    pytest.param(lambda: csv_bytes(GOOD_ROWS), id="csv-utf8-bom"),
    pytest.param(lambda: csv_bytes(GOOD_ROWS, "utf-8"), id="csv-utf8"),
    pytest.param(lambda: csv_bytes(GOOD_ROWS, "gb18030"), id="csv-gb18030"),
])
def test_each_table_format_imports(bank: QuestionBank, secretary: Any, content: Any) -> None:
    calls: list[tuple[str, int, int]] = []
    data = content()
    fmt = "xlsx" if data.startswith(b"PK") else "csv"
    result = import_questions(actor=secretary, bank=bank, file=data, fmt=fmt, file_name=f"题库.{fmt}",
                              progress=lambda *args: calls.append(args))
    assert result.created == len(GOOD_ROWS)
    check_good_rows(bank)
    assert calls[-3:] == [("validate", 7, 7), ("write", 0, 7), ("write", 7, 7)]
    log = AuditLog.objects.get(event_id=AuditEvent.QUESTIONS_IMPORTED.id)
    assert log.new_values == {"created": 7, "file": f"题库.{fmt}", "format": fmt}
    assert log.target_id == str(bank.pk) and log.unit_path == bank.unit_path


def test_json_list_and_json_lines_import(bank: QuestionBank, secretary: Any, district: Any) -> None:
    objects = [
        {"type": "single", "stem": "甲乙选哪个？", "options": ["甲", "乙"], "answer": "B", "id": "x-1"},
        {"type": "multiple", "stem": "选两个", "options": ["甲", "乙", "丙"], "answers": ["甲", "丙"], "tags": ["t1"]},
        {"type": "truefalse", "stem": "天是蓝的", "options": ["是", "否"], "answer": "B"},
        {"type": "fill", "stem": "1和2", "options": [],
         "answer": [{"index": "1", "text": "一"}, {"index": "1", "text": "壹"}, {"index": "2", "text": "二"}]},
        {"题型": "简答", "题干": "谈谈体会", "答案": "", "难度": 4},
    ]
    import_questions(actor=secretary, bank=bank, file=json.dumps(objects, ensure_ascii=False).encode(), fmt="json")
    lines = "\n".join(json.dumps(o, ensure_ascii=False) for o in objects).encode()
    other = bank_create(actor=secretary, unit=district.town_a, name="第二个")
    result = import_questions(actor=secretary, bank=other, file=lines, file_name="sample.jsonl")
    assert result.created == 5 and result.fmt == "json"
    for target in (bank, other):
        questions = by_stem(target)
        assert questions["甲乙选哪个？"].answers == ["乙"]
        assert questions["选两个"].answers == ["甲", "丙"]
        assert questions["天是蓝的"].answers == ["错"] and questions["天是蓝的"].qtype == "judge"
        assert questions["1和2"].answers == [["一", "壹"], ["二"]]
        assert questions["谈谈体会"].answers == [] and questions["谈谈体会"].difficulty == 4


def bad(rows: list[list[Any]]) -> list[list[Any]]:
    return [GOOD_ROWS[0], *rows]


def blank(**cells: Any) -> list[Any]:
    row: dict[str, Any] = dict.fromkeys(f.row_columns(), "")
    row.update({f.TYPE: "单选", f.STEM: "一道新题", f.OPTION_COLUMNS[0]: "甲", f.OPTION_COLUMNS[1]: "乙",
                f.ANSWER: "甲"})
    row.update({{"type": f.TYPE, "stem": f.STEM, "answer": f.ANSWER, "difficulty": f.DIFFICULTY,
                 "a": f.OPTION_COLUMNS[0], "b": f.OPTION_COLUMNS[1]}[k]: v for k, v in cells.items()})
    return list(row.values())


@pytest.mark.parametrize(("row", "column", "message"), [
    (blank(answer="丙"), f.ANSWER, "is not among the options"),
    (blank(answer="C"), f.ANSWER, "is not among the options"),
    (blank(stem="  "), f.STEM, "The stem is empty."),
    (blank(stem=GOOD_ROWS[0][1], a=GOOD_ROWS[0][2], b=GOOD_ROWS[0][3], answer="A"), f.STEM, "already in row 2"),
    (blank(type="论述"), f.TYPE, "Unknown question type"),
    (blank(difficulty=7), f.DIFFICULTY, "1 to 5"),
    (blank(difficulty="难"), f.DIFFICULTY, "1 to 5"),
    (blank(a=""), f.OPTION_COLUMNS[0], "An option is empty"),
    (blank(type="判断", answer="也许"), f.ANSWER, "对 or 错"),
])
def test_one_bad_row_imports_nothing_and_is_reported(bank: QuestionBank, secretary: Any, row: list[Any],
                                                     column: str, message: str) -> None:
    tags_before = Tag.objects.count()
    with pytest.raises(ImportRejected) as caught:
        import_questions(actor=secretary, bank=bank, file=xlsx(bad([row])), fmt="xlsx")
    report = caught.value.report
    assert [(e.row, e.column) for e in report] == [(3, column)], report
    assert message in report[0].message
    assert Question.objects.count() == 0 and Tag.objects.count() == tags_before
    assert not AuditLog.objects.filter(event_id=AuditEvent.QUESTIONS_IMPORTED.id).exists()


def test_a_question_already_in_the_bank_is_refused(bank: QuestionBank, secretary: Any) -> None:
    question_create(actor=secretary, bank=bank, qtype="single", stem="我国的根本政治制度是什么？",
                    options=["民族区域自治制度", "人民代表大会制度"], answers=["人民代表大会制度"])
    with pytest.raises(ImportRejected) as caught:
        import_questions(actor=secretary, bank=bank, file=csv_bytes(GOOD_ROWS), fmt="csv")
    assert [(e.row, e.column, e.message) for e in caught.value.report] == [
        (2, f.STEM, "This question is already in the bank.")]
    assert Question.objects.filter(bank=bank).count() == 1


@pytest.mark.parametrize(("content", "fmt", "message"), [
    (b"", "csv", "The file is empty."),
    ("题干,答案\n题,甲\n".encode(), "csv", "Missing columns: 题型"),
    (b"not,a,table\n", "xlsx", "not an Excel .xlsx workbook"),
    (b'[{"type": "single"', "json", "not valid JSON"),
    (b"\xff\xfe\x00\x00garbage\x81", "csv", "neither UTF-8 nor GB18030"),
])
def test_unreadable_files_are_refused_clearly(bank: QuestionBank, secretary: Any, content: bytes, fmt: str,
                                              message: str) -> None:
    with pytest.raises(ImportRejected) as caught:
        import_questions(actor=secretary, bank=bank, file=content, fmt=fmt)
    assert message in " ".join(e.message for e in caught.value.report)
    assert Question.objects.count() == 0


def test_json_lines_report_the_line(bank: QuestionBank, secretary: Any) -> None:
    lines = b'{"type": "judge", "stem": "a", "answer": "\xe5\xaf\xb9"}\n{broken\n{"type": "x", "stem": "b"}\n'
    with pytest.raises(ImportRejected) as caught:
        import_questions(actor=secretary, bank=bank, file=lines, fmt="json")
    assert [(e.row, e.column) for e in caught.value.report] == [(2, ""), (3, f.TYPE)]
    assert Question.objects.count() == 0


def test_a_party_member_and_another_town_cannot_import(bank: QuestionBank, district: Any, make_user: Any,
                                                       make_learner: Any) -> None:
    for actor in (make_learner(district.town_a), make_user("secretary", district.town_b)):
        with pytest.raises(PermissionDenied):
            import_questions(actor=actor, bank=bank, file=xlsx(GOOD_ROWS), fmt="xlsx")
    assert Question.objects.count() == 0


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "json"])
def test_export_imports_again_into_another_bank(bank: QuestionBank, secretary: Any, district: Any, fmt: str) -> None:
    import_questions(actor=secretary, bank=bank, file=xlsx(GOOD_ROWS), fmt="xlsx")
    wide = ["选" + str(i) for i in range(10)]
    question_create(actor=secretary, bank=bank, qtype="multiple", stem="十个选项|竖线", options=[*wide[:9], "a|b"],
                    answers=["选8", "a|b"], tags=["宽"])
    exported = export_bank(actor=secretary, bank=bank, fmt=fmt)
    assert AuditLog.objects.filter(event_id=AuditEvent.EXPORT_LIST.id, new_values__count=8).exists()
    other = bank_create(actor=secretary, unit=district.village_a1, name="副本")
    import_questions(actor=secretary, bank=other, file=exported.content, fmt=fmt)

    def shape(target: QuestionBank) -> list[tuple[Any, ...]]:
        return sorted((q.qtype, q.stem, q.options, q.answers, sorted(t.name for t in q.tags.all()), q.difficulty,
                       q.source, q.explanation, q.fingerprint) for q in by_stem(target).values())

    assert shape(other) == shape(bank)


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "json"])
def test_templates_read_back(bank: QuestionBank, secretary: Any, fmt: str) -> None:
    template = template_file(fmt)
    if fmt == "json":  # the JSON template holds one example of each type, which import as they are
        assert import_questions(actor=secretary, bank=bank, file=template.content, fmt=fmt).created == 5
        return
    with pytest.raises(ImportRejected) as caught:  # a header row and no question
        import_questions(actor=secretary, bank=bank, file=template.content, fmt=fmt)
    assert "no rows to import" in caught.value.report[0].message
