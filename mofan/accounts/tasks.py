"""Celery task of accounts: ``mofan.accounts.sweep_idle_sessions`` every minute (``CELERY_BEAT_SCHEDULE``) ends
and audits the signed-in sessions idle past the limit that nobody came back to (mofan/accounts/sessions.py). In
the embedded profile the idle-logout middleware runs the same sweep after a response instead."""

from __future__ import annotations

from celery import shared_task

from mofan.accounts.sessions import sweep_idle_sessions


@shared_task(name="mofan.accounts.sweep_idle_sessions", ignore_result=True)
def sweep_idle_sessions_task() -> int:
    return sweep_idle_sessions()
