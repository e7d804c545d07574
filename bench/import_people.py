"""Importing people from xlsx: what a system administrator waits for after pressing 导入.

A district with one town of 10 villages is built once; each measured run imports a workbook of ``scale``
people (the template's columns, every row valid, spread over the villages) through the real service
``org.importers.import_people`` as the town's system administrator, inside a transaction that is rolled
back afterwards, so every run imports the same rows into the same database.

Figures: ``import_ms`` (median of 3 runs, the whole import: reading, checking every row, writing, auditing),
``read_check_ms`` and ``write_ms`` (from the service's progress callback), ``import_queries`` (SQL queries
of one import), and ``per_row_ms``.
"""

from __future__ import annotations

import io
import random
import time
from typing import Any

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bench.runner import import_summary
from mofan.accounts import services as account_services
from mofan.accounts.roles import Role
from mofan.core.identity import id_number_check_digit
from mofan.core.xlsx import write_xlsx
from mofan.demo.people import make_mobile, make_name
from mofan.org import services as org_services
from mofan.org.importers import PEOPLE_COLUMNS, import_people
from mofan.org.models import Gender, Unit, UnitKind

DEFAULT_SCALE = 5_000
REPEAT = 3
ROOT = "导入基准区"
ACTOR = "bench_import_admin"
PASSWORD = "Bench@2026-import"  # noqa: S105 - the benchmark actor of a throwaway database


def _district() -> tuple[Unit, Any]:
    from mofan.accounts.models import User

    root = Unit.objects.filter(parent__isnull=True, name=ROOT).first()
    if root is None:
        with transaction.atomic():
            root = org_services.unit_create(actor=None, name=ROOT, kind=UnitKind.DISTRICT, parent=None, audit=False)
            town = org_services.unit_create(actor=None, name="导入镇", kind=UnitKind.TOWN, parent=root, audit=False)
            for v in range(10):
                org_services.unit_create(actor=None, name=f"导入{v + 1}村", kind=UnitKind.VILLAGE, parent=town,
                                         audit=False)
            user = account_services.user_create(actor=None, username=ACTOR, display_name="导入镇系统管理员",
                                                password=PASSWORD, unit=town, must_change_password=False)
            account_services.membership_grant(actor=None, user=user, unit=town, role=Role.SYSTEM_ADMIN)
    town = Unit.objects.get(parent=root, name="导入镇")
    return town, User.objects.get(username=ACTOR)


def workbook(scale: int) -> bytes:
    rng = random.Random(f"bench-import-{scale}")
    rows = []
    for index in range(scale):
        gender = Gender.MALE if index % 2 else Gender.FEMALE
        first17 = f"150998{1950 + index % 50}{index % 12 + 1:02d}{index % 28 + 1:02d}{(index // 700) % 500 * 2 + (1 if gender == Gender.MALE else 0):03d}"
        rows.append([make_name(rng, gender), "男" if gender == Gender.MALE else "女", make_mobile(rng),
                     first17 + id_number_check_digit(first17), "是" if rng.random() < 0.3 else "否", "居民",
                     f"导入镇/导入{index % 10 + 1}村"])
    return write_xlsx(PEOPLE_COLUMNS, rows, title="人员")


class _Upload(io.BytesIO):
    name = "people.xlsx"

    @property
    def size(self) -> int:
        return len(self.getvalue())


def run(scale: int, log: Any = print) -> dict[str, float]:
    _, actor = _district()
    content = workbook(scale)
    log(f"workbook of {scale:,} people, {len(content) / 1024:.0f} KiB")
    totals, checks, writes, queries = [], [], [], 0
    for attempt in range(REPEAT + 1):  # the first run warms caches and counts queries
        marks: dict[str, float] = {}

        def progress(stage: str, done: int, total: int, marks: dict[str, float] = marks) -> None:
            marks.setdefault(stage, time.perf_counter())

        started = time.perf_counter()
        with transaction.atomic(), CaptureQueriesContext(connection) as captured:
            result = import_people(actor=actor, file=_Upload(content), progress=progress)
            elapsed = time.perf_counter() - started
            transaction.set_rollback(True)
        if result.created != scale:
            raise RuntimeError(f"imported {result.created} of {scale}")
        if attempt == 0:
            queries = len(captured)
            continue
        totals.append(elapsed * 1000)
        write_start = marks.get("write", started + elapsed)
        checks.append((write_start - started) * 1000)
        writes.append((started + elapsed - write_start) * 1000)
    return import_summary(totals, checks, writes, queries=queries, scale=scale)
