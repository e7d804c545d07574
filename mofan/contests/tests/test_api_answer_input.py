"""POST /api/contests/rounds/<id>/answers/ with a body that is not an object, or a question id out of range
(found by tests/fuzz/test_api_schema.py: a JSON number as the body was a 500, AttributeError): a 400, nothing
written."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from mofan.contests import services
from mofan.contests.models import Answer

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.mark.parametrize("body", ["0.27", "[1, 2]", '"text"', "null"])
def test_a_body_that_is_not_an_object_is_a_400(contest: Any, login: Any, body: str) -> None:
    learner = contest.learner()
    services.enrol(actor=contest.organiser, round=contest.heats, users=[learner])
    services.round_open(actor=contest.organiser, round=contest.heats)
    response = login(learner).post(reverse("contest-answer", args=[contest.heats.pk]), body, content_type=JSON)
    assert response.status_code == 400
    assert not Answer.objects.exists()


@pytest.mark.parametrize("question", [2**63, 2**64, -(2**63) - 1])
def test_a_question_id_out_of_range_is_not_a_server_error(contest: Any, login: Any, question: int) -> None:
    learner = contest.learner()
    services.enrol(actor=contest.organiser, round=contest.heats, users=[learner])
    services.round_open(actor=contest.organiser, round=contest.heats)
    response = login(learner).post(reverse("contest-answer", args=[contest.heats.pk]),
                                   {"question": question, "response": "A"}, content_type=JSON)
    assert response.status_code == 400
    assert not Answer.objects.exists()
