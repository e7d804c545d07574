"""Excel in and out: every list exports through ``xlsx_response`` (each cell through ``core.exports.safe_cell``);
imports read through ``read_rows``, which refuses a zip bomb before and while parsing (``unpacked_limit``)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.encoding import escape_uri_path
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.xml.constants import SHARED_STRINGS
from openpyxl.xml.functions import iterparse

from mofan.core.exports import restore_cell, safe_cell, safe_text
from mofan.core.uploads import read_limited

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_INVALID_TITLE = str.maketrans({c: " " for c in "\\*?:/[]"})


def _cell(value: Any) -> Any:
    """A value as an xlsx cell takes it: through ``safe_cell`` (formulas neutralised, control characters
    stripped), an aware datetime in local time without its zone (xlsx has none)."""
    value = safe_cell(value)
    if hasattr(value, "tzinfo") and getattr(value, "tzinfo", None) is not None:
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def _append(ws: Any, values: Iterable[Any]) -> None:
    """Append a row; a text is always a string cell, never a formula (``safe_cell`` already quoted any text
    starting with "=", this makes sure openpyxl cannot take one for a formula)."""
    ws.append([_cell(v) for v in values])
    for cell in ws[ws.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"


def sheet_title(title: Any) -> str:
    """A valid sheet name: no control characters, none of \\ * ? : / [ ], at most 31 characters."""
    return safe_text(title).translate(_INVALID_TITLE).strip().strip("'")[:31] or "Sheet1"


def write_xlsx(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str = "Sheet1", notes: Sequence[str] = ()
) -> bytes:
    """A workbook with one sheet: optional note lines, a bold frozen header row, then the rows."""
    wb = Workbook()
    ws = wb.create_sheet(sheet_title(title), 0)
    for extra in wb.sheetnames[1:]:
        del wb[extra]
    for note in notes:
        _append(ws, [note])
        ws.cell(row=ws.max_row, column=1).font = Font(italic=True, color="666666")
    _append(ws, [str(h) for h in headers])
    header_row = ws.max_row
    for col in range(1, len(headers) + 1):
        cell = ws.cell(row=header_row, column=col)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EEEEEE")
        cell.alignment = Alignment(vertical="center")
        ws.column_dimensions[get_column_letter(col)].width = max(12, min(40, len(str(headers[col - 1])) * 2 + 4))
    ws.freeze_panes = f"A{header_row + 1}"  # a coordinate string: ws.cell() would create an empty row 2
    for row in rows:
        _append(ws, row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def xlsx_response(filename: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], **kwargs: Any) -> HttpResponse:
    response = HttpResponse(write_xlsx(headers, rows, **kwargs), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{escape_uri_path(filename)}"
    return response


# Reading -------------------------------------------------------------------------------------------------

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls and password-protected workbooks
_ZIP_MAGIC = b"PK\x03\x04"
_CELL_BYTES = 256  # the unpacked XML a cell may take on average (see ``unpacked_limit``)
_FIXED_PART_BYTES = 1024 * 1024  # workbook, styles, theme, rels, a help sheet: the parts that hold no rows
_UNPACK_RATIO = 100  # a workbook may unpack to at most this many times its own size
_READ_CHUNK = 64 * 1024  # a zip member is decompressed at most this much at a time
_HEADER_SEARCH_ROWS = 20  # note lines a template may carry above its header row
_EMPTY_ROW_SLACK = 10_000  # empty (e.g. formatted but blank) rows read beyond max_rows before giving up


class XlsxReadError(ValidationError):
    """The upload cannot be read as the expected table; ``messages`` say why, in the user's language."""


@dataclass(frozen=True)
class SheetRow:
    """One data row: ``number`` is the row number Excel shows; ``values`` maps header → raw cell value
    (strings stripped, other types as openpyxl gives them)."""

    number: int
    values: dict[str, Any]


def _header_text(value: Any) -> str:
    return str(restore_cell(str(value).strip())).rstrip("*＊").strip() if value is not None else ""


def _join(names: Iterable[str]) -> str:
    return "、".join(names)


def read_rows(
    file: Any,
    expected_headers: Sequence[str],
    max_rows: int,
    *,
    optional: Collection[str] = (),
    max_bytes: int | None = None,
    sheet: str | None = None,
) -> list[SheetRow]:
    """Read the table of an uploaded .xlsx: find the header row (note lines above it are skipped), check the
    columns, and return the non-empty rows below it. Raises ``XlsxReadError`` with a clear message for an
    empty, oversize, malformed or non-xlsx file, one that unpacks to more than ``unpacked_limit`` (a zip
    bomb: refused before parsing from the zip's directory, and while parsing from the bytes decompressed),
    wrong or missing columns, or more than ``max_rows`` rows.

    ``sheet`` names the sheet to read when present (otherwise the first one); ``optional`` headers may be
    absent; ``max_bytes`` is the upload's limit (``MOFAN_IMPORT_MAX_BYTES`` when not given). The sizes are
    checked before anything is parsed.
    """
    try:
        data = read_limited(file, settings.MOFAN_IMPORT_MAX_BYTES if max_bytes is None else max_bytes)
    except ValidationError as exc:
        raise XlsxReadError(exc.messages) from None
    if not data:
        raise XlsxReadError(_("The file is empty."))
    if data.startswith(_OLE2_MAGIC):
        raise XlsxReadError(_("This is an old .xls workbook or a password-protected file. Open it in Excel or WPS "
                              "and save it as an .xlsx workbook without a password."))
    if not data.startswith(_ZIP_MAGIC):
        raise XlsxReadError(_("The file is not an Excel .xlsx workbook (a CSV or text file renamed to .xlsx is "
                              "not one). Open it in Excel or WPS and save it as .xlsx."))
    damaged = _("The workbook is damaged or is not an .xlsx workbook, so it could not be read. Open it in Excel "
                "or WPS and save it again as .xlsx.")
    if not zipfile.is_zipfile(io.BytesIO(data)):  # e.g. an upload cut short
        raise XlsxReadError(damaged)
    columns = len(expected_headers)
    budget = _UnpackBudget(unpacked_limit(columns=columns, max_rows=max_rows, upload_size=len(data)), max_rows,
                           columns)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise XlsxReadError(damaged) from None
    # Before parsing: the sizes the zip's central directory declares, each member and all together.
    if any(m.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for m in members):
        raise XlsxReadError(damaged)  # Excel and WPS only deflate; bzip2 and lzma would decompress unbounded
    if any(m.file_size > budget.limit for m in members) or sum(m.file_size for m in members) > budget.limit:
        raise budget.refusal()
    try:
        workbook = _open_workbook(data, budget)
    except Exception:  # openpyxl raises KeyError, ValueError, zip and XML errors alike on a bad file
        if budget.exceeded:
            raise budget.refusal() from None
        raise XlsxReadError(damaged) from None
    try:
        return _read_table(workbook, expected_headers, max_rows, optional=optional, sheet=sheet)
    except Exception as exc:
        if budget.exceeded:
            raise budget.refusal() from None
        if isinstance(exc, XlsxReadError):
            raise
        raise XlsxReadError(damaged) from None
    finally:
        workbook.close()


def unpacked_limit(*, columns: int, max_rows: int, upload_size: int) -> int:
    """How many bytes an uploaded workbook may unpack to: what its rows may legitimately hold, or a fixed
    ratio to its own size, whichever is smaller.

    - What its rows may hold: ``max_rows`` (``MOFAN_IMPORT_MAX_ROWS``) × its columns × 256 bytes of XML per
      cell, plus 1 MiB for the parts that hold no rows (workbook, styles, theme, relationships, a 说明 sheet).
      A cell's XML (``<c r="Q20000" s="1" t="s"><v>19999</v></c>``, its text in the sheet or in sharedStrings)
      measured 50 bytes on average for the question bank (17 columns of Chinese stems, options and
      explanations): 256 is five times that. 20,000 questions → 84 MiB; 20,000 people (7 columns) → 35 MiB.
    - 100 times the upload: real workbooks unpack to 4–10 times their size (the question bank above: 6.4),
      very repetitive ones to about 30; deflate reaches 1,000:1, which is what a zip bomb uses. So the issue's
      287 KB upload may unpack to 28 MiB, not to the 191 MiB that drove the server to 2.9 GB.

    The limit is checked before parsing, on the sizes the zip's central directory declares (each member and
    the total), and while parsing, on the bytes actually decompressed (``_UnpackBudget``), so a directory that
    understates what gets decompressed is caught as well.
    """
    content = _FIXED_PART_BYTES + max_rows * max(columns, 1) * _CELL_BYTES
    return min(content, _UNPACK_RATIO * max(upload_size, 0))


class _UnpackBudget:
    """What a workbook may still unpack, shared by every zip member read while parsing it: bytes (the limit of
    ``unpacked_limit``) and XML elements, which cost far more memory than their bytes once parsed (openpyxl
    builds a whole row's cells, keeps every shared string, and keeps elements it does not know):

    - at most ``_MAX_CELLS_PER_ROW`` cells in one row (Excel's own column limit), and at most
      ``_ELEMENTS_PER_CELL`` times as many elements in one row or one shared string (a parser holds a row or a
      string whole until its end, then clears it);
    - at most ``_SLACK_ELEMENTS`` elements outside rows and shared strings (workbook, styles, the sheet's
      settings: what a parser may keep until the end of the part);
    - at most one shared string per cell a table of ``max_rows`` rows holds, plus ``_SLACK_ELEMENTS``;
    - at most ``_ELEMENTS_PER_CELL`` elements per cell, plus ``_SLACK_ELEMENTS`` (styles, theme, workbook).
    """

    def __init__(self, limit: int, max_rows: int, columns: int = 1) -> None:
        self.limit = limit
        self.used = 0
        self.max_rows = max_rows
        self.max_cells = max_rows * max(columns, 1)
        self.elements = 0
        self.strings = 0
        self.structural = 0
        self.exceeded = False

    def take(self, count: int) -> None:
        self.used += count
        if self.used > self.limit:
            self.exceeded = True
        if self.exceeded:
            raise self.refusal()

    def count_elements(self, elements: int, strings: int, widest_row: int, structural: int,
                       widest_container: int) -> None:
        self.elements += elements
        self.strings += strings
        self.structural += structural
        if (widest_row > _MAX_CELLS_PER_ROW or widest_container > _MAX_CELLS_PER_ROW * _ELEMENTS_PER_CELL
                or self.strings > self.max_cells + _SLACK_ELEMENTS or self.structural > _SLACK_ELEMENTS
                or self.elements > self.max_cells * _ELEMENTS_PER_CELL + _SLACK_ELEMENTS):
            raise self.refusal()

    def refusal(self) -> XlsxReadError:
        self.exceeded = True
        return XlsxReadError(
            _("The workbook unpacks to more than %(limit)s, more than a workbook of this size with at most %(rows)s "
              "rows holds (it may be a zip bomb). Split it into smaller files, or save it again in Excel or WPS.")
            % {"limit": filesizeformat(self.limit), "rows": self.max_rows}
        )


_MAX_CELLS_PER_ROW = 16_384  # Excel's last column, XFD
_ELEMENTS_PER_CELL = 5  # <row> shared, <c>, <v> or <is><t>, and the <si><t> of its shared string
_SLACK_ELEMENTS = 100_000
_TAG_RE = re.compile(rb"<(/?)(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)[^>]*?(/?)>")
_LONGEST_TAG = 1024 * 1024  # a start tag longer than this (its attributes) is not a spreadsheet's
_DEEPEST = 64  # elements open at once: a spreadsheet part nests a dozen at most
_CONTAINERS = (b"row", b"si")  # what a parser clears at its end: openpyxl a row, ``_read_shared_strings`` a string


class _CountedMember(io.RawIOBase):
    """A zip member's bytes, decompressed a chunk at a time and counted against the workbook's budget: bytes,
    and the XML tags in them (rows, cells, shared strings, elements inside and outside rows and strings),
    scanned as they stream past. The scanner keeps the stack of open elements (an end tag closes up to the
    element it names, so a tag it misreads cannot lead it astray for long)."""

    def __init__(self, raw: Any, budget: _UnpackBudget) -> None:
        super().__init__()
        self._raw = raw
        self._budget = budget
        self._carry = b""  # a tag cut by the chunk's end
        self._stack: list[bytes] = []
        self._cells_in_row = 0
        self._in_container = 0  # elements in the row or shared string open now

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._budget.exceeded:
            raise self._budget.refusal()
        data = self._raw.read(min(len(buffer), _READ_CHUNK))
        self._budget.take(len(data))
        self._scan(data)
        buffer[: len(data)] = data
        return len(data)

    def _scan(self, data: bytes) -> None:
        text = self._carry + data
        cut = text.rfind(b"<")
        if data and cut != -1 and text.find(b">", cut) == -1:
            if len(text) - cut > _LONGEST_TAG:
                raise self._budget.refusal()
            text, self._carry = text[:cut], text[cut:]  # the last tag goes on in the next chunk
        else:
            self._carry = b""
        elements = strings = structural = 0
        widest, widest_container = self._cells_in_row, self._in_container
        stack = self._stack
        for match in _TAG_RE.finditer(text):
            closing, name, empty = match.groups()
            if closing:
                if name in stack:
                    while stack and stack.pop() != name:
                        pass
                    if name in _CONTAINERS and not any(c in stack for c in _CONTAINERS):
                        self._in_container = 0
                continue
            elements += 1
            if name == b"si":
                strings += 1
            inside = any(c in stack for c in _CONTAINERS) if stack else False
            if inside:
                self._in_container += 1
                widest_container = max(widest_container, self._in_container)
            elif name not in _CONTAINERS:
                structural += 1
            if name == b"row":
                self._cells_in_row = 0
            elif name == b"c":
                self._cells_in_row += 1
                widest = max(widest, self._cells_in_row)
            if not empty:
                stack.append(name)
                if len(stack) > _DEEPEST:
                    raise self._budget.refusal()
        self._budget.count_elements(elements, strings, widest, structural, widest_container)

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()


class _GuardedZipFile(zipfile.ZipFile):
    """A zip archive whose members are read through ``_CountedMember``: openpyxl opens every part through
    ``ZipFile.open`` (``ZipFile.read`` too), so nothing it parses escapes the count."""

    def __init__(self, data: bytes, budget: _UnpackBudget) -> None:
        super().__init__(io.BytesIO(data))
        self._budget = budget

    def open(self, name: Any, mode: Literal["r", "w"] = "r", pwd: bytes | None = None, *, force_zip64: bool = False) -> Any:
        member = super().open(name, mode, pwd, force_zip64=force_zip64)
        return _CountedMember(member, self._budget) if mode == "r" else member


_SST = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _read_shared_strings(source: Any) -> list[str]:
    """The shared strings as openpyxl's ``read_string_table`` gives them (each ``<si>``'s text: its ``<t>`` and
    its runs' ``<t>``, not the phonetic ``<rPh>``), in a tenth of the time and without keeping an element per
    string: a table at the limit of shared strings must not cost more memory than its texts."""
    strings: list[str] = []
    parts: list[str] = []
    phonetic = 0
    root = None
    for event, node in iterparse(source, events=("start", "end")):
        if root is None:
            root = node
        tag = node.tag
        if event == "start":
            if tag == _SST + "rPh":
                phonetic += 1
            continue
        if tag == _SST + "t" and not phonetic:
            parts.append(node.text or "")
        elif tag == _SST + "rPh":
            phonetic -= 1
        elif tag == _SST + "si":
            strings.append("".join(parts).replace("x005F_", ""))
            parts = []
            root.clear()  # drop the string's elements, and the root's reference to them
    return strings


class _GuardedReader(ExcelReader):
    def read_strings(self) -> None:
        part = self.package.find(SHARED_STRINGS)
        if part is not None:
            with self.archive.open(part.PartName[1:]) as source:
                self.shared_strings = _read_shared_strings(source)


def _open_workbook(data: bytes, budget: _UnpackBudget) -> Any:
    """``openpyxl.load_workbook(read_only=True, data_only=True)`` over a ``_GuardedZipFile``."""
    reader = _GuardedReader(io.BytesIO(data), read_only=True, data_only=True)
    reader.archive.close()
    reader.archive = _GuardedZipFile(data, budget)
    reader.valid_files = reader.archive.namelist()
    reader.read()
    return reader.wb


def _read_cell(value: Any) -> Any:
    """A cell as read: a text stripped, with the quote an export put before a formula-like text removed
    (``core.exports.restore_cell``), so an export imports again unchanged."""
    return restore_cell(value.strip()).strip() if isinstance(value, str) else value


def _read_table(
    workbook: Any, expected_headers: Sequence[str], max_rows: int, *, optional: Collection[str], sheet: str | None
) -> list[SheetRow]:
    if not workbook.worksheets:
        raise XlsxReadError(_("The workbook has no sheet."))
    worksheet = workbook[sheet] if sheet and sheet in workbook.sheetnames else workbook.worksheets[0]
    expected = set(expected_headers)
    rows = worksheet.iter_rows(values_only=True)
    best: list[str] = []
    seen_any = False
    header_number = 0
    for header_number, row in enumerate(rows, start=1):
        cells = [_header_text(v) for v in row]
        if any(cells):
            seen_any = True
        if expected & set(cells):
            best = cells
            break
        if header_number >= _HEADER_SEARCH_ROWS:
            break
    if not seen_any:
        raise XlsxReadError(_("The sheet is empty: there is nothing to import."))
    if not best:
        raise XlsxReadError(
            _("The column headers were not found. The table must start with a header row holding the columns: "
              "%(columns)s.") % {"columns": _join(expected_headers)}
        )
    problems: list[str] = []
    duplicates = sorted({c for c in best if c and best.count(c) > 1}, key=best.index)
    for column in duplicates:
        problems.append(_("The column %(column)s appears more than once.") % {"column": column})
    missing = [h for h in expected_headers if h not in best and h not in optional]
    if missing:
        problems.append(_("Missing columns: %(columns)s.") % {"columns": _join(missing)})
    unknown = [c for c in best if c and c not in expected]
    if unknown:
        problems.append(
            _("Unknown columns: %(columns)s. The columns are: %(expected)s.")
            % {"columns": _join(unknown), "expected": _join(expected_headers)}
        )
    if problems:
        raise XlsxReadError(problems)
    columns = {c: i for i, c in enumerate(best) if c}
    result: list[SheetRow] = []
    for number, row in enumerate(rows, start=header_number + 1):
        if number - header_number > max_rows + _EMPTY_ROW_SLACK:
            # Never drop rows silently: a sheet this long is refused, even if most of it is blank.
            raise XlsxReadError(
                _("The sheet has more than %(count)s rows, counting empty ones. Delete the empty rows below the "
                  "table, or split the file.") % {"count": max_rows + _EMPTY_ROW_SLACK}
            )
        values = {h: _read_cell(row[i]) if i < len(row) else None for h, i in columns.items()}
        if all(v is None or v == "" for v in values.values()):
            continue
        if len(result) >= max_rows:
            raise XlsxReadError(
                _("The file has more than %(limit)s rows. Split it into files of at most %(limit)s rows.")
                % {"limit": max_rows}
            )
        result.append(SheetRow(number=number, values=values))
    if not result:
        raise XlsxReadError(_("There are no rows to import below the column headers."))
    return result


def add_help_sheet(
    workbook: Any, *, title: str, columns: Sequence[str], explain: Iterable[tuple[str, bool, str]],
    examples: Iterable[Sequence[Any]], first_width: int = 24,
) -> None:
    """The 说明 sheet of an import template: one line per column (required or not, how to fill it in),
    then the columns again with example rows that are not imported."""
    from django.utils.translation import gettext as _

    sheet = workbook.create_sheet(sheet_title(title))
    _append(sheet, [_("Column"), _("Required"), _("How to fill it in")])
    for column, required, text in explain:
        _append(sheet, [column, _("yes") if required else _("no"), text])
    sheet.append([])
    _append(sheet, [_("Example (this sheet is not imported):")])
    _append(sheet, list(columns))
    for example in examples:
        _append(sheet, list(example))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = first_width
    sheet.column_dimensions["B"].width = 14
    sheet.column_dimensions["C"].width = 80
