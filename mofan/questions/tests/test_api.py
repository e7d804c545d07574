"""The question bank API: banks, questions, import jobs and export, within the caller's scope."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.questions import services
from mofan.questions.jobs import run_import_job
from mofan.questions.models import ImportJob, Question, QuestionBank
from mofan.questions.tests.test_importers import GOOD_ROWS, blank, xlsx

pytestmark = pytest.mark.django_db


def test_banks_list_create_retrieve(secretary: Any, bank: QuestionBank, district: Any, login: Any) -> None:
    client = login(secretary)
    listed = client.get("/api/question-banks/").json()
    assert [b["name"] for b in listed["results"]] == ["业务知识"] and listed["count"] == 1
    created = client.post("/api/question-banks/", {"name": "村题库", "unit": district.village_a1.pk},
                          content_type="application/json")
    assert created.status_code == 201 and created.json()["unit_name"] == "村一"
    again = client.post("/api/question-banks/", {"name": "村题库", "unit": district.village_a1.pk},
                        content_type="application/json")
    assert again.status_code == 400 and "already has a bank" in json.dumps(again.json(), ensure_ascii=False)
    outside = client.post("/api/question-banks/", {"name": "越权", "unit": district.town_b.pk},
                          content_type="application/json")
    assert outside.status_code == 403 and not QuestionBank.objects.filter(name="越权").exists()
    assert client.get(f"/api/question-banks/{bank.pk}/").json()["name"] == "业务知识"
    assert AuditLog.objects.filter(event_id=AuditEvent.QUESTION_BANK_CHANGED.id, new_values__name="村题库").exists()


def test_questions_list_create_update(secretary: Any, bank: QuestionBank, login: Any) -> None:
    client = login(secretary)
    url = f"/api/question-banks/{bank.pk}/questions/"
    created = client.post(url, {"qtype": "multiple", "stem": "选两个", "options": ["甲", "乙", "丙"],
                                "answers": ["甲", "丙"], "tags": ["一"]}, content_type="application/json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["answers"] == ["甲", "丙"] and body["tags"] == ["一"] and body["difficulty"] == 3
    bad = client.post(url, {"qtype": "single", "stem": "错", "options": ["甲", "乙"], "answers": ["丙"]},
                      content_type="application/json")
    assert bad.status_code == 400 and "answers" in bad.json()
    client.post(url, {"qtype": "judge", "stem": "对吗", "answers": ["错"]}, content_type="application/json")
    assert [q["stem"] for q in client.get(url, {"type": "judge"}).json()["results"]] == ["对吗"]
    assert [q["stem"] for q in client.get(url, {"tag": "一"}).json()["results"]] == ["选两个"]
    patched = client.patch(f"{url}{body['id']}/", {"difficulty": 5, "answers": ["乙"]},
                           content_type="application/json")
    assert patched.status_code == 200 and patched.json()["answers"] == ["乙"]
    question = Question.objects.get(pk=body["id"])
    assert (question.difficulty, question.stem, question.options) == (5, "选两个", ["甲", "乙", "丙"])
    assert AuditLog.objects.filter(event_id=AuditEvent.QUESTION_CHANGED.id, target_id=str(question.pk)).count() == 2


def test_import_returns_a_job_to_poll(secretary: Any, bank: QuestionBank, login: Any) -> None:
    client = login(secretary)
    response = client.post(f"/api/question-banks/{bank.pk}/import/",
                           {"file": SimpleUploadedFile("q.xlsx", xlsx([*GOOD_ROWS, blank(type="x")]))})
    assert response.status_code == 202 and response.json()["state"] == "queued"
    job_id = response.json()["id"]
    run_import_job(job_id)
    job = client.get(f"/api/question-import-jobs/{job_id}/").json()
    assert job["state"] == "failed" and job["errors"][0]["row"] == 9 and job["errors"][0]["column"] == "题型"
    response = client.post(f"/api/question-banks/{bank.pk}/import/",
                           {"file": SimpleUploadedFile("q.xlsx", xlsx(GOOD_ROWS))})
    run_import_job(response.json()["id"])
    job = client.get(f"/api/question-import-jobs/{response.json()['id']}/").json()
    assert (job["state"], job["created_count"], job["done"], job["total"]) == ("done", 7, 7, 7)
    assert client.post(f"/api/question-banks/{bank.pk}/import/", {}).status_code == 400


def test_export_formats(secretary: Any, bank: QuestionBank, login: Any) -> None:
    services.question_create(actor=secretary, bank=bank, qtype="judge", stem="题", answers=["对"])
    client = login(secretary)
    for fmt in ("xlsx", "csv", "json"):
        response = client.get(f"/api/question-banks/{bank.pk}/export/", {"format": fmt})
        assert response.status_code == 200 and "attachment" in response["Content-Disposition"], fmt
    assert json.loads(response.content)[0]["stem"] == "题"
    assert client.get(f"/api/question-banks/{bank.pk}/export/").status_code == 400
    assert AuditLog.objects.filter(event_id=AuditEvent.EXPORT_LIST.id).count() == 3


def test_another_town_gets_404_and_a_party_member_cannot_import(bank: QuestionBank, district: Any, make_user: Any,
                                                                make_learner: Any, login: Any) -> None:
    question = services.question_create(actor=None, bank=bank, qtype="judge", stem="题", answers=["对"])
    job = ImportJob.objects.create(bank=bank, actor=make_user("secretary", district.town_a), file_name="a.csv",
                                   fmt="csv")
    outsider = login(make_user("secretary", district.town_b))
    assert outsider.get("/api/question-banks/").json()["results"] == []
    for url in (f"/api/question-banks/{bank.pk}/", f"/api/question-banks/{bank.pk}/questions/",
                f"/api/question-banks/{bank.pk}/questions/{question.pk}/", f"/api/question-import-jobs/{job.pk}/",
                f"/api/question-banks/{bank.pk}/export/?format=json"):
        assert outsider.get(url).status_code == 404, url
    member = login(make_learner(district.town_a))
    response = member.post(f"/api/question-banks/{bank.pk}/import/",
                           {"file": SimpleUploadedFile("q.xlsx", xlsx(GOOD_ROWS))})
    assert response.status_code == 404 and ImportJob.objects.count() == 1
    assert member.patch(f"/api/question-banks/{bank.pk}/questions/{question.pk}/", {"stem": "改"},
                        content_type="application/json").status_code == 404
    assert Question.objects.get(pk=question.pk).stem == "题"
