"""Excel in and out: every list exports through ``xlsx_response``; imports read through ``read_rows``."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.encoding import escape_uri_path
from openpyxl import Workbook
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
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    for row in rows:
        ws.append([_safe(v) for v in row])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def xlsx_response(filename: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], **kwargs: Any) -> HttpResponse:
    response = HttpResponse(write_xlsx(headers, rows, **kwargs), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{escape_uri_path(filename)}"
    return response
