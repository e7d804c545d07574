"""Writing the audit trail. Every service write calls ``audit_record`` inside its transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from mofan.audit.context import current
from mofan.audit.events import EventType
from mofan.audit.models import AuditLog
from mofan.core.masking import mask_values


def _actor_fields(actor: Any) -> tuple[Any, str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, ""
    return actor, actor.get_username()


def audit_record(
    *,
    actor: Any,
    event: EventType,
    target: models.Model | None = None,
    success: bool = True,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    note: str = "",
    actor_name: str = "",
    unit_path: str = "",
) -> AuditLog:
    """Append one audit row. Personal fields in ``old``/``new`` are masked before they are stored."""
    user, name = _actor_fields(actor)
    ctx = current()
    if target is not None and not unit_path:
        unit_path = getattr(target, "path", "") or getattr(target, "unit_path", "") or ""
    return AuditLog.objects.create(
        actor=user,
        actor_name=(actor_name or name)[:150],
        ip=ctx.ip if ctx else None,
        event_id=event.id,
        event_name=event.name,
        success=success,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None and target.pk is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        unit_path=unit_path,
        old_values=mask_values(old),
        new_values=mask_values(new),
        note=note[:500],
    )


def audit_refusal(*, actor: Any, event: EventType, target: models.Model | None = None, note: str = "") -> None:
    """Record a refused attempt. Services check permissions before they open their transaction, so this
    row is not rolled back with the refused write."""
    audit_record(actor=actor, event=event, target=target, success=False, note=note)


XLSX_EXPORT_MAX_ROWS = 50_000  # beyond this an xlsx file gets too heavy to build in memory: use CSV


def log_export(*, actor: Any, filters: Any, file_format: str) -> Any:
    """The audit rows for an export (CSV or xlsx) by the audit administrator. The export is itself
    recorded (AUDIT_EXPORTED) with its format and filters, before the first row leaves."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    from mofan.accounts.roles import Action
    from mofan.audit.events import AuditEvent
    from mofan.audit.selectors import log_list

    if file_format not in ("csv", "xlsx"):
        raise ValidationError({"file": _("Choose CSV or xlsx.")})
    rows = log_list(actor=actor, filters=filters, action=Action.AUDIT_EXPORT)
    if file_format == "xlsx" and rows.count() > XLSX_EXPORT_MAX_ROWS:
        raise ValidationError(
            _("More than %(n)d records match: narrow the filters or export CSV.") % {"n": XLSX_EXPORT_MAX_ROWS}
        )
    audit_record(actor=actor, event=AuditEvent.AUDIT_EXPORTED, new={"format": file_format, "filters": filters.as_dict()})
    return rows
