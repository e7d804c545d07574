"""Pages (in zh-Hans too), the reading timer endpoint, the unfinished export, and the API."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from mofan.audit.models import AuditLog
from mofan.learning import services
from mofan.learning.models import DailyAnswer, Loan, ReadingRecord

pytestmark = pytest.mark.django_db


def test_pages_render_in_chinese(world: Any, login: Any, settings: Any) -> None:
    settings.LANGUAGE_CODE = "zh-hans"
    client = login(world.secretary)
    pages = {
        "/learning/": "我的学习", "/learning/materials/": "学习资料", f"/learning/materials/{world.material.pk}/": "学习纲要",
        "/learning/plans/": "专题学习计划", f"/learning/plans/{world.plan.pk}/": "导出未完成名单",
        "/learning/daily/": "天天学", f"/learning/daily/{world.issue.pk}/": "天天学",
        "/learning/board/": "积分榜", "/learning/books/": "职工书屋", "/learning/talent/": "岗位能手",
        "/learning/figures/": "学习数据", "/learning/figures/learning.daily_issues/": "今日学习",
        "/learning/points/rules/": "第 1 版",
    }
    for url, text in pages.items():
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200, url
        assert text in response.content.decode(), url


def test_learner_pages_and_navigation(world: Any, login: Any) -> None:
    client = login(world.alice)
    home = client.get("/learning/").content.decode()
    assert "主题教育计划" in home and "今日学习" in home and 'href="/learning/"' in home
    assert client.get("/learning/figures/").status_code == 403
    assert client.get(f"/learning/plans/{world.plan.pk}/unfinished.xlsx").status_code == 403


def test_outsider_gets_404(world: Any, login: Any) -> None:
    client = login(world.other_secretary)
    for url in (f"/learning/materials/{world.material.pk}/", f"/learning/plans/{world.plan.pk}/",
                f"/learning/daily/{world.issue.pk}/", f"/learning/plans/{world.plan.pk}/unfinished.xlsx"):
        assert client.get(url).status_code == 404, url


def test_reading_timer_endpoint(world: Any, login: Any) -> None:
    client = login(world.alice)
    opened = timezone.now().timestamp() - 90
    response = client.post(f"/learning/materials/{world.material.pk}/read/", {"seconds": "5000", "opened": opened})
    assert response.status_code == 200
    assert ReadingRecord.objects.get(user=world.alice).seconds in (90, 91)  # capped by the time since opening
    bad = client.post(f"/learning/materials/{world.material.pk}/read/", {"seconds": "x"})
    assert bad.status_code == 400 and ReadingRecord.objects.count() == 1


def test_answering_the_issue_on_its_page(world: Any, login: Any) -> None:
    client = login(world.alice)
    q1, q2, q3 = world.questions
    response = client.post(f"/learning/daily/{world.issue.pk}/", {f"q{q1.pk}": "2", f"q{q2.pk}": "对",
                                                                  f"q{q3.pk}": ["2", "4"]}, follow=True)
    assert "Answered: 3 of 3 right." in response.content.decode()
    assert DailyAnswer.objects.get(user=world.alice).correct == 3
    again = client.post(f"/learning/daily/{world.issue.pk}/", {f"q{q1.pk}": "1"}, follow=True)
    assert "already answered" in again.content.decode()
    assert DailyAnswer.objects.count() == 1


def test_note_too_short_on_the_plan_page(world: Any, login: Any) -> None:
    response = login(world.alice).post(f"/learning/plans/{world.plan.pk}/", {"text": "太短"})
    assert "at least 10 characters" in response.content.decode()
    assert not world.plan.notes.exists()


def test_borrow_and_return_pages(world: Any, login: Any) -> None:
    alice, bob = login(world.alice), login(world.bob)
    alice.post(f"/learning/books/{world.book.pk}/borrow/")
    refused = bob.post(f"/learning/books/{world.book.pk}/borrow/", follow=True)
    assert "All 1 copies of this book are on loan." in refused.content.decode()
    loan = Loan.objects.get()
    alice.post(f"/learning/loans/{loan.pk}/return/", {"minutes_read": "120"})
    loan.refresh_from_db()
    assert loan.returned_on == timezone.localdate()


def test_unfinished_export_of_plan_and_issue(world: Any, login: Any, reauth: Any) -> None:
    services.reading_record(actor=world.alice, material=world.material, seconds=60)
    services.note_submit(actor=world.alice, plan=world.plan, text="学习心得体会写得足够长了。")
    fresh = login(world.secretary).get(f"/learning/plans/{world.plan.pk}/unfinished.xlsx")  # re-authenticate first
    assert fresh.status_code == 302 and fresh["Location"].startswith("/accounts/reauth/?next=")
    client = reauth(login(world.secretary))
    response = client.get(f"/learning/plans/{world.plan.pk}/unfinished.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    values = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    assert values[1] == ("Name", "Branch", "Done", "Required", "Missing")
    assert values[2:] == [("李四", "综治科", 0, 1, "学习纲要；study note")]
    row = AuditLog.objects.get(event_name="core.export.list", note="learning.plan.unfinished")
    assert row.actor == world.secretary and (row.new_values or {})["count"] == 1
    issue_xlsx = client.get(f"/learning/daily/{world.issue.pk}/unfinished.xlsx")
    names = [r[0] for r in load_workbook(io.BytesIO(issue_xlsx.content)).active.iter_rows(
        min_row=3, values_only=True)]
    assert sorted(names) == ["张三", "李四", "王五"]


def test_api(world: Any, login: Any) -> None:
    client = login(world.alice)
    materials = client.get("/api/learning/materials/").json()
    assert [m["title"] for m in materials["results"]] == ["学习纲要"]
    created = client.post("/api/learning/readings/", {"material": world.material.pk, "seconds": 45},
                          content_type="application/json")
    assert created.status_code == 201 and created.json()["seconds"] == 45
    assert [r["seconds"] for r in client.get("/api/learning/readings/").json()] == [45]
    assert login(world.bob).get("/api/learning/readings/").json() == []
    q1 = world.questions[0]
    answered = client.post(f"/api/learning/daily/{world.issue.pk}/answer/", {"responses": {str(q1.pk): "2"}},
                           content_type="application/json")
    assert answered.status_code == 201 and answered.json()["correct"] == 1
    twice = client.post(f"/api/learning/daily/{world.issue.pk}/answer/", {"responses": {str(q1.pk): "2"}},
                        content_type="application/json")
    assert twice.status_code == 400 and "already answered" in str(twice.json())
    mine = client.get("/api/learning/points/me/").json()
    assert mine["total"] == 1 + 5 and {a["action"] for a in mine["awards"]} == {"read_material", "daily_issue"}
    board = login(world.secretary).get("/api/learning/boards/?level=branch").json()
    assert board["individual_ranking"] is False
    assert {r["name"]: r["points"] for r in board["rows"]} == {"综治科": 6, "区委政法委": 0}
    assert login(world.secretary).get("/api/learning/boards/?level=person").json()["rows"] == []
    assert login(world.other_secretary).get(f"/api/learning/materials/{world.material.pk}/").status_code == 404
    assert client.get("/api/learning/boards/?level=weird").status_code == 400
    assert login(world.secretary).get("/api/schema/").status_code == 200


def test_period_dates_in_the_board_page(world: Any, login: Any) -> None:
    start = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
    response = login(world.secretary).get(f"/learning/board/?start={start}&end=bad")
    assert response.status_code == 200


def test_secretary_creates_through_the_manage_pages(world: Any, login: Any) -> None:
    from mofan.learning.models import Book, DailyIssue, Material, StudyPlan, StudySession

    client = login(world.secretary)
    assert "New study material" in client.get("/learning/").content.decode()
    response = client.post("/learning/manage/material/new/", {"unit": world.organ.pk, "topic": "新专题",
                                                               "title": "新资料", "kind": "text", "body": "正文"})
    material = Material.objects.get(title="新资料")
    assert response.status_code == 302 and material.topic.name == "新专题"
    bad = client.post("/learning/manage/issue/new/", {"unit": world.organ.pk, "published_on": "2026-03-01",
                                                       "title": "t", "material_text": "m",
                                                       "questions": [world.questions[0].pk]})
    assert "Choose 2 to 5 different questions." in bad.content.decode()
    assert DailyIssue.objects.count() == 1
    client.post("/learning/manage/issue/new/", {"unit": world.organ.pk, "published_on": "2026-03-01", "title": "t",
                                                 "material_text": "m", "questions": [q.pk for q in world.questions]})
    assert DailyIssue.objects.order_by("-number").first().number == 2  # type: ignore[union-attr]
    client.post("/learning/manage/plan/new/", {"unit": world.organ.pk, "title": "新计划", "starts_on": "2026-03-01",
                                                "ends_on": "2026-04-01", "units": [world.branch.pk],
                                                "materials": [material.pk], "note_min_length": 0})
    assert StudyPlan.objects.filter(title="新计划").exists()
    isbn = client.post("/learning/manage/book/new/", {"unit": world.organ.pk, "title": "书", "isbn": "9787010041154",
                                                       "copies": 1})
    assert "not a valid ISBN-13" in isbn.content.decode() and Book.objects.count() == 1
    client.post(f"/learning/plans/{world.plan.pk}/sessions/new/", {"kind": "seminar", "held_on": "2026-03-02",
                                                                   "attendees": [world.alice.person_id]})
    assert StudySession.objects.get().attendees.get() == world.alice.person
    assert login(world.alice).get("/learning/manage/plan/new/").status_code == 403
    assert login(world.other_secretary).get(f"/learning/plans/{world.plan.pk}/sessions/new/").status_code == 404


def test_list_pages_do_not_grow_with_their_rows(world: Any, login: Any) -> None:
    """Each list page costs the same number of queries for one row and for many (no N+1)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(world.secretary)
    urls = ["/learning/plans/", "/learning/daily/", "/learning/books/", "/learning/talent/", "/learning/board/",
            "/learning/materials/", f"/learning/plans/{world.plan.pk}/", f"/learning/daily/{world.issue.pk}/"]

    def counts() -> dict[str, int]:
        result = {}
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            result[url] = len(ctx.captured_queries)
        return result

    before = counts()
    for i in range(4):
        services.plan_create(actor=world.secretary, unit=world.organ, title=f"计划{i}", starts_on=timezone.localdate(),
                             ends_on=timezone.localdate(), units=[world.branch], materials=[world.material])
        services.daily_issue_publish(actor=world.secretary, unit=world.organ, published_on=timezone.localdate(),
                                     title=f"期{i}", material_text="m", questions=world.questions[:2])
        services.book_create(actor=world.secretary, unit=world.organ, title=f"书{i}", isbn=f"978751160{i:03d}" + services.isbn13_check_digit(f"978751160{i:03d}"))
        services.reading_record(actor=world.bob, material=world.material, seconds=60)
    for url, n in counts().items():
        assert n <= before[url], (url, before[url], n)


def test_talent_pool_pages(world: Any, login: Any) -> None:
    from mofan.learning.models import Selection, SelectionRound, TalentProgramme

    client = login(world.secretary)
    client.post("/learning/manage/programme/new/", {"unit": world.organ.pk, "name": "头雁人才", "description": ""})
    programme = TalentProgramme.objects.get(name="头雁人才")
    client.post(f"/learning/talent/{programme.pk}/rounds/new/", {"name": "2026年", "held_on": "2026-05-01"})
    selection_round = SelectionRound.objects.get(programme=programme)
    bad = client.post(f"/learning/talent/{programme.pk}/select/", {
        "selection_round": selection_round.pk, "person": world.bob.person_id, "source_kind": "exams.paper",
        "source_id": 424242})
    assert "No such test or competition of this unit." in bad.content.decode()
    client.post(f"/learning/talent/{programme.pk}/select/", {"selection_round": selection_round.pk,
                                                              "person": world.bob.person_id, "reason": "骨干"})
    assert Selection.objects.filter(round=selection_round).get().person == world.bob.person
    page = client.get("/learning/talent/").content.decode()
    assert "李四" in page and "Select a person" in page
    assert login(world.alice).get(f"/learning/talent/{programme.pk}/select/").status_code == 403
    assert login(world.other_secretary).get(f"/learning/talent/{programme.pk}/select/").status_code == 404
