from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mofan.audit import events


class AuditLog(models.Model):
    """One row per user action. Append-only: database triggers refuse UPDATE and DELETE (see migration 0002),
    and on SQLite an INSERT OR REPLACE / UPSERT onto an existing row (migration 0004). Each row is chained to
    the one before by HMAC-SM3 (``seq``, ``prev_mac``, ``mac``; mofan/audit/chain.py), written only by
    ``services.audit_record``."""

    at = models.DateTimeField(_("time"), default=timezone.now, editable=False, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+",
    )
    actor_name = models.CharField(_("user name"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    event_id = models.PositiveIntegerField(_("event"), db_index=True)
    event_name = models.CharField(max_length=80)
    success = models.BooleanField(_("success"), default=True)
    target_type = models.CharField(_("object type"), max_length=80, blank=True)
    target_id = models.CharField(_("object id"), max_length=64, blank=True)
    target_repr = models.CharField(_("object"), max_length=200, blank=True)
    unit_path = models.CharField(max_length=255, blank=True, db_index=True)
    old_values = models.JSONField(_("old values"), null=True, blank=True)
    new_values = models.JSONField(_("new values"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    seq = models.BigIntegerField(_("chain position"), unique=True, editable=False)
    prev_mac = models.CharField(max_length=64, blank=True, editable=False)
    mac = models.CharField(max_length=64, editable=False)

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit trail")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["actor", "at"], name="audit_actor_at_idx"),
            # The audit administrator's filters: by user name, and the history of one object.
            models.Index(fields=["actor_name", "id"], name="audit_actor_name_idx"),
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.event_name}"

    @property
    def event_label(self) -> str:
        event = events.get(self.event_id)
        return str(event.label) if event else self.event_name


class AuditChainHead(models.Model):
    """The one row (id 1) at the head of the audit chain: the last position taken and its mac. Writers lock
    it for the rest of their transaction, so positions are taken one at a time and without gaps. Rows purged
    after the retention period leave the position and mac of the last purged row here."""

    seq = models.BigIntegerField(default=0)
    mac = models.CharField(max_length=64, blank=True)
    purged_through = models.BigIntegerField(default=0)
    purged_mac = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"audit chain head at {self.seq}"


class AuditVerifyRun(models.Model):
    """One verification of the audit chain (scheduled, from the command, or started by the audit
    administrator). A failed run is an alert on the audit trail page until a later run succeeds."""

    started = models.DateTimeField(_("started"), default=timezone.now)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)
    ok = models.BooleanField(_("intact"), null=True)
    checked = models.BigIntegerField(_("records checked"), default=0)
    first_bad_seq = models.BigIntegerField(_("first bad position"), null=True, blank=True)
    first_bad_id = models.BigIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=20, blank=True)
    message = models.CharField(_("message"), max_length=500, blank=True)
    started_by = models.CharField(_("started by"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("audit chain verification")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.started):%Y-%m-%d %H:%M} {'ok' if self.ok else self.kind or 'running'}"
