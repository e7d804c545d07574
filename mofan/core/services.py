"""Writes that belong to no single domain: recording that a list left the system as a file."""

from __future__ import annotations

from typing import Any

from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.audit.services import audit_record


def record_export(*, actor: Any, what: str, count: int) -> AuditLog:
    """导出: audit that ``actor`` exported ``count`` rows of the list named ``what`` (e.g. "org.person")."""
    return audit_record(actor=actor, event=AuditEvent.EXPORT_LIST, note=what, new={"list": what, "count": count})
