"""Each question type's marking (Done when: "each question type's marking")."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from mofan.questions.marking import mark

SINGLE = ["为民服务"]
MULTI = ["为民服务", "勤政务实", "敢于担当"]


@pytest.mark.parametrize(("qtype", "answers", "response", "score"), [
    ("single", SINGLE, "为民服务", Decimal(1)),
    ("single", SINGLE, " 为民服务 ", Decimal(1)),
    ("single", SINGLE, "勤政务实", Decimal(0)),
    ("single", SINGLE, ["为民服务"], Decimal(0)),  # wrong shape
    ("single", SINGLE, None, Decimal(0)),
    ("multiple", MULTI, ["敢于担当", "为民服务", "勤政务实"], Decimal(1)),  # order does not matter
    ("multiple", MULTI, ["为民服务", "勤政务实"], Decimal("0.5")),  # 少选得半分
    ("multiple", MULTI, ["为民服务", "清正廉洁"], Decimal(0)),  # 错选不得分
    ("multiple", MULTI, [], Decimal(0)),
    ("multiple", MULTI, "为民服务", Decimal(0)),
    ("judge", ["对"], "对", Decimal(1)),
    ("judge", ["对"], "错", Decimal(0)),
    ("fill", [["北京", "北京市"]], ["北京市"], Decimal(1)),
    ("fill", [["北京", "北京市"]], "北京", Decimal(1)),
    ("fill", [["ＡＢＣ"], ["2"]], ["abc", "3"], Decimal("0.5")),  # full-width and case folded; one of two blanks
    ("fill", [["ＡＢＣ"], ["2"]], ["abc"], Decimal("0.5")),
    ("fill", [["北京"]], ["上海"], Decimal(0)),
    ("short", ["参考答案"], "我的回答", None),
])
def test_each_type_is_marked(qtype: str, answers: list[Any], response: Any, score: Decimal | None) -> None:
    assert mark(qtype, answers, response) == score
