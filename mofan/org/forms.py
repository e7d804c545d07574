"""Forms of the district pages. They only shape input: the services validate it against the tree and the
people already stored (so the form, the API and the xlsx import refuse the same things) and write it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mofan.accounts.permissions import scope_filter
from mofan.accounts.roles import Action
from mofan.org.models import ALLOWED_PARENTS, Gender, Unit, UnitKind
from mofan.org.selectors import unit_list


def manageable_units(actor: Any) -> QuerySet[Unit]:
    """Open units the actor may create and change things under, in tree order."""
    return unit_list(actor=actor).filter(scope_filter(actor, Action.ORG_MANAGE, "path"))


class UnitChoiceField(forms.ModelChoiceField):
    """A unit select indented by depth, so the tree shows in a plain <select>."""

    def label_from_instance(self, obj: Any) -> str:
        return "\u3000" * obj.depth + obj.name


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has it, else on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields and field != NON_FIELD_ERRORS else None, errors)
    else:
        form.add_error(None, exc.messages)


def flash_errors(request: HttpRequest, exc: ValidationError) -> None:
    """Show a service's ValidationError as messages on the next page (for actions posted without a form page)."""
    for message in exc.messages:
        messages.error(request, message)


class UnitCreateForm(forms.Form):
    parent = UnitChoiceField(label=_("Parent unit"), queryset=Unit.objects.none(), empty_label=None)
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=UnitKind.choices)
    code = forms.CharField(label=_("Code"), max_length=32, required=False,
                           help_text=_("GB/T 2260-style area code or own code; leave blank if none."))
    sort_order = forms.IntegerField(label=_("Order"), min_value=0, initial=0, required=False)

    def __init__(self, *args: Any, actor: Any, parent: Unit | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["parent"]
        field.queryset = manageable_units(actor)
        if parent is not None:
            # The parent came from the page we started on: keep it fixed and offer only the kinds it may hold.
            field.initial = parent.pk
            field.widget = forms.HiddenInput()
            kind_field: Any = self.fields["kind"]
            kind_field.choices = [(value, label) for value, label in UnitKind.choices
                                  if parent.kind in ALLOWED_PARENTS[value]]


class UnitEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    code = forms.CharField(label=_("Code"), max_length=32, required=False,
                           help_text=_("GB/T 2260-style area code or own code; leave blank if none."))
    sort_order = forms.IntegerField(label=_("Order"), min_value=0, required=False)


class UnitMoveForm(forms.Form):
    parent = UnitChoiceField(label=_("New parent unit"), queryset=Unit.objects.none())

    def __init__(self, *args: Any, actor: Any, unit: Unit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Offer only places the unit may go: managed by the actor, allowed for its kind, outside its own subtree.
        kinds = [kind for kind in ALLOWED_PARENTS[unit.kind] if kind is not None]
        field: Any = self.fields["parent"]
        field.queryset = manageable_units(actor).filter(kind__in=kinds).exclude(path__startswith=unit.path)


class PersonForm(forms.Form):
    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=50)
    id_number = forms.CharField(label=_("ID number"), max_length=20, required=False,
                                help_text=_("18-character resident identity number (身份证号)."))
    gender = forms.ChoiceField(label=_("Gender"), required=False,
                               choices=[("", _("Take from the ID number")), *Gender.choices])
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False,
                            help_text=_("Mobile number or landline with area code."))
    is_party_member = forms.BooleanField(label=_("Party member"), required=False)
    post = forms.CharField(label=_("Post"), max_length=50, required=False)

    def __init__(self, *args: Any, actor: Any, editing: bool = False, id_number_masked: str = "",
                 phone_masked: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            # Moving a person is its own operation; the edit form changes the person's own fields only.
            del self.fields["unit"]
            self.fields["id_number"].help_text = (
                _("Leave blank to keep the stored number (%(masked)s).") % {"masked": id_number_masked}
                if id_number_masked else _("No ID number is stored. Enter one to add it.")
            )
            if phone_masked:
                self.fields["phone"].help_text = (
                    _("Leave blank to keep the stored number (%(masked)s).") % {"masked": phone_masked}
                )
        else:
            field: Any = self.fields["unit"]
            field.queryset = manageable_units(actor)
