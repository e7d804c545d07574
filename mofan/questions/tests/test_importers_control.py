"""Control characters in an imported question file (found by tests/fuzz/test_importers.py): NUL in a CSV stem
was a 500 on PostgreSQL (``DataError``) and stored as is on SQLite; now every cell holding a control character
is refused with its row and column, nothing is written, and the report carries none (the import job keeps it
as JSON, where PostgreSQL refuses NUL too)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from mofan.core.validators import CONTROL_CHARACTERS, control_character_message
from mofan.org.importers import ImportRejected
from mofan.questions import formats as f
from mofan.questions.importers import import_questions
from mofan.questions.models import Question, Tag

pytestmark = pytest.mark.django_db


def csv_file(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(f.COLUMNS)
    for row in rows:
        writer.writerow([row.get(column, "") for column in f.COLUMNS])
    return out.getvalue().encode()


def report_is_clean(exc: ImportRejected) -> bool:
    return not any(CONTROL_CHARACTERS.search(str(value)) for e in exc.report for value in e.as_dict().values())


def test_nul_in_a_csv_stem_is_refused_and_nothing_is_written(bank: Any, secretary: Any) -> None:
    data = csv_file([{f.TYPE: "简答", f.STEM: "什么是\x00枫桥经验？", f.ANSWER: "参考", f.TAGS: "治理"},
                     {f.TYPE: "简答", f.STEM: "第二题", f.ANSWER: "参考", f.TAGS: "标\x01签"}])
    with pytest.raises(ImportRejected) as refused:
        import_questions(actor=secretary, bank=bank, file=data, file_name="q.csv")
    assert [(e.row, e.column, e.message) for e in refused.value.report] == [
        (2, f.STEM, control_character_message("U+0000")), (3, f.TAGS, control_character_message("U+0001"))]
    assert report_is_clean(refused.value)
    assert not Question.objects.exists() and not Tag.objects.exists()


def test_control_characters_in_json_lists_and_keys_are_refused(bank: Any, secretary: Any) -> None:
    items = [{"type": "单选", "stem": "选哪个？", "options": ["甲", "乙\x07"], "answers": ["甲"]},
             {"type": "简答", "stem": "第二题", "answers": "参考", "tags": ["好", "坏\x00"]},
             {"type": "简答", "stem": "第三题", "answers": "参考", "bad\x00key": 1}]
    with pytest.raises(ImportRejected) as refused:
        import_questions(actor=secretary, bank=bank, file=json.dumps(items).encode(), file_name="q.json")
    rows = [(e.row, e.column) for e in refused.value.report]
    assert (1, f.OPTION) in rows and (2, f.TAGS) in rows and any(row == 3 for row, _ in rows)
    assert report_is_clean(refused.value)
    assert not Question.objects.exists()
