"""The file format of question banks, shared by the importer, the templates and the export (so that an export
imports again into another bank unchanged).

One question per row (xlsx, CSV) or per object (JSON). The column headers are part of the format: fixed
Chinese, whatever the interface language.

- 题型: 单选/多选/判断/填空/简答 (with or without 题), or the codes single/multiple/judge/fill/short;
- 题干: the question;
- 选项A … 选项H: one option per column, from A without gaps (选项I and 选项J are read too, for banks with up to
  ten options; the export writes them only when a question needs them);
- 答案: the texts of the right options, several separated by "|"; or their letters ("A C", "AC", "A,C"),
  turned into the option texts on import — a question stores texts, never letters. 判断: 对 or 错 (正确/错误,
  √/×, 是/否). 填空: the blanks separated by "；" (or ";"), the accepted answers of one blank by "|":
  "北京|北京市；长城". 简答: the reference answer (may be empty);
- 标签: separated by "，" or ","; 难度: 1–5 (empty: 3); 来源; 解析.

JSON is a list of objects, or JSON Lines (one object per line). An object uses the column names above or
the English keys ``type``, ``stem``, ``options`` (a list), ``answers`` (a list, or a text as in the column
答案), ``tags`` (a list or a text), ``difficulty``, ``source``, ``explanation``; ``answer`` may stand for
``answers``, and a fill answer may be a list of ``{"index": "1", "text": "…"}`` (one entry per accepted text,
``index`` naming the blank). ``id`` is ignored.
"""

from __future__ import annotations

import re
from typing import Any

from mofan.questions.models import JUDGE_FALSE, JUDGE_TRUE, QuestionType

TYPE, STEM, ANSWER, TAGS, DIFFICULTY, SOURCE, EXPLANATION = "题型", "题干", "答案", "标签", "难度", "来源", "解析"
OPTION_LETTERS = "ABCDEFGHIJ"
TEMPLATE_OPTIONS = 8  # 选项A … 选项H in the template; 选项I and 选项J are optional
OPTION_COLUMNS = tuple(f"选项{letter}" for letter in OPTION_LETTERS)
OPTION = "选项"  # the column named in a JSON row's report
COLUMNS = (TYPE, STEM, *OPTION_COLUMNS, ANSWER, TAGS, DIFFICULTY, SOURCE, EXPLANATION)
REQUIRED = (TYPE, STEM, ANSWER)
OPTIONAL = tuple(c for c in COLUMNS if c not in REQUIRED)
SHEET, HELP_SHEET = "题目", "说明"

TYPE_NAMES: dict[str, str] = {
    QuestionType.SINGLE: "单选", QuestionType.MULTIPLE: "多选", QuestionType.JUDGE: "判断",
    QuestionType.FILL: "填空", QuestionType.SHORT: "简答",
}
_TYPE_ALIASES = {"单选题": "single", "单项选择": "single", "单项选择题": "single", "多选题": "multiple",
                 "多项选择": "multiple", "多项选择题": "multiple", "判断题": "judge", "truefalse": "judge",
                 "true_false": "judge", "tf": "judge", "填空题": "fill", "简答题": "short", "问答": "short",
                 "问答题": "short"}
TYPE_LOOKUP: dict[str, str] = {
    **{name: code for code, name in TYPE_NAMES.items()},
    **{str(code): str(code) for code in QuestionType.values},
    **_TYPE_ALIASES,
}

ANSWER_SEPARATOR, BLANK_SEPARATOR = "|", "；"
_BLANKS = re.compile(r"[；;]")
_TAGS = re.compile(r"[，,、]")
_LETTERS = re.compile(r"^[A-Ja-j]([\s,，、;；]*[A-Ja-j])*$")
_YES_NO = {"是": JUDGE_TRUE, "否": JUDGE_FALSE}


def type_code(text: str) -> str | None:
    return TYPE_LOOKUP.get(re.sub(r"\s+", "", text).lower())


def split_tags(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [t.strip() for t in _TAGS.split(str(value or "")) if t.strip()]


def letters_to_options(text: str, options: list[str]) -> list[str] | None:
    """The option texts that letters such as "A C", "AC", "A,C" name, or None when the text is not letters of
    these options (an option that reads like a letter wins: its text is taken as it is)."""
    compact = text.strip()
    if not compact or not _LETTERS.match(compact) or any(compact == o.strip() for o in options):
        return None
    indexes = [OPTION_LETTERS.index(ch) for ch in compact.upper() if ch in OPTION_LETTERS]
    if any(i >= len(options) for i in indexes):
        return None
    return list(dict.fromkeys(options[i] for i in indexes))


def parse_answers(qtype: str, answer: Any, options: list[str]) -> list[Any]:
    """The answers of a file row in the shape ``clean_question`` takes (texts, never letters)."""
    if qtype in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        if isinstance(answer, list):
            texts = [str(a).strip() for a in answer]
            if len(texts) == 1:
                return letters_to_options(texts[0], options) or texts
            return texts
        text = str(answer or "").strip()
        by_letter = letters_to_options(text, options)
        if by_letter is not None:
            return by_letter
        if qtype == QuestionType.SINGLE or text in options:
            return [text] if text else []
        return [t.strip() for t in text.split(ANSWER_SEPARATOR) if t.strip()]
    if qtype == QuestionType.JUDGE:
        text = str(answer[0] if isinstance(answer, list) and len(answer) == 1 else answer or "").strip()
        by_letter = letters_to_options(text, options) if options else None
        if by_letter is not None and len(by_letter) == 1:
            text = by_letter[0]
        return [_YES_NO.get(text, text)] if text else []
    if qtype == QuestionType.FILL:
        if isinstance(answer, list):
            if answer and all(isinstance(a, dict) for a in answer):
                blanks: dict[str, list[str]] = {}
                for entry in answer:
                    blanks.setdefault(str(entry.get("index", "1")), []).append(str(entry.get("text", "")))
                return list(blanks.values())
            return [a if isinstance(a, list) else str(a).split(ANSWER_SEPARATOR) for a in answer]
        text = str(answer or "").strip()
        return [blank.split(ANSWER_SEPARATOR) for blank in _BLANKS.split(text)] if text else []
    if isinstance(answer, list):
        return [str(a) for a in answer]
    return [str(answer)] if str(answer or "").strip() else []


def answer_text(qtype: str, answers: list[Any], options: list[str]) -> str:
    """The 答案 cell of a stored question (the inverse of ``parse_answers``)."""
    if qtype in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        if any(ANSWER_SEPARATOR in a for a in answers):  # the letters say it without doubt
            return " ".join(OPTION_LETTERS[options.index(a)] for a in answers)
        return ANSWER_SEPARATOR.join(answers)
    if qtype == QuestionType.FILL:
        return BLANK_SEPARATOR.join(ANSWER_SEPARATOR.join(blank) for blank in answers)
    return "\n".join(str(a) for a in answers)


def question_row(question: Any, option_columns: int = TEMPLATE_OPTIONS) -> list[Any]:
    """A stored question as a row of ``row_columns(option_columns)``."""
    options = list(question.options) if question.qtype in (QuestionType.SINGLE, QuestionType.MULTIPLE) else []
    cells = options + [""] * (option_columns - len(options))
    return [TYPE_NAMES[question.qtype], question.stem, *cells,
            answer_text(question.qtype, list(question.answers), options),
            "，".join(t.name for t in question.tags.all()), question.difficulty, question.source, question.explanation]


def question_object(question: Any) -> dict[str, Any]:
    """A stored question as a JSON object."""
    choice = question.qtype in (QuestionType.SINGLE, QuestionType.MULTIPLE)
    return {"type": question.qtype, "stem": question.stem, "options": list(question.options) if choice else [],
            "answers": list(question.answers), "tags": [t.name for t in question.tags.all()],
            "difficulty": question.difficulty, "source": question.source, "explanation": question.explanation}


def row_columns(option_columns: int = TEMPLATE_OPTIONS) -> tuple[str, ...]:
    return (TYPE, STEM, *OPTION_COLUMNS[:option_columns], ANSWER, TAGS, DIFFICULTY, SOURCE, EXPLANATION)
