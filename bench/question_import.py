"""Importing a question bank from xlsx: what a branch secretary waits for after uploading 10,000 questions.

A district with one town and its secretary is built once; each measured run imports a workbook of ``scale``
distinct questions of every type (single, multiple, judge, fill, short; options given by text or by
letters, tags, difficulties) through the real service ``questions.importers.import_questions`` into one bank,
inside a transaction that is rolled back afterwards, so every run imports the same rows into an empty bank.

Figures: ``import_ms`` (median of 3 runs, the whole import: reading the workbook, checking every row and
duplicates, writing questions, tags and their links in bulk, auditing), ``read_check_ms`` and ``write_ms``
(split at the first "write" progress call), ``import_queries`` (SQL queries of one import),
and ``per_row_ms``. The number of progress calls of one import is printed (the job page's bar moves on
each).
"""

from __future__ import annotations

import random
import time
from typing import Any

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bench.runner import import_summary
from mofan.accounts import services as account_services
from mofan.accounts.roles import Role
from mofan.core.xlsx import write_xlsx
from mofan.org import services as org_services
from mofan.org.models import Unit, UnitKind
from mofan.questions import formats as f
from mofan.questions.importers import import_questions
from mofan.questions.models import QuestionBank
from mofan.questions.services import bank_create

DEFAULT_SCALE = 10_000
REPEAT = 3
ROOT = "题库基准区"
ACTOR = "bench_question_secretary"
PASSWORD = "Bench@2026-questions"  # noqa: S105 - the benchmark actor of a throwaway database
TOPICS = ["党章", "党史", "税收征管", "行政法", "安全生产", "基层治理", "保密", "廉政", "统计", "信访"]
WORDS = "改革发展稳定创新协调绿色开放共享法治民主文明和谐自由平等公正诚信爱国敬业友善"


def _setup() -> tuple[QuestionBank, Any]:
    from mofan.accounts.models import User

    root = Unit.objects.filter(parent__isnull=True, name=ROOT).first()
    if root is None:
        with transaction.atomic():
            root = org_services.unit_create(actor=None, name=ROOT, kind=UnitKind.DISTRICT, parent=None, audit=False)
            town = org_services.unit_create(actor=None, name="题库镇", kind=UnitKind.TOWN, parent=root, audit=False)
            user = account_services.user_create(actor=None, username=ACTOR, display_name="题库镇书记",
                                                password=PASSWORD, unit=town, must_change_password=False)
            account_services.membership_grant(actor=None, user=user, unit=town, role=Role.SECRETARY)
            bank_create(actor=None, unit=town, name="基准题库")
    return QuestionBank.objects.get(unit__parent=root, name="基准题库"), User.objects.get(username=ACTOR)


def _phrase(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(WORDS) for _ in range(length))


def workbook(scale: int) -> bytes:
    """``scale`` distinct questions (the number in each stem keeps them apart), every type in turn."""
    rng = random.Random(f"bench-questions-{scale}")
    rows: list[list[Any]] = []
    for index in range(scale):
        kind = index % 5
        stem = f"第{index + 1}题：关于{_phrase(rng, 6)}，下列说法{'正确' if kind != 3 else '填空____'}的是？"
        options = [""] * f.TEMPLATE_OPTIONS
        tags = "，".join(rng.sample(TOPICS, rng.randint(1, 3)))
        if kind in (0, 1):
            count = rng.randint(3, 6)
            texts = list(dict.fromkeys(_phrase(rng, rng.randint(4, 12)) for _ in range(count)))
            options[: len(texts)] = texts
            if kind == 0:
                answer = "ABCDEF"[rng.randrange(len(texts))] if index % 2 else rng.choice(texts)
            else:
                chosen = sorted(rng.sample(range(len(texts)), rng.randint(2, len(texts))))
                answer = " ".join("ABCDEF"[i] for i in chosen) if index % 2 else "|".join(texts[i] for i in chosen)
            qtype = "单选" if kind == 0 else "多选"
        elif kind == 2:
            qtype, answer = "判断", rng.choice(["对", "错", "正确", "错误"])
        elif kind == 3:
            qtype, answer = "填空", "；".join(f"{_phrase(rng, 3)}|{_phrase(rng, 4)}" for _ in range(rng.randint(1, 3)))
        else:
            qtype, answer = "简答", _phrase(rng, 40)
        rows.append([qtype, stem, *options, answer, tags, rng.randint(1, 5), "基准题源", _phrase(rng, 20)])
    return write_xlsx(f.row_columns(), rows, title=f.SHEET)


def run(scale: int, log: Any = print) -> dict[str, float]:
    bank, actor = _setup()
    content = workbook(scale)
    log(f"workbook of {scale:,} questions, {len(content) / 1024:.0f} KiB")
    totals, checks, writes, queries, calls = [], [], [], 0, 0
    for attempt in range(REPEAT + 1):  # the first run warms caches and counts queries
        marks: dict[str, float] = {}
        counted = [0]

        def progress(stage: str, done: int, total: int, marks: dict[str, float] = marks,
                     counted: list[int] = counted) -> None:
            counted[0] += 1
            marks.setdefault(stage, time.perf_counter())

        started = time.perf_counter()
        with transaction.atomic(), CaptureQueriesContext(connection) as captured:
            result = import_questions(actor=actor, bank=bank, file=content, fmt="xlsx", file_name="bench.xlsx",
                                      progress=progress)
            elapsed = time.perf_counter() - started
            transaction.set_rollback(True)
        if result.created != scale:
            raise RuntimeError(f"imported {result.created} of {scale}")
        if attempt == 0:
            queries, calls = len(captured), counted[0]
            log(f"one import: {queries:,} queries, {calls:,} progress calls")
            if not calls:
                raise RuntimeError("the import reported no progress")
            continue
        totals.append(elapsed * 1000)
        write_start = marks.get("write", started + elapsed)
        checks.append((write_start - started) * 1000)
        writes.append((started + elapsed - write_start) * 1000)
    return import_summary(totals, checks, writes, queries=queries, scale=scale)
