"""核查 / 回访 / 结案 / 重办, and the paused clock (waiting for the reporter).

After every department has reported back the case is ``handled``; the centre verifies the result (核查):
confirmed, the case counts as resolved at the level that holds it (``resolved_at``, ``resolved_level`` — the
figures the KPIs read) and the callback clock starts; not confirmed, it goes back to ``accepted`` to be
dispatched again. The centre then calls the reporter back (回访) and records satisfaction (满意 / 基本满意 /
不满意): solved closes the case, not solved reopens it. Reopening clears the resolution milestones, so a case
counts as resolved only while it is.

Pausing stops the clock while the centre waits for the reporter (more details, access to the site): on
resume the case's due and the dues of its open dispatches move by the time spent paused, and the sweeper
ignores paused cases meanwhile.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.cases import kinds
from mofan.cases.calendar import due_after
from mofan.cases.models import Case, Dispatch, Satisfaction
from mofan.cases.services.dispatch import (
    OPEN,
    optional_text,
    precheck,
    refresh_case_due,
    refuse,
    required_text,
    set_case_due,
    step_due,
    triage_due,
    withdraw_live,
)
from mofan.cases.services.engine import perform


def _back_to_accepted(locked: Case, now: datetime) -> dict[str, Any]:
    withdrawn = withdraw_live(locked)
    locked.resolved_at = None
    locked.resolved_level = None
    set_case_due(locked, triage_due(locked, now), now)
    return {"withdrawn": withdrawn}


def case_verify(*, actor: Any, case: Case, note: str = "") -> Case:
    """核查 confirmed: the case is resolved at its current level; the reporter is to be called back."""
    precheck(actor, case, "verify")
    note = optional_text(note, "note")
    now = timezone.now()

    def change(locked: Case) -> dict[str, Any]:
        locked.resolved_at, locked.resolved_level = now, locked.level
        set_case_due(locked, due_after(now, kinds.get(locked.kind).callback_limit), now)
        return {"resolved_level": locked.level}

    return perform(actor=actor, case=case, name="verify", note=note, change=change)[0]


def case_verify_failed(*, actor: Any, case: Case, reason: str) -> Case:
    """核查 not confirmed: back to ``accepted``, to be dispatched again."""
    precheck(actor, case, "verify_failed")
    reason = required_text(reason, "reason", _("Say what is wrong with the result."))
    now = timezone.now()
    return perform(actor=actor, case=case, name="verify_failed", note=reason,
                   change=lambda locked: _back_to_accepted(locked, now))[0]


def case_callback(*, actor: Any, case: Case, satisfaction: str, solved: bool, note: str = "") -> Case:
    """回访: the reporter's satisfaction and whether the problem is solved. Solved closes the case; not
    solved reopens it (the timeline entry is then the reopening, with the callback's answers)."""
    precheck(actor, case, "callback")
    if satisfaction not in Satisfaction.values:
        raise ValidationError({"satisfaction": _("Choose the reporter's satisfaction.")})
    note = optional_text(note, "note")
    now = timezone.now()
    answers = {"satisfaction": satisfaction, "solved": bool(solved)}

    if solved:
        def close(locked: Case) -> dict[str, Any]:
            locked.satisfaction, locked.closed_at = satisfaction, now
            set_case_due(locked, None, now)
            return answers

        return perform(actor=actor, case=case, name="callback", note=note, change=close)[0]

    def reopen(locked: Case) -> dict[str, Any]:
        locked.satisfaction = satisfaction
        return {**answers, **_back_to_accepted(locked, now)}

    return perform(actor=actor, case=case, name="reopen", note=note or _("Not solved, said the reporter."),
                   change=reopen)[0]


def case_reopen(*, actor: Any, case: Case, reason: str) -> Case:
    """重办: a verified or closed case goes back to ``accepted``; it no longer counts as resolved."""
    precheck(actor, case, "reopen")
    reason = required_text(reason, "reason", _("Say why the case is reopened."))
    now = timezone.now()

    def change(locked: Case) -> dict[str, Any]:
        locked.closed_at = None
        return _back_to_accepted(locked, now)

    return perform(actor=actor, case=case, name="reopen", note=reason, change=change)[0]


def case_pause(*, actor: Any, case: Case, reason: str) -> Case:
    """Stop the clock while waiting for the reporter."""
    precheck(actor, case, "pause")
    if case.paused_at is not None:
        raise refuse(actor, case, "pause", _("The clock is already paused."))
    reason = required_text(reason, "reason", _("Say what the centre is waiting for."), limit=500)
    now = timezone.now()

    def change(locked: Case) -> dict[str, Any]:
        if locked.paused_at is not None:
            raise ValidationError(_("Someone else changed this case meanwhile; reload it and try again."))
        locked.paused_at = now
        return {"reason": reason}

    return perform(actor=actor, case=case, name="pause", note=reason, change=change)[0]


def case_resume(*, actor: Any, case: Case, note: str = "") -> Case:
    """Start the clock again: every open due moves by the time spent paused."""
    precheck(actor, case, "resume")
    if case.paused_at is None:
        raise refuse(actor, case, "resume", _("The clock is not paused."))
    note = optional_text(note, "note", limit=500)
    now = timezone.now()

    def change(locked: Case) -> dict[str, Any]:
        if locked.paused_at is None:
            raise ValidationError(_("Someone else changed this case meanwhile; reload it and try again."))
        paused_for = max(now - locked.paused_at, timedelta(0))
        locked.paused_at = None
        rows = list(Dispatch.objects.select_for_update().filter(case=locked, state__in=OPEN).order_by("id"))
        for row in rows:
            if row.state == Dispatch.State.DISPATCHED:
                row.checkin_due += paused_for
            row.handle_due += paused_for
            due = step_due(row)
            row.overdue = bool(row.overdue and due is not None and due <= now)
        Dispatch.objects.bulk_update(rows, ["checkin_due", "handle_due", "overdue"])
        if locked.state == kinds.DISPATCHED:
            refresh_case_due(locked, now)
        elif locked.due_at is not None:
            set_case_due(locked, locked.due_at + paused_for, now)
        return {"paused_minutes": int(paused_for.total_seconds() // 60)}

    return perform(actor=actor, case=case, name="resume", note=note, change=change)[0]
