"""Rate limits for what anyone may post without an account (the public form, Open311).

Counters live in Django's cache: the local-memory cache of the embedded profile (one process), Redis when
``MOFAN_REDIS_URL`` is set (see ``CACHES`` in settings), so every worker shares them. A fixed window of one
hour per client address: cheap, and good enough against floods; a citizen who reports a handful of
problems an hour is never refused.

A refusal is audited once per address and window (the first request past the limit), so that a flood
leaves one row that says so instead of thousands that bury the trail.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from mofan.audit.events import AuditEvent
from mofan.audit.services import audit_record

WINDOW_SECONDS = 3600


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int  # this request's number in the current window
    limit: int


def _key(bucket: str, client: str) -> str:
    # The address is hashed so that the cache (Redis) holds no readable personal data.
    digest = hashlib.sha256(f"{bucket}:{client}".encode()).hexdigest()[:32]
    return f"mofan:ratelimit:{bucket}:{digest}"


def consume(bucket: str, client: str, limit: int, window: int = WINDOW_SECONDS) -> Verdict:
    """Count one request of ``client`` in ``bucket``; allowed while the count stays within ``limit``."""
    key = _key(bucket, client)
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return Verdict(allowed=count <= limit, count=count, limit=limit)


def refund(bucket: str, client: str) -> None:
    """Give back a counted request that wrote nothing (e.g. the service refused a mistyped phone number)."""
    try:
        cache.decr(_key(bucket, client))
    except ValueError:  # the window has expired meanwhile
        pass


def reset(bucket: str, client: str) -> None:
    cache.delete(_key(bucket, client))


PUBLIC_BUCKET = "public-report"


def public_limit() -> int:
    return int(settings.MOFAN_PUBLIC_REPORTS_PER_HOUR)


def public_report_allowed(client: str | None, *, channel: str) -> Verdict:
    """One report without an account (public form or Open311, one shared budget per address): allowed up to
    ``MOFAN_PUBLIC_REPORTS_PER_HOUR``. The first refusal of a window is audited (``CASE_PUBLIC_REFUSED``)."""
    verdict = consume(PUBLIC_BUCKET, client or "unknown", public_limit())
    if not verdict.allowed and verdict.count == verdict.limit + 1:
        audit_record(actor=None, event=AuditEvent.CASE_PUBLIC_REFUSED, success=False,
                     note=f"{channel}: more than {verdict.limit} reports in an hour from one address",
                     new={"channel": channel, "limit": verdict.limit})
    return verdict
