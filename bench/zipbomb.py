"""Zip bombs through the real import path: how much memory a refused bomb costs the server (issue 9, defect 5).

Before the fix a 287 KB xlsx whose sheet XML unpacks to 191 MiB drove the server to 2.9 GB RSS for 23 s, and a
568 KB one with 190 MiB of sharedStrings to 3.4 GB. Each case here builds such a workbook (``scale`` MiB
unpacked; default 191) and submits it to the importer a user's upload reaches, in a child process of its own
(forked, so it starts from the same baseline), and measures:

- ``<case>_rss_above_baseline_mib``: the child's peak resident memory (VmHWM, reset through
  ``/proc/self/clear_refs`` before the import) minus its resident memory just before the import;
- ``<case>_python_peak_mib``: the peak of Python allocations during the import (tracemalloc);
- ``<case>_refuse_ms``: the time to the refusal (slowed by tracemalloc); ``<case>_upload_mib`` and
  ``<case>_unpacked_mib`` (what the zip's directory declares): the bomb.

Cases: ``sheet`` (the question bank import, a sheet of ``scale`` MiB), ``shared_strings`` (the same with
sharedStrings of ``scale`` MiB), ``people`` (the people import, a sheet of ``scale`` MiB), ``understated``
(a zip directory that declares little: one part of 256 KiB named by enough sheets that openpyxl would read
``scale`` MiB — caught while parsing, by the running total). Then bombs that fit the byte limit (78 MiB of a
1.2 MB upload made large with a part that does not compress): ``strings_at_limit`` (millions of tiny shared
strings), ``wide_row_at_limit`` (one row of millions of cells), ``elements_at_limit`` (millions of empty
elements openpyxl keeps) — caught by the element counts of ``core.xlsx._UnpackBudget``. For comparison,
``legit``: a real import of 1,000 questions (rolled back). The target: every refused bomb under 100 MiB above
the baseline.
"""

from __future__ import annotations

import io
import multiprocessing
import re
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from typing import Any

from django.db import connections, transaction

from mofan.core.xlsx import write_xlsx
from mofan.org.importers import PEOPLE_COLUMNS, PEOPLE_SHEET, ImportRejected, import_people
from mofan.questions import formats as f
from mofan.questions.importers import import_questions

DEFAULT_SCALE = 191  # MiB unpacked, as the bomb
MIB = 1024 * 1024
LEGIT_ROWS = 1_000
TARGET_MIB = 100
ADMIN = "bench_zipbomb_sysadmin"
PASSWORD = "Bench@2026-zipbomb"  # noqa: S105 - the benchmark actor of a throwaway database


def _deflated(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, (2026, 12, 6, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _rebuild(workbook: bytes, parts: dict[str, Callable[[Any], None]], add: dict[str, Callable[[Any], None]]) -> bytes:
    """``workbook`` with some parts rewritten by a writer function (streamed into the zip, never whole in memory)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            with target.open(_deflated(info.filename), "w", force_zip64=True) as member:
                if info.filename in parts:
                    parts[info.filename](member)
                else:
                    member.write(source.read(info.filename))
        for name, write in add.items():
            with target.open(_deflated(name), "w", force_zip64=True) as member:
                write(member)
    return out.getvalue()


def _fill(member: Any, head: bytes, unit: bytes, tail: bytes, size: int) -> None:
    member.write(head)
    block = unit * max(1, (MIB // len(unit)))
    written = len(head)
    while written < size:
        member.write(block)
        written += len(block)
    member.write(tail)


def sheet_bomb(columns: tuple[str, ...], sheet: str, size: int) -> bytes:
    """A valid workbook (the import's columns, one header row) whose sheet then holds ``size`` bytes of rows."""
    workbook = write_xlsx(columns, [], title=sheet)
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
    head, tail = xml.split(b"</sheetData>", 1)
    row = b"<row>" + b'<c t="inlineStr"><is><t>bomb</t></is></c>' * len(columns) + b"</row>"
    return _rebuild(workbook, {"xl/worksheets/sheet1.xml": lambda m: _fill(m, head, row, b"</sheetData>" + tail, size)},
                    {})


def _writer(data: bytes) -> Callable[[Any], None]:
    return lambda member: member.write(data)


SST_HEAD = b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


def shared_strings_declared(workbook: bytes) -> dict[str, bytes]:
    """The workbook's content types and relationships, rewritten to declare an ``xl/sharedStrings.xml`` part
    (what Excel writes texts into); adding the part itself is the caller's (``mofan/core/tests`` uses this too)."""
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        types = archive.read("[Content_Types].xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    types = types.replace("</Types>", '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
                          'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    rels = rels.replace("</Relationships>", '<Relationship Id="rIdSST" Target="sharedStrings.xml" Type="http://'
                        'schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>')
    return {"[Content_Types].xml": types.encode(), "xl/_rels/workbook.xml.rels": rels.encode()}


def shared_strings_bomb(size: int) -> bytes:
    """The question workbook with a sharedStrings part of ``size`` bytes (what Excel writes texts into)."""
    workbook = write_xlsx(f.row_columns(), [], title=f.SHEET)
    declared = shared_strings_declared(workbook)
    return _rebuild(workbook, {name: _writer(data) for name, data in declared.items()},
                    {"xl/sharedStrings.xml": lambda m: _fill(m, SST_HEAD, b"<si><t>bomb</t></si>", b"</sst>", size)})


def understated_bomb(size: int) -> bytes:
    """A workbook whose directory declares about a megabyte, but names one 256 KiB part from as many sheets as
    it takes for openpyxl to read ``size`` bytes (each sheet's relationships are read once per sheet)."""
    part = 256 * 1024
    sheets = max(1, size // part)
    workbook = write_xlsx(f.row_columns(), [], title=f.SHEET)
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        book = archive.read("xl/workbook.xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    entries = "".join(f'<sheet name="S{i}" sheetId="{i + 10}" state="visible" r:id="rIdX{i}"/>' for i in range(sheets))
    book = re.sub(r"(<sheets>.*?)(</sheets>)", lambda m: m.group(1) + entries + m.group(2), book, flags=re.S)
    rels = rels.replace("</Relationships>", "".join(
        f'<Relationship Id="rIdX{i}" Target="/xl/worksheets/sheet1.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
        for i in range(sheets)) + "</Relationships>")
    padding = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
               'package/2006/relationships"><!--' + "x" * part + "--></Relationships>").encode()
    return _rebuild(workbook, {"xl/workbook.xml": lambda m: m.write(book.encode()),
                               "xl/_rels/workbook.xml.rels": lambda m: m.write(rels.encode())},
                    {"xl/worksheets/_rels/sheet1.xml.rels": lambda m: m.write(padding)})


def _random_pad(size: int) -> Callable[[Any], None]:
    import os

    return lambda member: member.write(os.urandom(size))


def strings_at_limit(size: int, pad: int) -> bytes:
    """The question workbook with ``size`` bytes of the tiniest shared strings, and ``pad`` bytes that do not
    compress (a picture, say), so the upload is large enough for the ratio to allow ``size``: a bomb that passes
    the directory check and is parsed."""
    workbook = shared_strings_bomb(size)
    return _rebuild(workbook, {}, {"xl/media/image1.bin": _random_pad(pad)})


def wide_row_at_limit(size: int, pad: int) -> bytes:
    """The question workbook whose first row holds ``size`` bytes of cells (one row, millions of cells), padded
    like ``strings_at_limit``."""
    workbook = write_xlsx(f.row_columns(), [], title=f.SHEET)
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
    head, tail = xml.split(b"<sheetData>", 1)
    return _rebuild(workbook, {"xl/worksheets/sheet1.xml": lambda m: _fill(
        m, head + b"<sheetData><row>", b'<c t="inlineStr"><is><t>b</t></is></c>', b"</row>" + tail, size)},
        {"xl/media/image1.bin": _random_pad(pad)})


def elements_at_limit(size: int, pad: int) -> bytes:
    """The question workbook whose sheet holds ``size`` bytes of empty elements openpyxl does not know (it keeps
    every one of them), padded like ``strings_at_limit``."""
    workbook = write_xlsx(f.row_columns(), [], title=f.SHEET)
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
    head, tail = xml.split(b"<sheetData>", 1)
    return _rebuild(workbook, {"xl/worksheets/sheet1.xml": lambda m: _fill(m, head, b"<x/>", b"<sheetData>" + tail,
                                                                           size)},
                    {"xl/media/image1.bin": _random_pad(pad)})


def legit_workbook(rows: int) -> bytes:
    from bench.question_import import workbook

    return workbook(rows)


def _status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _people_admin() -> Any:
    """The 系统管理员 of the benchmark district (who may import people), made once."""
    from bench.question_import import ROOT
    from mofan.accounts import services as account_services
    from mofan.accounts.models import User
    from mofan.accounts.roles import Role
    from mofan.org.models import Unit

    user = User.objects.filter(username=ADMIN).first()
    if user is None:
        with transaction.atomic():
            root = Unit.objects.get(parent__isnull=True, name=ROOT)
            user = account_services.user_create(actor=None, username=ADMIN, display_name="压缩炸弹基准管理员",
                                                password=PASSWORD, unit=root, must_change_password=False)
            account_services.membership_grant(actor=None, user=user, unit=root, role=Role.SYSTEM_ADMIN)
    return user


def _child(kind: str, content: bytes, queue: Any) -> None:
    """In the forked child: reset the peak, import, report the figures."""
    from bench.question_import import _setup

    bank, actor = _setup()
    admin = _people_admin()
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")  # reset VmHWM to the current RSS
    except OSError:
        pass
    baseline = _status_kib("VmRSS")
    tracemalloc.start()
    started = time.perf_counter()
    outcome = "imported"
    try:
        with transaction.atomic():
            if kind == "people":
                import_people(actor=admin, file=content)
            else:
                import_questions(actor=actor, bank=bank, file=content, fmt="xlsx", file_name="bomb.xlsx")
            transaction.set_rollback(True)
    except ImportRejected as exc:
        outcome = exc.report[0].message
    except Exception as exc:  # noqa: BLE001 - reported, the benchmark goes on
        outcome = f"{type(exc).__name__}: {exc}"
    elapsed = (time.perf_counter() - started) * 1000
    _, python_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak = _status_kib("VmHWM")
    queue.put({"outcome": outcome[:200], "rss_above_baseline_mib": round((peak - baseline) / 1024, 1),
               "python_peak_mib": round(python_peak / MIB, 1), "refuse_ms": round(elapsed, 1)})


def _measure(kind: str, content: bytes) -> dict[str, Any]:
    connections.close_all()  # the child opens its own connection
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=_child, args=(kind, content, queue))
    process.start()
    result = queue.get(timeout=600)
    process.join(timeout=60)
    return dict(result)


def run(scale: int, log: Any = print) -> dict[str, float]:
    from bench.question_import import _setup

    _setup()  # the district, the secretary and the bank, made once
    _people_admin()
    size = scale * MIB
    cases: dict[str, Callable[[], bytes]] = {
        "sheet": lambda: sheet_bomb(f.row_columns(), f.SHEET, size),
        "shared_strings": lambda: shared_strings_bomb(size),
        "people": lambda: sheet_bomb(PEOPLE_COLUMNS, PEOPLE_SHEET, size),
        "understated": lambda: understated_bomb(size),
        "strings_at_limit": lambda: strings_at_limit(78 * MIB, MIB),
        "wide_row_at_limit": lambda: wide_row_at_limit(78 * MIB, MIB),
        "elements_at_limit": lambda: elements_at_limit(78 * MIB, MIB),
        "legit": lambda: legit_workbook(LEGIT_ROWS),
    }
    metrics: dict[str, float] = {}
    for name, build in cases.items():
        content = build()
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            declared = sum(i.file_size for i in archive.infolist())
        kind = "people" if name == "people" else "questions"
        result = _measure(kind, content)
        log(f"{name}: upload {len(content) / 1024:,.0f} KiB, declared unpacked {declared / MIB:,.1f} MiB → "
            f"{result['outcome']!r}; peak RSS +{result['rss_above_baseline_mib']} MiB, Python peak "
            f"{result['python_peak_mib']} MiB, {result['refuse_ms']:,.0f} ms")
        if name != "legit" and result["rss_above_baseline_mib"] >= TARGET_MIB:
            log(f"  over the target of {TARGET_MIB} MiB above the baseline")
        metrics.update({f"{name}_upload_mib": round(len(content) / MIB, 3),
                        f"{name}_unpacked_mib": round(declared / MIB, 1),
                        f"{name}_rss_above_baseline_mib": result["rss_above_baseline_mib"],
                        f"{name}_python_peak_mib": result["python_peak_mib"],
                        f"{name}_{'import' if name == 'legit' else 'refuse'}_ms": result["refuse_ms"]})
    return metrics
