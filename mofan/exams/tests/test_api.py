"""/api/exams/: my papers, start = resume, answer save (refused after the time limit), submit, result; the
organiser's list; isolation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from mofan.exams import services
from mofan.exams.models import Attempt, AttemptItem, Paper
from mofan.exams.tests.conftest import add_questions

pytestmark = pytest.mark.django_db


@pytest.fixture
def paper(district: Any, secretary: Any, bank: Any) -> Paper:
    now = timezone.now()
    questions = add_questions(bank, 2) + add_questions(bank, 1, qtype="fill")
    created = services.paper_create(actor=secretary, unit=district.town_a, title="行政与税收业务测试",
                                    opens_at=now - dt.timedelta(hours=1), closes_at=now + dt.timedelta(days=1),
                                    time_limit_minutes=30, feedback="immediately", pass_score=Decimal(20),
                                    items=[services.FixedItem(q, Decimal(10)) for q in questions])
    return services.paper_publish(actor=secretary, paper=created)


def test_learner_flow(paper: Paper, district: Any, make_learner: Any, login: Any) -> None:
    client = login(make_learner(district.village_a1))
    listing = client.get("/api/exams/papers/").json()
    assert [p["title"] for p in listing["open"]] == ["行政与税收业务测试"] and listing["open"][0]["attempts_left"] == 1
    started = client.post(f"/api/exams/papers/{paper.pk}/start/")
    assert started.status_code == 201
    data = started.json()
    again = client.post(f"/api/exams/papers/{paper.pk}/start/").json()  # resume
    assert again["id"] == data["id"] and Attempt.objects.count() == 1
    for item in data["items"]:
        assert item["options"] or item["qtype"] == "fill"
        response = "乙" if item["qtype"] == "single" else ["北京"]
        saved = client.post(f"/api/exams/attempts/{data['id']}/answers/",
                            {"question": item["question"], "response": response, "seconds": 9},
                            content_type="application/json")
        assert saved.status_code == 200 and saved.json()["response"] == response
    assert all(i["response"] for i in client.get(f"/api/exams/attempts/{data['id']}/").json()["items"])
    result = client.post(f"/api/exams/attempts/{data['id']}/submit/").json()
    assert result["score"] == "30.00" and result["passed"] is True and len(result["items"]) == 3
    assert client.get(f"/api/exams/attempts/{data['id']}/result/").json()["score"] == "30.00"


def test_bad_answers_are_400_with_the_message(paper: Paper, district: Any, make_learner: Any, login: Any) -> None:
    learner = make_learner(district.village_a1)
    client = login(learner)
    attempt = services.attempt_start(actor=learner, paper=paper)
    question = attempt.items.filter(question__qtype="single").first()
    assert question is not None
    url = f"/api/exams/attempts/{attempt.pk}/answers/"
    bad = client.post(url, {"question": question.question_id, "response": "不存在的选项"}, content_type="application/json")
    assert bad.status_code == 400 and bad.json() == {"detail": ["This answer does not fit the question."]}
    assert client.post(url, {"response": "乙"}, content_type="application/json").status_code == 400
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - dt.timedelta(seconds=1))
    late = client.post(url, {"question": question.question_id, "response": "乙"}, content_type="application/json")
    assert late.status_code == 400  # reading the attempt past its deadline submitted it first
    assert late.json() == {"detail": ["This attempt has been submitted: the answer was not saved."]}
    assert AttemptItem.objects.filter(response__isnull=False).count() == 0
    assert client.get(f"/api/exams/attempts/{attempt.pk}/").json()["state"] == "marked"


def test_isolation(paper: Paper, district: Any, secretary: Any, secretary_b: Any, make_learner: Any,
                   login: Any) -> None:
    learner = make_learner(district.village_a1)
    attempt = services.attempt_start(actor=learner, paper=paper)
    outsider = login(make_learner(district.village_b1))
    assert outsider.get("/api/exams/papers/").json()["open"] == []
    assert outsider.post(f"/api/exams/papers/{paper.pk}/start/").status_code == 404
    assert outsider.get(f"/api/exams/attempts/{attempt.pk}/").status_code == 404
    assert [p["id"] for p in login(secretary).get("/api/exams/papers/?as=organiser").json()["results"]] == [paper.pk]
    assert login(secretary_b).get("/api/exams/papers/?as=organiser").json()["results"] == []
