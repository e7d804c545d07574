"""Writes on question banks and questions. Permission: QUESTION_MANAGE on the bank's unit, checked before the
transaction; every write leaves one audit row. Imports (``questions.importers``) write through
``question_bulk_create`` after checking every row."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mofan.accounts.permissions import acting_user, ensure_can
from mofan.accounts.roles import Action
from mofan.audit.events import AuditEvent
from mofan.audit.services import audit_record
from mofan.org.models import Unit
from mofan.questions.models import Question, QuestionBank, Tag
from mofan.questions.validation import CleanQuestion, clean_question


def bank_create(*, actor: Any, unit: Unit, name: str, description: str = "") -> QuestionBank:
    if actor is not None:
        ensure_can(actor, Action.QUESTION_MANAGE, unit)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Give the bank a name.")]})
    if QuestionBank.objects.filter(unit=unit, name=name).exists():
        raise ValidationError({"name": [_("This unit already has a bank of this name.")]})
    with transaction.atomic():
        bank = QuestionBank.objects.create(name=name, unit=unit, unit_path=unit.path, description=description,
                                           created_by=acting_user(actor))
        if actor is not None:
            audit_record(actor=actor, event=AuditEvent.QUESTION_BANK_CHANGED, target=bank, new={"name": name},
                         unit_path=unit.path)
    return bank


def tags_for(names: list[str]) -> list[Tag]:
    """The tags of these names, created when missing."""
    wanted = list(dict.fromkeys(n.strip() for n in names if n and n.strip()))
    existing = {t.name: t for t in Tag.objects.filter(name__in=wanted)}
    missing = [Tag(name=n) for n in wanted if n not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.name: t for t in Tag.objects.filter(name__in=wanted)}
    return [existing[n] for n in wanted]


def question_create(*, actor: Any, bank: QuestionBank, qtype: str, stem: str, options: list[str] | None = None,
                    answers: list[Any] | None = None, tags: list[str] | None = None, difficulty: Any = 3,
                    source: str = "", explanation: str = "") -> Question:
    if actor is not None:
        ensure_can(actor, Action.QUESTION_MANAGE, bank.unit)
    clean: CleanQuestion = clean_question(qtype=qtype, stem=stem, options=options, answers=answers,
                                          difficulty=difficulty)
    if Question.objects.filter(bank=bank, fingerprint=clean.fingerprint).exists():
        raise ValidationError({"stem": [_("This question is already in the bank.")]})
    with transaction.atomic():
        question = Question.objects.create(
            bank=bank, qtype=clean.qtype, stem=clean.stem, options=clean.options, answers=clean.answers,
            difficulty=clean.difficulty, source=(source or "").strip()[:200], explanation=explanation or "",
            fingerprint=clean.fingerprint, created_by=acting_user(actor),
        )
        if tags:
            question.tags.set(tags_for(tags))
        if actor is not None:
            audit_record(actor=actor, event=AuditEvent.QUESTION_CHANGED, target=question,
                         new={"bank": bank.name, "qtype": clean.qtype}, unit_path=bank.unit_path)
    return question


def bank_update(*, actor: Any, bank: QuestionBank, name: str, description: str = "",
                is_active: bool | None = None) -> QuestionBank:
    """Rename a bank, change its description, close or reopen it (a closed bank takes no new questions)."""
    ensure_can(actor, Action.QUESTION_MANAGE, bank.unit_path, target=bank)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Give the bank a name.")]})
    if QuestionBank.objects.filter(unit_id=bank.unit_id, name=name).exclude(pk=bank.pk).exists():
        raise ValidationError({"name": [_("This unit already has a bank of this name.")]})
    old = {"name": bank.name, "description": bank.description, "is_active": bank.is_active}
    bank.name, bank.description = name, description or ""
    if is_active is not None:
        bank.is_active = is_active
    new = {"name": bank.name, "description": bank.description, "is_active": bank.is_active}
    with transaction.atomic():
        bank.save(update_fields=["name", "description", "is_active"])
        audit_record(actor=actor, event=AuditEvent.QUESTION_BANK_CHANGED, target=bank, unit_path=bank.unit_path,
                     old={k: v for k, v in old.items() if new[k] != v}, new={k: v for k, v in new.items() if old[k] != v})
    return bank


def question_update(*, actor: Any, question: Question, qtype: str, stem: str, options: list[str] | None = None,
                    answers: list[Any] | None = None, tags: list[str] | None = None, difficulty: Any = 3,
                    source: str = "", explanation: str = "") -> Question:
    """Change a question with the rules of ``question_create`` (validation, duplicates in the bank)."""
    bank = question.bank
    ensure_can(actor, Action.QUESTION_MANAGE, bank.unit_path, target=question)
    clean: CleanQuestion = clean_question(qtype=qtype, stem=stem, options=options, answers=answers,
                                          difficulty=difficulty)
    if Question.objects.filter(bank=bank, fingerprint=clean.fingerprint).exclude(pk=question.pk).exists():
        raise ValidationError({"stem": [_("This question is already in the bank.")]})
    fields = ("qtype", "stem", "options", "answers", "difficulty", "source", "explanation")
    old = {name: getattr(question, name) for name in fields}
    old["tags"] = sorted(t.name for t in question.tags.all())
    question.qtype, question.stem, question.options = clean.qtype, clean.stem, clean.options
    question.answers, question.difficulty, question.fingerprint = clean.answers, clean.difficulty, clean.fingerprint
    question.source, question.explanation = (source or "").strip()[:200], explanation or ""
    with transaction.atomic():
        question.save()
        question.tags.set(tags_for(tags or []))
        new = {name: getattr(question, name) for name in fields}
        new["tags"] = sorted(t.name for t in question.tags.all())
        audit_record(actor=actor, event=AuditEvent.QUESTION_CHANGED, target=question, unit_path=bank.unit_path,
                     old={k: v for k, v in old.items() if new[k] != v}, new={k: v for k, v in new.items() if old[k] != v})
    return question


def question_set_active(*, actor: Any, question: Question, active: bool) -> Question:
    """Deactivate (停用) a question — it stays in papers already set but is drawn no more — or reactivate it."""
    ensure_can(actor, Action.QUESTION_MANAGE, question.bank.unit_path, target=question)
    if question.is_active == active:
        return question
    with transaction.atomic():
        question.is_active = active
        question.save(update_fields=["is_active", "updated_at"])
        audit_record(actor=actor, event=AuditEvent.QUESTION_CHANGED, target=question,
                     unit_path=question.bank.unit_path, old={"is_active": not active}, new={"is_active": active})
    return question
