"""导入题目: questions from an xlsx, CSV or JSON file into a bank, all or nothing (format: ``questions.formats``).

Every row is read, then checked with ``validation.clean_question`` (the rules of the forms and the API) and
for duplicates — within the file and against the bank, by fingerprint. Only when no row has an error are
the questions written: in bulk (questions, new tags, the question–tag rows), in one transaction, with ONE
audit row. Otherwise ``ImportRejected`` (``mofan.org.importers``) carries the per-row report (row, column,
value, message) and nothing is written. ``progress(stage, done, total)`` is called every
``PROGRESS_EVERY`` rows with stage "validate" then "write" (``questions.jobs`` shows it on the job page).

A CSV file is UTF-8 (with or without BOM) or GB18030 (what Excel and WPS save on Chinese Windows); the first
non-empty line is the header row. The row number in the report is the line of the file (xlsx: the row Excel
shows; JSON Lines: the line; a JSON list: the position of the object, from 1).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from mofan.accounts.permissions import acting_user, ensure_can
from mofan.accounts.roles import Action
from mofan.audit.events import AuditEvent
from mofan.audit.services import audit_record
from mofan.core.uploads import read_limited
from mofan.core.xlsx import SheetRow, XlsxReadError, _read_table, read_rows
from mofan.org.importers import ImportRejected, ProgressCallback, RowError
from mofan.org.importers import _Row as _SheetRowChecker
from mofan.questions import formats as f
from mofan.questions.models import ImportFormat, Question, QuestionBank, QuestionType, Tag
from mofan.questions.services import tags_for
from mofan.questions.validation import CleanQuestion, clean_question

PROGRESS_EVERY = 250
WRITE_BATCH = 1000
_FIELD_COLUMNS = {"qtype": f.TYPE, "stem": f.STEM, "options": f.OPTION, "answers": f.ANSWER,
                  "difficulty": f.DIFFICULTY}
_JSON_KEYS = {"type": f.TYPE, "qtype": f.TYPE, "stem": f.STEM, "answers": f.ANSWER, "answer": f.ANSWER,
              "tags": f.TAGS, "difficulty": f.DIFFICULTY, "source": f.SOURCE, "explanation": f.EXPLANATION,
              "options": f.OPTION}
_JSON_IGNORED = {"id"}


@dataclass(frozen=True)
class ImportResult:
    created: int
    fmt: str


@dataclass
class _Planned:
    row: int
    clean: CleanQuestion
    tags: list[str]
    source: str
    explanation: str


def detect_format(name: str, head: bytes = b"") -> str:
    """The format by the file's extension, else by its first bytes."""
    extension = os.path.splitext(name or "")[1].lower().lstrip(".")
    if extension in ("xlsx", "csv", "json"):
        return extension
    if extension == "jsonl":
        return ImportFormat.JSON
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"PK\x03\x04"):
        return ImportFormat.XLSX
    if stripped.startswith((b"[", b"{")):
        return ImportFormat.JSON
    return ImportFormat.CSV


def _file_bytes(file: Any) -> bytes:
    """The upload's bytes, through the one guarded reader (never more than ``MOFAN_IMPORT_MAX_BYTES`` read)."""
    try:
        return read_limited(file, settings.MOFAN_IMPORT_MAX_BYTES)
    except ValidationError as exc:
        raise _refuse(exc.messages[0]) from None


def _refuse(message: str) -> ImportRejected:
    return ImportRejected([RowError(None, "", "", message)])


# Reading: each format gives rows of (number, values by column; 选项 as a list for JSON) ------------------------


class _Table:
    """Just enough of an openpyxl workbook for ``core.xlsx._read_table``, over rows already read (CSV), so a
    CSV's header row is checked with the same rules and messages as a workbook's."""

    sheetnames: list[str] = []

    def __init__(self, rows: list[list[str]]) -> None:
        self.worksheets = [self]
        self._rows = rows

    def iter_rows(self, values_only: bool = True) -> Iterator[tuple[Any, ...]]:
        return (tuple(row) for row in self._rows)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise _refuse(_("The file is neither UTF-8 nor GB18030 text. Save it as CSV (UTF-8) and try again.")) from None


def _read_csv(data: bytes) -> list[SheetRow]:
    if data.startswith(b"PK\x03\x04"):
        raise _refuse(_("This is an Excel workbook, not a CSV file: upload it as .xlsx."))
    text = _decode(data)
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        raise _refuse(_("The CSV file could not be read: check its quotes and separators.")) from None
    try:
        return _read_table(_Table(rows), f.COLUMNS, settings.MOFAN_IMPORT_MAX_ROWS, optional=f.OPTIONAL, sheet=None)
    except XlsxReadError as exc:
        raise ImportRejected([RowError(None, "", "", str(m)) for m in exc.messages]) from None


def _read_xlsx(data: bytes) -> list[SheetRow]:
    try:
        return read_rows(data, f.COLUMNS, settings.MOFAN_IMPORT_MAX_ROWS, optional=f.OPTIONAL,
                         max_bytes=settings.MOFAN_IMPORT_MAX_BYTES, sheet=f.SHEET)
    except XlsxReadError as exc:
        raise ImportRejected([RowError(None, "", "", str(m)) for m in exc.messages]) from None


def _read_json(data: bytes, report: list[RowError]) -> list[SheetRow]:
    text = _decode(data).strip()
    items: list[tuple[int, Any]] = []
    if text.startswith("["):
        try:
            loaded = json.loads(text)
        except ValueError as exc:
            raise _refuse(_("The file is not valid JSON (line %(line)s).") % {"line": getattr(exc, "lineno", "?")}
                          ) from None
        items = list(enumerate(loaded, start=1))
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                items.append((number, json.loads(line)))
            except ValueError:
                report.append(RowError(number, "", line[:50], _("This line is not a valid JSON object.")))
    if len(items) > settings.MOFAN_IMPORT_MAX_ROWS:
        raise _refuse(_("The file has more than %(limit)s rows. Split it into files of at most %(limit)s rows.")
                      % {"limit": settings.MOFAN_IMPORT_MAX_ROWS})
    rows: list[SheetRow] = []
    for number, item in items:
        if not isinstance(item, dict):
            report.append(RowError(number, "", str(item)[:50], _("Each question is a JSON object.")))
            continue
        values: dict[str, Any] = {}
        for key, value in item.items():
            column = _JSON_KEYS.get(str(key).lower()) or (key if key in f.COLUMNS else None)
            if column is None:
                if key not in _JSON_IGNORED:
                    report.append(RowError(number, str(key)[:50], "", _("Unknown key. The keys are: %(keys)s.")
                                           % {"keys": ", ".join(sorted(set(_JSON_KEYS) - {"answer", "qtype"}))}))
                continue
            values[column] = value
        rows.append(SheetRow(number=number, values=values))
    if not rows and not report:
        raise _refuse(_("There are no rows to import below the column headers."))
    return rows


def read_file(data: bytes, fmt: str, report: list[RowError]) -> list[SheetRow]:
    if not data:
        raise _refuse(_("The file is empty."))
    if len(data) > settings.MOFAN_IMPORT_MAX_BYTES:
        raise _refuse(_("The file is %(size)s; the limit is %(limit)s. Split it into smaller files.")
                      % {"size": filesizeformat(len(data)), "limit": filesizeformat(settings.MOFAN_IMPORT_MAX_BYTES)})
    if fmt == ImportFormat.XLSX:
        return _read_xlsx(data)
    if fmt == ImportFormat.CSV:
        return _read_csv(data)
    if fmt == ImportFormat.JSON:
        return _read_json(data, report)
    raise _refuse(_("Unknown file format: upload an .xlsx, .csv or .json file."))


# Checking ----------------------------------------------------------------------------------------------------


class _Row(_SheetRowChecker):
    """A row's cells and errors (``org.importers``), where a JSON row may hold lists."""

    def __init__(self, row: SheetRow, report: list[RowError]) -> None:
        self.values = row.values  # before the base class checks the cells (``shown`` reads it)
        super().__init__(row, report)

    def shown(self, column: str) -> str:
        value = self.values.get(column)
        if isinstance(value, list | dict):
            return json.dumps(value, ensure_ascii=False)[:200]
        return super().shown(column)

    def text(self, column: str) -> str:
        if isinstance(self.values.get(column), list | dict):
            self.error(column, _("Write text here, not a list."))
            return ""
        return super().text(column)

    def options(self) -> list[str] | None:
        """The options, or None when they cannot be read (the error is reported)."""
        if f.OPTION in self.values:  # JSON: one list
            value = self.values[f.OPTION]
            if value is None:
                return []
            if not isinstance(value, list):
                self.error(f.OPTION, _("The options are a list of texts."))
                return None
            return [str(v).strip() for v in value]
        cells = [self.text(column) for column in f.OPTION_COLUMNS]
        while cells and not cells[-1]:
            cells.pop()
        gap = next((column for column, cell in zip(f.OPTION_COLUMNS, cells, strict=False) if not cell), None)
        if gap is not None:
            self.error(gap, _("An option is empty: fill the options from 选项A on, without gaps."))
            return None
        return cells


def _check_row(row: _Row) -> _Planned | None:
    type_text = row.text(f.TYPE)
    qtype = f.type_code(type_text) if type_text else None
    if qtype is None:
        names = {"types": "、".join(f.TYPE_NAMES.values())}
        if type_text:
            row.error(f.TYPE, _("Unknown question type. Write one of: %(types)s.") % names)
        else:
            row.error(f.TYPE, _("The question type is required: %(types)s.") % names)
    options = row.options()
    answer = row.values.get(f.ANSWER)
    tags_value = row.values.get(f.TAGS)
    tags = f.split_tags(tags_value if isinstance(tags_value, list) else row.text(f.TAGS))
    for tag in tags:
        if len(tag) > Tag._meta.get_field("name").max_length:  # type: ignore[operator]
            row.error(f.TAGS, _("A tag is longer than 50 characters."))
            break
    difficulty_text = row.text(f.DIFFICULTY)
    source = row.text(f.SOURCE)
    if len(source) > 200:
        row.error(f.SOURCE, _("The source is longer than 200 characters."))
    explanation = row.text(f.EXPLANATION)
    if qtype is None or options is None:
        return None
    if qtype in (QuestionType.FILL, QuestionType.SHORT) and any(options):
        row.error(f.OPTION if f.OPTION in row.values else f.OPTION_COLUMNS[0],
                  _("Only choice and true-or-false questions have options."))
    answers = f.parse_answers(qtype, answer if isinstance(answer, list) else row.text(f.ANSWER), options)
    try:
        clean = clean_question(qtype=qtype, stem=row.text(f.STEM), options=options, answers=answers,
                               difficulty=difficulty_text or 3)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            column = _FIELD_COLUMNS.get(field, "")
            if column == f.OPTION and f.OPTION not in row.values:
                column = f.OPTION_COLUMNS[0]
            for message in messages:
                row.error(column, message)
        return None
    if not row.ok:
        return None
    return _Planned(row=row.number, clean=clean, tags=tags, source=source, explanation=explanation)


# Importing ---------------------------------------------------------------------------------------------------


def _step(progress: ProgressCallback | None, stage: str, done: int, total: int) -> None:
    if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
        progress(stage, done, total)


def import_questions(*, actor: Any, bank: QuestionBank, file: Any, fmt: str | None = None,
                     file_name: str | None = None, progress: ProgressCallback | None = None) -> ImportResult:
    """Import every question of ``file`` into ``bank``, or none (``ImportRejected`` with the report)."""
    ensure_can(actor, Action.QUESTION_MANAGE, bank.unit_path, target=bank)
    if not bank.is_active:
        raise _refuse(_("This bank is closed: open it again before importing into it."))
    name = os.path.basename(str(file_name or getattr(file, "name", "") or ""))[:100]
    data = _file_bytes(file)
    fmt = fmt or detect_format(name, data[:16])
    report: list[RowError] = []
    rows = read_file(data, fmt, report)
    taken = set(Question.objects.filter(bank=bank).values_list("fingerprint", flat=True))
    seen: dict[str, int] = {}
    planned: list[_Planned] = []
    for done, sheet_row in enumerate(rows, start=1):
        row = _Row(sheet_row, report)
        item = _check_row(row)
        if item is not None:
            fingerprint = item.clean.fingerprint
            if fingerprint in seen:
                row.error(f.STEM, _("The same question is already in row %(row)s.") % {"row": seen[fingerprint]})
            elif fingerprint in taken:
                row.error(f.STEM, _("This question is already in the bank."))
            else:
                seen[fingerprint] = row.number
                planned.append(item)
        _step(progress, "validate", done, len(rows))
    if report:
        raise ImportRejected(report)
    try:
        _write(actor=actor, bank=bank, planned=planned, file_name=name, fmt=fmt, progress=progress)
    except IntegrityError:
        raise _refuse(_("Someone added the same questions to the bank while the file was being imported. Nothing "
                        "was imported; try again.")) from None
    return ImportResult(created=len(planned), fmt=fmt)


def _write(*, actor: Any, bank: QuestionBank, planned: Sequence[_Planned], file_name: str, fmt: str,
           progress: ProgressCallback | None) -> None:
    creator = acting_user(actor)
    through = Question.tags.through
    with transaction.atomic():
        if progress is not None:
            progress("write", 0, len(planned))
        tags = {t.name: t.pk for t in tags_for([name for item in planned for name in item.tags])}
        for start in range(0, len(planned), WRITE_BATCH):
            batch = planned[start:start + WRITE_BATCH]
            created = Question.objects.bulk_create([
                Question(bank=bank, qtype=item.clean.qtype, stem=item.clean.stem, options=item.clean.options,
                         answers=item.clean.answers, difficulty=item.clean.difficulty, source=item.source,
                         explanation=item.explanation, fingerprint=item.clean.fingerprint, created_by=creator)
                for item in batch
            ])
            if any(q.pk is None for q in created):  # a database that does not return ids from a bulk insert
                ids = dict(Question.objects.filter(bank=bank, fingerprint__in=[q.fingerprint for q in created])
                           .values_list("fingerprint", "pk"))
                for question in created:
                    question.pk = ids[question.fingerprint]
            links = [through(question_id=question.pk, tag_id=tags[name])
                     for question, item in zip(created, batch, strict=True) for name in dict.fromkeys(item.tags)]
            through.objects.bulk_create(links, batch_size=WRITE_BATCH)
            _step(progress, "write", start + len(batch), len(planned))
        audit_record(actor=actor, event=AuditEvent.QUESTIONS_IMPORTED, target=bank, unit_path=bank.unit_path,
                     new={"created": len(planned), "file": file_name, "format": fmt})
