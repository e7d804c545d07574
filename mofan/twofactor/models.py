"""A TOTP device per account (secret sealed with SM4) and its single-use recovery codes (stored hashed)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TOTPDevice(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_device",
                                verbose_name=_("account"))
    secret_sealed = models.TextField(_("secret (encrypted)"))
    confirmed = models.BooleanField(_("confirmed"), default=False)
    # The last time step whose code was accepted: a code of that step or an earlier one is refused (no replay).
    last_step = models.BigIntegerField(_("last used time step"), default=0)
    # Wrong codes in a row; reset only by a correct code (a correct password does not reset it), locks the
    # account at MOFAN_LOCKOUT_ATTEMPTS like wrong passwords do.
    failed_codes = models.PositiveIntegerField(_("wrong codes in a row"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("authenticator")
        verbose_name_plural = _("authenticators")

    def __str__(self) -> str:
        return f"TOTP {self.user_id}"


class RecoveryCode(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes",
                             verbose_name=_("account"))
    # HMAC-SM3 of the normalised code under the data key (mofan.core.crypto.blind_index): never the clear code.
    code_hash = models.CharField(_("code digest"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")
        constraints = [models.UniqueConstraint(fields=["user", "code_hash"], name="twofactor_recovery_unique")]

    def __str__(self) -> str:
        return f"recovery code {self.pk}"
