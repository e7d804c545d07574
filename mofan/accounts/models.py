from __future__ import annotations

from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mofan.accounts.roles import ADMIN_ROLES, Role


class UserManager(BaseUserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(username=username)


class User(AbstractBaseUser):
    """A sign-in account. Every account is unique to one person; there is no superuser."""

    username = models.CharField(_("user name"), max_length=150, unique=True)
    display_name = models.CharField(_("display name"), max_length=50)
    person = models.OneToOneField(
        "org.Person", verbose_name=_("person"), null=True, blank=True, on_delete=models.PROTECT, related_name="account"
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    password_changed_at = models.DateTimeField(null=True, blank=True)
    must_change_password = models.BooleanField(default=True)
    failed_logins = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_staff(self) -> bool:  # no Django admin site: nobody is staff
        return False

    @property
    def is_superuser(self) -> bool:  # 三员分立: no everyday superuser
        return False

    def is_locked(self, now: datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or timezone.now())


class PasswordHistory(models.Model):
    """Hashes of an account's earlier passwords, to refuse reuse of the last N."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("earlier password")
        verbose_name_plural = _("password history")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d}"


class Membership(models.Model):
    """A role held on a unit and the subtree below it."""

    user = models.ForeignKey(User, verbose_name=_("account"), on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    granted_at = models.DateTimeField(auto_now_add=True)
    granted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="accounts_membership_unique"),
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(role__in=sorted(ADMIN_ROLES)), name="accounts_one_admin_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.role}@{self.unit_id}"


class AdminAction(models.TextChoices):
    """What an administrator may ask to do to an administrator's account (or to make an account one)."""

    GRANT = "grant", _("Grant a role")
    REVOKE = "revoke", _("Revoke a role")
    UNLOCK = "unlock", _("Unlock the account")
    RESET_PASSWORD = "reset_password", _("Reset the password")
    DEACTIVATE = "deactivate", _("Deactivate the account")
    RESET_DEVICE = "reset_device", _("Reset the authenticator")


class RequestState(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved and carried out")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class AdminActionRequest(models.Model):
    """An action on an administrator's account (or the grant of an administrator role), filed by one
    administrator and carried out only when a second one approves it (two-person rule, ADR 0012).

    A password reset keeps only the hash of the temporary password, never the password itself."""

    action = models.CharField(_("action"), max_length=20, choices=AdminAction.choices)
    target = models.ForeignKey(User, verbose_name=_("account"), on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+",
                             help_text=_("Where the action applies: the unit of the role, or the account's unit."))
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    membership = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    password_hash = models.CharField(max_length=128, blank=True)
    note = models.CharField(_("reason"), max_length=200, blank=True)
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requester_role = models.CharField(max_length=32, choices=Role.choices)
    requested_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(_("state"), max_length=16, choices=RequestState.choices, default=RequestState.PENDING)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("request for approval")
        verbose_name_plural = _("requests for approval")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["state", "requested_at"], name="accounts_request_state")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.target}"
