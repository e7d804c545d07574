"""Reads on the audit trail. Only the 审计管理员 (AUDIT_VIEW) reads it; everyone else, the system and
security administrators included, is refused and the refusal is itself recorded.

An audit administrator placed on the root unit reads the whole trail; one placed lower reads the rows
recorded against units of their subtree. Lists page by id (keyset), never by OFFSET/COUNT, so a page costs
the same on the first day and after years of records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from mofan.accounts.permissions import scope_filter, scope_paths
from mofan.accounts.roles import Action
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.audit.services import audit_refusal

PAGE_SIZE = 50


@dataclass(frozen=True)
class LogFilters:
    """What the audit administrator filters by; every field is optional."""

    start: datetime | None = None
    end: datetime | None = None
    user: str = ""
    event_id: int | None = None
    success: bool | None = None
    object_type: str = ""
    object: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The filters that are set, as plain values (stored with an export's audit row)."""
        values: dict[str, Any] = {}
        for name, value in vars(self).items():
            if value is None or value == "":
                continue
            values[name] = value.isoformat() if isinstance(value, datetime) else value
        return values


def ensure_audit_reader(actor: Any, action: str = Action.AUDIT_VIEW) -> None:
    """Refuse (403, recorded) anyone who does not hold ``action`` anywhere."""
    if scope_paths(actor, action):
        return
    if actor is not None and getattr(actor, "is_authenticated", False):
        audit_refusal(actor=actor, event=AuditEvent.ACCESS_DENIED, note=action)
    raise PermissionDenied(_("Only the audit administrator may read the audit trail."))


def _scoped(actor: Any, action: str) -> QuerySet[AuditLog]:
    from mofan.org.models import Unit

    roots = scope_paths(actor, action)
    qs = AuditLog.objects.all()
    if Unit.objects.filter(parent__isnull=True, path__in=roots).exists():
        return qs
    return qs.filter(scope_filter(actor, action, "unit_path"))


def log_list(*, actor: Any, filters: LogFilters | None = None, action: str = Action.AUDIT_VIEW) -> QuerySet[AuditLog]:
    """Audit rows the actor may read, newest first, narrowed by ``filters``."""
    ensure_audit_reader(actor, action)
    qs = _scoped(actor, action)
    f = filters or LogFilters()
    if f.start is not None:
        qs = qs.filter(at__gte=f.start)
    if f.end is not None:
        qs = qs.filter(at__lte=f.end)
    if f.user:
        qs = qs.filter(actor_name=f.user)
    if f.event_id is not None:
        qs = qs.filter(event_id=f.event_id)
    if f.success is not None:
        qs = qs.filter(success=f.success)
    if f.object_type:
        qs = qs.filter(target_type=f.object_type)
    if f.object:
        qs = qs.filter(Q(target_id=f.object) | Q(target_repr__contains=f.object))
    return qs.order_by("-id")


@dataclass(frozen=True)
class LogPage:
    rows: list[AuditLog]
    older: int | None  # pass as ``before`` for the next (older) page
    newer: int | None  # pass as ``after`` for the previous (newer) page


def log_page(
    *, actor: Any, filters: LogFilters | None = None, before: int | None = None, after: int | None = None,
    size: int = PAGE_SIZE,
) -> LogPage:
    """One page of ``size`` rows, newest first: below id ``before``, or just above id ``after``."""
    qs = log_list(actor=actor, filters=filters)
    if after is not None:
        rows = list(qs.filter(id__gt=after).order_by("id")[: size + 1])
        more_newer = len(rows) > size
        rows = list(reversed(rows[:size]))
        return LogPage(rows, older=rows[-1].pk if rows else None, newer=rows[0].pk if rows and more_newer else None)
    if before is not None:
        qs = qs.filter(id__lt=before)
    rows = list(qs[: size + 1])
    more_older = len(rows) > size
    rows = rows[:size]
    return LogPage(
        rows, older=rows[-1].pk if rows and more_older else None, newer=rows[0].pk if rows and before else None
    )


def log_get(*, actor: Any, pk: Any) -> AuditLog:
    ensure_audit_reader(actor)
    try:
        return _scoped(actor, Action.AUDIT_VIEW).get(pk=pk)
    except (AuditLog.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@dataclass(frozen=True)
class ChainStatus:
    """What the audit trail page and the API show about the chain: the last verification, and the alert."""

    last_run: Any  # AuditVerifyRun | None
    alert: bool  # the last finished verification found the chain broken
    stale: bool  # no verification finished in the last two days

    @property
    def kind_label(self) -> str:
        return chain_kind_label(self.last_run.kind) if self.last_run is not None else ""


def chain_kind_label(kind: str) -> str:
    from mofan.audit import chain

    labels = {
        chain.ALTERED: _("altered"), chain.INSERTED: _("inserted"), chain.REORDERED: _("out of order"),
        chain.MISSING: _("missing"),
    }
    return str(labels.get(kind, kind))


STALE_AFTER_HOURS = 48


def chain_status(*, actor: Any) -> ChainStatus:
    from datetime import timedelta

    from django.utils import timezone

    from mofan.audit.models import AuditVerifyRun

    ensure_audit_reader(actor)
    last = AuditVerifyRun.objects.filter(finished__isnull=False).order_by("-id").first()
    stale = last is None or last.finished is None or last.finished < timezone.now() - timedelta(hours=STALE_AFTER_HOURS)
    return ChainStatus(last_run=last, alert=last is not None and last.ok is False, stale=stale)
