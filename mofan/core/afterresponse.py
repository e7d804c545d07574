"""Jobs the embedded profile runs after a response (ADR 0007): where no Celery beat runs, a periodic job (the
case sweeper, the idle-session sweep, the audit chain verification) runs once the response has been delivered
(Django's ``request_finished``), at most once per period in this process and — when the cache is shared
(Redis) — in every process, so the user who happens to trigger it waits for nothing.

To add one: ``JOB = AfterResponseJob(name="mofan.<app>.<job>", every_seconds=60, run=<function>)``, call
``JOB.mark_due()`` from a middleware after ``get_response`` and ``JOB.connect()`` in its ``__init__``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.core.signals import request_finished

logger = logging.getLogger(__name__)


def run_in_requests() -> bool:
    """On unless a Celery worker does the periodic jobs (a real broker), or under the test runner (tests run the
    jobs themselves, and a job in the middle of another test's request would change what it counts).
    ``MOFAN_SWEEP_IN_REQUESTS`` (True/False) overrides both."""
    explicit = getattr(settings, "MOFAN_SWEEP_IN_REQUESTS", None)
    if explicit is not None:
        return bool(explicit)
    if not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", True):
        return False
    return not hasattr(mail, "outbox")  # django.test.utils.setup_test_environment sets it


class AfterResponseJob:
    def __init__(self, *, name: str, every_seconds: int, run: Callable[[], Any]):
        self.name = name
        self.every_seconds = every_seconds
        self.run = run
        self._lock = threading.Lock()
        self._next_at = 0.0
        self._pending = threading.local()

    @property
    def cache_key(self) -> str:
        return f"mofan:after-response:{self.name}"

    def claim(self, clock: float | None = None) -> bool:
        """True for at most one caller a period in this process, and in every process when the cache is shared."""
        clock = time.monotonic() if clock is None else clock
        with self._lock:
            if clock < self._next_at:
                return False
            self._next_at = clock + self.every_seconds
        return bool(cache.add(self.cache_key, "1", timeout=max(self.every_seconds - 5, 1)))

    def reset(self) -> None:
        with self._lock:
            self._next_at = 0.0
        cache.delete(self.cache_key)

    def mark_due(self) -> None:
        """Called by a middleware once its response is built: the job runs after that response if claimed."""
        if run_in_requests() and self.claim():
            self._pending.due = True

    def run_pending(self, **kwargs: Any) -> None:
        """``request_finished`` receiver."""
        if not getattr(self._pending, "due", False):
            return
        self._pending.due = False
        try:
            self.run()
        except Exception:  # the response is already sent; the next period tries again
            logger.exception("the after-response job %s failed", self.name)

    def connect(self) -> None:
        request_finished.connect(self.run_pending, dispatch_uid=self.name, weak=False)
