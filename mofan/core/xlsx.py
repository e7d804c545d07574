"""Excel in and out: every list exports through ``xlsx_response``; imports read through ``read_rows``."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.encoding import escape_uri_path
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@")


def _safe(value: Any) -> Any:
    """Neutralise spreadsheet formula injection in text cells (CWE-1236)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    if hasattr(value, "tzinfo") and getattr(value, "tzinfo", None) is not None:
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def write_xlsx(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str = "Sheet1", notes: Sequence[str] = ()
) -> bytes:
    """A workbook with one sheet: optional note lines, a bold frozen header row, then the rows."""
    wb = Workbook()
    ws = wb.create_sheet(title[:31] or "Sheet1", 0)
    for extra in wb.sheetnames[1:]:
        del wb[extra]
    ws.title = title[:31]
    for note in notes:
        ws.append([note])
        ws.cell(row=ws.max_row, column=1).font = Font(italic=True, color="666666")
    ws.append([str(h) for h in headers])
    header_row = ws.max_row
    for col in range(1, len(headers) + 1):
        cell = ws.cell(row=header_row, column=col)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EEEEEE")
        cell.alignment = Alignment(vertical="center")
        ws.column_dimensions[get_column_letter(col)].width = max(12, min(40, len(str(headers[col - 1])) * 2 + 4))
    ws.freeze_panes = f"A{header_row + 1}"  # a coordinate string: ws.cell() would create an empty row 2
    for row in rows:
        ws.append([_safe(v) for v in row])
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
_UNPACKED_RATIO = 40  # a workbook may unpack to at most this many times the upload limit (zip bombs)
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


def _file_size(file: Any) -> int:
    if isinstance(file, bytes | bytearray):
        return len(file)
    size = getattr(file, "size", None)
    if isinstance(size, int):
        return size
    position = file.tell()
    file.seek(0, io.SEEK_END)
    end = int(file.tell())
    file.seek(position)
    return end - position


def _file_bytes(file: Any) -> bytes:
    if isinstance(file, bytes | bytearray):
        return bytes(file)
    if hasattr(file, "seek"):
        file.seek(0)
    if hasattr(file, "chunks"):  # Django UploadedFile: memory or temporary file
        return b"".join(file.chunks())
    return bytes(file.read())


def _header_text(value: Any) -> str:
    return str(value).strip().rstrip("*＊").strip() if value is not None else ""


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
    empty, oversize, malformed or non-xlsx file, wrong or missing columns, or more than ``max_rows`` rows.

    ``sheet`` names the sheet to read when present (otherwise the first one); ``optional`` headers may be
    absent. The size is checked before anything is parsed.
    """
    size = _file_size(file)
    if size == 0:
        raise XlsxReadError(_("The file is empty."))
    if max_bytes is not None and size > max_bytes:
        raise XlsxReadError(
            _("The file is %(size)s; the limit is %(limit)s. Split it into smaller files.")
            % {"size": filesizeformat(size), "limit": filesizeformat(max_bytes)}
        )
    data = _file_bytes(file)
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
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise XlsxReadError(damaged) from None
    if unpacked > _UNPACKED_RATIO * (max_bytes or max(size, 1024 * 1024)):
        raise XlsxReadError(_("The workbook is too large once unpacked. Split it into smaller files."))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises KeyError, ValueError, zip and XML errors alike on a bad file
        raise XlsxReadError(damaged) from None
    try:
        return _read_table(workbook, expected_headers, max_rows, optional=optional, sheet=sheet)
    except XlsxReadError:
        raise
    except Exception:
        raise XlsxReadError(damaged) from None
    finally:
        workbook.close()


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
        values = {h: (row[i].strip() if isinstance(row[i], str) else row[i]) if i < len(row) else None
                  for h, i in columns.items()}
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

    sheet = workbook.create_sheet(title)
    sheet.append([_("Column"), _("Required"), _("How to fill it in")])
    for column, required, text in explain:
        sheet.append([column, _("yes") if required else _("no"), text])
    sheet.append([])
    sheet.append([_("Example (this sheet is not imported):")])
    sheet.append(list(columns))
    for example in examples:
        sheet.append(list(example))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = first_width
    sheet.column_dimensions["B"].width = 14
    sheet.column_dimensions["C"].width = 80
