"""Every cell the project writes to a spreadsheet (CSV or xlsx) goes through ``safe_cell``.

Two things go wrong when a user's text reaches a spreadsheet cell as it is:

- **Formula injection** (CWE-1236): a text starting with ``=``, ``+``, ``-`` or ``@`` — also after leading
  whitespace, and a text starting with a tab or a carriage return — is run by Excel or WPS as a formula
  (``=HYPERLINK(…)`` sends data away, ``+cmd|…`` runs a program). ``safe_cell`` prefixes such a text with a
  single quote, as OWASP recommends, so the cell shows the text and is never evaluated; ``core.xlsx`` stores
  it as a string cell.
- **Control characters**: openpyxl refuses C0 control characters (``IllegalCharacterError``, a 500 on the
  export) and XML 1.0 cannot hold them. ``safe_cell`` strips them all (C0 except tab, line feed and
  carriage return; DEL; C1), whoever planted them (a failed sign-in's user name, a unit's name, a case title).

Only texts are changed: numbers, dates and booleans stay what they are (a negative number is not a formula).

An export that imports again (the question bank's xlsx and CSV) stays lossless: ``restore_cell`` — applied by
``core.xlsx`` to every text it reads — removes the quote ``safe_cell`` added, and only that quote. A text that
itself starts with quotes before a formula character gets one more quote on export, so the two are inverse:
``restore_cell(safe_cell(t)) == t`` for every text without control characters.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.utils.functional import Promise

from mofan.core.validators import CONTROL_CHARACTER_CLASS

FORMULA_START = ("=", "+", "-", "@")
_RISKY_FIRST = ("\t", "\r")  # OWASP: a cell starting with a tab or a carriage return is neutralised too
# C0 but \t \n \r, DEL and C1 (``core.validators``' one definition): a superset of openpyxl's
# ILLEGAL_CHARACTERS_RE ([\x00-\x08\x0b\x0c\x0e-\x1f]).
CONTROL_CHARACTERS_RE = re.compile(f"[{CONTROL_CHARACTER_CLASS}]")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"  # so that Excel and WPS open a UTF-8 CSV as UTF-8


def strip_control(text: str) -> str:
    """``text`` without control characters (tab, line feed and carriage return are kept)."""
    return CONTROL_CHARACTERS_RE.sub("", text)


def _formula_like(text: str) -> bool:
    return text.startswith(_RISKY_FIRST) or text.lstrip().startswith(FORMULA_START)


def _needs_quote(text: str) -> bool:
    # Quotes already in front of a formula-like text get one more, so ``restore_cell`` can take exactly one off.
    return _formula_like(text.lstrip("'"))


def safe_cell(value: Any) -> Any:
    """The value to write into a spreadsheet cell: a text without control characters and, when it could be
    read as a formula, prefixed with ``'``; any other value (number, date, None…) unchanged."""
    if isinstance(value, Promise):  # a lazy translation
        value = str(value)
    if not isinstance(value, str):
        return value
    text = strip_control(value)
    return "'" + text if _needs_quote(text) else text


def restore_cell(value: Any) -> Any:
    """The inverse of ``safe_cell`` for a cell read back on import: the one quote it added is removed."""
    if isinstance(value, str) and value.startswith("'") and _needs_quote(value[1:]):
        return value[1:]
    return value


def safe_text(value: Any) -> str:
    """A text that is not a cell but lands in a file (a sheet's title, a header): control characters stripped."""
    return strip_control(str(value))


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(headers: Sequence[Any], rows: Iterable[Sequence[Any]], *, bom: bool = True) -> Iterator[str]:
    """CSV text line by line (for a ``StreamingHttpResponse``), every cell through ``safe_cell``; the first
    line starts with a UTF-8 byte-order mark unless ``bom`` is false."""
    writer = csv.writer(_Echo())
    yield (BOM if bom else "") + writer.writerow([safe_cell(h) for h in headers])
    for row in rows:
        yield writer.writerow([safe_cell(v) for v in row])


def csv_bytes(headers: Sequence[Any], rows: Iterable[Sequence[Any]], *, bom: bool = True) -> bytes:
    """A whole CSV file as UTF-8 (with a byte-order mark unless ``bom`` is false), every cell through
    ``safe_cell``."""
    buffer = io.StringIO(newline="")
    for line in csv_lines(headers, rows, bom=bom):
        buffer.write(line)
    return buffer.getvalue().encode("utf-8")
