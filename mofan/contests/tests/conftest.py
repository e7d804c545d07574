from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from mofan.accounts.models import User
from mofan.contests import services
from mofan.contests.models import Competition, CompetitionKind, Round, RoundKind
from mofan.org.models import Unit
from mofan.questions.models import Question
from mofan.questions.services import bank_create, question_create


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


class Contest:
    """A 业务大比武 organised by 甲镇: its secretary, learners in 村一 and 村二, four single-choice questions
    (right answer "A"), a heat-based preliminary (open now) and a live final."""

    def __init__(self, district: Any, make_user: Callable[..., User], make_learner: Callable[..., User]) -> None:
        self.district = district
        self.organiser = make_user("secretary", district.town_a, username="organiser")
        self.now = timezone.now()
        bank = bank_create(actor=None, unit=district.town_a, name="比武题库")
        self.questions: list[Question] = [
            question_create(actor=None, bank=bank, qtype="single", stem=f"第{i}题：选A", options=["A", "B", "C"],
                            answers=["A"])
            for i in range(1, 5)
        ]
        self.competition: Competition = services.competition_create(
            actor=self.organiser, unit=district.town_a, name="业务大比武", kind=CompetitionKind.CONTEST)
        self.heats: Round = services.round_create(
            actor=self.organiser, competition=self.competition, name="预赛", starts_at=self.now - dt.timedelta(hours=1),
            ends_at=self.now + dt.timedelta(hours=1), questions_per_contestant=4, qualify_top=2)
        services.round_set_questions(actor=self.organiser, round=self.heats, questions=self.questions,
                                     points=Decimal(10))
        self.final: Round = services.round_create(
            actor=self.organiser, competition=self.competition, name="决赛", kind=RoundKind.LIVE,
            starts_at=self.now + dt.timedelta(hours=2), ends_at=self.now + dt.timedelta(hours=3),
            questions_per_contestant=2, seconds_per_question=20)
        self._make_learner = make_learner

    def learner(self, unit: Unit | None = None, name: str = "") -> User:
        return self._make_learner(unit or self.district.village_a1, name=name)


@pytest.fixture
def contest(district: Any, make_user: Callable[..., User], make_learner: Callable[..., User]) -> Contest:
    return Contest(district, make_user, make_learner)
