"""Import jobs (导入任务): a long import runs in the background while its page shows the progress.

``import_job_start`` checks permission and the upload, stores the file in an ``ImportJob`` and, once the
request's transaction has committed, hands the job to a Celery worker (when Celery is not eager and a broker
is configured, as in production) or to a thread of this process (the embedded profile); the thread closes
its database connection at the end. ``run_import_job`` does the work and is what tests call directly.

Progress: the validation stage runs outside any transaction, so it is written to the job row as it goes;
the write stage runs inside the import's one transaction, where a row update would stay invisible (and
SQLite would lock a second writer out), so its progress goes to the cache as well — ``job_progress`` reads
the cache first. The embedded profile's cache is per process, like its thread; production shares Redis.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mofan.accounts.permissions import ensure_can
from mofan.accounts.roles import Action
from mofan.org.importers import ImportRejected
from mofan.questions.importers import detect_format, import_questions
from mofan.questions.models import ImportFormat, ImportJob, QuestionBank

logger = logging.getLogger(__name__)
_CACHE_KEY = "questions:import-job:%s"
_CACHE_SECONDS = 600


@dataclass(frozen=True)
class Progress:
    state: str
    stage: str
    done: int
    total: int

    @property
    def done_text(self) -> str:
        return f"{self.done:,}"

    @property
    def total_text(self) -> str:
        return f"{self.total:,}"

    @property
    def percent(self) -> int:
        if self.state == ImportJob.State.DONE:
            return 100
        if not self.total:
            return 0
        # checking is the first half of the bar, writing the second
        half = 50 * self.done // self.total
        return half + 50 if self.stage == "write" else half


def import_job_start(*, actor: Any, bank: QuestionBank, upload: Any, fmt: str = "") -> ImportJob:
    """Queue the import of ``upload`` into ``bank``; the file is checked for size and format here, each row
    later by the job."""
    ensure_can(actor, Action.QUESTION_MANAGE, bank.unit_path, target=bank)
    if not bank.is_active:
        raise ValidationError({"file": [_("This bank is closed: open it again before importing into it.")]})
    name = str(getattr(upload, "name", "") or "")[-200:]
    size = int(getattr(upload, "size", 0) or 0)
    if size > settings.MOFAN_IMPORT_MAX_BYTES:
        raise ValidationError({"file": [_("The file is larger than %(limit)d MB. Split it into smaller files.")
                                        % {"limit": settings.MOFAN_IMPORT_MAX_BYTES // (1024 * 1024)}]})
    content = b"".join(upload.chunks()) if hasattr(upload, "chunks") else bytes(upload.read())
    if not content:
        raise ValidationError({"file": [_("The file is empty.")]})
    fmt = fmt or detect_format(name, content[:16])
    if fmt not in ImportFormat.values:
        raise ValidationError({"format": [_("Unknown file format: upload an .xlsx, .csv or .json file.")]})
    job = ImportJob.objects.create(bank=bank, actor=actor, file_name=name or f"questions.{fmt}", fmt=fmt,
                                   content=content, language=translation.get_language() or "")
    cache.delete(_CACHE_KEY % job.pk)  # the live progress of a job whose id this one reuses (SQLite)
    transaction.on_commit(lambda: dispatch(job.pk))
    return job


def _use_celery() -> bool:
    broker = str(getattr(settings, "CELERY_BROKER_URL", "") or "")
    return not settings.CELERY_TASK_ALWAYS_EAGER and bool(broker) and not broker.startswith("memory")


def dispatch(job_id: int) -> None:
    """Run the job in a Celery worker or in a thread of this process."""
    if _use_celery():
        from mofan.questions.tasks import import_job_task

        import_job_task.delay(job_id)
        return
    threading.Thread(target=_run_in_thread, args=(job_id,), name=f"question-import-{job_id}", daemon=True).start()


def _run_in_thread(job_id: int) -> None:
    try:
        run_import_job(job_id)
    finally:
        connection.close()


def _set_progress(job_id: int, stage: str, done: int, total: int) -> None:
    cache.set(_CACHE_KEY % job_id, {"stage": stage, "done": done, "total": total}, _CACHE_SECONDS)
    if not connection.in_atomic_block:
        ImportJob.objects.filter(pk=job_id).update(stage=stage, done=done, total=total)


def run_import_job(job_id: int) -> ImportJob:
    """Run a queued job to its end (done or failed). A job that is not queued is left alone, so a task
    delivered twice imports once."""
    claimed = ImportJob.objects.filter(pk=job_id, state=ImportJob.State.QUEUED).update(
        state=ImportJob.State.RUNNING, started_at=timezone.now())
    job = ImportJob.objects.select_related("bank", "actor").get(pk=job_id)
    if not claimed:
        return job
    with translation.override(job.language or settings.LANGUAGE_CODE):
        outcome: dict[str, Any] = {"content": b"", "finished_at": None}
        try:
            result = import_questions(actor=job.actor, bank=job.bank, file=bytes(job.content), fmt=job.fmt,
                                      file_name=job.file_name,
                                      progress=lambda stage, done, total: _set_progress(job.pk, stage, done, total))
        except ImportRejected as exc:
            outcome.update(state=ImportJob.State.FAILED, errors=[e.as_dict() for e in exc.report],
                           error_total=exc.total)
        except PermissionDenied as exc:
            outcome.update(state=ImportJob.State.FAILED, error_total=1,
                           errors=[{"row": None, "column": "", "value": "", "message": str(exc)}])
        except Exception:
            logger.exception("question import job %s failed", job_id)
            outcome.update(state=ImportJob.State.FAILED, error_total=1, errors=[{
                "row": None, "column": "", "value": "",
                "message": _("The import stopped on an unexpected error; nothing was imported. Try again, or tell "
                             "the system administrator."),
            }])
        else:
            outcome.update(state=ImportJob.State.DONE, created_count=result.created, stage="write",
                           done=result.created, total=result.created)
    outcome["finished_at"] = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(**outcome)
    # The cache entry is left to expire: a poll that read the row just before this update still finds the
    # last live progress there; a finished job's progress is read from the row.
    job.refresh_from_db()
    return job


STALE_AFTER = timedelta(minutes=30)


def job_stalled(job: ImportJob) -> bool:
    """A job still queued or running half an hour after it was created: its worker or process has gone (a
    restart ends the thread of the embedded profile). Its page stops polling and says so; nothing was
    imported unless the import's one transaction committed, which would have finished the job."""
    return not job.finished and timezone.now() - job.created_at > STALE_AFTER


def job_progress(job: ImportJob) -> Progress:
    if not job.finished:
        live = cache.get(_CACHE_KEY % job.pk)
        if live:
            return Progress(state=job.state, stage=live["stage"], done=live["done"], total=live["total"])
    return Progress(state=job.state, stage=job.stage, done=job.done, total=job.total)
