"""Building the demo district: units, people and one account per role, through the real services.

``build_district()`` is idempotent: units are found by name under their parent, people by the digest of
their ID number, accounts by user name and roles by (account, unit, role), so a second run adds nothing.
Everything is drawn from one seeded generator, so every machine gets the same district.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone

from mofan.accounts import services as account_services
from mofan.accounts.models import Membership, User
from mofan.accounts.roles import Role
from mofan.core import crypto
from mofan.demo import structure
from mofan.demo.people import PersonFactory
from mofan.demo.structure import S, U
from mofan.org import services as org_services
from mofan.org.models import Person, Unit, UnitKind

SEED = 2026
# People are generated against a fixed date, so that a re-run in a later year recognises them.
REFERENCE_DATE = dt.date(2026, 1, 1)
DEMO_PASSWORD = "Mofan@2026"  # nosec B105 # the documented demo password
ACTIVITY_DAYS = 180  # the period later steps fill with activity, ending today


@dataclass(frozen=True)
class DemoAccount:
    key: str
    username: str
    role: str
    unit_key: str
    title: str  # how the demo table names the role, in Chinese


ACCOUNTS = [
    DemoAccount("system_admin", "xitong", Role.SYSTEM_ADMIN, "root", "系统管理员"),
    DemoAccount("security_admin", "anquan", Role.SECURITY_ADMIN, "root", "安全管理员"),
    DemoAccount("audit_admin", "shenji", Role.AUDIT_ADMIN, "root", "审计管理员"),
    DemoAccount("town_system_admin", "xinhua_xitong", Role.SYSTEM_ADMIN, "town.xinhua", "系统管理员（街道级）"),
    DemoAccount("centre_operator", "shouli", Role.CENTRE_OPERATOR, "town.xinhua", "中心受理员"),
    DemoAccount("department_handler", "chuzhi", Role.DEPARTMENT_HANDLER, "smj.dept.chengguan", "部门处置员"),
    DemoAccount("grid_worker", "wangge", Role.GRID_WORKER, "town.xinhua.v1", "网格员"),
    DemoAccount("mediator", "tiaojie", Role.MEDIATOR, "mediation", "调解员"),
    DemoAccount("secretary", "shuji", Role.SECRETARY, "zfw.party", "书记"),
    DemoAccount("party_member", "dangyuan", Role.PARTY_MEMBER, "zfw.party", "党员"),
    DemoAccount("cadre", "ganbu", Role.CADRE, "zfw", "干部"),
]


@dataclass
class DemoDistrict:
    """What the demo built, handed to every demo step (see ``mofan.demo.registry``)."""

    root: Unit
    units: dict[str, Unit]
    towns: list[Unit]
    villages: dict[int, list[Unit]]  # town pk → its villages
    accounts: dict[str, User]
    people_count: int
    seed: int = SEED
    today: dt.date = field(default_factory=timezone.localdate)
    created: dict[str, int] = field(default_factory=dict)

    @property
    def period_start(self) -> dt.date:
        return self.today - dt.timedelta(days=ACTIVITY_DAYS)

    def rng(self, name: str) -> random.Random:
        """A generator seeded for one step: the same data on every run and every machine."""
        return random.Random(f"{self.seed}:{name}")  # nosec B311 # seeded demo data, not a secret

    def days(self) -> Iterator[dt.date]:
        """Every day of the demo period, oldest first."""
        day = self.period_start
        while day <= self.today:
            yield day
            day += dt.timedelta(days=1)

    def all_villages(self) -> list[Unit]:
        return [village for town in self.towns for village in self.villages[town.pk]]

    def people_in(self, unit: Unit) -> QuerySet[Person]:
        return Person.objects.filter(unit__path__startswith=unit.path, is_active=True).order_by("id")

    def account(self, role: str) -> User:
        """The district-level demo account holding ``role`` (the 街道-level ones are in ``accounts``)."""
        for spec in ACCOUNTS:
            if spec.role == role:
                return self.accounts[spec.key]
        raise KeyError(role)


class _Builder:
    def __init__(self, log: Callable[[str], None]) -> None:
        self.rng = random.Random(SEED)  # nosec B311 # seeded demo data, not a secret
        self.factory = PersonFactory(self.rng, region=structure.DISTRICT_CODE, today=REFERENCE_DATE)
        self.log = log
        self.units: dict[str, Unit] = {}
        self.existing_units: dict[tuple[int | None, str], Unit] = {}
        self.existing_people: dict[str, Person] = {}
        self.account_people: dict[str, Person] = {}
        self.created = {"units": 0, "people": 0, "accounts": 0, "roles": 0}
        self.people_count = 0

    # Units ------------------------------------------------------------------------------------------

    def load_existing(self, root: Unit) -> None:
        for unit in Unit.objects.filter(path__startswith=root.path):
            self.existing_units[(unit.parent_id, unit.name)] = unit
        people = Person.objects.filter(unit__path__startswith=root.path, id_number_digest__isnull=False)
        self.existing_people = {p.id_number_digest: p for p in people if p.id_number_digest}

    def unit(self, key: str, name: str, kind: str, parent: Unit | None, code: str = "", order: int = 0) -> Unit:
        unit = self.existing_units.get((parent.pk if parent else None, name))
        if unit is None:
            unit = org_services.unit_create(actor=None, name=name, kind=kind, parent=parent, code=code,
                                            sort_order=order)
            self.existing_units[(unit.parent_id, name)] = unit
            self.created["units"] += 1
        self.units[key] = unit
        return unit

    def node(self, spec: U, parent: Unit, order: int = 0) -> Unit:
        unit = self.unit(spec.key, spec.name, spec.kind, parent, spec.code, order)
        for post in spec.staff:
            self.person(unit, post, mongolian_share=spec.mongolian_share)
        for index, child in enumerate(spec.children):
            self.node(child, unit, index)
        return unit

    # People -----------------------------------------------------------------------------------------

    def person(self, unit: Unit, post: S, *, mongolian_share: float) -> Person:
        generated = self.factory.make(mongolian_share=mongolian_share)
        is_party_member = self.rng.random() < post.party
        self.people_count += 1
        person = self.existing_people.get(crypto.blind_index(generated.id_number))
        if person is None:
            person = org_services.person_create(
                actor=None, unit=unit, name=generated.name, gender=generated.gender, phone=generated.phone,
                id_number=generated.id_number, is_party_member=is_party_member, post=post.post, audit=False,
            )
            self.created["people"] += 1
        if post.account:
            self.account_people[post.account] = person
        return person

    # Towns and villages -----------------------------------------------------------------------------

    def town(self, index: int, spec: structure.TownSpec, root: Unit, pools: dict[str, list[str]]) -> None:
        kind = spec.village_kind
        mongolian = 0.45 if kind == "嘎查" else 0.08
        first = index == 0
        town_spec = U(
            f"town.{spec.key}", spec.name, UnitKind.TOWN, code=spec.code, mongolian_share=mongolian,
            staff=[
                S("党工委书记" if kind == "社区" else "党委书记", 1), S(structure.TOWN_HEADS[kind], 1),
                S("综治办主任", 0.8), S("工作人员", 0.4),
                S("信息员", 0.4, account="town_system_admin") if first else S("工作人员", 0.4),
            ],
            children=[
                U(f"town.{spec.key}.party", f"{spec.name}{'党工委' if kind == '社区' else '党委'}",
                  UnitKind.PARTY_COMMITTEE),
                U(f"town.{spec.key}.centre", f"{spec.name}社会治理中心", UnitKind.CENTRE, mongolian_share=mongolian,
                  staff=[S("受理员", 0.5, account="centre_operator" if first else ""), S("受理员", 0.4)],
                  children=[
                      U(f"town.{spec.key}.centre.enterprise", "企业纠纷调处窗口", UnitKind.WINDOW),
                      U(f"town.{spec.key}.centre.petition", "信访事项调处窗口", UnitKind.WINDOW),
                  ]),
                U(f"town.{spec.key}.mediation", f"{spec.name}人民调解委员会", UnitKind.MEDIATION_ORG,
                  mongolian_share=mongolian, staff=[S("人民调解员", 0.4)]),
            ],
        )
        town = self.node(town_spec, root, index)
        count = self.rng.randint(5, 10)
        pool = pools[kind]
        names = [pool.pop(self.rng.randrange(len(pool))) for _ in range(count)]
        for number, base in enumerate(names, start=1):
            key = f"town.{spec.key}.v{number}"
            name = f"{base}{kind}"
            head = structure.VILLAGE_HEADS[kind]
            # Most villages have one person as both branch secretary and head ("一肩挑").
            village_staff = ([S(f"党支部书记、{head}", 1)] if self.rng.random() < 0.6
                             else [S("党支部书记", 1), S(head, 0.5)])
            children = [U(f"{key}.party", f"{name}党支部", UnitKind.PARTY_BRANCH),
                        U(f"{key}.centre", f"{name}社会治理中心", UnitKind.CENTRE)]
            if kind == "社区":
                village_staff.append(S("网格员", 0.3, account="grid_worker" if first and number == 1 else ""))
                grids = 2 + self.rng.randrange(2)
                children += [U(f"{key}.grid{g}", f"第{'一二三'[g]}网格", UnitKind.GRID) for g in range(grids)]
            code = f"{spec.code}{number:03d}" if kind == "社区" else f"{spec.code}{200 + number:03d}"
            self.node(U(key, name, UnitKind.VILLAGE, code=code, staff=village_staff, children=children,
                        mongolian_share=mongolian), town, number)

    # Accounts ---------------------------------------------------------------------------------------

    def accounts(self) -> dict[str, User]:
        users: dict[str, User] = {}
        existing = {u.username: u for u in User.objects.filter(username__in=[a.username for a in ACCOUNTS])}
        for spec in ACCOUNTS:
            person = self.account_people[spec.key]
            user = existing.get(spec.username)
            if user is None:
                user = account_services.user_create(
                    actor=None, username=spec.username, display_name=person.name, password=DEMO_PASSWORD,
                    person=person, must_change_password=False,
                )
                self.created["accounts"] += 1
            unit = self.units[spec.unit_key]
            if not Membership.objects.filter(user=user, unit=unit, role=spec.role).exists():
                account_services.membership_grant(actor=None, user=user, unit=unit, role=spec.role)
                self.created["roles"] += 1
            users[spec.key] = user
        return users


def build_district(log: Callable[[str], None] = lambda _line: None) -> DemoDistrict:
    """Build (or find) the demo district. Call inside a transaction."""
    builder = _Builder(log)
    root = Unit.objects.filter(parent__isnull=True, name=structure.DISTRICT_NAME).first()
    if root is not None:
        builder.load_existing(root)
    root = builder.unit("root", structure.DISTRICT_NAME, UnitKind.DISTRICT, None, structure.DISTRICT_CODE)
    for order, spec in enumerate(structure.organs() + structure.service_points(), start=1):
        builder.node(spec, root, order)
    log("机关、部门、党组织和服务窗口已就绪")
    pools = {kind: list(names) for kind, names in structure.VILLAGE_NAMES.items()}
    towns: list[Unit] = []
    villages: dict[int, list[Unit]] = {}
    for index, town_spec in enumerate(structure.TOWNS):
        builder.town(index, town_spec, root, pools)
        town = builder.units[f"town.{town_spec.key}"]
        towns.append(town)
        villages[town.pk] = [unit for key, unit in builder.units.items()
                             if key.startswith(f"town.{town_spec.key}.v") and key.count(".") == 2]
    log("苏木镇（街道）和嘎查村（社区）已就绪")
    users = builder.accounts()
    return DemoDistrict(root=root, units=builder.units, towns=towns, villages=villages, accounts=users,
                        people_count=builder.people_count, created=builder.created)
