"""The question bank pages: lists, forms, import and job pages (in zh-Hans too), export, and isolation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.questions import services
from mofan.questions.jobs import run_import_job
from mofan.questions.models import ImportJob, Question, QuestionBank
from mofan.questions.tests.test_importers import GOOD_ROWS, blank, xlsx

pytestmark = pytest.mark.django_db


def test_bank_list_create_and_detail(secretary: Any, district: Any, login: Any,
                                     django_assert_max_num_queries: Any) -> None:
    client = login(secretary)
    for n in range(12):
        services.bank_create(actor=secretary, unit=district.village_a2, name=f"题库{n}")
    with django_assert_max_num_queries(12):
        assert client.get(reverse("questions:bank_list")).status_code == 200
    response = client.post(reverse("questions:bank_create"), {"unit": district.village_a1.pk, "name": "村题库"})
    bank = QuestionBank.objects.get(name="村题库")
    assert response.status_code == 302 and bank.unit == district.village_a1
    response = client.get(reverse("questions:bank_list"))
    assert "村题库" in response.content.decode()
    bad = client.post(reverse("questions:bank_create"), {"unit": district.village_a1.pk, "name": "村题库"})
    assert bad.status_code == 400 and "already has a bank" in bad.content.decode()
    outside = client.post(reverse("questions:bank_create"), {"unit": district.town_b.pk, "name": "越权"})
    assert outside.status_code == 400 and not QuestionBank.objects.filter(name="越权").exists()


def test_question_pages(bank: QuestionBank, secretary: Any, login: Any, django_assert_max_num_queries: Any) -> None:
    client = login(secretary)
    url = reverse("questions:question_create", args=[bank.pk])
    response = client.post(url, {"qtype": "multiple", "stem": "选两个", "options": "甲\n乙\n丙\n", "answers": "甲\n丙",
                                 "tags": "一，二", "difficulty": 3})
    assert response.status_code == 302
    question = Question.objects.get(stem="选两个")
    assert question.answers == ["甲", "丙"] and sorted(t.name for t in question.tags.all()) == ["一", "二"]
    response = client.post(url, {"qtype": "single", "stem": "错的", "options": "甲\n乙", "answers": "丙",
                                 "difficulty": 3})
    assert response.status_code == 400 and "not among the options" in response.content.decode()
    client.post(url, {"qtype": "fill", "stem": "填", "answers": "北京|北京市\n长城", "difficulty": 2})
    assert Question.objects.get(stem="填").answers == [["北京", "北京市"], ["长城"]]
    edit = reverse("questions:question_edit", args=[bank.pk, question.pk])
    assert "甲\n乙\n丙" in client.get(edit).content.decode()
    client.post(edit, {"qtype": "multiple", "stem": "选两个（改）", "options": "甲\n乙\n丙", "answers": "乙",
                       "difficulty": 4})
    question.refresh_from_db()
    assert (question.stem, question.answers, question.difficulty) == ("选两个（改）", ["乙"], 4)
    client.post(url, {"qtype": "multiple", "stem": "按字母", "options": "甲\n乙\n丙", "answers": "AC", "difficulty": 3})
    assert Question.objects.get(stem="按字母").answers == ["甲", "丙"]  # letters are kept as the options' texts
    client.post(url, {"qtype": "single", "stem": "字母选项", "options": "A\nB", "answers": "B", "difficulty": 3})
    assert Question.objects.get(stem="字母选项").answers == ["B"]  # an option that reads like a letter is a text
    bad_letter = client.post(url, {"qtype": "single", "stem": "越界", "options": "甲\n乙", "answers": "D",
                                   "difficulty": 3})
    assert bad_letter.status_code == 400 and not Question.objects.filter(stem="越界").exists()
    client.post(reverse("questions:question_active", args=[bank.pk, question.pk]), {"active": "0"})
    question.refresh_from_db()
    assert not question.is_active
    for n in range(60):
        services.question_create(actor=secretary, bank=bank, qtype="judge", stem=f"判断{n}", answers=["对"],
                                 tags=["判断"])
    detail = reverse("questions:bank_detail", args=[bank.pk])
    with django_assert_max_num_queries(20):
        page = client.get(detail)
    body = page.content.decode()
    assert page.status_code == 200 and "选两个（改）" not in body and "?after=" in body
    assert "选两个（改）" in client.get(detail, {"inactive": "1", "type": "multiple"}).content.decode()
    assert "判断0" not in client.get(detail, {"tag": "判断", "q": "判断5"}).content.decode()


def test_import_page_job_page_and_error_report(bank: QuestionBank, secretary: Any, login: Any) -> None:
    client = login(secretary)
    url = reverse("questions:import", args=[bank.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"file": SimpleUploadedFile("q.xlsx", xlsx([*GOOD_ROWS, blank(stem="")]))})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("questions:job_detail", args=[job.pk])
    queued = client.get(reverse("questions:job_detail", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in queued
    run_import_job(job.pk)
    fragment = client.get(reverse("questions:job_progress", args=[job.pk])).content.decode()
    assert "hx-trigger" not in fragment and "The stem is empty." in fragment
    report = client.get(reverse("questions:job_errors", args=[job.pk]))
    assert report.status_code == 200 and report["Content-Type"].startswith("application/vnd.openxmlformats")
    assert Question.objects.count() == 0
    client.post(url, {"file": SimpleUploadedFile("q.csv", "题型,题干,答案\n判断,天是蓝的,对\n".encode())})
    job = ImportJob.objects.latest("id")
    assert job.fmt == "csv" and run_import_job(job.pk).state == "done"
    assert "Imported 1 question." in client.get(reverse("questions:job_detail", args=[job.pk])).content.decode()


def test_import_and_job_pages_render_in_chinese(bank: QuestionBank, secretary: Any, login: Any, settings: Any) -> None:
    settings.LANGUAGE_CODE = "zh-hans"
    client = login(secretary)
    page = client.get(reverse("questions:import", args=[bank.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "导入题目" in page and "下载模板" in page
    client.post(reverse("questions:import", args=[bank.pk]), {"file": SimpleUploadedFile("q.xlsx", xlsx(GOOD_ROWS))})
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(state="running", stage="validate", done=3000, total=10000)
    running = client.get(reverse("questions:job_detail", args=[job.pk])).content.decode()
    assert "已校验 3,000 / 10,000 行" in running
    ImportJob.objects.filter(pk=job.pk).update(state="queued")
    run_import_job(job.pk)
    done = client.get(reverse("questions:job_detail", args=[job.pk])).content.decode()
    assert "已导入 7 道题" in done


def test_templates_and_export_downloads(bank: QuestionBank, secretary: Any, login: Any) -> None:
    client = login(secretary)
    services.question_create(actor=secretary, bank=bank, qtype="judge", stem="题", answers=["对"])
    for fmt in ("xlsx", "csv", "json"):
        assert client.get(reverse("questions:import_template", args=[fmt])).status_code == 200
        response = client.get(reverse("questions:bank_export", args=[bank.pk, fmt]))
        assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert json.loads(response.content)[0]["answers"] == ["对"]
    assert AuditLog.objects.filter(event_id=AuditEvent.EXPORT_LIST.id).count() == 3
    assert client.get(reverse("questions:import_template", args=["xls"])).status_code == 404


def test_other_towns_and_party_members_are_kept_out(bank: QuestionBank, district: Any, make_user: Any,
                                                    make_learner: Any, login: Any) -> None:
    question = services.question_create(actor=None, bank=bank, qtype="judge", stem="题", answers=["对"])
    outsider = login(make_user("secretary", district.town_b))
    pages: list[tuple[str, list[Any]]] = [
        ("bank_detail", [bank.pk]), ("bank_edit", [bank.pk]), ("import", [bank.pk]), ("bank_export", [bank.pk, "xlsx"]),
        ("question_create", [bank.pk]), ("question_edit", [bank.pk, question.pk]),
    ]
    for name, args in pages:
        assert outsider.get(reverse(f"questions:{name}", args=args)).status_code == 404, name
    assert "业务知识" not in outsider.get(reverse("questions:bank_list")).content.decode()
    member = login(make_learner(district.town_a))
    assert member.get(reverse("questions:bank_list")).status_code == 403
    response = member.post(reverse("questions:import", args=[bank.pk]),
                           {"file": SimpleUploadedFile("q.xlsx", xlsx(GOOD_ROWS))})
    assert response.status_code == 404 and ImportJob.objects.count() == 0
    assert member.get(reverse("questions:import_template", args=["xlsx"])).status_code == 403
