"""The rules a question must keep (see ``questions.models``), checked before anything is written — by the
forms, the API and every import row alike — and its duplicate fingerprint."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from mofan.questions.models import JUDGE_FALSE, JUDGE_TRUE, QuestionType

MAX_OPTIONS = 10
JUDGE_WORDS = {"对": JUDGE_TRUE, "正确": JUDGE_TRUE, "√": JUDGE_TRUE, "true": JUDGE_TRUE, "t": JUDGE_TRUE,
               "错": JUDGE_FALSE, "错误": JUDGE_FALSE, "×": JUDGE_FALSE, "false": JUDGE_FALSE, "f": JUDGE_FALSE}
_SPACE = re.compile(r"\s+")


def normalise(text: Any) -> str:
    """Text compared for marking and duplicates: full-width folded to half-width (NFKC), spaces collapsed,
    case folded."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", str(text or ""))).strip().casefold()


@dataclass(frozen=True)
class CleanQuestion:
    qtype: str
    stem: str
    options: list[str]
    answers: list[Any]
    difficulty: int
    fingerprint: str


def fingerprint(qtype: str, stem: str, options: list[str]) -> str:
    key = "\u0001".join([qtype, normalise(stem), *sorted(normalise(o) for o in options)])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def clean_question(*, qtype: Any, stem: Any, options: Any = None, answers: Any = None,
                   difficulty: Any = 3) -> CleanQuestion:
    """Check one question; raise ``ValidationError`` keyed by field with every problem found."""
    errors: dict[str, list[str]] = {}
    if qtype not in QuestionType.values:
        raise ValidationError({"qtype": [_("Unknown question type.")]})
    stem = str(stem or "").strip()
    if not stem:
        errors.setdefault("stem", []).append(_("The stem is empty."))
    opts = [str(o).strip() for o in (options or [])]
    raw_answers = list(answers or [])
    clean_answers: list[Any] = []
    try:
        level = int(difficulty)
    except (TypeError, ValueError):
        level = 0
    if not 1 <= level <= 5:
        errors.setdefault("difficulty", []).append(_("Difficulty is a whole number from 1 to 5."))
    if qtype in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        if len(opts) < 2:
            errors.setdefault("options", []).append(_("A choice question needs at least two options."))
        if len(opts) > MAX_OPTIONS:
            errors.setdefault("options", []).append(_("At most %(n)d options.") % {"n": MAX_OPTIONS})
        if any(not o for o in opts):
            errors.setdefault("options", []).append(_("An option is empty."))
        if len({normalise(o) for o in opts}) != len(opts):
            errors.setdefault("options", []).append(_("Two options are the same."))
        by_norm = {normalise(o): o for o in opts}
        wanted = [str(a).strip() for a in raw_answers]
        missing = [a for a in wanted if normalise(a) not in by_norm]
        if missing:
            errors.setdefault("answers", []).append(
                _("The answer “%(answer)s” is not among the options.") % {"answer": missing[0]})
        clean_answers = list(dict.fromkeys(by_norm[normalise(a)] for a in wanted if normalise(a) in by_norm))
        if not wanted:
            errors.setdefault("answers", []).append(_("Give the right answer."))
        elif qtype == QuestionType.SINGLE and len(clean_answers) > 1:
            errors.setdefault("answers", []).append(_("A single-choice question has exactly one right answer."))
    elif qtype == QuestionType.JUDGE:
        opts = [JUDGE_TRUE, JUDGE_FALSE]
        word = JUDGE_WORDS.get(normalise(raw_answers[0])) if len(raw_answers) == 1 else None
        if word is None:
            errors.setdefault("answers", []).append(_("The answer of a true-or-false question is 对 or 错."))
        else:
            clean_answers = [word]
    elif qtype == QuestionType.FILL:
        opts = []
        blanks = [b if isinstance(b, list) else [b] for b in raw_answers]
        blanks = [[str(a).strip() for a in b if str(a).strip()] for b in blanks]
        if not blanks or any(not b for b in blanks):
            errors.setdefault("answers", []).append(_("Give at least one accepted answer for every blank."))
        clean_answers = blanks
    else:  # short answer: marked by a person; the reference answer is optional
        opts = []
        reference = "\n".join(str(a).strip() for a in raw_answers if str(a).strip())
        clean_answers = [reference] if reference else []
    if errors:
        raise ValidationError(errors)
    return CleanQuestion(qtype=qtype, stem=stem, options=opts, answers=clean_answers, difficulty=level,
                         fingerprint=fingerprint(qtype, stem, opts))
