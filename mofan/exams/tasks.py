"""Celery task of tests: ``mofan.exams.sweep`` submits lapsed attempts every minute (``CELERY_BEAT_SCHEDULE``).
It takes no arguments and is idempotent."""

from __future__ import annotations

from celery import shared_task

from mofan.exams.services import submit_lapsed


@shared_task(name="mofan.exams.sweep", ignore_result=True)
def sweep_task() -> int:
    return submit_lapsed()
