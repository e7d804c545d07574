"""The cases demo step: a year of governance cases in 模范区, across all levels and channels.

About 3,000 cases are generated, day by day, from the texts of ``mofan.cases.demo_texts``: each case lives
its life as the services would have written it — 收集, 受理 or 驳回 (with where to go instead) or 并案,
逐级上报 (by an operator, or by the sweeper on a lapsed limit), 交办 / 吹哨 to departments, 报到, 退单,
延期, 督办, 办结反馈, 核查, 评价, 回访 with satisfaction, 重办 — with due times from the kind's limits over
the working calendar. A case's life stops at the present moment, so the recent ones wait in every queue, and
some older ones are overdue.

For speed (the whole ``mofan demo`` must stay well under a minute) the cases, dispatches and timeline
entries are written in bulk with consistent milestones, not through ``engine.perform``; the browser test and
the service tests cover the real operations. The step is deterministic (``district.rng("cases")``, times
relative to now) and idempotent: when the district already has cases, it adds nothing.

The step also adds the district organs the cases are dispatched to (住建, 城管, 生态环境, 人社, 交通, 农牧水务,
民政, 消防) and a three-level category catalogue, both found again by name on a second run.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from mofan.accounts.roles import Role
from mofan.cases import demo_texts as texts
from mofan.cases import kinds
from mofan.cases.calendar import exceptions_between, is_workday
from mofan.cases.kinds import Limit
from mofan.cases.models import Case, CaseEvent, Category, Channel, Dispatch, Level, Satisfaction, Urgency
from mofan.core import crypto
from mofan.core.masking import mask_id_number
from mofan.demo.district import DemoDistrict
from mofan.demo.people import PersonFactory, make_name
from mofan.demo.registry import demo_step
from mofan.org import services as org_services
from mofan.org.models import Person, Unit, UnitKind

DAYS = 365
WEEKDAY_RATE, WEEKEND_RATE = 9.5, 5.0  # cases a day: about 3,000 a year
# Seasons: heating complaints in winter, noise and smoke in summer, a lull at the Spring Festival.
MONTH_FACTOR = {1: 0.85, 2: 0.75, 3: 0.95, 4: 1.0, 5: 1.05, 6: 1.1, 7: 1.15, 8: 1.1, 9: 1.0, 10: 0.95,
                11: 1.05, 12: 1.0}
CHANNEL_WEIGHTS = {
    Channel.GRID: 28, Channel.HOTLINE: 26, Channel.PUBLIC: 18, Channel.WINDOW_LABOUR: 6, Channel.WINDOW_LEGAL: 5,
    Channel.WINDOW_PSYCH: 2, Channel.WINDOW_WOMEN: 2, Channel.API: 7, Channel.OPEN311: 6,
}
WINDOW_LEAVES: dict[str, tuple[str, ...]] = {
    Channel.WINDOW_LABOUR: ("拖欠工资", "劳动合同", "工伤认定"),
    Channel.WINDOW_LEGAL: ("相邻关系", "漏水纠纷", "土地承包", "劳动合同", "赡养纠纷"),
    Channel.WINDOW_PSYCH: ("家庭矛盾",),
    Channel.WINDOW_WOMEN: ("家暴求助", "家庭矛盾", "赡养纠纷"),
}
TOWN_WEIGHT = {"xinhua": 1.7, "qiaoxi": 1.4, "qianjin": 1.3, "baiquan": 1.0, "sanchakou": 0.9, "tuchengzi": 0.8,
               "wulan": 0.7, "bayintala": 0.6}
# The 基层市场所 and 派出所 that serve each township (and the district itself, under "").
MARKET_OFFICE = {"xinhua": "smj.dept.chengguan", "qianjin": "smj.dept.chengguan", "": "smj.dept.chengguan",
                 "qiaoxi": "smj.dept.chengguan", "baiquan": "smj.dept.baiquan", "sanchakou": "smj.dept.xinhua",
                 "tuchengzi": "smj.dept.baiquan", "wulan": "smj.dept.wulan", "bayintala": "smj.dept.wulan"}
POLICE = {"xinhua": "gaj.chengguan", "qianjin": "gaj.chengguan", "qiaoxi": "gaj.xinqu", "": "gaj.command"}
SUMMONS_CHECKIN = Limit(minutes=30)
# 二级分类 a village or community cannot settle by itself (enforcement, inspection, insurance): most such
# reports go up to the township, which summons the district department (吹哨).
NEEDS_DEPARTMENT = frozenset({"违法建设", "供水供暖", "大气污染", "水污染", "劳动关系", "社会保险", "道路交通", "公共交通",
                              "食品安全", "消费维权", "计量和特种设备", "治安隐患", "消防安全"})
RECENT = dt.timedelta(days=12)  # recent cases are still being worked on: some of them slowly
MERGE_SHARE, SLOW_SHARE = 0.15, 0.35
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
SYSTEM_NAME = "system"
# The sweeper's words (mofan.cases.sweeper), as it writes them in the site's language.
SWEEP_TRIAGE = "本级受理时限已过，自动上报上一级中心。"
SWEEP_HANDLE = "本级办理时限已过，自动上报上一级中心。"
REMIND_CASE = "已超时：本环节办理时限已过。"
REMIND_CHECKIN = "已超时：%(department)s未在时限内报到。"
REMIND_HANDLE = "已超时：%(department)s未在时限内反馈办理结果。"


@demo_step(order=150, name="calendar")
def calendar_demo(district: DemoDistrict) -> str:
    """The published holidays and adjusted working days, so that working-day limits are right."""
    from mofan.cases.holidays import published_years
    from mofan.cases.models import CalendarDay
    from mofan.cases.services.calendar_days import calendar_load_year

    years = [y for y in published_years() if not CalendarDay.objects.filter(date__year=y).exists()]
    for year in years:
        calendar_load_year(actor=None, year=year)
    if not years:
        return "工作日历已载入，未新增"
    return "工作日历：载入 " + "、".join(str(y) for y in years) + " 年节假日与调休"


@demo_step(order=200, name="cases")
def cases_demo(district: DemoDistrict) -> str:
    if Case.objects.filter(area_path__startswith=district.root.path).exists():
        return "已有事件，未新增"
    demo = CaseDemo(district)
    made = demo.run()
    return (f"{made['cases']} 件事件（其中办理中 {made['open']} 件、超时 {made['overdue']} 件），"
            f"{made['dispatches']} 次交办，{made['events']} 条办理记录，{made['categories']} 个分类")


# Building blocks -------------------------------------------------------------------------------------------


@dataclass
class Area:
    unit: Unit
    town_key: str  # "" for the district
    urban: bool
    centre: Unit
    level: int
    village_name: str = ""
    town_name: str = ""
    grids: list[Unit] = field(default_factory=list)


@dataclass
class Story:
    """One case being lived: its row, its dispatches and its timeline, and the state over time."""

    case: Case
    leaf: texts.Leaf
    branch: texts.Branch
    area: Area
    events: list[CaseEvent] = field(default_factory=list)
    dispatches: list[Dispatch] = field(default_factory=list)
    history: list[tuple[dt.datetime, str]] = field(default_factory=list)
    rounds: int = 0
    looked: bool = False
    merged_into: Story | None = None

    def state_at(self, moment: dt.datetime) -> str:
        state = kinds.COLLECTED
        for at, value in self.history:
            if at > moment:
                break
            state = value
        return state


class _Stop(Exception):
    """The case's next step lies in the future: its life stops here, in its current state."""


class _Escalated(Exception):
    """The sweeper escalated the case when a limit passed: the level above takes over at ``at``."""

    def __init__(self, at: dt.datetime) -> None:
        super().__init__(at)
        self.at = at


@contextmanager
def _explicit_timestamps() -> Iterator[None]:
    """Let bulk_create keep the times of the story (created_at, at, dispatched_at) instead of "now"."""
    fields = [Case._meta.get_field("created_at"), Case._meta.get_field("updated_at"),
              CaseEvent._meta.get_field("at"), Dispatch._meta.get_field("dispatched_at")]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


class CaseDemo:
    def __init__(self, district: DemoDistrict, now: dt.datetime | None = None) -> None:
        self.district = district
        self.rng: random.Random = district.rng("cases")
        self.now = now or timezone.now()
        self.start = self.now - dt.timedelta(days=DAYS)
        self.kind = kinds.GOVERNANCE
        self.people = PersonFactory(self.rng, region="150999", today=dt.date(2026, 1, 1))
        self.exceptions = exceptions_between(timezone.localdate(self.start) - dt.timedelta(days=2),
                                             timezone.localdate(self.now) + dt.timedelta(days=120))
        self.codes: set[str] = set()
        self.stories: list[Story] = []
        self.recent: dict[tuple[int, str], list[Story]] = {}
        self.counts = {"categories": 0}
        self.slow = False  # the case being lived moves slowly (recent backlog)

    # Setup -----------------------------------------------------------------------------------------------

    def run(self) -> dict[str, int]:
        self.generate()
        return self._write()

    def generate(self) -> list[Story]:
        """Live every case of the year in memory; only the organs and the catalogue are written here."""
        self.departments = self._departments()
        self.categories = self._catalogue()
        self._areas()
        self._staff()
        self.accounts = {
            "operator": self.district.account(Role.CENTRE_OPERATOR),
            "handler": self.district.account(Role.DEPARTMENT_HANDLER),
            "grid": self.district.account(Role.GRID_WORKER),
        }
        self.operator_centre = self.district.units["town.xinhua.centre"]
        self.handler_unit = self.district.units["smj.dept.chengguan"]
        self.grid_village = self.district.units["town.xinhua.v1"]
        day = timezone.localdate(self.start)
        while day <= timezone.localdate(self.now):
            self._day(day)
            day += dt.timedelta(days=1)
        return self.stories

    def _departments(self) -> dict[str, Unit]:
        units = dict(self.district.units)
        root = self.district.root
        existing = {(u.parent_id, u.name): u for u in Unit.objects.filter(path__startswith=root.path,
                                                                          kind__in=[UnitKind.ORGAN,
                                                                                    UnitKind.DEPARTMENT])}
        order = 100
        for key, name, children in texts.EXTRA_ORGANS:
            order += 1
            organ = existing.get((root.pk, name)) or org_services.unit_create(
                actor=None, name=name, kind=UnitKind.ORGAN, parent=root, sort_order=order)
            units[key] = organ
            for index, (child_key, child_name) in enumerate(children):
                units[child_key] = existing.get((organ.pk, child_name)) or org_services.unit_create(
                    actor=None, name=child_name, kind=UnitKind.DEPARTMENT, parent=organ, sort_order=index)
        return units

    def _catalogue(self) -> dict[str, Category]:
        """The three-level catalogue, by 三级分类 name; found again by (parent, name) on a second run."""
        existing = {(c.parent_id, c.name): c for c in Category.objects.all()}
        by_leaf: dict[str, Category] = {}

        def node(name: str, parent: Category | None, level: int, code: str, department: Unit | None) -> Category:
            found = existing.get((parent.pk if parent else None, name))
            if found is not None:
                return found
            self.counts["categories"] += 1
            return Category.objects.create(name=name, parent=parent, level=level, code=code,
                                           default_department=department)

        for trunk in texts.CATALOGUE:
            top = node(trunk.name, None, 1, trunk.code, None)
            for b_index, branch in enumerate(trunk.branches, start=1):
                default = self.departments.get({"smj.local": "smj.consumer", "gaj.local": "gaj.command"}.get(
                    branch.department, branch.department))
                middle = node(branch.name, top, 2, f"{trunk.code}{b_index:02d}", default)
                for l_index, leaf in enumerate(branch.leaves, start=1):
                    by_leaf[leaf.name] = node(leaf.name, middle, 3, f"{trunk.code}{b_index:02d}{l_index:02d}",
                                              default)
        return by_leaf

    def _areas(self) -> None:
        district = self.district
        root = district.root
        key_of = {unit.pk: key for key, unit in district.units.items()}
        centres = {u.parent_id: u for u in Unit.objects.filter(kind=UnitKind.CENTRE, is_active=True,
                                                               parent__path__startswith=root.path).order_by("id")}
        grids: dict[int, list[Unit]] = {}
        for grid in Unit.objects.filter(kind=UnitKind.GRID, path__startswith=root.path).order_by("id"):
            grids.setdefault(grid.parent_id or 0, []).append(grid)
        self.root_area = Area(unit=root, town_key="", urban=True, centre=centres[root.pk], level=Level.DISTRICT)
        self.town_areas: list[tuple[Area, float]] = []
        self.village_areas: list[tuple[Area, float]] = []
        self.town_of: dict[str, Area] = {}
        for town in district.towns:
            town_key = key_of[town.pk].split(".")[1]
            urban = town.name.endswith("街道")
            area = Area(unit=town, town_key=town_key, urban=urban, centre=centres[town.pk], level=Level.TOWN,
                        town_name=town.name)
            weight = TOWN_WEIGHT.get(town_key, 1.0)
            self.town_areas.append((area, weight))
            self.town_of[town_key] = area
            villages = district.villages[town.pk]
            for village in villages:
                centre = centres.get(village.pk)
                village_area = Area(
                    unit=village, town_key=town_key, urban=urban, centre=centre or area.centre,
                    level=Level.VILLAGE if centre else Level.TOWN, village_name=village.name, town_name=town.name,
                    grids=grids.get(village.pk, []))
                self.village_areas.append((village_area, weight / max(1, len(villages)) * 6))

    def _staff(self) -> None:
        """Who signs the timeline at each unit: people of the unit, or of the area it serves."""
        self.staff: dict[int, list[str]] = {}
        people = Person.objects.filter(unit__path__startswith=self.district.root.path, is_active=True)
        for unit_id, name in people.order_by("id").values_list("unit_id", "name"):
            self.staff.setdefault(unit_id, []).append(name)

    def _name_at(self, unit: Unit) -> str:
        names = self.staff.get(unit.pk) or self.staff.get(unit.parent_id or 0)
        if not names:
            names = [make_name(self.rng, self.rng.choice("MF")) for _ in range(2)]
            self.staff[unit.pk] = names
        return self.rng.choice(names)

    # Time ------------------------------------------------------------------------------------------------

    def due(self, start: dt.datetime, limit: Limit) -> dt.datetime:
        moment = start + limit.delta
        if not limit.working_days:
            return moment
        local = timezone.localtime(moment)
        day, left = local.date(), limit.working_days
        while left > 0:
            day += dt.timedelta(days=1)
            if is_workday(day, self.exceptions):
                left -= 1
        return local.replace(year=day.year, month=day.month, day=day.day)

    def office(self, moment: dt.datetime, urgent: bool = False, duty: bool = False) -> dt.datetime:
        """Staff work in office hours on working days; centres and departments on duty (值班: receiving,
        dispatching, checking in) every day from 8 to 20; urgent cases at any hour."""
        if urgent:
            return moment
        local = timezone.localtime(moment)
        open_day = duty or is_workday(local.date(), self.exceptions)
        if 8 <= local.hour < (20 if duty else 19) and open_day:
            return moment
        day = local.date() if local.hour < 8 else local.date() + dt.timedelta(days=1)
        while not duty and not is_workday(day, self.exceptions):
            day += dt.timedelta(days=1)
        return local.replace(year=day.year, month=day.month, day=day.day, hour=8,
                             minute=self.rng.randrange(20, 59), second=self.rng.randrange(60))

    def later(self, moment: dt.datetime, low_minutes: float, high_minutes: float) -> dt.datetime:
        pace = 3.0 if self.slow else 1.0
        return moment + dt.timedelta(minutes=self.rng.uniform(low_minutes, high_minutes) * pace)

    def towards(self, start: dt.datetime, due: dt.datetime, late_share: float, urgent: bool = True,
                duty: bool = False) -> dt.datetime:
        """When a step due at ``due`` gets done: in time most of the time, late with ``late_share``; within
        working hours unless ``urgent`` (see ``office``). A step meant to be in time stays in time."""
        span = max((due - start).total_seconds(), 600.0)
        if self.slow:
            late_share = max(late_share, 0.3)
        low = 0.5 if self.slow else 0.08
        if self.rng.random() < late_share:
            return self.office(start + dt.timedelta(seconds=span * self.rng.uniform(1.05, 2.2)), urgent, duty)
        for _try in range(6):
            moment = self.office(start + dt.timedelta(seconds=span * self.rng.uniform(low, 0.9)), urgent, duty)
            if moment <= due:
                return moment
        return start + dt.timedelta(seconds=min(span * 0.5, self.rng.uniform(300, 1800)))

    # Generation ------------------------------------------------------------------------------------------

    def _day(self, day: dt.date) -> None:
        rate = (WEEKDAY_RATE if is_workday(day, self.exceptions) else WEEKEND_RATE) * MONTH_FACTOR[day.month]
        count = max(0, round(self.rng.gauss(rate, rate**0.5)))
        moments = []
        for _ in range(count):
            channel = self.rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0]
            if channel in (Channel.HOTLINE, Channel.PUBLIC, Channel.API, Channel.OPEN311):
                hour = self.rng.choices(range(24), weights=[1, 1, 1, 1, 1, 2, 4, 7, 9, 10, 10, 9, 7, 8, 9, 9, 9, 8,
                                                            7, 7, 6, 5, 3, 2])[0]
            else:
                hour = self.rng.randrange(8, 18)
            moment = dt.datetime(day.year, day.month, day.day, hour, self.rng.randrange(60), self.rng.randrange(60),
                                 tzinfo=timezone.get_current_timezone())
            if self.start <= moment < self.now:
                moments.append((moment, channel))
        for moment, channel in sorted(moments):
            self._case(moment, channel)

    def _pick_area(self, channel: str) -> Area:
        if channel.startswith("window_"):
            return self.root_area
        if channel == Channel.GRID:
            return self.rng.choices([a for a, _w in self.village_areas], [w for _a, w in self.village_areas])[0]
        roll = self.rng.random()
        if roll < 0.08:
            return self.root_area
        pool = self.town_areas if roll < 0.36 else self.village_areas
        return self.rng.choices([a for a, _w in pool], [w for _a, w in pool])[0]

    def _pick_leaf(self, channel: str, area: Area) -> tuple[texts.Leaf, texts.Branch]:
        choices: list[tuple[texts.Leaf, texts.Branch]] = []
        weights: list[float] = []
        wanted = WINDOW_LEAVES.get(channel)
        for trunk in texts.CATALOGUE:
            for branch in trunk.branches:
                for leaf in branch.leaves:
                    if wanted is not None:
                        if leaf.name in wanted:
                            choices.append((leaf, branch))
                            weights.append(1.0)
                        continue
                    if area.level != Level.DISTRICT and leaf.where != texts.ANY and (
                            (leaf.where == texts.URBAN) != area.urban):
                        continue
                    choices.append((leaf, branch))
                    weights.append(leaf.weight)
        return self.rng.choices(choices, weights)[0]

    def _slots(self, area: Area, moment: dt.datetime) -> dict[str, Any]:
        rng = self.rng
        roads = rng.sample(texts.ROADS, 2)
        village = area.village_name or (rng.choice([a.unit.name for a, _w in self.village_areas
                                                    if a.town_key == area.town_key]) if area.town_key else "")
        town = area.town_name or rng.choice([a.unit.name for a, _w in self.town_areas])
        return {
            "xiaoqu": rng.choice(texts.XIAOQU), "bldg": f"{rng.randint(1, 28)}号楼{rng.randint(1, 6)}单元",
            "road": roads[0], "road2": roads[1], "road_part": rng.choice(texts.ROAD_PARTS),
            "shop": rng.choice(texts.SHOPS), "company": rng.choice(texts.COMPANIES),
            "since": rng.choice(texts.SINCE), "since_short": rng.choice(texts.SINCE_SHORT),
            "time": rng.choice(texts.TIMES), "village": village or "村里", "town": town,
            "group": rng.choice(texts.GROUPS), "n": rng.randint(3, 12), "months": rng.randint(2, 7),
            "small": rng.randint(3, 9), "money": str(rng.randint(12, 180) * 100),
            "money_small": rng.choice([80, 120, 150, 200, 260, 300, 500]),
            "done": "",
        }

    def _tracking_code(self, moment: dt.datetime) -> str:
        stamp = timezone.localtime(moment).strftime("%y%m%d")
        while True:
            code = "MF" + stamp + "".join(self.rng.choice(CODE_ALPHABET) for _ in range(6))
            if code not in self.codes:
                self.codes.add(code)
                return code

    def _case(self, moment: dt.datetime, channel: str) -> None:
        rng = self.rng
        area = self._pick_area(channel)
        leaf, branch = self._pick_leaf(channel, area)
        slots = self._slots(area, moment)
        title = leaf.titles[rng.randrange(len(leaf.titles))].format_map(slots)
        story = leaf.stories[rng.randrange(len(leaf.stories))].format_map(slots)
        roll = rng.random()
        urgency = Urgency.URGENT if roll < leaf.urgent else Urgency.HIGH if roll < leaf.urgent + leaf.high \
            else Urgency.NORMAL
        anonymous = channel in (Channel.PUBLIC, Channel.OPEN311) and rng.random() < 0.1
        with_reporter = not anonymous and not (channel == Channel.GRID and rng.random() < 0.3)
        if channel == Channel.HOTLINE and rng.random() < 0.5:
            story = "来电人反映：" + story
        elif channel.startswith("window_"):
            story = "来访人称：" + story
        elif channel == Channel.GRID and not with_reporter:
            story = "网格员走访时居民反映：" + story
        if area.urban:
            address = f"{area.town_name or ''}{area.village_name}{slots['xiaoqu']}" if area.village_name else \
                f"{slots['road']}{slots['road_part']}"
        else:
            address = f"{area.village_name}{slots['group']}" if area.village_name else ""
        case = Case(
            kind=self.kind.key, tracking_code=self._tracking_code(moment), state=kinds.COLLECTED, title=title[:200],
            description=story, channel=channel, urgency=urgency, area=area.unit, area_path=area.unit.path,
            centre=area.centre, centre_path=area.centre.path, level=area.level, anonymous=anonymous,
            address=address[:200], created_at=moment, updated_at=moment,
        )
        # A category from the start when staff or a grid worker register the case; the public's get one at 受理.
        if channel not in (Channel.PUBLIC, Channel.OPEN311, Channel.API) or rng.random() < 0.4:
            case.category = self.categories[leaf.name]
        if with_reporter:
            person = self.people.make(min_age=20, max_age=78, mongolian_share=0.0 if area.urban else 0.25)
            case.reporter_name, case.reporter_phone = person.name, person.phone
            if channel.startswith("window_") and rng.random() < 0.7:
                case.reporter_id_cipher = crypto.encrypt(person.id_number)
                case.reporter_id_masked = mask_id_number(person.id_number)
        story_ = Story(case=case, leaf=leaf, branch=branch, area=area)
        self.slow = self.now - moment < RECENT and rng.random() < SLOW_SHARE
        self._collect(story_, moment)
        try:
            self._live(story_, moment)
        except _Stop:
            pass
        self._settle(story_)
        self.stories.append(story_)
        self.recent.setdefault((area.unit.pk, leaf.name), []).append(story_)

    # The life of a case -----------------------------------------------------------------------------------

    def _event(self, story: Story, at: dt.datetime, action: str, to_state: str | None = None, *, note: str = "",
               data: dict[str, Any] | None = None, unit: Unit | None = None, user: Any = None,
               name: str = "", sweeping: bool = False) -> CaseEvent:
        """One timeline entry at ``at`` — after whatever the sweeper did first (which may end the story here:
        ``_Stop`` when ``at`` lies in the future, ``_Escalated`` when a limit passed at a lower level)."""
        if not sweeping:
            self._sweep_until(story, min(at, self.now))
        if at > self.now:
            raise _Stop
        case = story.case
        from_state = case.state
        if to_state:
            case.state = to_state
            story.history.append((at, to_state))
        if user is None and unit is not None and not name:
            user = self._account_for(unit)
            name = "" if user is not None else self._name_at(unit)
        event = CaseEvent(case=case, at=at, actor=user, actor_name=user.get_username() if user else name,
                          actor_unit=unit, action=action, from_state=from_state, to_state=case.state, note=note,
                          data=data or {})
        story.events.append(event)
        case.updated_at = at
        return event

    def _account_for(self, unit: Unit) -> Any:
        if unit.pk == self.operator_centre.pk:
            return self.accounts["operator"]
        if unit.pk == self.handler_unit.pk:
            return self.accounts["handler"]
        return None

    def _collect(self, story: Story, moment: dt.datetime) -> None:
        case = story.case
        story.history.append((moment, kinds.COLLECTED))
        user, name, unit = None, "", None
        if case.channel == Channel.GRID:
            if story.area.unit.pk == self.grid_village.pk:
                user = self.accounts["grid"]
            else:
                name = self._name_at(story.area.unit)
            unit = story.area.unit
        elif case.channel == Channel.HOTLINE or case.channel.startswith("window_"):
            unit = case.centre
            user = self._account_for(unit)
            name = "" if user else self._name_at(unit)
        case.created_by = user
        event = CaseEvent(case=case, at=moment, actor=user, actor_name=user.get_username() if user else name,
                          actor_unit=unit, action="collect", from_state="", to_state=kinds.COLLECTED,
                          data={"channel": case.channel})
        story.events.append(event)
        case.due_at = self.due(moment, self.kind.triage_limit[case.urgency])

    def _live(self, story: Story, moment: dt.datetime) -> None:
        t = moment
        while True:
            try:
                try:
                    t = self._work(story, t)
                except _Stop:  # the story stops now: the sweeper has run until now all the same
                    self._sweep_until(story, self.now)
                    raise
                return
            except _Escalated as escalated:  # the sweeper took it one level up: the new level starts over
                t = escalated.at

    def _first_look(self, story: Story, t: dt.datetime) -> tuple[dt.datetime, bool]:
        """并案 of a repeated report, or 逐级上报 by a level that cannot resolve it. (moment, merged)"""
        rng, case = self.rng, story.case
        urgent = case.urgency != Urgency.NORMAL  # worked on at any hour
        earlier = [s for s in self.recent.get((story.area.unit.pk, story.leaf.name), [])
                   if s.merged_into is None and s.state_at(t) in kinds.OPEN_STATES
                   and s.case.centre_id == case.centre_id and (t - s.case.created_at) < dt.timedelta(days=21)]
        if earlier and rng.random() < MERGE_SHARE:
            t = self.towards(t, case.due_at or t, 0.0, urgent, duty=True)
            self._merge(story, earlier[-1], t)
            return t, True
        escalate_share = {int(Level.VILLAGE): 0.07, int(Level.TOWN): 0.03}.get(case.level, 0.0)
        if case.level == Level.VILLAGE and story.branch.name in NEEDS_DEPARTMENT:
            escalate_share = 0.45  # enforcement and inspection need the township's 吹哨
        if rng.random() < escalate_share:
            t = self.towards(t, case.due_at or t, 0.0, urgent, duty=True)
            self._escalate(story, t, rng.choice(texts.ESCALATE_REASONS), by_timeout=False)
        return t, False

    def _work(self, story: Story, t: dt.datetime) -> dt.datetime:
        """From ``collected`` or ``accepted`` to the end: 受理, rounds of 交办 until 核查 and 回访 close it."""
        rng, case = self.rng, story.case
        urgent = case.urgency != Urgency.NORMAL  # worked on at any hour
        if not story.looked:
            story.looked = True
            t, merged = self._first_look(story, t)
            if merged:
                return t
        if case.state == kinds.COLLECTED:
            if not story.rounds and rng.random() < 0.07:  # 驳回 with where to go instead
                t = self.towards(t, case.due_at or t, 0.05, urgent, duty=True)
                reason, redirect = rng.choice(texts.REJECTIONS)
                self._event(story, t, "reject", kinds.REJECTED, note=reason,
                            data={"reason": reason, "redirect_to": redirect}, unit=case.centre)
                case.rejected_at, case.reject_reason, case.redirect_to, case.due_at = t, reason, redirect, None
                return t
            self._inbox(story, 0.7)
            t = self.towards(t, case.due_at or t, 0.03, urgent, duty=True)
            category = self.categories[story.leaf.name]
            set_category = case.category_id is None
            self._event(story, t, "accept", kinds.ACCEPTED, note=rng.choice(texts.ACCEPT_NOTES),
                        data={"category": category.name if set_category else None}, unit=case.centre)
            case.accepted_at = t
            if set_category:
                case.category = category
        while True:
            story.rounds += 1
            t = self._dispatch_round(story, t)
            # 核查 within the verification limit (the sweeper reminds when it passes).
            t = self.towards(t, case.due_at or t, 0.05, case.urgency == Urgency.URGENT)
            if story.rounds < 2 and rng.random() < 0.03:  # not confirmed: dispatched again
                self._event(story, t, "verify_failed", kinds.ACCEPTED, note=rng.choice(texts.VERIFY_FAILED),
                            unit=case.centre, data={})
                story.events[-1].data["withdrawn"] = self._withdraw(story)
                self._set_due(story, self.due(t, self.kind.triage_limit[case.urgency]))
                continue
            self._event(story, t, "verify", kinds.VERIFIED, note=rng.choice(texts.VERIFY_NOTES), unit=case.centre,
                        data={"resolved_level": case.level})
            case.resolved_at, case.resolved_level = t, case.level
            self._set_due(story, self.due(t, self.kind.callback_limit))
            rated = self._rate(story, t)
            # 回访 within the callback limit.
            t = max(self.towards(t, case.due_at or t, 0.05, False), rated + dt.timedelta(minutes=5))
            satisfaction = rng.choices(list(Satisfaction.values), weights=[78, 15, 7])[0]
            if story.rounds < 2 and satisfaction == Satisfaction.UNSATISFIED and rng.random() < 0.5:
                self._event(story, t, "reopen", kinds.ACCEPTED, note=rng.choice(texts.REOPEN_NOTES),
                            unit=case.centre, data={"satisfaction": satisfaction, "solved": False})
                story.events[-1].data["withdrawn"] = self._withdraw(story)
                case.satisfaction = satisfaction
                case.resolved_at = case.resolved_level = None
                self._set_due(story, self.due(t, self.kind.triage_limit[case.urgency]))
                continue
            self._event(story, t, "callback", kinds.CLOSED, note=rng.choice(texts.CALLBACK_NOTES[satisfaction]),
                        unit=case.centre, data={"satisfaction": satisfaction, "solved": True})
            case.satisfaction, case.closed_at = satisfaction, t
            self._set_due(story, None)
            return t

    def _inbox(self, story: Story, share: float) -> None:
        """Today's reports: some still wait for the centre (their clock has not run out yet)."""
        case = story.case
        if (self.now - case.created_at < dt.timedelta(hours=20) and case.due_at is not None
                and case.due_at > self.now and self.rng.random() < share):
            raise _Stop

    def _set_due(self, story: Story, due: dt.datetime | None) -> None:
        """A new clock for the case's step: the overdue flag goes with the old one."""
        story.case.due_at, story.case.overdue = due, False

    def _sweep_until(self, story: Story, until: dt.datetime) -> None:
        """What the sweeper (mofan.cases.sweeper) did to the case before ``until``, in time order: a village or
        township whose triage or handling limit passed loses the case to the level above (``_Escalated``);
        otherwise every lapsed step is flagged overdue, with one reminder."""
        case = story.case
        lower = case.level in (Level.VILLAGE, Level.TOWN)
        open_rows = [d for d in story.dispatches if d.state in (Dispatch.State.DISPATCHED, Dispatch.State.CHECKED_IN)]
        while True:
            moves: list[tuple[dt.datetime, int, Any]] = []
            if case.state in (kinds.COLLECTED, kinds.ACCEPTED) and case.due_at is not None:
                if lower:
                    moves.append((case.due_at, 0, "triage"))
                elif not case.overdue:
                    moves.append((case.due_at, 1, "case"))
            if case.state == kinds.DISPATCHED:
                for d in open_rows:
                    if d.state not in (Dispatch.State.DISPATCHED, Dispatch.State.CHECKED_IN):
                        continue
                    if lower:
                        moves.append((d.handle_due, 0, "handle"))
                    step_due = d.checkin_due if d.state == Dispatch.State.DISPATCHED else d.handle_due
                    if not d.overdue:
                        moves.append((step_due, 1, d))
            if case.state in (kinds.HANDLED, kinds.VERIFIED) and case.due_at is not None and not case.overdue:
                moves.append((case.due_at, 1, "case"))
            moves = [m for m in moves if m[0] < until]
            if not moves:
                return
            due, _order, what = min(moves, key=lambda m: (m[0], m[1]))
            at = due + dt.timedelta(seconds=self.rng.uniform(10, 300))
            if at > self.now:
                raise _Stop
            if what in ("triage", "handle"):
                self._escalate(story, at, SWEEP_TRIAGE if what == "triage" else SWEEP_HANDLE, by_timeout=True)
                raise _Escalated(at)
            if what == "case":
                self._event(story, at, "remind", None, note=REMIND_CASE, name=SYSTEM_NAME, sweeping=True,
                            data={"step": case.state, "due": due.isoformat()})
                case.overdue = True
                continue
            dispatch: Dispatch = what
            step = "checkin" if dispatch.state == Dispatch.State.DISPATCHED else "handle"
            note = (REMIND_CHECKIN if step == "checkin" else REMIND_HANDLE) % {"department": dispatch.department.name}
            self._event(story, at, "remind", None, note=note, name=SYSTEM_NAME, sweeping=True, data={
                "step": step, "_dispatch": dispatch, "department": dispatch.department.name, "due": due.isoformat()})
            dispatch.overdue = True
            if case.due_at is not None and case.due_at <= at:
                case.overdue = True

    def _merge(self, story: Story, parent: Story, t: dt.datetime) -> None:
        case = story.case
        self._event(story, t, "merge", kinds.MERGED, note="与此前反映的同一问题合并办理。",
                    data={"into": parent.case.tracking_code}, unit=case.centre)
        state = parent.state_at(t)
        parent.events.append(CaseEvent(
            case=parent.case, at=t, actor=story.events[-1].actor, actor_name=story.events[-1].actor_name,
            actor_unit=case.centre, action="merged_in", from_state=state, to_state=state,
            data={"duplicate": case.tracking_code}))
        self._set_due(story, None)
        story.merged_into = parent

    def _escalate(self, story: Story, t: dt.datetime, reason: str, *, by_timeout: bool) -> None:
        """逐级上报 to the centre one level up, as services.escalation does: live dispatches are withdrawn and
        the case waits for acceptance there with a new triage clock."""
        case = story.case
        above = self.town_of[story.area.town_key] if case.level == Level.VILLAGE else self.root_area
        data = {"from": case.centre.name, "from_level": case.level, "to": above.centre.name,
                "to_level": above.level, "by_timeout": by_timeout}
        if by_timeout:
            self._event(story, t, "escalate", kinds.COLLECTED, note=reason, name=SYSTEM_NAME, sweeping=True,
                        data={**data, "withdrawn": []})
        else:
            self._event(story, t, "escalate", kinds.COLLECTED, note=reason, unit=case.centre,
                        data={**data, "withdrawn": []})
        story.events[-1].data["withdrawn"] = self._withdraw(story)
        case.centre, case.centre_path, case.level = above.centre, above.centre.path, above.level
        case.paused_at = None
        self._set_due(story, self.due(t, self.kind.triage_limit[case.urgency]))

    def _department(self, key: str, area: Area) -> Unit:
        if key == "smj.local":
            key = MARKET_OFFICE.get(area.town_key, "smj.dept.baiquan")
        elif key == "gaj.local":
            key = POLICE.get(area.town_key, "gaj.security")
        return self.departments[key]

    def _targets(self, story: Story) -> tuple[list[Unit], bool]:
        """(units, summons): the lead first. Each level dispatches within its reach (see
        services.dispatch.dispatch_reach and summon_reach)."""
        case, area, branch, rng = story.case, story.area, story.branch, self.rng
        returned = {d.department_id for d in story.dispatches if d.state == Dispatch.State.RETURNED}
        if case.level == Level.VILLAGE:
            lead = rng.choice(area.grids) if area.grids and rng.random() < 0.4 else area.unit
            return [lead], False
        lead = self._department(branch.department, area)
        co = self._department(branch.co_department, area) if branch.co_department else None
        if case.level == Level.TOWN:
            mediation = self.district.units.get(f"town.{area.town_key}.mediation")
            if branch.department in ("sfj.mediation", "sfj.legal") and mediation and rng.random() < 0.6:
                return [mediation], False
            if area.unit.kind == UnitKind.VILLAGE and branch.name not in NEEDS_DEPARTMENT and rng.random() < 0.4:
                return [area.unit], False
            units = [lead] + ([co] if co is not None and rng.random() < 0.25 else [])
            return [u for u in units if u.pk not in returned] or [self.departments["zfw.zongzhi"]], True
        units = [lead] + ([co] if co is not None and rng.random() < 0.2 else [])
        return [u for u in units if u.pk not in returned] or [self.departments["zfw.zongzhi"]], False

    def _dispatch_round(self, story: Story, t: dt.datetime) -> dt.datetime:
        """交办/吹哨 → 报到 → (退单, 延期, 督办) → 办结反馈 → complete. Returns the moment of ``complete``."""
        case, rng = story.case, self.rng
        urgent = case.urgency != Urgency.NORMAL  # worked on at any hour
        due = case.due_at or t
        self._inbox(story, 0.3)
        t = self.towards(t, due if due > t else t + dt.timedelta(minutes=40), 0.03, urgent, duty=True)
        units, summons = self._targets(story)
        dispatches = self._dispatch(story, t, units, summons)
        # 退单: the lead says it is not theirs; the centre dispatches to the department it should have been.
        lead = dispatches[0]
        if case.level != Level.VILLAGE and rng.random() < 0.04:
            back = self.office(self.later(t, 20, 600), urgent, duty=True)
            reason = rng.choice(texts.RETURN_REASONS)
            self._dept_event(story, back, "return", lead, note=reason, data={"role": lead.role})
            lead.state, lead.return_reason, lead.overdue = Dispatch.State.RETURNED, reason, False
            self._refresh_due(story, back)
            taken = {d.department_id for d in story.dispatches if d.state != Dispatch.State.WITHDRAWN}
            fallback = next(u for u in (self.departments["zfw.zongzhi"], self.departments["xfj.supervision"],
                                        self.departments["zfw.office"]) if u.pk not in taken)
            t = self.office(self.later(back, 30, 8 * 60), urgent, duty=True)
            redo = self._dispatch(story, t, [fallback], False)
            dispatches = redo + [d for d in dispatches[1:] if d.state == Dispatch.State.DISPATCHED]
        # Each department answers; the sweeper works on the first limit to pass.
        plans = [(d, self._plan(story, d, t)) for d in dispatches]
        for dispatch, plan in sorted(plans, key=lambda item: item[1]["checkin"]):
            self._dept_event(story, plan["checkin"], "check_in", dispatch, note=rng.choice(texts.CHECKIN_NOTES),
                             data={"late": plan["checkin"] > dispatch.checkin_due})
            dispatch.state, dispatch.checked_in_at, dispatch.overdue = (
                Dispatch.State.CHECKED_IN, plan["checkin"], False)
            self._refresh_due(story, plan["checkin"])
        for dispatch, plan in sorted(plans, key=lambda item: item[1]["feedback"]):
            self._feedback(story, dispatch, plan)
        finished = max(plan["feedback"] for _d, plan in plans)
        live = [d for d in story.dispatches if d.state == Dispatch.State.DONE]
        self._event(story, finished, "complete", kinds.HANDLED, note="各部门均已反馈。", name=SYSTEM_NAME,
                    data={"departments": [d.department.name for d in live]})
        case.paused_at = None
        self._set_due(story, self.due(finished, self.kind.verify_limit))
        return finished

    def _dispatch(self, story: Story, t: dt.datetime, units: list[Unit], summons: bool) -> list[Dispatch]:
        case, rng = story.case, self.rng
        if t > self.now:
            raise _Stop
        checkin = self.due(t, SUMMONS_CHECKIN if summons else self.kind.checkin_limit[case.urgency])
        handle = self.due(t, self.kind.handle_limit[case.urgency])
        live = (Dispatch.State.DISPATCHED, Dispatch.State.CHECKED_IN, Dispatch.State.DONE)
        has_lead = any(d.role == Dispatch.Role.LEAD and d.state in live for d in story.dispatches)
        busy = {d.department_id for d in story.dispatches if d.state in live}
        units = [u for u in units if u.pk not in busy]
        created = []
        for index, unit in enumerate(units):
            created.append(Dispatch(
                case=case, department=unit, department_path=unit.path,
                role=Dispatch.Role.LEAD if index == 0 and not has_lead else Dispatch.Role.CO, summons=summons,
                dispatched_at=t, dispatched_by=self._account_for(case.centre), checkin_due=checkin,
                handle_due=handle))
        name = "summon" if summons else "dispatch"
        note = rng.choice(texts.SUMMON_NOTES if summons else texts.DISPATCH_NOTES)
        self._event(story, t, name, kinds.DISPATCHED, note=note, unit=case.centre, data={
            "lead": created[0].department.name if created[0].role == Dispatch.Role.LEAD else None,
            "co": [d.department.name for d in created if d.role == Dispatch.Role.CO],
            "_dispatches": created, "summons": summons,
            "checkin_due": checkin.isoformat(), "handle_due": handle.isoformat()})
        for old in story.dispatches:  # dispatching a department again withdraws its returned row
            if old.state == Dispatch.State.RETURNED and any(old.department_id == u.pk for u in units):
                old.state = Dispatch.State.WITHDRAWN
        story.dispatches.extend(created)
        self._refresh_due(story, t)
        return created

    def _dept_event(self, story: Story, at: dt.datetime, action: str, dispatch: Dispatch, *, note: str = "",
                    data: dict[str, Any] | None = None) -> CaseEvent:
        return self._event(story, at, action, None, note=note, unit=dispatch.department,
                           data={"_dispatch": dispatch, "department": dispatch.department.name, **(data or {})})

    def _plan(self, story: Story, dispatch: Dispatch, start: dt.datetime) -> dict[str, Any]:
        """When a department will check in and report back (and whether it asks for more time)."""
        rng, case = self.rng, story.case
        urgent = case.urgency != Urgency.NORMAL or dispatch.summons
        checkin = self.towards(start, dispatch.checkin_due, 0.08, urgent, duty=True)
        extension = None
        if rng.random() < 0.05 and case.urgency == Urgency.NORMAL:
            asked = self.office(self.later(checkin, 120, 3 * 24 * 60))
            decided = self.office(self.later(asked, 30, 6 * 60))
            days = rng.choice([3, 5, 5, 7, 10])
            approve = rng.random() < 0.85 and decided < dispatch.handle_due
            handle_due = self.due(dispatch.handle_due, Limit(working_days=days)) if approve else dispatch.handle_due
            extension = {"asked": asked, "decided": decided, "days": days, "approve": approve}
        else:
            handle_due = dispatch.handle_due
        feedback = self.towards(checkin, handle_due, 0.05, urgent)
        if extension is not None:  # after asking, the department reports back only once the centre decided
            feedback = max(feedback, decided + dt.timedelta(minutes=self.rng.uniform(60, 600)))
        return {"checkin": checkin, "feedback": max(feedback, checkin + dt.timedelta(minutes=10)),
                "extension": extension}

    def _feedback(self, story: Story, dispatch: Dispatch, plan: dict[str, Any]) -> None:
        """延期 and 督办 on the way, then 办结反馈 — or the sweeper when the handling limit passes first."""
        case, rng = story.case, self.rng
        extension = plan["extension"]
        if extension is not None and extension["asked"] < plan["feedback"]:
            reason = rng.choice(texts.EXTENSION_REASONS)
            self._dept_event(story, extension["asked"], "request_extension", dispatch, note=reason,
                             data={"days": extension["days"]})
            dispatch.extension_days, dispatch.extension_reason = extension["days"], reason
            self._event(story, extension["decided"], "decide_extension", None, unit=case.centre, data={
                "_dispatch": dispatch, "department": dispatch.department.name, "approved": extension["approve"],
                "days": extension["days"]})
            if extension["approve"]:
                dispatch.handle_due = self.due(dispatch.handle_due, Limit(working_days=extension["days"]))
            dispatch.extension_days = None
            self._refresh_due(story, extension["decided"])
        done = plan["feedback"]
        span = dispatch.handle_due - dispatch.dispatched_at
        if done > dispatch.handle_due - span / 4 and rng.random() < 0.5:  # 督办 as the limit nears
            pressed = self.office(dispatch.handle_due - span * rng.uniform(0.05, 0.25))
            if dispatch.checked_in_at and dispatch.checked_in_at < pressed < min(done, dispatch.handle_due):
                self._event(story, pressed, "press", None, note=rng.choice(texts.PRESS_NOTES), unit=case.centre,
                            data={"_dispatches": [dispatch], "departments": [dispatch.department.name]})
        # This week's dispatches: some are still being handled (their limit has not passed yet).
        share = 0.6 if dispatch.department_id == self.handler_unit.pk else 0.2
        if (self.now - dispatch.dispatched_at < dt.timedelta(days=6) and dispatch.handle_due > self.now
                and rng.random() < share):
            raise _Stop
        local = timezone.localtime(done)
        result = rng.choice(story.branch.results).format_map({
            **self._slots(story.area, done), "done": f"{local.month}月{local.day}日", "company": "涉事企业"})
        self._dept_event(story, done, "feedback", dispatch, note=result,
                         data={"late": done > dispatch.handle_due, "files": 0})
        dispatch.state, dispatch.feedback_at, dispatch.result, dispatch.overdue = (
            Dispatch.State.DONE, done, result, False)
        self._refresh_due(story, done)

    def _rate(self, story: Story, t: dt.datetime) -> dt.datetime:
        """评价 of the departments that reported back, soon after 核查. Returns the moment of the last one."""
        rng = self.rng
        for dispatch in story.dispatches:
            if dispatch.state != Dispatch.State.DONE or dispatch.rating is not None or rng.random() < 0.2:
                continue
            late = (dispatch.checked_in_at and dispatch.checked_in_at > dispatch.checkin_due) or (
                dispatch.feedback_at and dispatch.feedback_at > dispatch.handle_due)
            rating = rng.choices([5, 4, 3, 2, 1], weights=[15, 30, 30, 15, 10] if late else [55, 32, 9, 3, 1])[0]
            t = t + dt.timedelta(minutes=rng.uniform(2, 40))
            note = rng.choice(texts.RATING_NOTES[rating])
            self._event(story, t, "rate", None, note=note, unit=story.case.centre,
                        data={"_dispatch": dispatch, "department": dispatch.department.name, "rating": rating})
            dispatch.rating, dispatch.rating_note = rating, note
        return t

    def _withdraw(self, story: Story) -> list[str]:
        names = []
        for d in story.dispatches:
            if d.state in (Dispatch.State.DISPATCHED, Dispatch.State.CHECKED_IN, Dispatch.State.DONE):
                d.state = Dispatch.State.WITHDRAWN
                names.append(d.department.name)
        return names

    def _refresh_due(self, story: Story, now: dt.datetime) -> None:
        dues = [d.checkin_due if d.state == Dispatch.State.DISPATCHED else d.handle_due
                for d in story.dispatches if d.state in (Dispatch.State.DISPATCHED, Dispatch.State.CHECKED_IN)]
        case = story.case
        case.due_at = min(dues) if dues else self.due(now, self.kind.triage_limit[case.urgency])
        case.overdue = case.overdue and case.due_at <= now

    def _settle(self, story: Story) -> None:
        """Where the case stands now: the overdue flags the sweeper would have set."""
        case = story.case
        if case.state in self.kind.terminal:
            case.due_at, case.overdue = None, False
        else:
            case.overdue = bool(case.due_at and case.due_at < self.now)
        for d in story.dispatches:
            due = {Dispatch.State.DISPATCHED: d.checkin_due, Dispatch.State.CHECKED_IN: d.handle_due}.get(
                d.state)  # type: ignore[call-overload]
            d.overdue = bool(due and due < self.now)

    # Writing ---------------------------------------------------------------------------------------------

    def _write(self) -> dict[str, int]:
        cases = [s.case for s in self.stories]
        dispatches = sorted((d for s in self.stories for d in s.dispatches), key=lambda d: d.dispatched_at)
        events = sorted((e for s in self.stories for e in s.events), key=lambda e: e.at)
        with _explicit_timestamps():
            Case.objects.bulk_create(cases, batch_size=500)
            Dispatch.objects.bulk_create(dispatches, batch_size=500)
            for event in events:
                data = dict(event.data)
                one = data.pop("_dispatch", None)
                many = data.pop("_dispatches", None)
                if one is not None:
                    data["dispatch"] = one.pk
                if many is not None:
                    data["dispatches"] = [d.pk for d in many]
                event.data = data
            CaseEvent.objects.bulk_create(events, batch_size=1000)
        merged = []
        for story in self.stories:
            if story.merged_into is not None:
                story.case.parent = story.merged_into.case
                merged.append(story.case)
        Case.objects.bulk_update(merged, ["parent"], batch_size=500)
        from mofan.cases import kpis

        kpis.tally_rebuild()  # the KPI counters follow writes made through the engine; these were not
        open_cases = [c for c in cases if c.state not in self.kind.terminal]
        return {"cases": len(cases), "open": len(open_cases), "overdue": sum(1 for c in open_cases if c.overdue),
                "dispatches": len(dispatches), "events": len(events), "categories": self.counts["categories"]}
