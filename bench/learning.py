"""A competition round with ``scale`` participants answering at the same time (``mofan bench learning
--participants 5000``): what a contestant waits for when they submit an answer, and what the big screen waits
for when it refreshes the leaderboard.

The generated district (基准学习区N): 8 towns × 8 branches, ``scale`` learners (person, account, party-member
role on their branch) spread over the 64 branches, a secretary at the district who organises, and a bank of 20
single-choice questions. Data is reused by the next run; each run creates a new 业务大比武 with one open round
of the 20 questions, enrols every learner through ``contests.services.enrol`` (the previous runs' competitions
are deleted first, so the tables stay the same size from run to run), and then runs it:

- ``submit``: every participant answers every question through ``contests.services.answer_submit`` — 20 ×
  ``scale`` real, committed calls made by 32 simultaneous contestants on PostgreSQL (8 forked processes × 4
  threads, each thread with its own database connection, closed at the end; processes because the GIL would
  serialise the Python side of a single process, which a server's several workers do not) and 2 threads on
  SQLite (whose writers queue on one lock anyway). The calls go question by question (everyone on question 1,
  then question 2, …), dealt round-robin, so the writes of many entries interleave. Each call is timed on its
  own; the actor's memberships are forgotten before each call, as each request loads them afresh
  (``submit_p50_ms``, ``submit_p95_ms``, ``submit_max_ms``, ``submit_queries``; ``wall_ms`` the whole run and
  ``per_answer_ms`` = wall / answers, the inverse of the throughput, which the run also prints as answers per
  second); ``submit_alone_p50_ms``/``submit_alone_p95_ms`` time 100 calls made one after another before the
  simultaneous run, the service time without queueing. At the end the kept scores must equal the sum of the stored answers (no lost update);
- ``leaderboard_during``: meanwhile a reader thread refreshes the big screen's board (top 10 and one
  contestant's own rank) every 200 ms (``leaderboard_during_p95_ms``);
- ``leaderboard``: after the round, the same refresh, 15 times (``leaderboard_ms`` median,
  ``leaderboard_p95_ms``, ``leaderboard_queries``); ``team_totals`` the 64 branches' totals.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import random
import statistics
import threading
import time
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, connections, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.runner import Timing, analyze, measure
from mofan.accounts import services as account_services
from mofan.accounts.models import Membership, User
from mofan.accounts.permissions import clear_cache
from mofan.accounts.roles import Role
from mofan.contests import selectors, services
from mofan.contests.models import Answer, Competition, CompetitionKind, Entry, RoundQuestion
from mofan.demo.people import make_name
from mofan.org import services as org_services
from mofan.org.models import Person, Unit, UnitKind
from mofan.questions.models import Question, QuestionBank
from mofan.questions.services import bank_create, question_create

DEFAULT_SCALE = 5_000
QUESTIONS = 20
TOWNS = 8
BRANCHES_PER_TOWN = 8
BATCH = 2_000
ORGANISER = "bench_contest_organiser"
PASSWORD = "Bench@2026-learning"  # noqa: S105 - the benchmark accounts of a throwaway database
BOARD_EVERY_S = 0.2
# 32 simultaneous contestants on PostgreSQL: 8 processes (the GIL would serialise the Python side of one
# process, which a server's several workers do not) × 4 threads. SQLite's writers queue on one lock.
PROCESSES, THREADS = 8, 4
SQLITE_PROCESSES, SQLITE_THREADS = 1, 2
ALONE = 100  # submits timed one after another before the simultaneous run


def _root_name(scale: int) -> str:
    return f"基准学习区{scale}"


def _build(scale: int) -> tuple[Unit, User, QuestionBank]:
    """The district, its learners, the organiser and the bank; made once, in one transaction."""
    root = Unit.objects.filter(name=_root_name(scale), parent=None).first()
    if root is not None:
        return root, User.objects.get(username=ORGANISER), QuestionBank.objects.get(unit=root, name="比武题库")
    rng = random.Random(scale)  # noqa: S311 - generated data, not security
    started = time.perf_counter()
    with transaction.atomic():
        root = org_services.unit_create(actor=None, name=_root_name(scale), kind=UnitKind.DISTRICT, parent=None)
        branches: list[Unit] = []
        for t in range(TOWNS):
            town = org_services.unit_create(actor=None, name=f"第{t + 1}镇", kind=UnitKind.TOWN, parent=root)
            branches += [org_services.unit_create(actor=None, name=f"第{t + 1}镇第{b + 1}党支部",
                                                  kind=UnitKind.PARTY_BRANCH, parent=town)
                         for b in range(BRANCHES_PER_TOWN)]
        organiser = account_services.user_create(actor=None, username=ORGANISER, display_name="比武组织者",
                                                 password=PASSWORD, must_change_password=False)
        account_services.membership_grant(actor=None, user=organiser, unit=root, role=Role.SECRETARY)
        password = make_password(PASSWORD)
        for start in range(0, scale, BATCH):
            size = min(BATCH, scale - start)
            people = Person.objects.bulk_create([
                Person(name=make_name(rng, gender), gender=gender, is_party_member=True, unit=branches[(start + i) % 64])
                for i, gender in ((i, rng.choice("MF")) for i in range(size))])
            users = User.objects.bulk_create([
                User(username=f"bench_learner_{start + i}", display_name=p.name, person=p, password=password,
                     must_change_password=False) for i, p in enumerate(people)])
            Membership.objects.bulk_create([Membership(user=u, unit=p.unit, role=Role.PARTY_MEMBER)
                                            for u, p in zip(users, people, strict=True)])
        bank = bank_create(actor=None, unit=root, name="比武题库")
        for i in range(QUESTIONS):
            question_create(actor=None, bank=bank, qtype="single", stem=f"第{i + 1}题：以下哪一项是正确的？",
                            options=[f"正确选项{i + 1}", f"干扰项甲{i + 1}", f"干扰项乙{i + 1}", f"干扰项丙{i + 1}"],
                            answers=[f"正确选项{i + 1}"])
    analyze(["org_person", "accounts_user", "accounts_membership"])
    print(f"generated {scale:,} learners in {time.perf_counter() - started:.1f} s", flush=True)  # noqa: T201
    return root, organiser, bank


def _new_round(root: Unit, organiser: User, bank: QuestionBank) -> Any:
    old = Competition.objects.filter(unit=root)
    Entry.objects.filter(round__competition__in=old).delete()
    old.delete()
    now = timezone.now()
    competition = services.competition_create(actor=organiser, unit=root, name="基准业务大比武",
                                              kind=CompetitionKind.CONTEST)
    rnd = services.round_create(actor=organiser, competition=competition, name="预赛",
                                starts_at=now - dt.timedelta(minutes=1), ends_at=now + dt.timedelta(hours=6),
                                questions_per_contestant=QUESTIONS, qualify_top=100, per_unit_quota=3)
    services.round_set_questions(actor=organiser, round=rnd,
                                 questions=list(Question.objects.filter(bank=bank).order_by("pk")))
    services.enrol(actor=organiser, round=rnd, units=[root])
    services.round_open(actor=organiser, round=rnd)
    analyze(["contests_entry"])
    return rnd


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(share * len(ordered) + 0.999999) - 1)]


# What the forked worker processes read (set before the fork): entries, round questions, responses.
_JOB: dict[str, Any] = {}


def _submit_all(tasks: list[tuple[int, int]]) -> list[float]:
    """One contestant thread: submit its share of answers, timing each; close its connection at the end."""
    entries, rqs, responses = _JOB["entries"], _JOB["rqs"], _JOB["responses"]
    samples = []
    try:
        for q, i in tasks:
            entry = entries[i]
            clear_cache(entry.user)  # each request loads the actor's memberships afresh
            started = time.perf_counter()
            services.answer_submit(actor=entry.user, entry=entry, round_question=rqs[q], response=responses[i][q])
            samples.append((time.perf_counter() - started) * 1000)
    finally:
        connections.close_all()
    return samples


def _process(tasks: list[tuple[int, int]]) -> list[float]:
    """One worker process: ``THREADS_PER_PROCESS`` threads, each with its own connection."""
    threads = _JOB["threads"]
    results: list[list[float]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []

    def one(k: int) -> None:
        try:
            results[k] = _submit_all(tasks[k::threads])
        except BaseException as exc:  # reported to the parent below
            errors.append(exc)

    workers = [threading.Thread(target=one, args=(k,)) for k in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if errors:
        raise RuntimeError(f"a submit failed: {errors[0]!r}")
    return [sample for part in results for sample in part]


def run(scale: int) -> dict[str, float]:
    root, organiser, bank = _build(scale)
    rnd = _new_round(root, organiser, bank)
    rqs = list(RoundQuestion.objects.filter(round=rnd).select_related("question").order_by("order"))
    entries = list(Entry.objects.filter(round=rnd).select_related("user").order_by("pk"))
    rng = random.Random(7)  # noqa: S311
    responses = [[rq.question.answers[0] if rng.random() < 0.7 else rq.question.options[1] for rq in rqs]
                 for _entry in entries]
    processes, threads = (SQLITE_PROCESSES, SQLITE_THREADS) if connection.vendor == "sqlite" else (PROCESSES, THREADS)
    print(f"{len(entries):,} participants × {len(rqs)} questions, {processes} processes × {threads} threads",  # noqa: T201
          flush=True)

    # One call in the main thread, to count the queries of a submit (the actor's memberships included).
    first = entries[0]
    clear_cache(first.user)
    with CaptureQueriesContext(connection) as captured:
        services.answer_submit(actor=first.user, entry=first, round_question=rqs[0], response=responses[0][0])
    submit_queries = len(captured.captured_queries)
    # Then ALONE calls, one after another with nothing else running: the service time without queueing.
    _JOB.update(entries=entries, rqs=rqs, responses=responses, threads=threads)
    alone_tasks = [(0, i) for i in range(1, min(ALONE + 1, len(entries)))]
    alone = _submit_all(alone_tasks)

    # Question by question (everyone on question 1, then 2, …), dealt round-robin to the workers.
    skip = {(0, 0), *alone_tasks}
    tasks = [(q, i) for q in range(len(rqs)) for i in range(len(entries)) if (q, i) not in skip]
    connections.close_all()  # the children open their own
    done = threading.Event()
    board_during: list[float] = []

    def refresh_board() -> None:
        selectors.leaderboard(round=rnd, limit=10)
        selectors.own_rank(entry=entries[len(entries) // 2])

    def reader() -> None:
        try:
            while not done.is_set():
                started = time.perf_counter()
                refresh_board()
                board_during.append((time.perf_counter() - started) * 1000)
                done.wait(BOARD_EVERY_S)
        finally:
            connections.close_all()

    wall_started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        board_thread = threading.Thread(target=reader, name="leaderboard")  # after the fork
        board_thread.start()
        parts = pool.map(_process, [tasks[p::processes] for p in range(processes)], chunksize=1)
    wall_ms = (time.perf_counter() - wall_started) * 1000
    done.set()
    board_thread.join()
    samples = [sample for part in parts for sample in part]

    answers = len(tasks) + 1 + len(alone)
    stored = Entry.objects.filter(round=rnd, answered=QUESTIONS).count()
    if stored != len(entries):
        raise RuntimeError(f"{len(entries) - stored} entries lack answers")  # a lost or refused submit
    print(f"{answers:,} answers in {wall_ms / 1000:.1f} s: {answers / (wall_ms / 1000):,.0f} answers/s",  # noqa: T201
          flush=True)

    def forget() -> None:
        clear_cache(organiser)

    board: Timing = measure(refresh_board, setup=forget)
    teams: Timing = measure(lambda: selectors.team_totals(round=rnd), setup=forget)
    total_score = sum((e.score for e in Entry.objects.filter(round=rnd).only("score")), Decimal(0))
    kept = Answer.objects.filter(entry__round=rnd).aggregate(total=Sum("score"))["total"]
    if kept != total_score:
        raise RuntimeError(f"kept scores {total_score} differ from the answers' {kept}: an update was lost")
    print(f"scores kept: {total_score} in total, equal to the answers' sum", flush=True)  # noqa: T201
    return {
        "submit_p50_ms": round(statistics.median(samples), 3),
        "submit_p95_ms": round(_percentile(samples, 0.95), 3),
        "submit_max_ms": round(max(samples), 3),
        "submit_queries": submit_queries,
        "submit_alone_p50_ms": round(statistics.median(alone), 3),
        "submit_alone_p95_ms": round(_percentile(alone, 0.95), 3),
        "wall_ms": round(wall_ms, 3),
        "per_answer_ms": round(wall_ms / answers, 4),
        "leaderboard_during_p95_ms": round(_percentile(board_during, 0.95), 3) if board_during else 0.0,
        **board.metrics("leaderboard"),
        **teams.metrics("team_totals"),
    }
