"""The rules of a question: bad input is refused with a clear message and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mofan.accounts.roles import Role
from mofan.audit.models import AuditLog
from mofan.questions import services
from mofan.questions.models import Question
from mofan.questions.validation import clean_question, fingerprint


def messages(exc: ValidationError) -> str:
    return " ".join(m for ms in exc.message_dict.values() for m in ms)


@pytest.mark.parametrize(("fields", "expected"), [
    ({"qtype": "single", "stem": "  ", "options": ["甲", "乙"], "answers": ["甲"]}, "The stem is empty."),
    ({"qtype": "single", "stem": "题", "options": ["甲", "乙"], "answers": ["丙"]}, "is not among the options"),
    ({"qtype": "single", "stem": "题", "options": ["甲", "乙"], "answers": ["甲", "乙"]}, "exactly one right answer"),
    ({"qtype": "single", "stem": "题", "options": ["甲"], "answers": ["甲"]}, "at least two options"),
    ({"qtype": "multiple", "stem": "题", "options": ["甲", "甲 "], "answers": ["甲"]}, "Two options are the same"),
    ({"qtype": "multiple", "stem": "题", "options": ["甲", "乙"], "answers": []}, "Give the right answer"),
    ({"qtype": "judge", "stem": "题", "answers": ["也许"]}, "对 or 错"),
    ({"qtype": "fill", "stem": "题", "answers": [["北京"], []]}, "every blank"),
    ({"qtype": "essay", "stem": "题"}, "Unknown question type"),
    ({"qtype": "single", "stem": "题", "options": ["甲", "乙"], "answers": ["甲"], "difficulty": 9}, "1 to 5"),
])
def test_bad_questions_are_refused(fields: dict[str, Any], expected: str) -> None:
    with pytest.raises(ValidationError) as caught:
        clean_question(**fields)
    assert expected in messages(caught.value)


def test_answers_are_kept_as_option_text_and_judge_words_are_normalised() -> None:
    clean = clean_question(qtype="multiple", stem="题", options=["甲", "乙", "丙"], answers=["丙", "甲"])
    assert clean.answers == ["丙", "甲"]
    assert clean_question(qtype="judge", stem="题", answers=["正确"]).answers == ["对"]
    assert clean_question(qtype="judge", stem="题", answers=["×"]).answers == ["错"]


def test_the_fingerprint_ignores_option_order_width_and_spaces() -> None:
    assert fingerprint("single", "题干 （ ）", ["甲", "乙"]) == fingerprint("single", "题干 ( )", ["乙", "甲"])
    assert fingerprint("single", "题干", ["甲", "乙"]) != fingerprint("multiple", "题干", ["甲", "乙"])


@pytest.mark.django_db
def test_question_create_checks_permission_duplicates_and_audits(district: Any, make_user: Any) -> None:
    secretary = make_user(Role.SECRETARY, district.organ)
    member = make_user(Role.PARTY_MEMBER, district.organ)
    bank = services.bank_create(actor=secretary, unit=district.organ, name="政法业务题库")
    question = services.question_create(actor=secretary, bank=bank, qtype="single", stem="题一",
                                        options=["甲", "乙"], answers=["甲"], tags=["法治"])
    assert [t.name for t in question.tags.all()] == ["法治"]
    assert AuditLog.objects.filter(event_id=401, target_id=str(question.pk)).count() == 1
    with pytest.raises(ValidationError) as caught:
        services.question_create(actor=secretary, bank=bank, qtype="single", stem=" 题一 ", options=["乙", "甲"],
                                 answers=["甲"])
    assert "already in the bank" in messages(caught.value)
    with pytest.raises(PermissionDenied):
        services.question_create(actor=member, bank=bank, qtype="judge", stem="题二", answers=["对"])
    outsider = make_user(Role.SECRETARY, district.town_a)
    with pytest.raises(PermissionDenied):
        services.question_create(actor=outsider, bank=bank, qtype="judge", stem="题三", answers=["对"])
    assert Question.objects.count() == 1
