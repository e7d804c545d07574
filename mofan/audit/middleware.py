from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from mofan.audit.context import RequestContext, reset_context, set_context
from mofan.core.afterresponse import AfterResponseJob

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


def verify_due(now: datetime | None = None) -> bool:
    """True when no verification started in the last VERIFY_EVERY_SECONDS."""
    from mofan.audit.models import AuditVerifyRun

    now = now or timezone.now()
    return not AuditVerifyRun.objects.filter(started__gt=now - timedelta(seconds=VERIFY_EVERY_SECONDS)).exists()


def _verify_if_due() -> None:
    if verify_due():
        from mofan.audit.services import verify_run

        verify_run(started_by="schedule")


JOB = AfterResponseJob(name="mofan.audit.verify", every_seconds=CHECK_EVERY_SECONDS, run=_verify_if_due)
reset_throttle = JOB.reset


class VerifyAfterResponseMiddleware:
    """Verifies the audit chain once a day after a response has been delivered, where no Celery beat does it
    (the same conditions as the case sweeper: ``mofan.cases.sweeper.sweep_in_requests``, ADR 0007)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        JOB.connect()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        JOB.mark_due()
        return response
