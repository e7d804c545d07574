"""A small district with data in every module, and one account of each role, for the fuzz tests: the ids
the fuzzer sends then hit real rows (cases, dispatches, people, banks, questions, a paper and an attempt, a
competition with rounds, study materials, plans, books, talent programmes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.utils import timezone

from mofan.accounts.models import User
from mofan.accounts.roles import Role
from mofan.cases.models import Category, Channel
from mofan.cases.services.dispatch import case_dispatch
from mofan.cases.services.intake import case_create
from mofan.cases.services.triage import case_accept
from mofan.conftest import District
from mofan.contests import services as contests
from mofan.contests.models import CompetitionKind, RoundKind
from mofan.core.identity import id_number_check_digit
from mofan.exams import services as exams
from mofan.learning import points
from mofan.learning import services as learning
from mofan.org import services as org_services
from mofan.org.models import UnitKind
from mofan.questions.services import bank_create, question_create

ID_BASE = "15010219800101123"


class World:
    """测试区 with a district centre, 司法局 and 城管局; one account per role (``accounts[role]``)."""

    def __init__(self, make_user: Callable[..., User], make_learner: Callable[..., User]) -> None:
        d = self.d = District()
        mk = org_services.unit_create
        self.centre = mk(actor=None, name="区社会治理中心", kind=UnitKind.CENTRE, parent=d.district)
        self.justice = mk(actor=None, name="司法局", kind=UnitKind.ORGAN, parent=d.district)
        self.urban = mk(actor=None, name="城管局", kind=UnitKind.ORGAN, parent=d.district)
        self.accounts: dict[str, User] = {
            Role.SYSTEM_ADMIN: make_user(Role.SYSTEM_ADMIN, d.district, username="fz_sysadmin"),
            Role.SECURITY_ADMIN: make_user(Role.SECURITY_ADMIN, d.district, username="fz_secadmin"),
            Role.AUDIT_ADMIN: make_user(Role.AUDIT_ADMIN, d.district, username="fz_auditadmin"),
            Role.CENTRE_OPERATOR: make_user(Role.CENTRE_OPERATOR, d.district, username="fz_operator"),
            Role.DEPARTMENT_HANDLER: make_user(Role.DEPARTMENT_HANDLER, self.justice, username="fz_handler"),
            Role.GRID_WORKER: make_user(Role.GRID_WORKER, d.village_a1, username="fz_grid"),
            Role.MEDIATOR: make_user(Role.MEDIATOR, d.village_a1, username="fz_mediator"),
            Role.SECRETARY: make_user(Role.SECRETARY, d.town_a, username="fz_secretary"),
            Role.PARTY_MEMBER: make_learner(d.village_a1, username="fz_member", name="张党员"),
            Role.CADRE: make_learner(d.village_a2, username="fz_cadre", role=Role.CADRE, name="李干部"),
        }
        self._people()
        self._cases()
        self._learning()

    def _people(self) -> None:
        for i, (name, unit) in enumerate((("王五", self.d.village_a1), ("赵六", self.d.village_a2),
                                          ("孙七", self.d.village_b1))):
            base = ID_BASE[:-1] + str(i)
            org_services.person_create(actor=None, unit=unit, name=name, gender="", phone=f"1381234567{i}",
                                       id_number=base + id_number_check_digit(base), audit=False)

    def _cases(self) -> None:
        operator = self.accounts[Role.CENTRE_OPERATOR]
        self.category = Category.objects.create(name="噪音", code="01", default_department=self.urban)
        common: dict[str, Any] = {"channel": Channel.HOTLINE, "reporter_name": "张三",
                                  "reporter_phone": "13812345678"}
        self.cases = [
            case_create(actor=operator, area=self.d.village_a1, description="夜间噪音扰民", **common),
            case_create(actor=self.accounts[Role.GRID_WORKER], area=self.d.village_a1, channel=Channel.GRID,
                        description="道路破损"),
            case_create(actor=operator, area=self.d.village_b1, description="邻里纠纷", urgency="urgent", **common),
        ]
        self.cases[0] = case_accept(actor=operator, case=self.cases[0], category=self.category)
        case_dispatch(actor=operator, case=self.cases[0], lead=self.justice, co=[self.urban])

    def _learning(self) -> None:
        d = self.d
        secretary = self.accounts[Role.SECRETARY]
        member = self.accounts[Role.PARTY_MEMBER]
        now = timezone.now()
        bank = bank_create(actor=secretary, unit=d.town_a, name="业务知识")
        self.questions = [
            question_create(actor=None, bank=bank, qtype="single", stem=f"第{i}题：选A", options=["A", "B", "C"],
                            answers=["A"])
            for i in range(1, 5)
        ] + [question_create(actor=None, bank=bank, qtype="short", stem="谈谈体会", answers=["参考答案"])]
        paper = exams.paper_create(
            actor=secretary, unit=d.town_a, items=[exams.FixedItem(q, Decimal(10)) for q in self.questions],
            title="业务测试", opens_at=now - dt.timedelta(hours=1), closes_at=now + dt.timedelta(days=7),
            pass_score=Decimal(30), shuffle_questions=True, shuffle_options=True)
        exams.paper_publish(actor=secretary, paper=paper)
        exams.attempt_start(actor=member, paper=paper)

        competition = contests.competition_create(actor=secretary, unit=d.town_a, name="业务大比武",
                                                  kind=CompetitionKind.CONTEST)
        heats = contests.round_create(
            actor=secretary, competition=competition, name="预赛", starts_at=now - dt.timedelta(hours=1),
            ends_at=now + dt.timedelta(hours=1), questions_per_contestant=4, qualify_top=2)
        contests.round_set_questions(actor=secretary, round=heats, questions=self.questions[:4], points=Decimal(10))
        contests.enrol(actor=secretary, round=heats, users=[member])
        contests.round_create(
            actor=secretary, competition=competition, name="决赛", kind=RoundKind.LIVE,
            starts_at=now + dt.timedelta(hours=2), ends_at=now + dt.timedelta(hours=3), questions_per_contestant=2,
            seconds_per_question=20)

        points.ruleset_create(actor=None, version=1, effective_from=dt.date(2020, 1, 1),
                              daily_cap=points.DEFAULT_DAILY_CAP, rules=points.DEFAULT_RULES)
        today = timezone.localdate()
        topic = learning.topic_create(actor=secretary, unit=d.town_a, name="专题")
        material = learning.material_create(actor=secretary, topic=topic, title="学习纲要", kind="text", body="正文")
        learning.plan_create(actor=secretary, unit=d.town_a, title="主题教育计划", starts_on=today, ends_on=today,
                             units=[d.village_a1], materials=[material], note_min_length=10)
        learning.daily_issue_publish(actor=secretary, unit=d.town_a, published_on=today, title="今日学习",
                                     material_text="今日材料", questions=self.questions[:2])
        book = learning.book_create(actor=secretary, unit=d.town_a, title="红岩", isbn="9787010041155", copies=2)
        learning.loan_borrow(actor=member, book=book)
        programme = learning.programme_create(actor=secretary, unit=d.town_a, name="岗位能手")
        selection = learning.round_create(actor=secretary, programme=programme, name="第一批", held_on=today)
        assert member.person is not None
        learning.selection_add(actor=secretary, selection_round=selection, person=member.person)


def existing_ids() -> list[int]:
    """Every primary key of every mofan table (a few hundred small integers): path ids drawn from these hit
    real rows of whatever table the operation reads."""
    ids: set[int] = set()
    for model in apps.get_models():
        if model.__module__.startswith("mofan.") and model._meta.pk is not None:
            ids.update(pk for pk in model._default_manager.values_list("pk", flat=True) if isinstance(pk, int))
    return sorted(ids)
