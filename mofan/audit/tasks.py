"""Celery task of the audit chain: ``mofan.audit.verify`` once a day (``CELERY_BEAT_SCHEDULE``). In the
embedded profile ``VerifyAfterResponseMiddleware`` runs it after a response instead, and ``mofan audit
verify`` by hand or from cron."""

from __future__ import annotations

from celery import shared_task

from mofan.audit.services import verify_run


@shared_task(name="mofan.audit.verify", ignore_result=True)
def verify_task() -> bool:
    return bool(verify_run(started_by="schedule").ok)
