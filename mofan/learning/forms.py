"""Forms of the pages where a secretary manages learning. They only shape input; the services validate for
real (their messages land on the form) and check permission."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from mofan.accounts.forms import AccountsField
from mofan.accounts.permissions import scope_filter, scope_paths
from mofan.accounts.roles import Action
from mofan.learning.models import (
    Material,
    MaterialKind,
    SelectionRound,
    SessionKind,
    SourceKind,
    TalentProgramme,
)
from mofan.org.models import ORGAN_KINDS, PARTY_KINDS, Person, Unit
from mofan.questions.models import Question

CHOICES_LIMIT = 300


def _capped(queryset: QuerySet[Any], *order: str) -> QuerySet[Any]:
    """The first CHOICES_LIMIT rows, as a queryset a choice field can still filter when it validates."""
    ids = list(queryset.order_by(*order).values_list("pk", flat=True)[:CHOICES_LIMIT])
    return queryset.model.objects.filter(pk__in=ids).order_by(*order)


def managed_units(actor: Any) -> QuerySet[Unit]:
    """Organs, departments and party organisations where the actor manages learning."""
    return _capped(Unit.objects.filter(scope_filter(actor, Action.LEARNING_MANAGE, "path"), is_active=True,
                                       kind__in=[*ORGAN_KINDS, *PARTY_KINDS]), "path")


def _related_q(actor: Any, field: str) -> Q:
    """Rows owned by a unit the actor manages, below it, or above it."""
    roots = scope_paths(actor, Action.LEARNING_MANAGE)
    query = scope_filter(actor, Action.LEARNING_MANAGE, field)
    above = {root[:i] for root in roots for i in range(8, len(root), 8)}
    return query | Q(**{f"{field}__in": sorted(above)}) if above else query


class UnitScopedForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none())

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["unit"].queryset = managed_units(actor)  # type: ignore[attr-defined]


class MaterialForm(UnitScopedForm):
    topic = forms.CharField(label=_("Topic"), max_length=100)
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=MaterialKind.choices)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 8}), required=False)
    file = forms.FileField(label=_("Word or PDF document"), required=False)
    url = forms.CharField(label=_("Link"), max_length=200, required=False)
    minutes = forms.IntegerField(label=_("Minutes"), required=False, min_value=1, max_value=600)


class IssueForm(UnitScopedForm):
    published_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    title = forms.CharField(label=_("Title"), max_length=200)
    material_text = forms.CharField(label=_("Material"), widget=forms.Textarea(attrs={"rows": 6}))
    questions = forms.ModelMultipleChoiceField(label=_("Questions (2 to 5)"), queryset=Question.objects.none(),
                                               widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["questions"].queryset = _capped(  # type: ignore[attr-defined]
            Question.objects.filter(_related_q(actor, "bank__unit_path"), is_active=True).exclude(qtype="short"),
            "-id")


class PlanForm(UnitScopedForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_on = forms.DateField(label=_("Starts on"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Ends on"), widget=forms.DateInput(attrs={"type": "date"}))
    units = forms.ModelMultipleChoiceField(label=_("Assigned units (their members)"), queryset=Unit.objects.none(),
                                           widget=forms.CheckboxSelectMultiple, required=False)
    people = AccountsField(label=_("Named learners (user names, one a line)"), required=False,
                           help_text=_("Units, people, or both."))
    materials = forms.ModelMultipleChoiceField(label=_("Materials"), queryset=Material.objects.none(),
                                               widget=forms.CheckboxSelectMultiple, required=False)
    note_min_length = forms.IntegerField(label=_("Minimum length of the study note (0: none)"), min_value=0,
                                         max_value=20000, initial=0)

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["units"].queryset = managed_units(actor)  # type: ignore[attr-defined]
        self.fields["materials"].queryset = _capped(  # type: ignore[attr-defined]
            Material.objects.filter(_related_q(actor, "unit_path")), "-id")

    def clean_people(self) -> list[Person]:
        """The persons of the named accounts (the service checks they are under the organising unit)."""
        users = self.cleaned_data.get("people") or []
        without = [u.username for u in users if u.person is None]
        if without:
            raise forms.ValidationError(_("These accounts belong to no person: %(names)s")
                                        % {"names": ", ".join(without)})
        return [u.person for u in users]


class BookForm(UnitScopedForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    author = forms.CharField(label=_("Author"), max_length=100, required=False)
    isbn = forms.CharField(label=_("ISBN"), max_length=17)
    copies = forms.IntegerField(label=_("Copies"), min_value=1, max_value=999, initial=1)


class SessionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=SessionKind.choices)
    held_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    place = forms.CharField(label=_("Place"), max_length=100, required=False)
    topic = forms.CharField(label=_("Subject"), max_length=200, required=False)
    attendees = forms.ModelMultipleChoiceField(label=_("Attendees"), queryset=Person.objects.none(),
                                               widget=forms.CheckboxSelectMultiple, required=False)

    def __init__(self, *args: Any, people: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = _capped(people, "unit__path", "name")  # type: ignore[attr-defined]


class ProgrammeForm(UnitScopedForm):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("头雁人才, 岗位能手 …"))
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class RoundForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    held_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))


class SelectionForm(forms.Form):
    selection_round = forms.ModelChoiceField(label=_("Round"), queryset=SelectionRound.objects.none())
    person = forms.ModelChoiceField(label=_("Person"), queryset=Person.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
    source_kind = forms.ChoiceField(label=_("Fed by"), choices=SourceKind.choices, required=False)
    source_id = forms.IntegerField(label=_("Number of the test or competition"), min_value=1, required=False)

    def __init__(self, *args: Any, programme: TalentProgramme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["selection_round"].queryset = programme.rounds.all()  # type: ignore[attr-defined]
        self.fields["person"].queryset = _capped(  # type: ignore[attr-defined]
            Person.objects.filter(unit__path__startswith=programme.unit_path, is_active=True), "unit__path", "name")


class RuleSetForm(forms.Form):
    """A new version of the points rules: its number, the day it takes effect, the overall daily cap, and for
    each study action its points and its own daily cap (prefilled from the rules in force)."""

    version = forms.IntegerField(label=_("Version"), min_value=1)
    effective_from = forms.DateField(label=_("In force from"), widget=forms.DateInput(attrs={"type": "date"}))
    daily_cap = forms.IntegerField(label=_("Daily cap of all points"), min_value=1, max_value=1000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from mofan.learning.points import POINT_ACTIONS

        super().__init__(*args, **kwargs)
        for action, label in POINT_ACTIONS.items():
            self.fields[f"{action}_points"] = forms.IntegerField(label=label, min_value=0, max_value=1000)
            self.fields[f"{action}_cap"] = forms.IntegerField(label=_("daily cap"), min_value=0, max_value=1000)

    def rules(self) -> dict[str, tuple[int, int]]:
        from mofan.learning.points import POINT_ACTIONS

        return {action: (self.cleaned_data[f"{action}_points"], self.cleaned_data[f"{action}_cap"])
                for action in POINT_ACTIONS}

    def action_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        from mofan.learning.points import POINT_ACTIONS

        return [(self[f"{action}_points"], self[f"{action}_cap"]) for action in POINT_ACTIONS]

