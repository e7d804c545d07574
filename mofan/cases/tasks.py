"""Celery tasks of the case engine (production: PostgreSQL + Redis, with a beat scheduler).

``mofan.cases.sweep`` runs every minute (``CELERY_BEAT_SCHEDULE`` in settings). It takes no arguments and is
idempotent, so a late or doubled run does no harm. In the embedded profile tasks run in-process and the
sweep runs after responses instead (``mofan.cases.sweeper.SweepAfterResponseMiddleware``).
"""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task

from mofan.cases.sweeper import sweep


@shared_task(name="mofan.cases.sweep", ignore_result=True)
def sweep_task() -> dict[str, int]:
    return asdict(sweep())
