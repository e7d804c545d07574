"""A competition round with ``scale`` participants in it at the same time (``mofan bench learning
--participants 5000``): what a contestant waits for when they submit an answer, and what the big screen waits
for when it refreshes the leaderboard.

The generated district (基准学习区N): 8 towns × 8 branches, ``scale`` learners (person, account, party-member
role on their branch) spread over the 64 branches, a secretary at the district who organises, and a bank of 20
single-choice questions. Data is reused by the next run; each run creates a new 业务大比武 (the previous runs'
competitions are deleted first, so the tables stay the same size from run to run) with two open rounds of the
20 questions, every learner enrolled in both through ``contests.services.enrol``, and runs them. Every answer is
a real, committed call of ``contests.services.answer_submit``; the actor's memberships are forgotten before
each call, as each request loads them afresh. The figures are the service's: a web request adds its session,
its view and its page.

- ``submit`` — the round as it is played: all ``scale`` contestants are in it at once. Each joins at a moment
  of the first ``JOIN_S`` seconds and answers its 20 questions one after another, taking ``THINK_S`` (5–25 s,
  15 s on average) over each: quicker than the demo's contestants (15–75 s) and than the 30 s a contest
  usually allows, so the load is the busy case — about ``scale`` / 15 answers a second, 333/s for 5,000. The
  answers are served by 32 workers on PostgreSQL (8 forked processes × 4 threads, each thread with its own
  database connection; processes because the GIL would serialise the Python side of one process, which a
  server's several workers do not) and 2 on SQLite (whose writers queue on one lock anyway); each process
  takes every 8th answer of the timetable, its threads the next one due. An answer's time runs from the moment
  the contestant submits it (its place in the timetable), so the time it waits for a free worker counts
  (``submit_p50_ms``, ``submit_p95_ms``, ``submit_max_ms``; ``submit_late_p95_ms`` how late the workers
  picked answers up; ``offered_per_s`` the timetable's average rate, ``offered_peak_per_s`` its rate over
  the busiest 10 seconds, ``round_ms`` its length).
  ``submit_queries`` counts the statements of one submit, the actor's memberships included.
- ``saturated`` — the capacity of this machine: the second round's first ``BURST_QUESTIONS`` questions
  answered by the same workers as fast as they go, no one thinking (``capacity_per_s`` answers a second;
  ``saturated_p50_ms``/``saturated_p95_ms`` the time in the call with every worker busy, which is the share of
  the CPUs a call gets, not a contestant's wait); ``submit_alone_p50_ms``/``submit_alone_p95_ms`` time 100
  calls made one after another before it, the service time without any queue.
- ``leaderboard_during`` — meanwhile a reader thread refreshes the big screen's board (top 10 and one
  contestant's own rank) every 200 ms (``leaderboard_during_p95_ms``); ``leaderboard`` — after the round, the
  same refresh, 15 times (``leaderboard_ms`` median, ``leaderboard_p95_ms``, ``leaderboard_queries``);
  ``team_totals`` the 64 branches' totals.

At the end of each round the kept scores must equal the sum of the stored answers (no lost update), and every
contestant of the played round must have its 20 answers.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import queue
import random
import statistics
import threading
import time
from collections import Counter
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
# 32 workers on PostgreSQL: 8 processes (the GIL would serialise the Python side of one process, which a
# server's several workers do not) × 4 threads. SQLite's writers queue on one lock.
PROCESSES, THREADS = 8, 4
SQLITE_PROCESSES, SQLITE_THREADS = 1, 2
JOIN_S = 60.0  # the contestants join over the first minute
THINK_S = (5.0, 25.0)  # and take this long over each question
PEAK_WINDOW_S = 10  # the busiest 10 seconds of the timetable give its peak rate
BURST_QUESTIONS = 4  # questions of the saturated run
ALONE = 100  # submits timed one after another before the saturated run


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


def _new_rounds(root: Unit, organiser: User, bank: QuestionBank) -> tuple[Any, Any]:
    """A new competition with two open rounds of the bank's questions, every learner enrolled in both."""
    old = Competition.objects.filter(unit=root)
    Entry.objects.filter(round__competition__in=old).delete()
    old.delete()
    now = timezone.now()
    competition = services.competition_create(actor=organiser, unit=root, name="基准业务大比武",
                                              kind=CompetitionKind.CONTEST)
    questions = list(Question.objects.filter(bank=bank).order_by("pk"))
    rounds = []
    for name in ("预赛", "压力测试"):
        rnd = services.round_create(actor=organiser, competition=competition, name=name,
                                    starts_at=now - dt.timedelta(minutes=1), ends_at=now + dt.timedelta(hours=6),
                                    questions_per_contestant=QUESTIONS, qualify_top=100, per_unit_quota=3)
        services.round_set_questions(actor=organiser, round=rnd, questions=questions)
        services.enrol(actor=organiser, round=rnd, units=[root])
        services.round_open(actor=organiser, round=rnd)
        rounds.append(rnd)
    analyze(["contests_entry"])
    return rounds[0], rounds[1]


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(share * len(ordered) + 0.999999) - 1)]


# What the forked worker processes read (set before the fork): entries, round questions, responses per round.
_JOB: dict[str, Any] = {}


def _submit(key: str, q: int, i: int) -> None:
    entries, rqs, responses = _JOB[key]
    entry = entries[i]
    clear_cache(entry.user)  # each request loads the actor's memberships afresh
    services.answer_submit(actor=entry.user, entry=entry, round_question=rqs[q], response=responses[i][q])


Sample = tuple[float, float, float]  # ms: from the answer's moment to done, late in picking it up, in the call


def _worker(key: str, tasks: queue.SimpleQueue[tuple[float, int, int]], epoch: float, out: list[Sample]) -> None:
    """One worker thread: take the next answer due, wait for its moment when it is early (a zero moment means
    at once), submit it; record a ``Sample``. Closes its connection at the end."""
    try:
        while True:
            try:
                moment, q, i = tasks.get_nowait()
            except queue.Empty:
                return
            due = epoch + moment
            late = time.monotonic() - due
            if late < 0:
                time.sleep(-late)
            called = time.monotonic()
            _submit(key, q, i)
            done = time.monotonic()
            out.append(((done - due) * 1000, max(0.0, late) * 1000, (done - called) * 1000))
    finally:
        connections.close_all()


def _process(job: tuple[str, list[tuple[float, int, int]], float]) -> list[Sample]:
    """One worker process: its threads share its part of the timetable, in order."""
    key, timetable, epoch = job
    tasks: queue.SimpleQueue[tuple[float, int, int]] = queue.SimpleQueue()
    for task in timetable:
        tasks.put(task)
    results: list[list[Sample]] = [[] for _ in range(_JOB["threads"])]
    errors: list[BaseException] = []

    def one(k: int) -> None:
        try:
            _worker(key, tasks, epoch, results[k])
        except BaseException as exc:  # reported to the parent below
            errors.append(exc)

    workers = [threading.Thread(target=one, args=(k,)) for k in range(_JOB["threads"])]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if errors:
        raise RuntimeError(f"a submit failed: {errors[0]!r}")
    return [sample for part in results for sample in part]


def _play(key: str, timetable: list[tuple[float, int, int]], processes: int,
          meanwhile: threading.Thread | None = None) -> tuple[list[Sample], float]:
    """Serve a timetable (sorted by moment) with the worker processes; the samples and the wall time (ms).
    ``meanwhile`` is started once the workers are forked (a thread does not survive a fork)."""
    connections.close_all()  # the children open their own
    epoch = time.monotonic() + 1.0  # the children are up by then
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        if meanwhile is not None:
            meanwhile.start()
        parts = pool.map(_process, [(key, timetable[p::processes], epoch) for p in range(processes)], chunksize=1)
    return [sample for part in parts for sample in part], (time.perf_counter() - started) * 1000


def _timetable(entries: int, rng: random.Random) -> list[tuple[float, int, int]]:
    """(moment in seconds, question, entry) of every answer of the round as it is played, in order."""
    timetable = []
    for i in range(entries):
        moment = rng.uniform(0, JOIN_S)
        for q in range(QUESTIONS):
            moment += rng.uniform(*THINK_S)
            timetable.append((moment, q, i))
    return sorted(timetable)


def _load(key: str, rnd: Any, rng: random.Random) -> tuple[list[Entry], list[RoundQuestion]]:
    rqs = list(RoundQuestion.objects.filter(round=rnd).select_related("question").order_by("order"))
    entries = list(Entry.objects.filter(round=rnd).select_related("user").order_by("pk"))
    responses = [[rq.question.answers[0] if rng.random() < 0.7 else rq.question.options[1] for rq in rqs]
                 for _entry in entries]
    _JOB[key] = (entries, rqs, responses)
    return entries, rqs


def _check_scores(rnd: Any) -> Decimal:
    total = sum((e.score for e in Entry.objects.filter(round=rnd).only("score")), Decimal(0))
    kept = Answer.objects.filter(entry__round=rnd).aggregate(total=Sum("score"))["total"]
    if kept != total:
        raise RuntimeError(f"kept scores {total} differ from the answers' {kept}: an update was lost")
    return total


def run(scale: int) -> dict[str, float]:
    root, organiser, bank = _build(scale)
    played, burst = _new_rounds(root, organiser, bank)
    rng = random.Random(7)  # noqa: S311 - generated answers, not security
    entries, rqs = _load("played", played, rng)
    burst_entries, _burst_rqs = _load("burst", burst, rng)
    processes, threads = (SQLITE_PROCESSES, SQLITE_THREADS) if connection.vendor == "sqlite" else (PROCESSES, THREADS)
    _JOB["threads"] = threads

    # One call in the main thread, to count the statements of a submit (the actor's memberships included).
    first = burst_entries[0]
    clear_cache(first.user)
    with CaptureQueriesContext(connection) as captured:
        _submit("burst", 0, 0)
    submit_queries = len(captured.captured_queries)

    timetable = _timetable(len(entries), rng)
    round_s = timetable[-1][0]
    offered = len(timetable) / round_s
    per_window = Counter(int(moment // PEAK_WINDOW_S) for moment, _q, _i in timetable)
    peak = max(per_window.values()) / PEAK_WINDOW_S
    print(f"{len(entries):,} contestants × {len(rqs)} questions over {round_s:.0f} s: {offered:,.0f} answers/s "  # noqa: T201
          f"on average, {peak:,.0f}/s at the busiest; {processes} processes × {threads} threads", flush=True)
    done = threading.Event()
    board_during: list[float] = []

    def refresh_board() -> None:
        selectors.leaderboard(round=played, limit=10)
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

    board_thread = threading.Thread(target=reader, name="leaderboard")
    try:
        samples, wall_ms = _play("played", timetable, processes, meanwhile=board_thread)
    finally:
        done.set()
        if board_thread.is_alive():
            board_thread.join()
    latencies = [latency for latency, _late, _call in samples]
    stored = Entry.objects.filter(round=played, answered=QUESTIONS).count()
    if stored != len(entries):
        raise RuntimeError(f"{len(entries) - stored} entries lack answers")  # a lost or refused submit
    total = _check_scores(played)
    print(f"played: {len(samples):,} answers in {wall_ms / 1000:.1f} s, p95 {_percentile(latencies, 0.95):.1f} ms; "  # noqa: T201
          f"scores kept: {total} in total, equal to the answers' sum", flush=True)

    # The saturated run: ALONE calls one after another first, then the rest as fast as the workers go.
    alone_tasks = [(0, i) for i in range(1, min(ALONE + 1, len(burst_entries)))]
    alone = []
    for q, i in alone_tasks:
        started = time.perf_counter()
        _submit("burst", q, i)
        alone.append((time.perf_counter() - started) * 1000)
    skip = {(0, 0), *alone_tasks}
    rush = [(0.0, q, i) for q in range(BURST_QUESTIONS) for i in range(len(burst_entries)) if (q, i) not in skip]
    rushed, rush_ms = _play("burst", rush, processes)
    saturated = [call for _latency, _late, call in rushed]  # all are due at once: the time in the call
    capacity = len(rush) / (rush_ms / 1000)
    _check_scores(burst)
    print(f"saturated: {len(rush):,} answers in {rush_ms / 1000:.1f} s: {capacity:,.0f} answers/s", flush=True)  # noqa: T201

    def forget() -> None:
        clear_cache(organiser)

    board: Timing = measure(refresh_board, setup=forget)
    teams: Timing = measure(lambda: selectors.team_totals(round=played), setup=forget)
    return {
        "submit_p50_ms": round(statistics.median(latencies), 3),
        "submit_p95_ms": round(_percentile(latencies, 0.95), 3),
        "submit_max_ms": round(max(latencies), 3),
        "submit_late_p95_ms": round(_percentile([late for _latency, late, _call in samples], 0.95), 3),
        "submit_queries": submit_queries,
        "offered_per_s": round(offered, 1),
        "offered_peak_per_s": round(peak, 1),
        "round_ms": round(round_s * 1000),
        "submit_alone_p50_ms": round(statistics.median(alone), 3),
        "submit_alone_p95_ms": round(_percentile(alone, 0.95), 3),
        "capacity_per_s": round(capacity, 1),
        "saturated_p50_ms": round(statistics.median(saturated), 3),
        "saturated_p95_ms": round(_percentile(saturated, 0.95), 3),
        "leaderboard_during_p95_ms": round(_percentile(board_during, 0.95), 3) if board_during else 0.0,
        **board.metrics("leaderboard"),
        **teams.metrics("team_totals"),
    }
