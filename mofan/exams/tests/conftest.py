"""Exams fixtures: 甲镇's secretary sets tests from a bank of 甲镇; learners in 村一, 村二 (甲镇) and 村三 (乙镇)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

import pytest

from mofan.exams import services
from mofan.exams.models import Paper
from mofan.questions.models import Question, QuestionBank
from mofan.questions.services import bank_create, question_create

_SERIAL = itertools.count(1)
T0 = dt.datetime(2026, 6, 1, 1, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def secretary(district: Any, make_user: Any) -> Any:
    """甲镇's secretary: sets and marks tests of 甲镇 and everything under it."""
    return make_user("secretary", district.town_a, username="sec_a")


@pytest.fixture
def secretary_b(district: Any, make_user: Any) -> Any:
    return make_user("secretary", district.town_b, username="sec_b")


@pytest.fixture
def bank(district: Any, secretary: Any) -> QuestionBank:
    return bank_create(actor=secretary, unit=district.town_a, name="业务知识")


def add_questions(bank: QuestionBank, n: int, *, qtype: str = "single", tag: str = "", difficulty: int = 3,
                  prefix: str = "问题") -> list[Question]:
    out = []
    for _i in range(n):
        stem = f"{prefix}{tag}{qtype}{difficulty}第{next(_SERIAL)}题"
        if qtype == "single":
            q = question_create(actor=None, bank=bank, qtype=qtype, stem=stem, options=["甲", "乙", "丙", "丁"],
                                answers=["乙"], tags=[tag] if tag else [], difficulty=difficulty,
                                explanation="乙是对的")
        elif qtype == "multiple":
            q = question_create(actor=None, bank=bank, qtype=qtype, stem=stem, options=["甲", "乙", "丙", "丁"],
                                answers=["甲", "丙"], tags=[tag] if tag else [], difficulty=difficulty)
        elif qtype == "judge":
            q = question_create(actor=None, bank=bank, qtype=qtype, stem=stem, answers=["对"],
                                tags=[tag] if tag else [], difficulty=difficulty)
        elif qtype == "fill":
            q = question_create(actor=None, bank=bank, qtype=qtype, stem=stem, answers=[["北京", "北京市"]],
                                tags=[tag] if tag else [], difficulty=difficulty)
        else:
            q = question_create(actor=None, bank=bank, qtype=qtype, stem=stem, answers=["参考答案"],
                                tags=[tag] if tag else [], difficulty=difficulty)
        out.append(q)
    return out


def make_paper(actor: Any, unit: Any, questions: list[Question], *, publish: bool = True, points: int = 10,
               **kwargs: Any) -> Paper:
    data: dict[str, Any] = {"title": "业务测试", "opens_at": T0, "closes_at": T0 + dt.timedelta(days=7),
                            "pass_score": Decimal(len(questions) * points * 6 // 10),
                            "shuffle_questions": True, "shuffle_options": True}
    data.update(kwargs)
    items = [services.FixedItem(q, Decimal(points)) for q in questions]
    paper = services.paper_create(actor=actor, unit=unit, items=items, draws=kwargs.pop("draws", ()),
                                  **{k: v for k, v in data.items() if k != "draws"})
    if publish:
        services.paper_publish(actor=actor, paper=paper)
    return paper
