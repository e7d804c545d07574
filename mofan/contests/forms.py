"""Forms of the organiser's pages; they validate input, the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mofan.accounts.forms import AccountsField
from mofan.accounts.permissions import scope_filter
from mofan.accounts.roles import Action
from mofan.contests.models import Competition, CompetitionKind, Heat, Round, RoundKind
from mofan.org.models import Unit
from mofan.questions.models import QuestionBank

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class UnitField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class UnitsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class CompetitionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=CompetitionKind.choices)
    unit = UnitField(label=_("Organising unit"), queryset=Unit.objects.none(), empty_label=None)
    team_best_k = forms.IntegerField(label=_("Scores counted per team"), min_value=1, required=False,
                                     help_text=_("Team totals add each team's best scores; empty: all of them."))

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, UnitField)  # noqa: S101
        field.queryset = Unit.objects.filter(scope_filter(actor, Action.CONTEST_MANAGE, "path"), is_active=True,
                                             kind__in=["district", "town", "organ", "department", "party_committee",
                                                       "party_general_branch", "party_branch"]).order_by("path")


class RoundForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=RoundKind.choices)
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=DATETIME)
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=DATETIME)
    questions_per_contestant = forms.IntegerField(label=_("Questions per contestant"), min_value=1, max_value=200,
                                                  initial=20)
    seconds_per_question = forms.IntegerField(label=_("Seconds per question (live final)"), min_value=5,
                                              max_value=600, required=False)
    qualify_top = forms.IntegerField(label=_("Qualifiers"), min_value=1, required=False,
                                     help_text=_("How many go on to the next round; empty: all who pass."))
    per_unit_quota = forms.IntegerField(label=_("Qualifiers per unit at most"), min_value=1, required=False)
    min_score = forms.DecimalField(label=_("Minimum score to qualify"), min_value=0, max_digits=8, decimal_places=2,
                                   required=False)


class HeatForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=DATETIME)
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=DATETIME)


class HeatScheduleForm(forms.Form):
    count = forms.IntegerField(label=_("Heats"), min_value=1, max_value=50, initial=4)
    starts_at = forms.DateTimeField(label=_("First starts at"), widget=DATETIME)
    minutes = forms.IntegerField(label=_("Minutes each"), min_value=1, max_value=1440, initial=30)
    gap_minutes = forms.IntegerField(label=_("Minutes between"), min_value=0, max_value=1440, initial=10)
    assign = forms.BooleanField(label=_("Spread the contestants without a heat over them"), required=False,
                                initial=True)


class DrawForm(forms.Form):
    bank = forms.ModelChoiceField(label=_("Question bank"), queryset=QuestionBank.objects.none(), empty_label=None)
    points = forms.DecimalField(label=_("Points per question"), min_value=1, max_digits=6, decimal_places=2,
                                initial=5)

    def __init__(self, *args: Any, competition: Competition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["bank"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101
        # The banks of the organising unit, its ancestors and the units below it.
        field.queryset = QuestionBank.objects.filter(
            Q(unit_path__in=competition.unit.ancestor_paths()) | Q(unit_path__startswith=competition.unit_path),
            is_active=True).order_by("unit_path", "name")


class EnrolForm(forms.Form):
    units = UnitsField(label=_("All learners of these units"), queryset=Unit.objects.none(), required=False,
                       widget=forms.SelectMultiple(attrs={"size": 8}))
    usernames = AccountsField(label=_("Named learners (user names, one a line)"), required=False)
    heat = forms.ModelChoiceField(label=_("Heat"), queryset=Heat.objects.none(), required=False)
    team = forms.CharField(label=_("Team"), max_length=100, required=False,
                           help_text=_("Empty: each contestant counts for their branch."))

    def __init__(self, *args: Any, round: Round, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = self.fields["units"]
        heat = self.fields["heat"]
        assert isinstance(units, UnitsField) and isinstance(heat, forms.ModelChoiceField)  # noqa: S101
        units.queryset = Unit.objects.filter(path__startswith=round.competition.unit_path, is_active=True,
                                             kind__in=["district", "town", "village", "organ", "department",
                                                       "party_committee", "party_general_branch",
                                                       "party_branch"]).order_by("path")
        heat.queryset = Heat.objects.filter(round=round)
