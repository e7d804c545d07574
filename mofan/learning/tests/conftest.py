"""Learning fixtures: an organ (区委政法委) with a branch (综治科), its secretary and learners, a secretary of
another town, a question bank and the first points rule set."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from mofan.accounts.roles import Role
from mofan.conftest import District
from mofan.learning import points, services
from mofan.questions.services import bank_create, question_create


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    """Assert on the English msgids, whatever the zh-Hans catalogue says."""
    settings.LANGUAGE_CODE = "en"


class Study:
    def __init__(self, district: District, make_user: Any, make_learner: Any) -> None:
        self.d = district
        self.organ = district.organ
        self.branch = district.department
        self.secretary = make_user(Role.SECRETARY, district.organ, username="sec_organ")
        self.other_secretary = make_user(Role.SECRETARY, district.town_b, username="sec_town_b")
        self.alice = make_learner(district.department, username="alice", name="张三")
        self.bob = make_learner(district.department, username="bob", name="李四")
        self.carol = make_learner(district.organ, username="carol", name="王五")
        self.outsider = make_learner(district.village_b1, username="dave", name="赵六")
        self.bank = bank_create(actor=None, unit=district.organ, name="政法业务")
        self.questions = [
            question_create(actor=None, bank=self.bank, qtype="single", stem="一加一等于几？", options=["1", "2", "3"],
                            answers=["2"]),
            question_create(actor=None, bank=self.bank, qtype="judge", stem="地球是圆的。", options=["对", "错"],
                            answers=["对"]),
            question_create(actor=None, bank=self.bank, qtype="multiple", stem="哪些是偶数？",
                            options=["2", "3", "4"], answers=["2", "4"]),
        ]


@pytest.fixture
def study(district: District, make_user: Any, make_learner: Any) -> Study:
    return Study(district, make_user, make_learner)


@pytest.fixture
def rules(db: Any) -> Any:
    return points.ruleset_create(actor=None, version=1, effective_from=dt.date(2020, 1, 1),
                                 daily_cap=points.DEFAULT_DAILY_CAP, rules=points.DEFAULT_RULES)


@pytest.fixture
def world(study: Any, rules: Any) -> Any:
    """``study`` with a material, a plan of the organ for its branch, a 天天学 issue, a book and a talent
    programme with 张三 selected."""
    topic = services.topic_create(actor=study.secretary, unit=study.organ, name="专题")
    study.material = services.material_create(actor=study.secretary, topic=topic, title="学习纲要", kind="text",
                                              body="正文内容")
    study.plan = services.plan_create(actor=study.secretary, unit=study.organ, title="主题教育计划",
                                      starts_on=timezone.localdate(), ends_on=timezone.localdate(),
                                      units=[study.branch], materials=[study.material], note_min_length=10)
    study.issue = services.daily_issue_publish(actor=study.secretary, unit=study.organ,
                                               published_on=timezone.localdate(), title="今日学习",
                                               material_text="今日材料", questions=study.questions)
    study.book = services.book_create(actor=study.secretary, unit=study.organ, title="红岩", isbn="9787010041155")
    programme = services.programme_create(actor=study.secretary, unit=study.organ, name="岗位能手")
    selection_round = services.round_create(actor=study.secretary, programme=programme, name="第一批",
                                            held_on=timezone.localdate())
    services.selection_add(actor=study.secretary, selection_round=selection_round, person=study.alice.person)
    return study
