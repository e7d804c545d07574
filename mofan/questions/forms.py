"""Forms of the question bank pages. They only shape input: the services validate (``clean_question``),
check permission and audit."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mofan.accounts.permissions import scope_filter
from mofan.accounts.roles import Action
from mofan.org.models import Unit
from mofan.questions import formats as f
from mofan.questions.models import ImportFormat, Question, QuestionType


class BankCreateForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none(), empty_label=None,
                                  help_text=_("The bank serves this unit and every unit under it."))
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["unit"]
        field.queryset = Unit.objects.filter(scope_filter(actor, Action.QUESTION_MANAGE, "path"),
                                             is_active=True).order_by("path")


class BankEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    is_active = forms.BooleanField(label=_("Open (a closed bank takes no new questions)"), required=False)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class QuestionForm(forms.Form):
    qtype = forms.ChoiceField(label=_("Type"), choices=QuestionType.choices)
    stem = forms.CharField(label=_("Stem"), widget=forms.Textarea(attrs={"rows": 3}))
    options = forms.CharField(
        label=_("Options"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Choice questions only: one option per line. Options are stored as text and shuffled in tests."))
    answers = forms.CharField(
        label=_("Right answers"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Single or multiple choice: the letters of the right options (A, or AC), or their texts one "
                    "per line; they are kept as texts. True or false: 对 or 错. Fill in the blank: one line per blank, "
                    "several accepted answers separated by \"|\". Short answer: the reference answer, may be "
                    "empty."))
    tags = forms.CharField(label=_("Tags"), required=False, max_length=500,
                           help_text=_("Separated by \"，\" or \",\"; tests draw questions at random by tag."))
    difficulty = forms.IntegerField(label=_("Difficulty"), min_value=1, max_value=5, initial=3,
                                    help_text=_("1 (easy) to 5 (hard)."))
    source = forms.CharField(label=_("Source"), required=False, max_length=200)
    explanation = forms.CharField(label=_("Explanation"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    @classmethod
    def initial_for(cls, question: Question) -> dict[str, Any]:
        if question.qtype == QuestionType.FILL:
            answers = "\n".join(f.ANSWER_SEPARATOR.join(blank) for blank in question.answers)
        else:
            answers = "\n".join(str(a) for a in question.answers)
        choice = question.qtype in (QuestionType.SINGLE, QuestionType.MULTIPLE)
        return {"qtype": question.qtype, "stem": question.stem,
                "options": "\n".join(question.options) if choice else "", "answers": answers,
                "tags": "，".join(t.name for t in question.tags.all()), "difficulty": question.difficulty,
                "source": question.source, "explanation": question.explanation}

    def service_fields(self) -> dict[str, Any]:
        """The cleaned fields in the shape of ``services.question_create``."""
        data = self.cleaned_data
        qtype = data["qtype"]
        options = _lines(data["options"]) if qtype in (QuestionType.SINGLE, QuestionType.MULTIPLE) else []
        answer_lines = _lines(data["answers"])
        answers: list[Any]
        if qtype == QuestionType.FILL:
            answers = [line.split(f.ANSWER_SEPARATOR) for line in answer_lines]
        elif qtype == QuestionType.SHORT:
            answers = [data["answers"].strip()] if data["answers"].strip() else []
        else:  # choices: letters name options by their place (as in an imported sheet); texts stay texts
            by_letter = f.letters_to_options(" ".join(answer_lines), options) if options and answer_lines else None
            answers = by_letter if by_letter is not None else answer_lines
        return {"qtype": qtype, "stem": data["stem"], "options": options, "answers": answers,
                "tags": f.split_tags(data["tags"]), "difficulty": data["difficulty"], "source": data["source"],
                "explanation": data["explanation"]}


class ImportForm(forms.Form):
    # Empty files reach the job service, so that every refusal reads the same way.
    file = forms.FileField(label=_("File (.xlsx, .csv or .json)"), allow_empty_file=True,
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,.json,.jsonl"}))
    fmt = forms.ChoiceField(label=_("Format"), required=False,
                            choices=[("", _("By the file's extension")), *ImportFormat.choices])
