"""The paper form: settings, fixed questions ticked from one bank, and up to ``DRAW_ROWS`` draw rules on it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from mofan.accounts.permissions import scope_filter, scope_paths
from mofan.accounts.roles import Action
from mofan.exams.models import Feedback, Grading
from mofan.exams.services import DrawRule, FixedItem
from mofan.org.models import PATH_SEGMENT, Unit
from mofan.questions.models import Question, QuestionBank, QuestionType, Tag

DRAW_ROWS = 3
MAX_FIXED_SHOWN = 500


def organiser_units(actor: Any) -> QuerySet[Unit]:
    return Unit.objects.filter(scope_filter(actor, Action.EXAM_MANAGE, "path"), is_active=True).order_by("path")


def usable_banks(actor: Any) -> QuerySet[QuestionBank]:
    """Banks of the actor's EXAM_MANAGE scope and of the units above it."""
    roots = scope_paths(actor, Action.EXAM_MANAGE)
    above = {root[: i + PATH_SEGMENT] for root in roots for i in range(0, len(root), PATH_SEGMENT)}
    return (QuestionBank.objects.filter(scope_filter(actor, Action.EXAM_MANAGE, "unit_path") | Q(unit_path__in=above),
                                        is_active=True).order_by("unit_path", "name"))


class PaperSettingsForm(forms.Form):
    """A paper's settings, without its questions: the API takes the questions as lists (``exams.api_manage``)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    unit = forms.ModelChoiceField(label=_("Organising unit"), queryset=Unit.objects.none())
    opens_at = forms.DateTimeField(label=_("Opens at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    closes_at = forms.DateTimeField(label=_("Closes at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    time_limit_minutes = forms.IntegerField(label=_("Time limit (minutes)"), min_value=1, required=False)
    attempts_allowed = forms.IntegerField(label=_("Attempts allowed"), min_value=1, max_value=20, initial=1)
    grading = forms.ChoiceField(label=_("Which attempt counts"), choices=Grading.choices, initial=Grading.HIGHEST)
    pass_score = forms.DecimalField(label=_("Pass score"), min_value=Decimal(0), initial=60)
    feedback = forms.ChoiceField(label=_("Feedback"), choices=Feedback.choices, initial=Feedback.AFTER_CLOSE)
    shuffle_questions = forms.BooleanField(label=_("Shuffle questions"), required=False, initial=True)
    shuffle_options = forms.BooleanField(label=_("Shuffle options"), required=False, initial=True)

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = organiser_units(actor)  # type: ignore[attr-defined]

    def paper_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {key: data[key] for key in ("title", "opens_at", "closes_at", "time_limit_minutes",
                                            "attempts_allowed", "grading", "pass_score", "feedback",
                                            "shuffle_questions", "shuffle_options")}


class PaperForm(PaperSettingsForm):
    """The page's paper form: the settings, fixed questions ticked from one bank, draw rules on it."""

    item_points = forms.DecimalField(label=_("Points per fixed question"), min_value=Decimal(0), initial=2)

    def __init__(self, *args: Any, actor: Any, bank: QuestionBank | None, **kwargs: Any) -> None:
        super().__init__(*args, actor=actor, **kwargs)
        self.bank = bank
        questions = Question.objects.filter(bank=bank, is_active=True).order_by("pk") if bank else Question.objects.none()
        self.questions = list(questions[:MAX_FIXED_SHOWN])
        self.fields["questions"] = forms.MultipleChoiceField(
            label=_("Fixed questions"), required=False, widget=forms.CheckboxSelectMultiple,
            choices=[(str(q.pk), f"[{q.get_qtype_display()}] {q.stem[:60]}") for q in self.questions])
        tags = Tag.objects.filter(questions__bank=bank).distinct().order_by("name") if bank else Tag.objects.none()
        for n in range(DRAW_ROWS):
            self.fields[f"draw_{n}_tag"] = forms.ModelChoiceField(label=_("Tag"), queryset=tags, required=False)
            self.fields[f"draw_{n}_difficulty"] = forms.TypedChoiceField(
                label=_("Difficulty"), required=False, coerce=int, empty_value=None,
                choices=[("", "—")] + [(str(d), str(d)) for d in range(1, 6)])
            self.fields[f"draw_{n}_qtype"] = forms.ChoiceField(label=_("Type"), required=False,
                                                                choices=[("", "—"), *QuestionType.choices])
            self.fields[f"draw_{n}_count"] = forms.IntegerField(label=_("Number of questions"), min_value=1,
                                                                 required=False)
            self.fields[f"draw_{n}_points"] = forms.DecimalField(label=_("Points each"), min_value=Decimal(0),
                                                                  required=False, initial=2)

    def draw_rows(self) -> list[list[forms.BoundField]]:
        return [[self[f"draw_{n}_{part}"] for part in ("tag", "difficulty", "qtype", "count", "points")]
                for n in range(DRAW_ROWS)]

    def fixed_items(self) -> list[FixedItem]:
        chosen = {int(pk) for pk in self.cleaned_data.get("questions") or []}
        return [FixedItem(q, self.cleaned_data["item_points"]) for q in self.questions if q.pk in chosen]

    def draw_rules(self) -> list[DrawRule]:
        rules = []
        for n in range(DRAW_ROWS):
            count = self.cleaned_data.get(f"draw_{n}_count")
            if not count or self.bank is None:
                continue
            rules.append(DrawRule(bank=self.bank, count=count,
                                  points_each=self.cleaned_data.get(f"draw_{n}_points") or Decimal(0),
                                  tag=self.cleaned_data.get(f"draw_{n}_tag"),
                                  difficulty=self.cleaned_data.get(f"draw_{n}_difficulty"),
                                  qtype=self.cleaned_data.get(f"draw_{n}_qtype") or ""))
        return rules


class MarkForm(forms.Form):
    score = forms.DecimalField(label=_("Score"), min_value=Decimal(0), decimal_places=2)
