from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from mofan.audit.context import RequestContext, reset_context, set_context

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is trivially forged unless a known proxy sets it.
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = set_context(RequestContext(ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", "")[:200]))
        try:
            return self.get_response(request)
        finally:
            reset_context(token)


# The scheduled verification in the embedded profile (no Celery): after a response, once a day ------------

VERIFY_EVERY_SECONDS = 24 * 3600
CHECK_EVERY_SECONDS = 600  # how often a process looks whether a verification is due
_LOCK_KEY = "mofan:audit:verify"
_throttle_lock = threading.Lock()
_next_check = {"at": 0.0}
_pending = threading.local()


def verify_due(now: datetime | None = None) -> bool:
    """True when no verification started in the last VERIFY_EVERY_SECONDS."""
    from mofan.audit.models import AuditVerifyRun

    now = now or timezone.now()
    return not AuditVerifyRun.objects.filter(started__gt=now - timedelta(seconds=VERIFY_EVERY_SECONDS)).exists()


def claim_check(clock: float | None = None) -> bool:
    clock = time.monotonic() if clock is None else clock
    with _throttle_lock:
        if clock < _next_check["at"]:
            return False
        _next_check["at"] = clock + CHECK_EVERY_SECONDS
    return True


def reset_throttle() -> None:
    with _throttle_lock:
        _next_check["at"] = 0.0
    cache.delete(_LOCK_KEY)


def _run_pending(**kwargs: Any) -> None:
    if not getattr(_pending, "due", False):
        return
    _pending.due = False
    try:
        if verify_due() and cache.add(_LOCK_KEY, "1", timeout=CHECK_EVERY_SECONDS):
            from mofan.audit.services import verify_run

            verify_run(started_by="schedule")
    except Exception:  # the response is already sent; retried at the next check
        logger.exception("the audit chain verification failed to run")


class VerifyAfterResponseMiddleware:
    """Verifies the audit chain once a day after a response has been delivered, where no Celery beat does it
    (the same conditions as the case sweeper: ``mofan.cases.sweeper.sweep_in_requests``, ADR 0007)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        request_finished.connect(_run_pending, dispatch_uid="mofan.audit.verify")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from mofan.cases.sweeper import sweep_in_requests

        response = self.get_response(request)
        if sweep_in_requests() and claim_check():
            _pending.due = True
        return response
