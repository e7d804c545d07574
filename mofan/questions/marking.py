"""Marking one response to one question: a fraction of the question's points, from 0 to 1.

- single, judge: 1 when the chosen option's text is the answer, else 0;
- multiple: 1 for exactly the right options; 0.5 when only right options were chosen but not all (少选得半分);
  0 when any wrong option was chosen (错选不得分) or none;
- fill: the share of blanks whose response is one of that blank's accepted texts (normalised: full-width
  and half-width alike, spaces collapsed, case folded);
- short: ``None`` — a person marks it (``mofan.exams``).

A response is what the learner sent: an option text (single, judge), a list of option texts (multiple), a
list of texts, one per blank (fill), or a text (short). Anything of another shape scores 0.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from mofan.questions.models import QuestionType
from mofan.questions.validation import normalise

ONE, HALF, ZERO = Decimal(1), Decimal("0.5"), Decimal(0)


def mark(qtype: str, answers: list[Any], response: Any) -> Decimal | None:
    if qtype == QuestionType.SHORT:
        return None
    if response is None or response == "" or response == []:
        return ZERO
    if qtype in (QuestionType.SINGLE, QuestionType.JUDGE):
        if not isinstance(response, str) or not answers:
            return ZERO
        return ONE if normalise(response) == normalise(answers[0]) else ZERO
    if qtype == QuestionType.MULTIPLE:
        if not isinstance(response, list) or not all(isinstance(r, str) for r in response):
            return ZERO
        chosen = {normalise(r) for r in response}
        right = {normalise(a) for a in answers}
        if chosen == right:
            return ONE
        return HALF if chosen and chosen < right else ZERO
    if qtype == QuestionType.FILL:
        if isinstance(response, str):
            response = [response]
        if not isinstance(response, list) or not answers:
            return ZERO
        correct = sum(
            1 for i, accepted in enumerate(answers)
            if i < len(response) and normalise(response[i]) in {normalise(a) for a in accepted}
        )
        return (Decimal(correct) / Decimal(len(answers))).quantize(Decimal("0.0001"))
    return ZERO


def mark_question(question: Any, response: Any) -> Decimal | None:
    """``mark`` for a ``Question`` (or anything with ``qtype`` and ``answers``)."""
    return mark(question.qtype, question.answers, response)
