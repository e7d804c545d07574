from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from mofan.accounts.roles import Role
from mofan.org.models import Person, Unit

GENERIC_LOGIN_ERROR = _(
    "The user name or password is not correct, or the account is locked. After 5 failed attempts an account is "
    "locked for 15 minutes."
)


class LoginForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any):
        self.request = request
        self.user: Any = None
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        self.user = authenticate(self.request, username=data["username"], password=data["password"])
        if self.user is None:
            raise forms.ValidationError(GENERIC_LOGIN_ERROR, code="invalid_login")
        return data


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label=_("Current password"), strip=False, widget=forms.PasswordInput)
    new_password = forms.CharField(label=_("New password"), strip=False, widget=forms.PasswordInput)
    new_password_again = forms.CharField(label=_("New password again"), strip=False, widget=forms.PasswordInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", _("The two new passwords differ."))
        return data


class _NewPasswordMixin(forms.Form):
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)
    password_again = forms.CharField(label=_("Password again"), strip=False, widget=forms.PasswordInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data


class UserCreateForm(_NewPasswordMixin):
    """A new account for a person of the actor's jurisdiction; the holder changes the password at first
    sign-in."""

    person = forms.ModelChoiceField(
        label=_("Person"), queryset=Person.objects.none(), empty_label=_("Choose a person"),
        help_text=_("Only people of your units who have no account yet are offered."),
    )
    username = forms.CharField(label=_("User name"), max_length=150)
    display_name = forms.CharField(
        label=_("Display name"), max_length=50, required=False, help_text=_("Leave empty to use the person's name.")
    )
    field_order = ["person", "username", "display_name", "password", "password_again"]

    def __init__(self, *args: Any, people: Any, shown_people: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["person"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - narrows the type for mypy
        field.queryset = people
        if shown_people is not None:
            # Validate against every eligible person, but list only the (searched) first few.
            field.widget.choices = [("", field.empty_label)] + [
                (p.pk, f"{p.name} · {p.unit.name}" + (f" · {p.post}" if p.post else "")) for p in shown_people
            ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        person = data.get("person")
        if person is not None and not (data.get("display_name") or "").strip():
            data["display_name"] = person.name
        return data


class UnitChoiceField(forms.ModelChoiceField):
    """Units indented by depth, so a flat select still shows the tree."""

    def label_from_instance(self, obj: Any) -> str:
        return "\u3000" * obj.depth + obj.name


class GrantForm(forms.Form):
    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none(), empty_label=_("Choose a unit"))
    role = forms.ChoiceField(label=_("Role"), choices=[("", _("Choose a role"))] + list(Role.choices))

    def __init__(self, *args: Any, units: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - narrows the type for mypy
        field.queryset = units


class PasswordResetForm(_NewPasswordMixin):
    """A temporary password set by the security administrator."""


class AdminRequestForm(forms.Form):
    """An action on an administrator's account, submitted for a second administrator's approval. The
    service checks the action's own rules; the form only reads what each action needs."""

    action = forms.ChoiceField(label=_("Requested action"))
    membership = forms.TypedChoiceField(label=_("Role to revoke"), required=False, coerce=int, empty_value=None)
    password = forms.CharField(label=_("Temporary password"), strip=False, required=False,
                               widget=forms.PasswordInput,
                               help_text=_("For a password reset only; only its hash is kept until the decision."))
    password_again = forms.CharField(label=_("Password again"), strip=False, required=False,
                                     widget=forms.PasswordInput)
    note = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args: Any, account: Any, **kwargs: Any):
        from mofan.accounts.models import AdminAction

        super().__init__(*args, **kwargs)
        actions = [(v, label) for v, label in AdminAction.choices if v != AdminAction.GRANT]
        self.fields["action"].choices = [("", _("Choose an action"))] + actions  # type: ignore[attr-defined]
        self.fields["membership"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (m.pk, f"{m.get_role_display()} · {m.unit.name}") for m in account.memberships.all()
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "reset_password":
            if not data.get("password"):
                self.add_error("password", _("Set the temporary password."))
            elif data.get("password") != data.get("password_again"):
                self.add_error("password_again", _("The two passwords differ."))
        if data.get("action") == "revoke" and not data.get("membership"):
            self.add_error("membership", _("Choose a role this account holds."))
        return data


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("refuse", _("Refuse")),
                                          ("withdraw", _("Withdraw"))])
    note = forms.CharField(label=_("Reason"), max_length=200, required=False)


class AccountsField(forms.Field):
    """Accounts named by user name: one a line in a text box, or a list in a JSON request. Cleans to the users
    (with their person and unit), in the order given, without repeats; unknown names are an error naming them."""

    widget = forms.Textarea(attrs={"rows": 3})

    def to_python(self, value: Any) -> list[str]:
        if value in (None, ""):
            return []
        names = value if isinstance(value, list | tuple) else str(value).splitlines()
        return list(dict.fromkeys(str(name).strip() for name in names if str(name).strip()))

    def clean(self, value: Any) -> list[Any]:
        from mofan.accounts.models import User

        names: list[str] = super().clean(value)
        users = {u.username: u for u in User.objects.filter(username__in=names).select_related("person__unit")}
        missing = [name for name in names if name not in users]
        if missing:
            raise forms.ValidationError(_("No such account: %(names)s") % {"names": ", ".join(missing)})
        return [users[name] for name in names]

