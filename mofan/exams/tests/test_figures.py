"""The figures of tests: held, participants, pass rate — per unit and period, through the actor's scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command

from mofan.core.figures import FigureScope, get
from mofan.exams import services
from mofan.exams.models import AttemptState
from mofan.exams.tests.conftest import T0, add_questions, make_paper

pytestmark = pytest.mark.django_db


def test_held_participants_and_pass_rate(district: Any, secretary: Any, secretary_b: Any, bank: Any,
                                         make_learner: Any) -> None:
    questions = add_questions(bank, 2)
    paper = make_paper(secretary, district.town_a, questions, pass_score=Decimal(20), attempts_allowed=2)
    make_paper(secretary, district.town_a, questions, title="草稿", publish=False)
    learners = [make_learner(district.village_a1), make_learner(district.village_a2)]
    for learner, answer in zip(learners, ["乙", "甲"], strict=True):
        for n in range(2):  # the second attempt of the first learner counts (highest); both try twice
            attempt = services.attempt_start(actor=learner, paper=paper, now=T0 + dt.timedelta(minutes=n))
            for q in questions:
                services.answer_save(actor=learner, attempt=attempt, question_id=q.pk, response=answer,
                                     now=T0 + dt.timedelta(minutes=n))
            services.attempt_submit(actor=learner, attempt=attempt, now=T0 + dt.timedelta(minutes=n))
    services.paper_close(actor=secretary, paper=paper, now=T0 + dt.timedelta(hours=1))
    june = FigureScope(unit=district.town_a, start=dt.date(2026, 6, 1), end=dt.date(2026, 6, 30))
    assert get("exams.held").value(secretary, june) == 1
    assert get("exams.participants").value(secretary, june) == 2
    assert get("exams.pass_rate").value(secretary, june) == Decimal("50.0")
    village = FigureScope(unit=district.village_a1, start=june.start, end=june.end)
    assert get("exams.participants").value(secretary, village) == 1
    assert get("exams.pass_rate").value(secretary, village) == 100
    july = FigureScope(unit=district.town_a, start=dt.date(2026, 7, 1), end=dt.date(2026, 7, 31))
    assert get("exams.held").value(secretary, july) == 0
    assert get("exams.participants").value(secretary_b, june) == 0  # another town sees none


def test_the_sweep_command_submits_lapsed_attempts(district: Any, secretary: Any, bank: Any,
                                                   make_learner: Any) -> None:
    paper = make_paper(secretary, district.town_a, add_questions(bank, 1), time_limit_minutes=5,
                       closes_at=T0 + dt.timedelta(minutes=30))
    learner = make_learner(district.village_a1)
    attempt = services.attempt_start(actor=learner, paper=paper, now=T0)
    call_command("exams_sweep", verbosity=0)  # T0 + 5 minutes is long past
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.MARKED and attempt.auto_submitted
    assert attempt.submitted_at == T0 + dt.timedelta(minutes=5)
