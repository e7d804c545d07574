from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.contests import selectors, services
from mofan.contests.models import Answer, Competition, Entry, Outcome, Round, RoundQuestion

pytestmark = pytest.mark.django_db


def _open_heats(contest: Any, *learners: Any) -> None:
    services.enrol(actor=contest.organiser, round=contest.heats, users=list(learners))
    services.round_open(actor=contest.organiser, round=contest.heats)


def test_organiser_pages_render_and_create(contest: Any, login: Any) -> None:
    client = login(contest.organiser)
    d = contest.district
    assert client.get(reverse("contests:list")).status_code == 200
    response = client.post(reverse("contests:create"), {"name": "知识竞赛", "kind": "quiz", "unit": d.town_a.pk})
    competition = Competition.objects.get(name="知识竞赛")
    assert response.status_code == 302
    page = client.get(reverse("contests:detail", args=[competition.pk]))
    assert page.status_code == 200 and "知识竞赛" in page.content.decode()
    response = client.post(reverse("contests:round_create", args=[competition.pk]), {
        "name": "初赛", "kind": "heats", "starts_at": "2026-01-01T09:00", "ends_at": "2026-01-01T10:00",
        "questions_per_contestant": 2, "qualify_top": 5})
    rnd = Round.objects.get(competition=competition)
    assert response.status_code == 302 and rnd.qualify_top == 5
    before = Round.objects.count()
    bad = client.post(reverse("contests:round_create", args=[competition.pk]), {
        "name": "坏", "kind": "heats", "starts_at": "2026-01-01T10:00", "ends_at": "2026-01-01T09:00",
        "questions_per_contestant": 2})
    assert bad.status_code == 200 and "must end after it starts" in bad.content.decode()
    assert Round.objects.count() == before
    contest.learner(d.village_a1)
    client.post(reverse("contests:round_enrol", args=[competition.pk, rnd.pk]), {"units": [d.village_a1.pk]})
    assert Entry.objects.filter(round=rnd).count() == 1
    bank = contest.questions[0].bank
    client.post(reverse("contests:round_draw", args=[competition.pk, rnd.pk]), {"bank": bank.pk, "points": "5"})
    assert RoundQuestion.objects.filter(round=rnd).count() == 2
    page = client.get(reverse("contests:round", args=[competition.pk, rnd.pk]))
    assert page.status_code == 200 and "村一" in page.content.decode()


def test_qualify_page_shows_who_went_on_and_why(contest: Any, login: Any) -> None:
    d = contest.district
    a, b = contest.learner(d.village_a1, "甲"), contest.learner(d.village_a1, "乙")
    _open_heats(contest, a, b)
    Entry.objects.filter(user=a).update(score=30)
    contest.heats.per_unit_quota = 1
    contest.heats.save(update_fields=["per_unit_quota"])
    client = login(contest.organiser)
    url = reverse("contests:round", args=[contest.competition.pk, contest.heats.pk])
    client.post(reverse("contests:round_close", args=[contest.competition.pk, contest.heats.pk]))
    client.post(reverse("contests:round_qualify", args=[contest.competition.pk, contest.heats.pk]))
    html = client.get(url).content.decode()
    assert "Qualified" in html and "The unit&#x27;s quota was full" in html
    assert Entry.objects.filter(round=contest.final).count() == 1


def test_other_town_gets_404_and_contestant_cannot_manage(contest: Any, login: Any, make_user: Any) -> None:
    other = login(make_user("secretary", contest.district.town_b))
    assert other.get(reverse("contests:detail", args=[contest.competition.pk])).status_code == 404
    assert other.get(reverse("contests:screen_board", args=[contest.competition.pk])).status_code == 404
    me = contest.learner()
    _open_heats(contest, me)
    mine = login(me)
    assert mine.get(reverse("contests:detail", args=[contest.competition.pk])).status_code == 200
    assert mine.get(reverse("contests:screen", args=[contest.competition.pk])).status_code == 403
    response = mine.post(reverse("contests:round_close", args=[contest.competition.pk, contest.heats.pk]))
    assert response.status_code == 403


def test_contestant_answers_a_heat_round_one_question_after_another(contest: Any, login: Any) -> None:
    me = contest.learner()
    _open_heats(contest, me)
    client = login(me)
    play = reverse("contests:play", args=[contest.competition.pk, contest.heats.pk])
    page = client.get(play)
    assert page.status_code == 200 and "第1题" in page.content.decode() and 'id="timer"' in page.content.decode()
    rq1 = RoundQuestion.objects.get(round=contest.heats, order=1)
    client.post(reverse("contests:answer", args=[contest.competition.pk, contest.heats.pk]),
                {"question": rq1.pk, "response": "A"})
    assert "第2题" in client.get(play).content.decode()
    again = client.post(reverse("contests:answer", args=[contest.competition.pk, contest.heats.pk]),
                        {"question": rq1.pk, "response": "A"}, follow=True)
    assert "already answered" in again.content.decode()
    assert Answer.objects.count() == 1 and Entry.objects.get(user=me).score == Decimal(10)


def test_live_final_page_polls_and_answers(contest: Any, login: Any) -> None:
    me = contest.learner()
    final = contest.final
    services.round_set_questions(actor=contest.organiser, round=final, questions=contest.questions[:2])
    services.enrol(actor=contest.organiser, round=final, users=[me])
    services.round_open(actor=contest.organiser, round=final)
    client = login(me)
    args = [contest.competition.pk, final.pk]
    page = client.get(reverse("contests:play", args=args)).content.decode()
    assert 'hx-trigger="load, every 1s"' in page
    assert "Waiting for the host" in client.get(reverse("contests:play_current", args=args)).content.decode()
    host = login(contest.organiser)
    rq1 = RoundQuestion.objects.get(round=final, order=1)
    host.post(reverse("contests:live_open", args=[*args, rq1.pk]))
    fragment = client.get(reverse("contests:play_current", args=args)).content.decode()
    assert "第1题" in fragment and "Time left" in fragment
    response = client.post(reverse("contests:answer", args=args), {"question": rq1.pk, "response": "A"},
                           HTTP_HX_REQUEST="true")
    assert "Answer received" in response.content.decode()
    assert Entry.objects.get(round=final, user=me).score == Decimal(5)


def test_big_screen_board(contest: Any, login: Any) -> None:
    me = contest.learner(name="张三")
    _open_heats(contest, me)
    Entry.objects.filter(user=me).update(score=Decimal(40))
    client = login(contest.organiser)
    screen = client.get(reverse("contests:screen", args=[contest.competition.pk])).content.decode()
    assert 'hx-trigger="load, every 2s"' in screen
    board = client.get(reverse("contests:screen_board", args=[contest.competition.pk])).content.decode()
    assert "张三" in board and "40.00" in board and "村一" in board


def test_api_answer_leaderboard_and_refusals(contest: Any, login: Any, make_user: Any) -> None:
    me, rival = contest.learner(name="甲"), contest.learner(name="乙")
    _open_heats(contest, me, rival)
    rq1 = RoundQuestion.objects.get(round=contest.heats, order=1)
    client = login(me)
    url = reverse("contest-answer", args=[contest.heats.pk])
    response = client.post(url, {"question": rq1.pk, "response": "A"}, content_type="application/json")
    assert response.status_code == 201 and response.json()["entry_score"] == "10.00"
    twice = client.post(url, {"question": rq1.pk, "response": "A"}, content_type="application/json")
    assert twice.status_code == 400 and "already answered" in str(twice.json())
    foreign = client.post(url, {"question": 999999, "response": "A"}, content_type="application/json")
    assert foreign.status_code == 400
    assert Answer.objects.count() == 1
    board = client.get(reverse("contest-leaderboard", args=[contest.heats.pk])).json()
    assert [r["name"] for r in board["rows"]] == ["甲", "乙"] and board["own"]["rank"] == 1
    other = login(make_user("secretary", contest.district.town_b))
    assert other.get(reverse("contest-leaderboard", args=[contest.heats.pk])).status_code == 404
    assert other.post(url, {"question": rq1.pk, "response": "A"}, content_type="application/json").status_code == 404
    current = client.get(reverse("contest-current", args=[contest.heats.pk])).json()
    assert current == {"question": None}
    late = contest.now + dt.timedelta(hours=3)
    assert late > contest.heats.ends_at


def _played(contest: Any) -> tuple[Any, Any, Any]:
    """Three contestants of the heats: 乙 answers one right, 甲 two, 丙 nothing; the round is closed and qualified
    (the top 2)."""
    d = contest.district
    a, b, c = contest.learner(d.village_a1, "甲"), contest.learner(d.village_a2, "乙"), contest.learner(name="丙")
    _open_heats(contest, a, b, c)
    rqs = list(RoundQuestion.objects.filter(round=contest.heats).order_by("order"))
    for user, right in ((a, 2), (b, 1)):
        entry = Entry.objects.get(round=contest.heats, user=user)
        for rq in rqs[:right]:
            services.answer_submit(actor=user, entry=entry, round_question=rq, response="A", now=contest.now)
    services.round_close(actor=contest.organiser, round=contest.heats)
    services.qualify(actor=contest.organiser, round=contest.heats)
    return a, b, c


def test_organiser_exports_the_results_ledger(contest: Any, login: Any, reauth: Any) -> None:
    _played(contest)
    args = [contest.competition.pk, contest.heats.pk]
    fresh = login(contest.organiser).get(reverse("contests:round_export", args=args))  # re-authenticate first
    assert fresh.status_code == 302 and fresh["Location"].startswith("/accounts/reauth/?next=")
    client = reauth(login(contest.organiser))
    assert reverse("contests:round_export", args=args) in client.get(reverse("contests:round", args=args)).content.decode()
    response = client.get(reverse("contests:round_export", args=args))
    assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [row for row in sheet.iter_rows(values_only=True)]
    header = rows.index(tuple(str(h) for h in selectors.RESULT_HEADERS))
    ranked = rows[header + 1:]
    assert [(r[0], r[1], r[2], r[5], r[7], r[8]) for r in ranked] == [
        (1, "甲", "村一", 20, 2, "Qualified"), (2, "乙", "村二", 10, 1, "Qualified"),
        (3, "丙", "村一", 0, 0, str(Outcome.NOT_PLACED.label))]
    audit = AuditLog.objects.filter(event_id=AuditEvent.EXPORT_LIST.id).latest("id")
    assert audit.new_values == {"list": "contests.round.results", "count": 3}


def test_results_are_the_organisers_only(contest: Any, login: Any, make_user: Any) -> None:
    a, _b, _c = _played(contest)
    args = [contest.competition.pk, contest.heats.pk]
    assert login(a).get(reverse("contests:round_export", args=args)).status_code == 403
    assert login(a).get(reverse("contest-results", args=[contest.heats.pk])).status_code == 403
    other = login(make_user("secretary", contest.district.town_b))
    assert other.get(reverse("contests:round_export", args=args)).status_code == 404
    assert other.get(reverse("contest-results", args=[contest.heats.pk])).status_code == 404
    assert not AuditLog.objects.filter(event_id=AuditEvent.EXPORT_LIST.id).exists()


def test_api_results_page_through_the_ranking(contest: Any, login: Any) -> None:
    _played(contest)
    client = login(contest.organiser)
    url = reverse("contest-results", args=[contest.heats.pk])
    first = client.get(url, {"limit": 2}).json()
    assert first["count"] == 3 and [r["name"] for r in first["rows"]] == ["甲", "乙"]
    assert first["rows"][0] == {"rank": 1, "name": "甲", "unit": "村一", "team": first["rows"][0]["team"], "heat": "",
                                "score": "20.00", "seconds_used": first["rows"][0]["seconds_used"], "answered": 2,
                                "outcome": "Qualified", "qualified": True}
    rest = client.get(url, {"offset": 2, "limit": 2}).json()
    assert [(r["rank"], r["name"], r["qualified"]) for r in rest["rows"]] == [(3, "丙", False)]
    bad = client.get(url, {"offset": "x"})
    assert bad.status_code == 400 and "whole numbers" in str(bad.json())
