"""Import jobs: queued by the page or the API, run synchronously here (``run_import_job``), with their states,
progress and report."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.questions import jobs
from mofan.questions.models import ImportJob, Question, QuestionBank
from mofan.questions.tests.test_importers import GOOD_ROWS, blank, xlsx

pytestmark = pytest.mark.django_db


def upload(content: bytes, name: str = "题库.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def test_a_job_runs_from_queued_to_done(bank: QuestionBank, secretary: Any, monkeypatch: Any) -> None:
    job = jobs.import_job_start(actor=secretary, bank=bank, upload=upload(xlsx(GOOD_ROWS)))
    assert (job.state, job.fmt, job.file_name) == ("queued", "xlsx", "题库.xlsx")
    assert jobs.job_progress(job).percent == 0
    seen: list[tuple[str, int, int, str]] = []
    original = jobs._set_progress

    def spy(job_id: int, stage: str, done: int, total: int) -> None:
        original(job_id, stage, done, total)
        live = jobs.job_progress(ImportJob.objects.get(pk=job_id))
        seen.append((live.stage, live.done, live.total, ImportJob.objects.get(pk=job_id).state))

    monkeypatch.setattr(jobs, "_set_progress", spy)
    finished = jobs.run_import_job(job.pk)
    assert seen[0] == ("validate", 7, 7, "running")
    assert seen[-1] == ("write", 7, 7, "running")
    assert (finished.state, finished.created_count, finished.errors) == ("done", 7, [])
    assert finished.started_at and finished.finished_at and finished.content == b""
    assert jobs.job_progress(finished).percent == 100
    assert Question.objects.filter(bank=bank).count() == 7
    assert AuditLog.objects.filter(event_id=AuditEvent.QUESTIONS_IMPORTED.id, target_id=str(bank.pk)).count() == 1
    assert jobs.job_progress(finished) == jobs.Progress(state="done", stage="write", done=7, total=7)
    # a job delivered twice runs once
    assert jobs.run_import_job(job.pk).state == "done"
    assert Question.objects.filter(bank=bank).count() == 7


def test_progress_of_the_write_stage_comes_from_the_cache(bank: QuestionBank, secretary: Any) -> None:
    job = jobs.import_job_start(actor=secretary, bank=bank, upload=upload(xlsx(GOOD_ROWS)))
    ImportJob.objects.filter(pk=job.pk).update(state="running", stage="validate", done=7, total=7)
    cache.set(jobs._CACHE_KEY % job.pk, {"stage": "write", "done": 3000, "total": 10000})
    job.refresh_from_db()
    progress = jobs.job_progress(job)
    assert (progress.stage, progress.done_text, progress.total_text, progress.percent) == ("write", "3,000", "10,000",
                                                                                          65)
    cache.delete(jobs._CACHE_KEY % job.pk)


def test_a_bad_file_fails_with_its_report(bank: QuestionBank, secretary: Any) -> None:
    job = jobs.import_job_start(actor=secretary, bank=bank, upload=upload(xlsx([*GOOD_ROWS, blank(answer="丙")])))
    finished = jobs.run_import_job(job.pk)
    assert finished.state == "failed" and finished.error_total == 1
    assert finished.errors[0]["row"] == 9 and finished.errors[0]["column"] == "答案"
    assert Question.objects.count() == 0


def test_start_refuses_outsiders_and_empty_files(bank: QuestionBank, district: Any, make_user: Any,
                                                 make_learner: Any, secretary: Any) -> None:
    for actor in (make_learner(district.town_a), make_user("secretary", district.town_b)):
        with pytest.raises(PermissionDenied):
            jobs.import_job_start(actor=actor, bank=bank, upload=upload(xlsx(GOOD_ROWS)))
    with pytest.raises(ValidationError, match="empty"):
        jobs.import_job_start(actor=secretary, bank=bank, upload=upload(b""))
    assert ImportJob.objects.count() == 0


def test_dispatch_picks_celery_only_with_a_real_broker(settings: Any) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert not jobs._use_celery()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "memory://"
    assert not jobs._use_celery()
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    assert jobs._use_celery()


def test_a_job_left_running_is_shown_as_stopped(bank: QuestionBank, secretary: Any, login: Any) -> None:
    job = jobs.import_job_start(actor=secretary, bank=bank, upload=upload(xlsx(GOOD_ROWS)))
    assert not jobs.job_stalled(job)
    ImportJob.objects.filter(pk=job.pk).update(state="running",
                                               created_at=timezone.now() - jobs.STALE_AFTER - timedelta(seconds=1))
    job.refresh_from_db()
    assert jobs.job_stalled(job)
    page = login(secretary).get(reverse("questions:job_progress", args=[job.pk])).content.decode()
    assert "stopped before it finished" in page and "hx-trigger" not in page
