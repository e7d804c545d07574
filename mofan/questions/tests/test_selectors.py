"""Reads of banks and questions: filters, and nothing outside the actor's scope."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import Http404

from mofan.questions import selectors, services
from mofan.questions.models import QuestionBank
from mofan.questions.selectors import QuestionFilters

pytestmark = pytest.mark.django_db


@pytest.fixture
def filled(bank: QuestionBank, secretary: Any) -> QuestionBank:
    add = services.question_create
    add(actor=secretary, bank=bank, qtype="single", stem="税收征管法第一题", options=["甲", "乙"], answers=["甲"],
        tags=["征管"], difficulty=2)
    add(actor=secretary, bank=bank, qtype="judge", stem="判断一下税收", answers=["对"], tags=["征管", "法律"],
        difficulty=4)
    add(actor=secretary, bank=bank, qtype="fill", stem="填空题", answers=[["一"]], difficulty=4)
    gone = add(actor=secretary, bank=bank, qtype="short", stem="已停用的简答")
    services.question_set_active(actor=secretary, question=gone, active=False)
    return bank


def stems(actor: Any, bank: QuestionBank, **filters: Any) -> list[str]:
    questions = selectors.question_list(actor=actor, bank=bank, filters=QuestionFilters(**filters))
    return sorted(q.stem for q in questions)


def test_filters_by_type_tag_difficulty_and_stem(filled: QuestionBank, secretary: Any) -> None:
    assert stems(secretary, filled) == sorted(["填空题", "判断一下税收", "税收征管法第一题"])
    assert stems(secretary, filled, qtype="judge") == sorted(["判断一下税收"])
    assert stems(secretary, filled, tag="征管") == sorted(["判断一下税收", "税收征管法第一题"])
    assert stems(secretary, filled, difficulty=4) == sorted(["填空题", "判断一下税收"])
    assert stems(secretary, filled, search="税收") == sorted(["判断一下税收", "税收征管法第一题"])
    assert "已停用的简答" in stems(secretary, filled, include_inactive=True)
    assert selectors.bank_tags(bank=filled) == ["征管", "法律"]


def test_filters_from_request_parameters_ignore_nonsense() -> None:
    parsed = QuestionFilters.from_params({"type": "essay", "difficulty": "9", "q": " 税 ", "tag": "征管"})
    assert parsed == QuestionFilters(qtype="", tag="征管", difficulty=None, search="税")
    assert QuestionFilters.from_params({"type": "fill", "difficulty": "x", "inactive": "1"}).include_inactive


def test_a_secretary_of_another_town_sees_nothing(filled: QuestionBank, secretary: Any, district: Any,
                                                  make_user: Any, make_learner: Any) -> None:
    other_bank = services.bank_create(actor=None, unit=district.town_b, name="乙镇题库")
    assert list(selectors.bank_list(actor=secretary)) == [filled]
    outsider = make_user("secretary", district.town_b)
    assert list(selectors.bank_list(actor=outsider)) == [other_bank]
    for actor in (outsider, make_learner(district.town_a)):
        with pytest.raises(Http404):
            selectors.bank_get(actor=actor, pk=filled.pk)
        assert stems(actor, filled) == sorted([])
        question = filled.questions.first()
        assert question is not None
        with pytest.raises(Http404):
            selectors.question_get(actor=actor, bank=filled, pk=question.pk)


def test_the_district_secretary_sees_the_banks_below(filled: QuestionBank, district: Any, make_user: Any) -> None:
    top = make_user("secretary", district.district)
    assert selectors.bank_get(actor=top, pk=filled.pk) == filled
    listed: Any = selectors.bank_list(actor=top).get()
    assert listed.question_count == 3
