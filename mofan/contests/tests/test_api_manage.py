"""The organiser's API: a competition from creation to qualification, with the refusals of the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from mofan.contests.models import Competition, Entry, Heat, Round, RoundKind, RoundQuestion, RoundState
from mofan.questions.models import QuestionBank

pytestmark = pytest.mark.django_db

JSON = "application/json"


def _when(hours: float) -> str:
    return (timezone.localtime() + dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def test_organiser_runs_a_competition_through_the_api(contest: Any, login: Any) -> None:
    d = contest.district
    a, b = contest.learner(d.village_a1, "甲"), contest.learner(d.village_a2, "乙")
    client = login(contest.organiser)
    created = client.post(reverse("contest-competitions"), {"name": "知识竞赛", "kind": "quiz", "unit": d.town_a.pk},
                          content_type=JSON)
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert pk in [c["id"] for c in client.get(reverse("contest-competitions")).json()["results"]]
    rnd = client.post(reverse("contest-rounds", args=[pk]), {
        "name": "初赛", "kind": "heats", "starts_at": _when(-1), "ends_at": _when(2), "questions_per_contestant": 3,
        "qualify_top": 1}, content_type=JSON)
    assert rnd.status_code == 201, rnd.json()
    round_id = rnd.json()["id"]
    heat = client.post(reverse("contest-heats", args=[round_id]),
                       {"name": "第一场", "starts_at": _when(-1), "ends_at": _when(1)}, content_type=JSON)
    assert heat.status_code == 201
    bank = QuestionBank.objects.get(name="比武题库")
    drawn = client.post(reverse("contest-draw", args=[round_id]), {"bank": bank.pk, "points": "10"}, content_type=JSON)
    assert drawn.status_code == 201 and len(drawn.json()["questions"]) == 3
    enrolled = client.post(reverse("contest-enrol", args=[round_id]),
                           {"units": [d.village_a1.pk], "usernames": [b.username], "heat": heat.json()["id"]},
                           content_type=JSON)
    assert enrolled.json() == {"added": 2, "already": 0}
    assert set(Entry.objects.filter(round_id=round_id).values_list("heat__name", flat=True)) == {"第一场"}
    assert client.post(reverse("contest-open", args=[round_id])).json()["state"] == RoundState.OPEN
    rq = RoundQuestion.objects.filter(round_id=round_id).order_by("order").first()
    assert rq is not None
    answer = login(a).post(reverse("contest-answer", args=[round_id]),
                           {"question": rq.pk, "response": rq.question.answers[0]}, content_type=JSON)
    assert answer.status_code == 201
    assert client.post(reverse("contest-close", args=[round_id])).json()["state"] == RoundState.CLOSED
    qualified = client.post(reverse("contest-qualify", args=[round_id])).json()
    assert qualified["qualified"] == 1 and qualified["state"] == RoundState.QUALIFIED
    detail = client.get(reverse("contest-competition", args=[pk])).json()
    assert [(r["name"], r["entries"]) for r in detail["rounds"]] == [("初赛", 2)]
    results = client.get(reverse("contest-results", args=[round_id])).json()["rows"]
    assert [(r["name"], r["qualified"]) for r in results] == [("甲", True), ("乙", False)]


def test_bad_input_is_refused_and_writes_nothing(contest: Any, login: Any) -> None:
    client = login(contest.organiser)
    rounds, heats = Round.objects.count(), Heat.objects.count()
    backwards = client.post(reverse("contest-rounds", args=[contest.competition.pk]), {
        "name": "复赛", "kind": "heats", "starts_at": _when(2), "ends_at": _when(1), "questions_per_contestant": 3},
        content_type=JSON)
    assert backwards.status_code == 400 and "end after it starts" in str(backwards.json())
    no_name = client.post(reverse("contest-heats", args=[contest.heats.pk]), {"starts_at": _when(0)},
                          content_type=JSON)
    assert no_name.status_code == 400 and "name" in no_name.json()
    unknown = client.post(reverse("contest-enrol", args=[contest.heats.pk]), {"usernames": ["nobody"]},
                          content_type=JSON)
    assert unknown.status_code == 400 and "nobody" in str(unknown.json())
    not_live = client.post(reverse("contest-live", args=[contest.heats.pk]), {"question": 0}, content_type=JSON)
    assert not_live.status_code == 400
    listed = client.post(reverse("contest-competitions"), ["not", "an", "object"], content_type=JSON)
    assert listed.status_code == 400
    assert (Round.objects.count(), Heat.objects.count(), Entry.objects.count()) == (rounds, heats, 0)
    assert Competition.objects.count() == 1


def test_live_final_host_opens_questions(contest: Any, login: Any) -> None:
    client = login(contest.organiser)
    final = contest.final
    assert final.kind == RoundKind.LIVE
    bank = QuestionBank.objects.get(name="比武题库")
    client.post(reverse("contest-draw", args=[final.pk]), {"bank": bank.pk, "points": "5"}, content_type=JSON)
    rq = RoundQuestion.objects.filter(round=final).order_by("order").first()
    assert rq is not None
    early = client.post(reverse("contest-live", args=[final.pk]), {"question": rq.pk}, content_type=JSON)
    assert early.status_code == 400 and "Open the round first" in str(early.json())
    client.post(reverse("contest-open", args=[final.pk]))
    opened = client.post(reverse("contest-live", args=[final.pk]), {"question": rq.pk}, content_type=JSON)
    assert opened.status_code == 200 and opened.json()["order"] == 1 and opened.json()["closes_at"]


def test_only_organisers_of_the_unit(contest: Any, login: Any, make_user: Any) -> None:
    me = contest.learner()
    learner = login(me)
    assert learner.get(reverse("contest-competitions")).status_code == 403
    assert learner.post(reverse("contest-competitions"), {"name": "x", "kind": "quiz"},
                        content_type=JSON).status_code == 403
    Entry.objects.create(round=contest.heats, user=me, unit=me.person.unit, unit_path=me.person.unit.path)
    assert learner.get(reverse("contest-competition", args=[contest.competition.pk])).status_code == 403
    assert learner.post(reverse("contest-open", args=[contest.heats.pk])).status_code == 403
    other = login(make_user("secretary", contest.district.town_b))
    assert other.get(reverse("contest-competition", args=[contest.competition.pk])).status_code == 404
    assert other.post(reverse("contest-close", args=[contest.heats.pk])).status_code == 404
    assert other.post(reverse("contest-rounds", args=[contest.competition.pk]), {"name": "x"},
                      content_type=JSON).status_code == 404
    other_unit = other.post(reverse("contest-competitions"),
                            {"name": "越权", "kind": "quiz", "unit": contest.district.town_a.pk}, content_type=JSON)
    assert other_unit.status_code == 400 and "unit" in other_unit.json()
    assert Round.objects.get(pk=contest.heats.pk).state == RoundState.DRAFT
    assert Competition.objects.count() == 1


def test_heats_are_scheduled_from_the_api_and_the_page(contest: Any, login: Any) -> None:
    learners = [contest.learner(name=f"选手{i}") for i in range(4)]
    client = login(contest.organiser)
    client.post(reverse("contest-enrol", args=[contest.heats.pk]), {"usernames": [u.username for u in learners]},
                content_type=JSON)
    scheduled = client.post(reverse("contest-heats-schedule", args=[contest.heats.pk]),
                            {"count": 2, "starts_at": _when(-0.5), "minutes": 20, "gap_minutes": 5},
                            content_type=JSON)
    assert scheduled.status_code == 201, scheduled.json()
    assert scheduled.json()["assigned"] == 4 and len(scheduled.json()["heats"]) == 2
    outside = client.post(reverse("contest-heats-schedule", args=[contest.heats.pk]),
                          {"count": 2, "starts_at": _when(0.5), "minutes": 60}, content_type=JSON)
    assert outside.status_code == 400 and "within the round" in str(outside.json())
    args = [contest.competition.pk, contest.heats.pk]
    assert reverse("contests:round_heats_schedule", args=args) in client.get(
        reverse("contests:round", args=args)).content.decode()
    page = client.post(reverse("contests:round_heats_schedule", args=args),
                       {"count": 1, "starts_at": _when(0), "minutes": 30, "gap_minutes": 0, "assign": "on"})
    assert page.status_code == 302
    assert Heat.objects.filter(round=contest.heats).count() == 3
    assert login(learners[0]).post(reverse("contest-heats-schedule", args=[contest.heats.pk]),
                                   {"count": 1, "starts_at": _when(0), "minutes": 30},
                                   content_type=JSON).status_code == 403  # a contestant sees it, cannot organise
