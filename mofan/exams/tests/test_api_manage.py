"""The organiser's API for tests: setting a paper, publishing, results, item analysis, the unfinished list and
marking — with the pages' refusals."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.exams import services
from mofan.exams.models import AttemptState, Paper, PaperState
from mofan.exams.tests.conftest import add_questions

pytestmark = pytest.mark.django_db

JSON = "application/json"


def _when(hours: float) -> str:
    return (timezone.localtime() + dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def _paper(district: Any, **extra: Any) -> dict[str, Any]:
    return {"unit": district.town_a.pk, "title": "岗位练兵测试", "opens_at": _when(-1), "closes_at": _when(24),
            "time_limit_minutes": 30, "pass_score": "10", **extra}


def test_organiser_sets_publishes_and_reads_a_test(district: Any, secretary: Any, bank: Any, make_learner: Any,
                                                   login: Any, reauth: Any) -> None:
    fixed = add_questions(bank, 2)
    add_questions(bank, 3, tag="税法")
    client = reauth(login(secretary))
    created = client.post(reverse("exams-api-manage-papers"), _paper(
        district, items=[{"question": q.pk, "points": "5"} for q in fixed],
        draws=[{"bank": bank.pk, "count": 2, "points_each": "5",
                "tag": fixed[0].bank.questions.filter(tags__name="税法").values_list("tags", flat=True).first()}]),
        content_type=JSON)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["state"] == PaperState.DRAFT and len(body["items"]) == 2 and body["draws"][0]["count"] == 2
    pk = body["id"]
    assert client.post(reverse("exams-api-manage-publish", args=[pk])).json()["state"] == PaperState.PUBLISHED
    a, b = make_learner(district.village_a1, name="甲"), make_learner(district.village_a2, name="乙")
    attempt = services.attempt_start(actor=a, paper=Paper.objects.get(pk=pk))
    for item in attempt.items.all():
        services.answer_save(actor=a, attempt=attempt, question_id=item.question_id, response="乙")
    services.attempt_submit(actor=a, attempt=attempt)
    people = client.get(reverse("exams-api-manage-results", args=[pk])).json()["rows"]
    assert [(r["name"], r["score"], r["passed"]) for r in people] == [("甲", "20.00", True)]
    branches = client.get(reverse("exams-api-manage-results", args=[pk]), {"by": "branch"}).json()["rows"]
    assert {(r["name"], r["participants"]) for r in branches} >= {("村一", 1)}
    assert client.get(reverse("exams-api-manage-results", args=[pk]), {"by": "x"}).status_code == 400
    analysis = client.get(reverse("exams-api-manage-analysis", args=[pk])).json()
    assert analysis["attempts"] == 1 and len(analysis["items"]) == 4 and analysis["items"][0]["facility"] == 1.0
    fresh = login(secretary).get(reverse("exams-api-manage-unfinished", args=[pk]))  # names: re-authenticate first
    assert fresh.status_code == 403 and fresh.json()["code"] == "reauth_required"
    unfinished = client.get(reverse("exams-api-manage-unfinished", args=[pk])).json()
    assert [(r["name"], r["branch"], r["started"]) for r in unfinished["rows"]] == [("乙", "村二", False)]
    assert b.username in str(unfinished)
    assert AuditLog.objects.filter(event_id=AuditEvent.EXPORT_LIST.id, note="exams.unfinished").count() == 1
    assert client.post(reverse("exams-api-manage-close", args=[pk])).json()["state"] == PaperState.CLOSED


def test_short_answers_are_marked_through_the_api(district: Any, secretary: Any, bank: Any, make_learner: Any,
                                                  login: Any) -> None:
    short = add_questions(bank, 1, qtype="short")
    client = login(secretary)
    pk = client.post(reverse("exams-api-manage-papers"), _paper(
        district, items=[{"question": short[0].pk, "points": "10"}], pass_score="6"), content_type=JSON).json()["id"]
    client.post(reverse("exams-api-manage-publish", args=[pk]))
    learner = make_learner(district.village_a1, name="甲")
    attempt = services.attempt_start(actor=learner, paper=Paper.objects.get(pk=pk))
    services.answer_save(actor=learner, attempt=attempt, question_id=short[0].pk, response="依法纳税")
    services.attempt_submit(actor=learner, attempt=attempt)
    queue = client.get(reverse("exams-api-manage-marking")).json()["results"]
    assert [(q["learner"], q["response"]) for q in queue] == [("甲", "依法纳税")]
    mark = reverse("exams-api-manage-mark", args=[queue[0]["id"]])
    too_much = client.post(mark, {"score": "11"}, content_type=JSON)
    assert too_much.status_code == 400
    attempt.refresh_from_db()
    assert attempt.state != AttemptState.MARKED
    marked = client.post(mark, {"score": "8"}, content_type=JSON).json()
    assert marked["score"] == "8.00" and marked["attempt_state"] == AttemptState.MARKED
    assert client.get(reverse("exams-api-manage-marking")).json()["results"] == []


def test_bad_papers_are_refused_and_nothing_is_written(district: Any, secretary: Any, bank: Any,
                                                       login: Any) -> None:
    question = add_questions(bank, 1)[0]
    client = login(secretary)
    url = reverse("exams-api-manage-papers")
    cases = [
        (_paper(district, title="", items=[{"question": question.pk}]), "title"),
        (_paper(district, items=[{"question": 999999}]), "999999"),
        (_paper(district, items=[{"points": "2"}]), "question"),
        (_paper(district, draws=[{"bank": bank.pk, "count": 5}]), "only 1 are available"),
        (_paper(district, items=[{"question": question.pk, "points": "many"}]), "number"),
        (_paper(district, closes_at=_when(-2), items=[{"question": question.pk}]), "close after it opens"),
        (_paper(district, items="not a list"), "list"),
    ]
    for data, message in cases:
        response = client.post(url, data, content_type=JSON)
        assert response.status_code == 400 and message in str(response.json()), (data, response.json())
    assert not Paper.objects.exists()


def test_organisers_only_and_within_their_scope(district: Any, secretary: Any, secretary_b: Any, bank: Any,
                                                make_learner: Any, login: Any) -> None:
    question = add_questions(bank, 1)[0]
    created = login(secretary).post(reverse("exams-api-manage-papers"), _paper(
        district, items=[{"question": question.pk, "points": "10"}]), content_type=JSON).json()
    assert "id" in created, created
    pk = created["id"]
    learner = login(make_learner(district.village_a1))
    assert learner.get(reverse("exams-api-manage-papers")).status_code == 403
    assert learner.post(reverse("exams-api-manage-papers"), _paper(district), content_type=JSON).status_code == 403
    assert learner.get(reverse("exams-api-manage-marking")).status_code == 403
    assert learner.get(reverse("exams-api-manage-paper", args=[pk])).status_code == 404
    other = login(secretary_b)
    assert other.get(reverse("exams-api-manage-paper", args=[pk])).status_code == 404
    assert other.post(reverse("exams-api-manage-publish", args=[pk])).status_code == 404
    foreign = other.post(reverse("exams-api-manage-papers"), _paper(district, unit=district.town_b.pk,
                                                                    items=[{"question": question.pk}]),
                         content_type=JSON)
    assert foreign.status_code == 400 and "999" not in str(foreign.json())  # 甲镇's bank is not 乙镇's to use
    assert Paper.objects.get(pk=pk).state == PaperState.DRAFT and Paper.objects.count() == 1
