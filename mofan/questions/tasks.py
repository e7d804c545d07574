"""Celery task of the question banks: a queued import job (``questions.jobs``), by id, idempotent."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="mofan.questions.import_job", ignore_result=True)
def import_job_task(job_id: int) -> None:
    from mofan.questions.jobs import run_import_job

    run_import_job(job_id)
