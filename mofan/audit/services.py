"""Writing the audit trail. Every service write calls ``audit_record`` inside its transaction."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.utils import timezone

from mofan.audit import chain
from mofan.audit.context import current
from mofan.audit.events import AuditEvent, EventType
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
    row = AuditLog(
        at=timezone.now(),
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
    # The ip as the database will give it back (IPv6 normalised).
    row.ip = AuditLog._meta.get_field("ip").get_prep_value(row.ip)
    with transaction.atomic(savepoint=False):
        # The head stays locked until the outer transaction ends: audited writes take their positions one at
        # a time, in the order they commit, and a rolled-back write gives its position back. No savepoint:
        # three statements inside the caller's transaction (head, INSERT, head).
        row.seq, row.prev_mac = chain.advance_head()
        row.mac = chain.seal({name: getattr(row, name) for name in chain.SEALED_FIELDS}, row.prev_mac)
        row.save(force_insert=True)
        chain.store_head(row.mac)
    return row


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


# The chain: verify and purge -----------------------------------------------------------------------------


def chain_verify() -> chain.ChainResult:
    """Walk the whole audit chain (read only): the command, the scheduled task and the page use this."""
    return chain.verify()


def verify_run(*, actor: Any = None, started_by: str = "") -> Any:
    """Verify the chain and keep the result (``AuditVerifyRun``), itself audited (AUDIT_CHAIN_VERIFIED).

    ``actor`` is the audit administrator who started it from the page or the API (checked here); ``None``
    for the schedule and the command, which name themselves in ``started_by``."""
    from mofan.audit.models import AuditVerifyRun

    if actor is not None:
        from mofan.audit.selectors import ensure_audit_reader

        ensure_audit_reader(actor)
        started_by = actor.get_username()
    run = AuditVerifyRun.objects.create(started=timezone.now(), started_by=started_by[:150])
    result = chain_verify()
    run.finished = timezone.now()
    run.ok = result.ok
    run.checked = result.checked
    run.first_bad_seq = result.first_bad_seq
    run.first_bad_id = result.first_bad_id
    run.kind = result.kind
    run.message = result.detail[:500]
    with transaction.atomic():
        run.save()
        audit_record(
            actor=actor, actor_name="" if actor is not None else (started_by or "system"), event=AuditEvent.AUDIT_CHAIN_VERIFIED,
            target=run, success=result.ok,
            new={"checked": result.checked, "last_seq": result.last_seq, "first_bad_seq": result.first_bad_seq,
                 "first_bad_id": result.first_bad_id, "kind": result.kind},
            note=result.detail,
        )
    return run


def purge_expired(*, now: Any = None) -> int:
    """Delete the oldest records past the retention period (``MOFAN_AUDIT_RETENTION_DAYS``), as a prefix of
    the chain, and move its start to the first record kept: ``verify`` then starts there. Returns how many
    records went. The database's trigger still refuses to delete a record younger than 183 days."""
    from datetime import timedelta

    from django.conf import settings

    from mofan.audit.models import AuditChainHead

    cutoff = (now or timezone.now()) - timedelta(days=settings.MOFAN_AUDIT_RETENTION_DAYS)
    with transaction.atomic():
        chain.lock_head()  # no position is taken while the start moves
        head = AuditChainHead.objects.get(pk=1)
        young = AuditLog.objects.filter(seq__gt=head.purged_through, at__gte=cutoff).order_by("seq").first()
        through = young.seq - 1 if young is not None else head.seq
        if through <= head.purged_through:
            return 0
        last = AuditLog.objects.filter(seq=through).values_list("mac", flat=True).first() or ""
        deleted, _detail = AuditLog.objects.filter(seq__gt=head.purged_through, seq__lte=through).delete()
        AuditChainHead.objects.filter(pk=1).update(purged_through=through, purged_mac=last)
    audit_record(actor=None, actor_name="system", event=AuditEvent.AUDIT_CHAIN_PURGED,
                 new={"deleted": deleted, "through_seq": through, "cutoff": cutoff.isoformat()})
    return deleted
