"""Reads of question banks, questions and import jobs. A bank is seen by whoever holds QUESTION_MANAGE on
its unit (its subtree's secretaries); anything outside is a 404, in lists, pages, the API and exports
alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from mofan.accounts.permissions import scope_filter
from mofan.accounts.roles import Action
from mofan.questions.models import ImportJob, Question, QuestionBank, QuestionType


@dataclass(frozen=True)
class QuestionFilters:
    """The filters of a bank's question list; empty values filter nothing."""

    qtype: str = ""
    tag: str = ""
    difficulty: int | None = None
    search: str = ""
    include_inactive: bool = False

    @classmethod
    def from_params(cls, params: Any) -> QuestionFilters:
        """From request parameters (``type``, ``tag``, ``difficulty``, ``q``, ``inactive``); values that mean
        nothing are ignored."""
        qtype = str(params.get("type", "") or "")
        try:
            difficulty: int | None = int(params.get("difficulty") or 0) or None
        except (TypeError, ValueError):
            difficulty = None
        return cls(qtype=qtype if qtype in QuestionType.values else "", tag=str(params.get("tag", "") or "")[:50],
                   difficulty=difficulty if difficulty is not None and 1 <= difficulty <= 5 else None,
                   search=str(params.get("q", "") or "").strip()[:100],
                   include_inactive=str(params.get("inactive", "")) in ("1", "true"))


def bank_list(*, actor: Any, include_inactive: bool = True) -> QuerySet[QuestionBank]:
    banks = QuestionBank.objects.filter(scope_filter(actor, Action.QUESTION_MANAGE, "unit_path")).select_related("unit")
    if not include_inactive:
        banks = banks.filter(is_active=True)
    return banks.annotate(question_count=Count("questions", filter=Q(questions__is_active=True))).order_by("-id")


def bank_get(*, actor: Any, pk: Any) -> QuestionBank:
    try:
        return QuestionBank.objects.select_related("unit").get(
            scope_filter(actor, Action.QUESTION_MANAGE, "unit_path"), pk=int(pk))
    except (QuestionBank.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def question_list(*, actor: Any, bank: QuestionBank, filters: QuestionFilters | None = None) -> QuerySet[Question]:
    """The questions of ``bank`` (in the actor's scope, else none), filtered; tags prefetched."""
    filters = filters or QuestionFilters()
    questions = Question.objects.filter(scope_filter(actor, Action.QUESTION_MANAGE, "bank__unit_path"), bank=bank)
    if not filters.include_inactive:
        questions = questions.filter(is_active=True)
    if filters.qtype:
        questions = questions.filter(qtype=filters.qtype)
    if filters.tag:
        questions = questions.filter(tags__name=filters.tag)
    if filters.difficulty is not None:
        questions = questions.filter(difficulty=filters.difficulty)
    if filters.search:
        questions = questions.filter(stem__icontains=filters.search)
    return questions.prefetch_related("tags")


def question_get(*, actor: Any, bank: QuestionBank, pk: Any) -> Question:
    try:
        return question_list(actor=actor, bank=bank, filters=QuestionFilters(include_inactive=True)).get(pk=int(pk))
    except (Question.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def bank_tags(*, bank: QuestionBank) -> list[str]:
    """The tags used by the bank's active questions (for the filter)."""
    return list(Question.tags.through.objects.filter(question__bank=bank, question__is_active=True)
                .values_list("tag__name", flat=True).distinct().order_by("tag__name"))


def import_job_get(*, actor: Any, pk: Any) -> ImportJob:
    """A job of a bank in the actor's scope (404 otherwise); the file itself is not loaded."""
    try:
        return ImportJob.objects.defer("content").select_related("bank").get(
            scope_filter(actor, Action.QUESTION_MANAGE, "bank__unit_path"), pk=int(pk))
    except (ImportJob.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
