"""The sweeper: flags overdue steps, reminds once per overdue step, and escalates lapsed cases by itself.

One ``sweep()`` does three things, each in batches over indexed (state, due) columns:

1. **Escalate** (``services.escalation``, ``system=True``): a case held at a village or township whose triage
   limit passed (still ``collected``/``accepted``) or whose handling limit passed (a dispatch still open after
   its ``handle_due``) goes one level up. The district is the last level: there it is only flagged.
2. **Flag cases**: an open case past its ``due_at`` gets ``overdue`` and one ``remind`` timeline entry (for a
   dispatched case the reminders go to its dispatches instead, below).
3. **Flag dispatches**: a dispatch past its check-in or handling due gets ``overdue`` and one ``remind`` entry.

It is idempotent: a step is flagged and reminded once (the services clear the flag when a step's due moves
into the future), and an escalated case has a new clock. Paused cases are skipped. Each run that changed
anything leaves one CASE_SWEEP audit row with its counts; each escalation leaves its own transition row.

Where it runs: the Celery beat task ``mofan.cases.sweep`` every minute in production (``tasks.py``); in the
embedded profile without Celery, ``SweepAfterResponseMiddleware`` runs it after a response at most once a
minute (docs/adr/0007-sweep-time-limits-after-a-response-without-celery.md); and ``mofan sweep`` by hand.

To sweep another kind: give it an ``escalate`` transition and add its key to ``SWEPT_KINDS``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mofan.audit.events import AuditEvent
from mofan.audit.services import audit_record
from mofan.cases import kinds
from mofan.cases.models import Case, CaseEvent, Dispatch, Level
from mofan.cases.services.engine import centre_above
from mofan.cases.services.escalation import case_escalate
from mofan.core.afterresponse import AfterResponseJob, run_in_requests

logger = logging.getLogger(__name__)

SWEPT_KINDS = [kinds.GOVERNANCE.key]
TRIAGE_STATES = [kinds.COLLECTED, kinds.ACCEPTED]
ESCALATING_LEVELS = [Level.VILLAGE, Level.TOWN]
BATCH = 500
MAX_BATCHES = 20  # per step and run: a backlog is worked off over several runs, each one short


@dataclass
class SweepResult:
    escalated: int = 0
    cases_flagged: int = 0
    dispatches_flagged: int = 0
    reminders: int = 0

    @property
    def changed(self) -> bool:
        return any(asdict(self).values())


def sweep(*, now: datetime | None = None, batch: int = BATCH) -> SweepResult:
    """One pass over the time limits. ``now`` is for tests and replays."""
    now = now or timezone.now()
    result = SweepResult()
    with translation.override(settings.LANGUAGE_CODE):  # timeline notes in the site's language
        _escalate_lapsed(now, result, batch)
        _flag_cases(now, result, batch)
        _flag_dispatches(now, result, batch)
        if result.changed:
            audit_record(actor=None, event=AuditEvent.CASE_SWEEP, actor_name="system", new=asdict(result))
    return result


def _escalate_lapsed(now: datetime, result: SweepResult, batch: int) -> None:
    triage = (Case.objects.filter(kind__in=SWEPT_KINDS, state__in=TRIAGE_STATES, due_at__lt=now,
                                  level__in=ESCALATING_LEVELS, paused_at__isnull=True)
              .order_by("due_at").values_list("pk", flat=True)[:batch])
    handling = (Dispatch.objects.filter(state__in=[Dispatch.State.DISPATCHED, Dispatch.State.CHECKED_IN],
                                        handle_due__lt=now, case__kind__in=SWEPT_KINDS,
                                        case__state=kinds.DISPATCHED, case__level__in=ESCALATING_LEVELS,
                                        case__paused_at__isnull=True)
                .order_by("handle_due").values_list("case_id", flat=True)[:batch])
    for pk in sorted(set(triage) | set(handling)):
        case = Case.objects.select_related("centre", "area").get(pk=pk)
        if centre_above(case) is None:  # no centre above (a township directly under no district centre)
            continue
        reason = (_("The time limit for acceptance passed at this level.") if case.state in TRIAGE_STATES
                  else _("The handling time limit passed at this level."))
        try:
            case_escalate(actor=None, case=case, reason=reason, system=True)
        except ValidationError:  # changed meanwhile by someone working on it
            continue
        result.escalated += 1


def _batches(select: Callable[[], list[tuple[Any, ...]]], write: Callable[[list[tuple[Any, ...]]], int],
             batch: int) -> int:
    """Select up to ``batch`` rows still needing work and write them, in one transaction, until none are left.
    Rows locked by a request are skipped (PostgreSQL) and picked up by the next run."""
    done = 0
    for _round in range(MAX_BATCHES):
        with transaction.atomic():
            rows = select()
            if rows:
                done += write(rows)
        if len(rows) < batch:
            break
    return done


def _flag_cases(now: datetime, result: SweepResult, batch: int) -> None:
    # No filter on kind: every kind's open steps are flagged, and the (state, due_at) index stays the plan.
    open_states = sorted({s for k in kinds.all_kinds() for s in k.states if s not in k.terminal})
    due = Case.objects.filter(state__in=open_states, overdue=False, due_at__lt=now, paused_at__isnull=True)

    def select() -> list[tuple[Any, ...]]:
        return list(due.select_for_update(skip_locked=True).order_by("due_at")
                    .values_list("pk", "state", "due_at")[:batch])

    def write(rows: list[tuple[Any, ...]]) -> int:
        updated = Case.objects.filter(pk__in=[r[0] for r in rows], overdue=False).update(overdue=True)
        reminders = [
            CaseEvent(case_id=pk, actor_name="system", action="remind", from_state=state, to_state=state,
                      note=_("Overdue: the time limit of this step has passed."),
                      data={"step": state, "due": due_at.isoformat()})
            for pk, state, due_at in rows if state != kinds.DISPATCHED  # dispatches get their own reminder
        ]
        CaseEvent.objects.bulk_create(reminders)
        result.reminders += len(reminders)
        return updated

    result.cases_flagged += _batches(select, write, batch)


def _flag_dispatches(now: datetime, result: SweepResult, batch: int) -> None:
    steps = (
        ("checkin", Dispatch.State.DISPATCHED, "checkin_due",
         _("Overdue: %(department)s has not checked in within its time limit.")),
        ("handle", Dispatch.State.CHECKED_IN, "handle_due",
         _("Overdue: %(department)s has not reported back within its time limit.")),
    )
    for step, state, field, message in steps:
        due = Dispatch.objects.filter(state=state, overdue=False, case__paused_at__isnull=True,
                                      **{f"{field}__lt": now})

        def select(due: Any = due, field: str = field) -> list[tuple[Any, ...]]:
            return list(due.select_for_update(skip_locked=True, of=("self",)).order_by(field)
                        .values_list("pk", "case_id", "department__name", field)[:batch])

        def write(rows: list[tuple[Any, ...]], step: str = step, state: str = state, message: str = message) -> int:
            updated = Dispatch.objects.filter(pk__in=[r[0] for r in rows], state=state, overdue=False).update(
                overdue=True)
            CaseEvent.objects.bulk_create([
                CaseEvent(case_id=case_id, actor_name="system", action="remind", from_state=kinds.DISPATCHED,
                          to_state=kinds.DISPATCHED, note=message % {"department": department},
                          data={"step": step, "dispatch": pk, "department": department, "due": due_at.isoformat()})
                for pk, case_id, department, due_at in rows
            ])
            result.reminders += len(rows)
            return updated

        result.dispatches_flagged += _batches(select, write, batch)


# The embedded profile: after a response, at most once a minute -------------------------------------------

SWEEP_EVERY_SECONDS = 60
JOB = AfterResponseJob(name="mofan.cases.sweep", every_seconds=SWEEP_EVERY_SECONDS, run=lambda: sweep())
sweep_in_requests = run_in_requests
claim_sweep = JOB.claim
reset_throttle = JOB.reset


class SweepAfterResponseMiddleware:
    """Runs ``sweep()`` when the response has been delivered (Django's ``request_finished``), at most once a
    minute, so the user who happens to trigger it waits for nothing."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        JOB.connect()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        JOB.mark_due()
        return response
