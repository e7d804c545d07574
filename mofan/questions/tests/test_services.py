"""Bank and question updates: permission, the rules of creation, one audit row each."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.questions import services
from mofan.questions.models import Question, QuestionBank

pytestmark = pytest.mark.django_db


def test_bank_update_renames_and_closes(bank: QuestionBank, secretary: Any, district: Any) -> None:
    services.bank_update(actor=secretary, bank=bank, name="税收业务", description="说明", is_active=False)
    bank.refresh_from_db()
    assert (bank.name, bank.description, bank.is_active) == ("税收业务", "说明", False)
    log = AuditLog.objects.filter(event_id=AuditEvent.QUESTION_BANK_CHANGED.id).latest("id")
    assert log.old_values == {"name": "业务知识", "description": "", "is_active": True}
    assert log.new_values == {"name": "税收业务", "description": "说明", "is_active": False}
    services.bank_create(actor=secretary, unit=district.town_a, name="别的")
    with pytest.raises(ValidationError, match="already has a bank"):
        services.bank_update(actor=secretary, bank=bank, name="别的")


def test_question_update_keeps_the_rules(bank: QuestionBank, secretary: Any) -> None:
    first = services.question_create(actor=secretary, bank=bank, qtype="single", stem="题一", options=["甲", "乙"],
                                     answers=["甲"])
    services.question_create(actor=secretary, bank=bank, qtype="judge", stem="题二", answers=["对"])
    services.question_update(actor=secretary, question=first, qtype="multiple", stem="题一", options=["甲", "乙", "丙"],
                             answers=["乙", "丙"], tags=["新"], difficulty=5)
    first.refresh_from_db()
    assert (first.qtype, first.answers, first.difficulty) == ("multiple", ["乙", "丙"], 5)
    assert [t.name for t in first.tags.all()] == ["新"]
    log = AuditLog.objects.filter(event_id=AuditEvent.QUESTION_CHANGED.id, target_id=str(first.pk)).latest("id")
    assert log.old_values is not None and log.new_values is not None
    assert log.old_values["qtype"] == "single" and log.new_values["tags"] == ["新"]
    before = AuditLog.objects.count()
    with pytest.raises(ValidationError, match="already in the bank"):
        services.question_update(actor=secretary, question=first, qtype="judge", stem="题二", answers=["错"])
    with pytest.raises(ValidationError, match="not among the options"):
        services.question_update(actor=secretary, question=first, qtype="single", stem="题一", options=["甲", "乙"],
                                 answers=["丁"])
    first.refresh_from_db()
    assert first.qtype == "multiple" and AuditLog.objects.count() == before


def test_deactivate_and_reactivate(bank: QuestionBank, secretary: Any) -> None:
    question = services.question_create(actor=secretary, bank=bank, qtype="judge", stem="题", answers=["对"])
    services.question_set_active(actor=secretary, question=question, active=False)
    assert not Question.objects.get(pk=question.pk).is_active
    log = AuditLog.objects.filter(event_id=AuditEvent.QUESTION_CHANGED.id).latest("id")
    assert log.new_values == {"is_active": False}
    services.question_set_active(actor=secretary, question=question, active=True)
    assert Question.objects.get(pk=question.pk).is_active


def test_others_may_not_change_the_bank(bank: QuestionBank, secretary: Any, district: Any, make_user: Any,
                                        make_learner: Any) -> None:
    question = services.question_create(actor=secretary, bank=bank, qtype="judge", stem="题", answers=["对"])
    for actor in (make_user("secretary", district.town_b), make_learner(district.town_a)):
        with pytest.raises(PermissionDenied):
            services.bank_update(actor=actor, bank=bank, name="改名")
        with pytest.raises(PermissionDenied):
            services.question_update(actor=actor, question=question, qtype="judge", stem="改", answers=["错"])
        with pytest.raises(PermissionDenied):
            services.question_set_active(actor=actor, question=question, active=False)
    bank.refresh_from_db()
    question.refresh_from_db()
    assert bank.name == "业务知识" and question.stem == "题" and question.is_active
    assert AuditLog.objects.filter(event_id=AuditEvent.ACCESS_DENIED.id).count() == 6
