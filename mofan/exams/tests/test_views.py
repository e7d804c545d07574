"""The pages: a learner's journey (in zh-Hans), the organiser's pages, isolation, the unfinished export."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.exams import services
from mofan.exams.models import Attempt, AttemptItem, AttemptState, Paper, PaperState
from mofan.exams.tests.conftest import add_questions

pytestmark = pytest.mark.django_db


def open_paper(secretary: Any, unit: Any, questions: list[Any], **extra: Any) -> Paper:
    now = timezone.now()
    data: dict[str, Any] = {"title": "政策法规知识测试", "opens_at": now - dt.timedelta(hours=1),
                            "closes_at": now + dt.timedelta(days=1), "time_limit_minutes": 30,
                            "pass_score": Decimal(10), **extra}
    paper = services.paper_create(actor=secretary, unit=unit, items=[services.FixedItem(q, Decimal(10))
                                                                        for q in questions], **data)
    return services.paper_publish(actor=secretary, paper=paper)


def test_learner_takes_a_test_through_the_pages_in_chinese(district: Any, secretary: Any, bank: Any,
                                                           make_learner: Any, login: Any, settings: Any) -> None:
    settings.LANGUAGE_CODE = "zh-hans"
    single, short = add_questions(bank, 1)[0], add_questions(bank, 1, qtype="short")[0]
    paper = open_paper(secretary, district.town_a, [single, short], feedback="immediately")
    learner = make_learner(district.village_a1)
    client = login(learner)
    page = client.get("/learning/exams/")
    assert page.status_code == 200 and "我的测试" in page.content.decode() and paper.title in page.content.decode()
    assert client.get(f"/learning/exams/{paper.pk}/").status_code == 200
    response = client.post(f"/learning/exams/{paper.pk}/start/")
    attempt = Attempt.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/learning/exams/attempts/{attempt.pk}/"
    body = client.get(response["Location"]).content.decode()
    assert "剩余时间" in body and f'data-question="{single.pk}"' in body and "exams/attempt.js" in body
    saved = client.post(f"/api/exams/attempts/{attempt.pk}/answers/", {"question": single.pk, "response": "乙"},
                        content_type="application/json")
    assert saved.status_code == 200
    body = client.get(f"/learning/exams/attempts/{attempt.pk}/").content.decode()  # reload = resume
    assert 'value="乙" checked' in body
    response = client.post(f"/learning/exams/attempts/{attempt.pk}/submit/")
    assert response["Location"] == f"/learning/exams/attempts/{attempt.pk}/result/"
    body = client.get(response["Location"]).content.decode()
    assert "得分" in body and '<strong id="score">10.00</strong>' in body  # the unanswered short answer scores 0
    assert "乙是对的" in body  # the explanation, feedback being immediate


def test_result_hides_answers_until_the_close(district: Any, secretary: Any, bank: Any, make_learner: Any,
                                              login: Any) -> None:
    paper = open_paper(secretary, district.town_a, add_questions(bank, 1))  # feedback after the close
    learner = make_learner(district.village_a1)
    attempt = services.attempt_start(actor=learner, paper=paper)
    services.attempt_submit(actor=learner, attempt=attempt)
    body = login(learner).get(f"/learning/exams/attempts/{attempt.pk}/result/").content.decode()
    assert "乙是对的" not in body and "Your score is shown when the test closes." in body


def test_other_learners_get_404(district: Any, secretary: Any, bank: Any, make_learner: Any, login: Any) -> None:
    paper = open_paper(secretary, district.town_a, add_questions(bank, 1))
    attempt = services.attempt_start(actor=make_learner(district.village_a1), paper=paper)
    outsider = login(make_learner(district.village_b1))
    assert outsider.get(f"/learning/exams/{paper.pk}/").status_code == 404
    assert outsider.post(f"/learning/exams/{paper.pk}/start/").status_code == 404
    assert outsider.get(f"/learning/exams/attempts/{attempt.pk}/").status_code == 404
    neighbour = login(make_learner(district.village_a1))
    assert neighbour.get(f"/learning/exams/attempts/{attempt.pk}/result/").status_code == 404


def test_organiser_creates_publishes_and_follows_a_test(district: Any, secretary: Any, bank: Any,
                                                        make_learner: Any, login: Any) -> None:
    questions = add_questions(bank, 3, tag="税收")
    client = login(secretary)
    assert client.get("/learning/exams/manage/").status_code == 200
    page = client.get(f"/learning/exams/manage/new/?bank={bank.pk}")
    assert page.status_code == 200 and questions[0].stem in page.content.decode()
    now = timezone.localtime()
    form = {"title": "税收业务测试", "unit": district.town_a.pk, "opens_at": (now - dt.timedelta(hours=1)).strftime(
        "%Y-%m-%dT%H:%M"), "closes_at": (now + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "time_limit_minutes": 20, "attempts_allowed": 1, "grading": "highest", "pass_score": 6,
        "feedback": "after_close", "shuffle_questions": "on", "shuffle_options": "on", "item_points": 5,
        "questions": [str(questions[0].pk)], "draw_0_count": 2, "draw_0_points": 2}
    response = client.post(f"/learning/exams/manage/new/?bank={bank.pk}", form)
    paper = Paper.objects.get()
    assert response.status_code == 302 and paper.items.count() == 1 and paper.draws.get().count == 2
    client.post(f"/learning/exams/manage/{paper.pk}/publish/")
    paper.refresh_from_db()
    assert paper.state == PaperState.PUBLISHED
    learner = make_learner(district.village_a1, name="赵六")
    attempt = services.attempt_start(actor=learner, paper=paper)
    for item in attempt.items.all():
        services.answer_save(actor=learner, attempt=attempt, question_id=item.question_id, response="乙")
    services.attempt_submit(actor=learner, attempt=attempt)
    for tab in ("person", "branch", "unit"):
        body = client.get(f"/learning/exams/manage/{paper.pk}/?tab={tab}").content.decode()
        assert ("赵六" if tab == "person" else "村一") in body
    assert client.get(f"/learning/exams/manage/{paper.pk}/analysis/").status_code == 200
    client.post(f"/learning/exams/manage/{paper.pk}/close/")
    paper.refresh_from_db()
    assert paper.state == PaperState.CLOSED


def test_bad_paper_form_shows_the_message_and_writes_nothing(district: Any, secretary: Any, bank: Any,
                                                             login: Any) -> None:
    add_questions(bank, 1)
    now = timezone.localtime()
    form = {"title": "测试", "unit": district.town_a.pk, "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"), "attempts_allowed": 1,
            "grading": "highest", "pass_score": 0, "feedback": "never", "item_points": 1, "draw_0_count": 5,
            "draw_0_points": 1}
    response = login(secretary).post(f"/learning/exams/manage/new/?bank={bank.pk}", form)
    assert response.status_code == 200 and "5 questions wanted but only 1 are available" in response.content.decode()
    assert Paper.objects.count() == 0


def test_marking_through_the_queue(district: Any, secretary: Any, bank: Any, make_learner: Any, login: Any) -> None:
    short = add_questions(bank, 1, qtype="short")[0]
    paper = open_paper(secretary, district.town_a, [short], pass_score=Decimal(5))
    learner = make_learner(district.village_a1)
    attempt = services.attempt_start(actor=learner, paper=paper)
    services.answer_save(actor=learner, attempt=attempt, question_id=short.pk, response="依法治税")
    services.attempt_submit(actor=learner, attempt=attempt)
    client = login(secretary)
    assert "依法治税" in client.get("/learning/exams/manage/marking/").content.decode()
    item = AttemptItem.objects.get()
    client.post(f"/learning/exams/manage/marking/{item.pk}/", {"score": "8"})
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.MARKED and attempt.score == 8


def test_unfinished_export_is_audited_and_scoped(district: Any, secretary: Any, secretary_b: Any, bank: Any,
                                                 make_learner: Any, login: Any, reauth: Any) -> None:
    paper = open_paper(secretary, district.town_a, add_questions(bank, 1))
    done = make_learner(district.village_a1, name="已完成")
    attempt = services.attempt_start(actor=done, paper=paper)
    services.attempt_submit(actor=done, attempt=attempt)
    started = make_learner(district.village_a1, name="做了一半")
    services.attempt_start(actor=started, paper=paper)
    make_learner(district.village_a2, name="没开始")
    make_learner(district.village_b1, name="乙镇的人")
    fresh = login(secretary).get(f"/learning/exams/manage/{paper.pk}/unfinished.xlsx")  # re-authenticate first
    assert fresh.status_code == 302 and fresh["Location"].startswith("/accounts/reauth/?next=")
    assert not AuditLog.objects.filter(event_id=AuditEvent.EXPORT_LIST.id).exists()
    response = reauth(login(secretary)).get(f"/learning/exams/manage/{paper.pk}/unfinished.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[1] == ["Name", "Branch", "Account", "Status"]
    assert [(r[0], r[1], r[3]) for r in rows[2:]] == [("做了一半", "村一", "Started, not submitted"),
                                                     ("没开始", "村二", "Not started")]
    row = AuditLog.objects.get(event_id=AuditEvent.EXPORT_LIST.id)
    assert row.actor == secretary and row.new_values == {"list": "exams.unfinished", "count": 2}
    assert login(secretary_b).get(f"/learning/exams/manage/{paper.pk}/unfinished.xlsx").status_code == 404


def test_learners_cannot_open_the_organiser_pages(district: Any, make_learner: Any, login: Any) -> None:
    client = login(make_learner(district.village_a1))
    assert client.get("/learning/exams/manage/").status_code == 403
    assert client.get("/learning/exams/manage/marking/").status_code == 403


def test_pages_do_not_grow_queries_with_learners(district: Any, secretary: Any, bank: Any, make_learner: Any,
                                                 login: Any) -> None:
    questions = add_questions(bank, 3)
    paper = open_paper(secretary, district.town_a, questions, attempts_allowed=2)
    other = open_paper(secretary, district.town_a, questions, title="第二次测试")
    client = login(secretary)

    def counts() -> tuple[int, ...]:
        out = []
        for url in (f"/learning/exams/manage/{paper.pk}/?tab=person", f"/learning/exams/manage/{paper.pk}/?tab=branch",
                    f"/learning/exams/manage/{paper.pk}/?tab=unit", f"/learning/exams/manage/{paper.pk}/analysis/",
                    "/learning/exams/manage/"):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            out.append(len(ctx.captured_queries))
        return tuple(out)

    def sit(learner: Any) -> None:
        for p in (paper, other):
            attempt = services.attempt_start(actor=learner, paper=p)
            for q in questions:
                services.answer_save(actor=learner, attempt=attempt, question_id=q.pk, response="乙")
            services.attempt_submit(actor=learner, attempt=attempt)

    sit(make_learner(district.village_a1))
    few = counts()
    for unit in (district.village_a1, district.village_a2, district.village_a2, district.village_a1):
        sit(make_learner(unit))
    assert counts() == few
    learner = make_learner(district.village_a1)
    learner_client = login(learner)
    with CaptureQueriesContext(connection) as ctx:
        learner_client.get("/learning/exams/")
    before = len(ctx.captured_queries)
    sit(learner)
    with CaptureQueriesContext(connection) as ctx:
        learner_client.get("/learning/exams/")
    assert len(ctx.captured_queries) == before


def test_organiser_pages_render_in_chinese(district: Any, secretary: Any, bank: Any, login: Any,
                                           make_learner: Any, settings: Any) -> None:
    settings.LANGUAGE_CODE = "zh-hans"
    paper = open_paper(secretary, district.town_a, add_questions(bank, 1))
    make_learner(district.village_a1)
    client = login(secretary)
    body = client.get(f"/learning/exams/manage/{paper.pk}/?tab=branch").content.decode()
    assert "导出未完成名单" in body and "按支部" in body and "应参考人数" in body and "试题分析" in body
    assert "新建测试" in client.get("/learning/exams/manage/").content.decode()
    assert "待阅卷" in client.get("/learning/exams/manage/marking/").content.decode()
    assert "克龙巴赫" in client.get(f"/learning/exams/manage/{paper.pk}/analysis/").content.decode()


def test_organiser_changes_a_draft(district: Any, secretary: Any, bank: Any, make_user: Any, login: Any) -> None:
    questions = add_questions(bank, 4)
    now = timezone.now()
    paper = services.paper_create(actor=secretary, unit=district.town_a, title="草稿测试", opens_at=now,
                                  closes_at=now + dt.timedelta(days=1), pass_score=Decimal(2),
                                  items=[services.FixedItem(questions[0], Decimal(2))],
                                  draws=[services.DrawRule(bank=bank, count=2, points_each=Decimal(3))])
    client = login(secretary)
    page = client.get(f"/learning/exams/manage/{paper.pk}/edit/")
    assert page.status_code == 200 and "草稿测试" in page.content.decode()
    local = timezone.localtime(now)
    form = {"title": "改过的测试", "unit": district.town_a.pk, "opens_at": local.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (local + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"), "attempts_allowed": 2,
            "grading": "last", "pass_score": 4, "feedback": "never", "item_points": 4,
            "questions": [str(questions[1].pk), str(questions[2].pk)]}
    response = client.post(f"/learning/exams/manage/{paper.pk}/edit/", form)
    assert response.status_code == 302
    paper.refresh_from_db()
    assert paper.title == "改过的测试" and paper.grading == "last" and paper.draws.count() == 0
    assert sorted(paper.items.values_list("question_id", flat=True)) == [questions[1].pk, questions[2].pk]
    assert AuditLog.objects.filter(event_id=AuditEvent.EXAM_PAPER_CHANGED.id).count() == 2
    services.paper_publish(actor=secretary, paper=paper)
    assert client.get(f"/learning/exams/manage/{paper.pk}/edit/").status_code == 403
    branch = make_user("secretary", district.village_a1, username="sec_a1")
    assert login(branch).get(f"/learning/exams/manage/{paper.pk}/edit/").status_code == 403
