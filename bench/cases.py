"""Cases at district scale: what a centre operator waits for when registering a case and opening the 工作台,
and what the district waits for when it opens its KPI funnel for a year.

The generated district (基准区N): 8 towns × 8 villages; a governance centre at the district, at every town
and at 7 villages of 8 (the eighth village's cases go to its town); 20 district departments. ``scale`` cases
are spread over the last 365 days with the state mix of a working year (old cases mostly closed, recent
ones still open), 70% held by village centres, 22% by towns, 8% by the district; the accepted ones carry
dispatches (a lead department, sometimes a co-handling one) with check-in and feedback times, about 10% of
them late. Timeline entries are not generated: no figure here reads them.

Figures (median and p95 after a warm-up; queries per operation, the actor's memberships included, since
each request loads them afresh):

- ``intake``: ``cases.services.intake.case_create`` by a town operator, 200 real, committed calls
  (``intake_p50_ms``, ``intake_p95_ms``, ``intake_queries``);
- ``list_triage``, ``list_in_progress``, ``list_overdue``, ``list_all``: the town operator's 工作台 queues 待受理,
  办理中 (the largest queue of one state), 已超时 and 全部, and ``list_open`` every open case (the API's list
  narrowed by state) — newest first, a keyset page of 50 plus the capped count, through
  ``cases.selectors_work``/``cases.selectors.case_list``; ``list_p95_ms`` is the worst of their p95s,
  ``list_queries`` the most queries of one;
- ``funnel``: every figure of ``cases.kpis`` (the funnel, 交办完成率, the 三率, resolved levels, overdue) for
  the whole district over the year, by the district operator: one aggregate query on cases, one on
  dispatches (``funnel_ms``, ``funnel_p95_ms``, ``funnel_queries``); ``funnel_town`` the same for a town;
- ``unit_table``, ``ranking``: the district's table by town and its department ranking;
- ``figure_list``: the first page of the cases behind one figure (resolved at district level).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from bench.runner import Timing, analyze, measure
from mofan.accounts import services as account_services
from mofan.accounts.permissions import clear_cache
from mofan.accounts.roles import Role
from mofan.cases import kinds, kpis
from mofan.cases import selectors_work as work
from mofan.cases.models import Case, Channel, Dispatch, Level, Satisfaction, Urgency
from mofan.cases.selectors import case_list
from mofan.cases.services.intake import case_create
from mofan.core.paging import keyset_page
from mofan.demo.people import make_mobile, make_name
from mofan.org import services as org_services
from mofan.org.models import Unit, UnitKind

DEFAULT_SCALE = 100_000

TOWNS = 8
VILLAGES_PER_TOWN = 8
DEPARTMENTS = ("司法局", "城管局", "公安分局", "住建局", "交通运输局", "水务局", "生态环境分局", "市场监管局",
               "人社局", "民政局", "卫健委", "教育局", "自然资源分局", "农牧局", "应急管理局", "信访局",
               "供电公司", "供水公司", "燃气公司", "消防救援大队")
BATCH = 5_000
REPEAT = 15
INTAKE_CALLS = 200
DISTRICT_ACTOR, TOWN_ACTOR = "bench_district_operator", "bench_town_operator"
PASSWORD = "Bench@2026-cases"  # noqa: S105 - the benchmark actors of a throwaway database
PROBLEMS = ("路灯不亮", "道路坑洼积水", "垃圾清运不及时", "邻里噪音纠纷", "拖欠工资", "小区停水", "违章搭建",
            "占道经营", "下水道堵塞", "宅基地边界纠纷", "流浪犬伤人隐患", "楼道堆放杂物", "农田灌溉用水纠纷",
            "物业服务不到位", "家庭矛盾调解", "电动车违规充电", "井盖缺失", "草场边界争议")
CHANNELS = [c for c in Channel.values]
CHANNEL_WEIGHTS = [4, 4, 2, 2, 30, 35, 15, 4, 4]
URGENCIES = [Urgency.URGENT, Urgency.HIGH, Urgency.NORMAL]
URGENCY_WEIGHTS = [5, 20, 75]
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def _root_name(scale: int) -> str:
    return f"基准区{scale}"


def _code(index: int) -> str:
    """A unique tracking code for the ``index``-th generated case (never one intake would draw: "MB…")."""
    digits = []
    for _ in range(8):
        index, rest = divmod(index, len(CODE_ALPHABET))
        digits.append(CODE_ALPHABET[rest])
    return "MB" + "".join(reversed(digits))


@contextlib.contextmanager
def _writable_milestones() -> Iterator[None]:
    """Let bulk_create write the generated creation and dispatch times (``auto_now_add`` would stamp now)."""
    fields = [Case._meta.get_field("created_at"), Dispatch._meta.get_field("dispatched_at")]
    saved = [(f, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now_add = False
    try:
        yield
    finally:
        for f, value in saved:
            f.auto_now_add = value


class _Layout:
    """The generated units, built once."""

    def __init__(self, scale: int) -> None:
        mk = org_services.unit_create
        self.root = mk(actor=None, name=_root_name(scale), kind=UnitKind.DISTRICT, parent=None, audit=False)
        self.district_centre = mk(actor=None, name="区社会治理中心", kind=UnitKind.CENTRE, parent=self.root,
                                  audit=False)
        self.towns: list[Unit] = []
        self.town_centres: list[Unit] = []
        self.villages: list[tuple[Unit, Unit | None, int]] = []  # (village, its centre or None, town index)
        for t in range(TOWNS):
            town = mk(actor=None, name=f"第{t + 1}镇", kind=UnitKind.TOWN, parent=self.root, audit=False)
            self.towns.append(town)
            self.town_centres.append(mk(actor=None, name=f"第{t + 1}镇社会治理中心", kind=UnitKind.CENTRE,
                                        parent=town, audit=False))
            for v in range(VILLAGES_PER_TOWN):
                village = mk(actor=None, name=f"第{t + 1}镇第{v + 1}村", kind=UnitKind.VILLAGE, parent=town,
                             audit=False)
                centre = None if v == VILLAGES_PER_TOWN - 1 else mk(
                    actor=None, name=f"{village.name}治理中心", kind=UnitKind.CENTRE, parent=village, audit=False)
                self.villages.append((village, centre, t))
        self.departments = [mk(actor=None, name=name, kind=UnitKind.ORGAN, parent=self.root, audit=False)
                            for name in DEPARTMENTS]


def _state_for(rng: random.Random, age_days: float) -> str:
    """A state mix that ages: recent cases are still open, old ones mostly closed."""
    r = rng.random()
    if r < 0.07:
        return kinds.REJECTED
    if r < 0.09:
        return kinds.MERGED
    mix: tuple[tuple[float, str], ...]
    if age_days < 2:
        mix = ((0.35, kinds.COLLECTED), (0.55, kinds.ACCEPTED), (0.92, kinds.DISPATCHED), (1.0, kinds.HANDLED))
    elif age_days < 15:
        mix = ((0.03, kinds.COLLECTED), (0.08, kinds.ACCEPTED), (0.45, kinds.DISPATCHED), (0.6, kinds.HANDLED),
               (0.75, kinds.VERIFIED), (1.0, kinds.CLOSED))
    else:
        mix = ((0.002, kinds.COLLECTED), (0.005, kinds.ACCEPTED), (0.02, kinds.DISPATCHED),
               (0.03, kinds.HANDLED), (0.04, kinds.VERIFIED), (1.0, kinds.CLOSED))
    s = rng.random()
    return next(state for bound, state in mix if s < bound)


def _make_case(rng: random.Random, layout: _Layout, index: int, created: dt.datetime, now: dt.datetime
               ) -> tuple[Case, bool]:
    village, village_centre, t = rng.choice(layout.villages)
    area = village if rng.random() < 0.93 else layout.towns[t]
    r = rng.random()
    if area == village and village_centre is not None and r < 0.75:
        centre, level = village_centre, Level.VILLAGE
    elif r < 0.92:
        centre, level = layout.town_centres[t], Level.TOWN
    else:
        centre, level = layout.district_centre, Level.DISTRICT
    state = _state_for(rng, (now - created).total_seconds() / 86400)
    urgency = rng.choices(URGENCIES, URGENCY_WEIGHTS)[0]
    problem = rng.choice(PROBLEMS)
    anonymous = rng.random() < 0.05
    case = Case(
        kind=kinds.GOVERNANCE.key, tracking_code=_code(index), state=state, title=f"{area.name}{problem}",
        description=f"{area.name}群众反映：{problem}，已持续数日，希望尽快处理。",
        channel=rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0], urgency=urgency, area=area, area_path=area.path,
        centre=centre, centre_path=centre.path, level=level, anonymous=anonymous,
        reporter_name="" if anonymous else make_name(rng, "M" if rng.random() < 0.5 else "F"),
        reporter_phone="" if anonymous else make_mobile(rng), created_at=created,
    )
    hours = dt.timedelta(hours=1)
    if state != kinds.COLLECTED and state not in (kinds.REJECTED, kinds.MERGED):
        case.accepted_at = created + hours * rng.uniform(0.2, 20)
    if state == kinds.REJECTED:
        case.rejected_at = created + hours * rng.uniform(0.2, 20)
        case.reject_reason = "不属于受理范围"
        case.redirect_to = "区劳动人事争议仲裁院"
    if state == kinds.MERGED:
        case.due_at = None
    if state in (kinds.VERIFIED, kinds.CLOSED):  # resolved once the centre verified it (services.closing)
        case.resolved_at = created + hours * rng.uniform(4, 24 * 12)
        case.resolved_level = level
    if state == kinds.CLOSED:
        assert case.resolved_at is not None  # noqa: S101 - set just above
        case.closed_at = case.resolved_at + hours * rng.uniform(24, 24 * 5)
        s = rng.random()
        case.satisfaction = (Satisfaction.SATISFIED if s < 0.72 else Satisfaction.BASICALLY if s < 0.93
                             else Satisfaction.UNSATISFIED)
    if state in kinds.OPEN_STATES:
        case.due_at = created + hours * (24 if state == kinds.COLLECTED else 24 * 9)
        case.overdue = case.due_at < now
    return case, state in (kinds.DISPATCHED, kinds.HANDLED, kinds.VERIFIED, kinds.CLOSED)


def _make_dispatches(rng: random.Random, layout: _Layout, case: Case, now: dt.datetime) -> list[Dispatch]:
    count = 1 if rng.random() < 0.75 else 2
    departments = rng.sample(layout.departments, count)
    assert case.accepted_at is not None  # noqa: S101 - dispatched cases are accepted
    sent = case.accepted_at + dt.timedelta(minutes=rng.uniform(5, 240))
    result = []
    for i, department in enumerate(departments):
        checkin_due = sent + dt.timedelta(hours=24)
        handle_due = sent + dt.timedelta(days=9)
        d = Dispatch(case=case, department=department, department_path=department.path,
                     role=Dispatch.Role.LEAD if i == 0 else Dispatch.Role.CO, summons=rng.random() < 0.1,
                     dispatched_at=sent, checkin_due=checkin_due, handle_due=handle_due)
        finished = case.state != kinds.DISPATCHED
        checkin = sent + dt.timedelta(hours=rng.uniform(0.1, 20) if rng.random() < 0.9 else rng.uniform(25, 60))
        if finished or (checkin < now and rng.random() < 0.8):
            d.checked_in_at = min(checkin, now)
            d.state = Dispatch.State.CHECKED_IN
            feedback = d.checked_in_at + dt.timedelta(days=rng.uniform(0.2, 10))
            if finished or (feedback < now and rng.random() < 0.5):
                d.feedback_at, d.state, d.result = min(feedback, now), Dispatch.State.DONE, "已现场处置完毕"
        d.overdue = (d.state == Dispatch.State.DISPATCHED and checkin_due < now) or (
            d.state == Dispatch.State.CHECKED_IN and handle_due < now)
        if case.state == kinds.CLOSED and rng.random() < 0.6:
            d.rating = rng.choices([5, 4, 3, 2, 1], [55, 28, 10, 4, 3])[0]
        result.append(d)
    return result


def generate(scale: int, log: Any = print) -> None:
    """Build the district, ``scale`` cases over the last year and their dispatches, in one transaction."""
    rng = random.Random(f"bench-cases-{scale}")
    started = time.monotonic()
    now = timezone.now()
    span = dt.timedelta(days=365)
    first = now - span
    with transaction.atomic(), _writable_milestones():
        layout = _Layout(scale)
        made = 0
        dispatches = 0
        for start in range(0, scale, BATCH):
            batch: list[Case] = []
            to_dispatch: list[Case] = []
            for index in range(start, min(start + BATCH, scale)):
                created = first + span * ((index + rng.random()) / scale)  # ids grow with time, as in life
                case, dispatched = _make_case(rng, layout, index, created, now)
                batch.append(case)
                if dispatched:
                    to_dispatch.append(case)
            Case.objects.bulk_create(batch, batch_size=BATCH)
            rows = [d for case in to_dispatch for d in _make_dispatches(rng, layout, case, now)]
            Dispatch.objects.bulk_create(rows, batch_size=BATCH)
            made += len(batch)
            dispatches += len(rows)
            if made % 50_000 == 0 or made == scale:
                log(f"  {made:,} / {scale:,} cases, {dispatches:,} dispatches ({time.monotonic() - started:.0f} s)")
        for username, name, unit in ((DISTRICT_ACTOR, "区中心受理员", layout.root),
                                     (TOWN_ACTOR, "第1镇受理员", layout.towns[0])):
            user = account_services.user_create(actor=None, username=username, display_name=name,
                                                password=PASSWORD, unit=unit, must_change_password=False)
            account_services.membership_grant(actor=None, user=user, unit=unit, role=Role.CENTRE_OPERATOR)
    counters = kpis.tally_rebuild()
    _analyze()
    log(f"generated {scale:,} cases and {dispatches:,} dispatches in {time.monotonic() - started:.1f} s"
        + (f" ({counters:,} KPI counter rows)" if counters else ""))


def _analyze() -> None:
    tally = ["cases_kpitally"] if kpis.tally_model() is not None else []
    analyze(["cases_case", "cases_dispatch", *tally])


def _intake(actor: Any, villages: list[Unit], log: Any) -> Timing:
    """Real intakes by the town operator, committed (200 more cases in a district of ``scale``)."""
    from django.test.utils import CaptureQueriesContext

    rng = random.Random()
    samples = []
    queries = 0
    for i in range(INTAKE_CALLS + 1):
        clear_cache(actor)
        village = rng.choice(villages)
        problem = rng.choice(PROBLEMS)
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            case_create(actor=actor, area=village, channel=Channel.HOTLINE, urgency=Urgency.NORMAL,
                        title=f"{village.name}{problem}", description=f"来电反映：{problem}。",
                        reporter_name=make_name(rng, "F"), reporter_phone=make_mobile(rng))
        elapsed = (time.perf_counter() - started) * 1000
        if i == 0:  # the warm-up
            queries = len(captured.captured_queries)
        else:
            samples.append(elapsed)
    log(f"  {INTAKE_CALLS} intakes done")
    return Timing(samples_ms=samples, queries=queries)


def run(scale: int, log: Any = print) -> dict[str, float]:
    from mofan.accounts.models import User

    root = Unit.objects.filter(parent__isnull=True, name=_root_name(scale)).first()
    if root is None:
        log(f"generating the district: {scale:,} cases over a year, with their dispatches")
        generate(scale, log)
        root = Unit.objects.get(parent__isnull=True, name=_root_name(scale))
    else:
        log("reusing the generated district")
        model = kpis.tally_model()
        if model is not None and not model.objects.exists():
            started = time.monotonic()
            log(f"counting the KPI counters: {kpis.tally_rebuild():,} rows in {time.monotonic() - started:.1f} s")
        _analyze()  # indexes a migration rebuilt have no statistics yet (autovacuum / PRAGMA optimize would)
    district_actor = User.objects.get(username=DISTRICT_ACTOR)
    town_actor = User.objects.get(username=TOWN_ACTOR)
    town = Unit.objects.get(parent=root, name="第1镇")
    villages = list(Unit.objects.filter(parent=town, kind=UnitKind.VILLAGE))

    def forget() -> None:  # each request loads the actor's memberships afresh
        clear_cache(district_actor)
        clear_cache(town_actor)

    metrics: dict[str, float] = {}
    intake = _intake(town_actor, villages, log)
    metrics |= {"intake_p50_ms": round(intake.median_ms, 3), "intake_p95_ms": round(intake.p95_ms, 3),
                "intake_queries": intake.queries}

    def queue_page(key: str) -> Callable[[], Any]:
        """A page of 50 of one 工作台 queue, newest first, with its capped count (what a list shows)."""
        return lambda: work.queue_page(actor=town_actor, queue=work.QUEUES[key])

    def open_page() -> Any:
        """All open cases (the API's list narrowed by state, here to the four open ones)."""
        def open_cases(seek: bool) -> Any:
            return case_list(actor=town_actor, seek=seek).filter(state__in=sorted(kinds.OPEN_STATES))
        return keyset_page(open_cases(False), descending=True, count_queryset=open_cases(True))

    lists = {"list_triage": queue_page("to_accept"), "list_in_progress": queue_page("in_progress"),
             "list_overdue": queue_page("overdue"), "list_all": queue_page("all"), "list_open": open_page}
    for figure, read in lists.items():
        timing = measure(read, repeat=REPEAT * 2, setup=forget)
        metrics |= timing.metrics(figure)
    metrics["list_p95_ms"] = max(metrics[f"{figure}_p95_ms"] for figure in lists)
    metrics["list_queries"] = max(metrics[f"{figure}_queries"] for figure in lists)
    metrics |= measure(lambda: work.workbench(actor=town_actor), repeat=REPEAT, setup=forget).metrics("workbench")

    today = timezone.localdate()
    # The district's year: the twelve months to this one (whole months, as the page's periods are).
    first = (today.replace(day=1) - dt.timedelta(days=335)).replace(day=1)
    year = kpis.Scope(kpis.Period("custom", first, kpis.Period.of("month", today).end))
    funnel = measure(lambda: kpis.compute(district_actor, year, clock=False), repeat=REPEAT, setup=forget)
    metrics |= funnel.metrics("funnel")
    metrics |= measure(lambda: kpis.compute(district_actor, year), repeat=REPEAT, setup=forget).metrics("figures")
    metrics |= measure(lambda: kpis.clock_counts(district_actor, year), repeat=REPEAT,
                       setup=forget).metrics("overdue")
    days = kpis.Scope(kpis.Period("custom", today - dt.timedelta(days=364), today))
    metrics |= measure(lambda: kpis.compute(district_actor, days, clock=False), repeat=REPEAT,
                       setup=forget).metrics("funnel_365_days")
    metrics |= measure(lambda: kpis.compute(town_actor, year, clock=False), repeat=REPEAT,
                       setup=forget).metrics("funnel_town")
    metrics |= measure(lambda: kpis.unit_table(district_actor, year, root), repeat=REPEAT,
                       setup=forget).metrics("unit_table")
    metrics |= measure(lambda: kpis.department_ranking(district_actor, year), repeat=REPEAT,
                       setup=forget).metrics("ranking")
    def figure_list() -> Any:  # what the list behind a number reads: a page, and the number itself
        page = keyset_page(kpis.figure_rows(district_actor, "resolved_district", year), descending=True,
                           count=False)
        return page, kpis.figure_total(district_actor, "resolved_district", year)

    metrics |= measure(figure_list, repeat=REPEAT, setup=forget).metrics("figure_list")
    result = kpis.compute(district_actor, year)
    log("funnel: " + ", ".join(f"{k} {result.counts[k]:,}" for k in kpis.FUNNEL)
        + f"; 交办完成率 {result.rates['dispatch_completion'].percent}")
    return metrics
