"""Template helpers of the workbench and the case page.

``{% due_marker due overdue done paused as m %}`` gives the due/overdue marker of a row: ``m.tone`` (ok, warn,
bad, muted: the colour) and ``m.text`` (the words, e.g. "2 hours left" / "Overdue by 1 day"), so the marker
never relies on colour alone. Use it through ``{% include "cases/_due.html" with due=... overdue=... %}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mofan.cases import kinds

register = template.Library()

SOON = timedelta(hours=4)  # less than this left: shown as a warning


@dataclass(frozen=True)
class DueMarker:
    tone: str
    text: str


def span_words(span: timedelta) -> str:
    """A span in one unit, rounded down: 25 minutes, 5 hours, 3 days (at least one minute)."""
    minutes = max(1, int(span.total_seconds() // 60))
    if minutes < 60:
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours = minutes // 60
    if hours < 48:
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    days = hours // 24
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


def due_marker_for(due: datetime | None, overdue: bool = False, done: bool = False, paused: bool = False,
                   now: datetime | None = None) -> DueMarker:
    if done:
        return DueMarker("muted", _("Finished"))
    if paused:
        return DueMarker("muted", _("Clock paused"))
    if due is None:
        return DueMarker("muted", _("No time limit"))
    now = now or timezone.now()
    if due < now:
        return DueMarker("bad", _("Overdue by %(span)s") % {"span": span_words(now - due)})
    left = due - now
    if overdue:  # was late once (the sweeper flagged it), then given more time
        return DueMarker("bad", _("Was overdue, %(span)s left") % {"span": span_words(left)})
    return DueMarker("warn" if left < SOON else "ok", _("%(span)s left") % {"span": span_words(left)})


@register.simple_tag
def due_marker(due: datetime | None, overdue: bool = False, done: bool = False, paused: bool = False) -> DueMarker:
    return due_marker_for(due, bool(overdue), bool(done), bool(paused))


@register.filter
def state_label(case: object) -> str:
    """The label of a case's state in its kind (待受理, 已交办…)."""
    kind_key, state = getattr(case, "kind", ""), getattr(case, "state", "")
    try:
        return kinds.get(kind_key).state_label(state)
    except KeyError:
        return str(state)


@register.simple_tag
def row_marker(case: Any, dispatch: Any = None) -> DueMarker:
    """The marker of a list row: the case's clock, or the dispatch's (报到 or 办理) on a department's row."""
    from mofan.cases.selectors_work import case_row, dispatch_row

    now = timezone.now()
    row = dispatch_row(dispatch, now) if dispatch else case_row(case, now)
    return due_marker_for(row.due, row.overdue, row.done, row.paused, now=now)
