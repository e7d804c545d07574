"""Idle sign-out, ended and audited exactly once however the session is left (level 3: 登录连接超时自动退出).

A signed-in session ends when it has been idle longer than ``MOFAN_IDLE_TIMEOUT_MINUTES``. Two things end it:

- ``IdleTimeoutMiddleware``, when the person comes back: the page says why (``?expired=1``), the API says 401;
- ``sweep_idle_sessions``, for the sessions nobody comes back to (the browser was closed — the cookie is a
  browser-session cookie — or the tab was simply left): every minute by Celery beat in production
  (``mofan.accounts.sweep_idle_sessions``), after a response at most once a minute in the embedded profile.

The session store keeps a session 12 hours longer than the idle limit (``SESSION_COOKIE_AGE`` in settings,
checked by ``check --deploy``, mofan.E022/E023), so the store never drops a session before one of the two
has ended and audited it; a session the store has expired all the same (the server was down) is still swept
and audited. Both end a session by deleting its row and audit only when their delete removed it, in one
transaction, so a session ended by both at once is audited once.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model, user_logged_in
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from mofan.audit.events import AuditEvent
from mofan.audit.services import audit_record
from mofan.core.afterresponse import AfterResponseJob

logger = logging.getLogger(__name__)

LAST_SEEN = "mofan_last_seen"
DB_SESSIONS = "django.contrib.sessions.backends.db"
SWEEP_EVERY_SECONDS = 60
SWEEP_BATCH = 500


def idle_limit_seconds() -> int:
    return int(settings.MOFAN_IDLE_TIMEOUT_MINUTES) * 60


def _mark_seen(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """Every sign-in (the form, a second factor, a test's force_login) starts the idle clock."""
    session = getattr(request, "session", None)
    if session is not None:
        session[LAST_SEEN] = time.time()


user_logged_in.connect(_mark_seen, dispatch_uid="mofan.accounts.sessions.mark_seen")


def _audit(user: Any, idle_seconds: float, ended_by: str) -> None:
    audit_record(actor=user, event=AuditEvent.IDLE_LOGOUT,
                 new={"idle_minutes": int(idle_seconds // 60), "ended_by": ended_by})


def end_idle_request_session(request: HttpRequest, idle_seconds: float) -> bool:
    """Ends the request's idle session; audits it unless the sweep ended it first. True when audited here."""
    key = request.session.session_key
    with transaction.atomic():
        ended = bool(key) and Session.objects.filter(session_key=key).delete()[0] > 0
        if ended:
            _audit(request.user, idle_seconds, "request")
    return ended


def sweep_idle_sessions(*, now: datetime | None = None) -> int:
    """Ends and audits every stored signed-in session idle longer than the limit. Returns how many."""
    now = now or timezone.now()
    limit = idle_limit_seconds()
    age = int(settings.SESSION_COOKIE_AGE)
    # A session is saved on every request (SESSION_SAVE_EVERY_REQUEST) with expire_date = then + age: one
    # whose last save is older than the limit has expire_date <= now + age - limit (an index range).
    horizon = now + timedelta(seconds=age - limit)
    store = SessionStore()
    User = get_user_model()  # noqa: N806
    ended = 0
    candidates = Session.objects.filter(expire_date__lte=horizon).order_by("expire_date", "session_key")
    after: tuple[datetime, str] | None = None
    while True:  # in pages by (expire_date, key), read before anything is deleted
        page = candidates if after is None else candidates.filter(
            Q(expire_date__gt=after[0]) | Q(expire_date=after[0], session_key__gt=after[1]))
        rows = list(page.values_list("session_key", "session_data", "expire_date")[:SWEEP_BATCH])
        if not rows:
            return ended
        after = (rows[-1][2], rows[-1][0])
        for key, data, expire in rows:
            decoded = store.decode(data)
            user_id = decoded.get(SESSION_KEY)
            if user_id is None:
                if expire <= now:  # an expired anonymous session: what clearsessions would delete
                    Session.objects.filter(session_key=key, expire_date=expire).delete()
                continue
            last = decoded.get(LAST_SEEN)
            seen = float(last) if last is not None else (expire - timedelta(seconds=age)).timestamp()
            idle = now.timestamp() - seen
            if idle <= limit:
                continue
            with transaction.atomic():
                # Only if nothing saved it since it was read (a request in between) and nobody ended it.
                if Session.objects.filter(session_key=key, expire_date=expire).delete()[0]:
                    _audit(User.objects.filter(pk=user_id).first(), idle, "sweep")
                    ended += 1


JOB = AfterResponseJob(name="mofan.accounts.idle_sweep", every_seconds=SWEEP_EVERY_SECONDS,
                       run=lambda: sweep_idle_sessions())
reset_throttle = JOB.reset
