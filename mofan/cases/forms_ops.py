"""Forms of the operations on a case. They only shape input; the services decide (permission, state, reach)
and give the clear refusals, so the pages and the API refuse the same things.

Every form takes ``case`` and ``actor`` (some offer choices that depend on them: the departments within the
centre's reach, the open dispatches).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mofan.cases.models import Case, Category, Dispatch, Satisfaction
from mofan.cases.services.dispatch import LIVE, MAX_EXTENSION_DAYS, OPEN, dispatch_reach, summon_reach
from mofan.org.models import Unit, UnitKind

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
YES_NO = [("1", _("Yes")), ("0", _("No"))]


def unit_label(unit: Unit) -> str:
    """A department with the unit it belongs to ("北苑社区 › 第一网格"), so that same-named units differ."""
    parent = unit.parent
    if parent is None or parent.kind in (UnitKind.DISTRICT, UnitKind.TOWN) or unit.kind == UnitKind.VILLAGE:
        return unit.name
    return f"{parent.name} › {unit.name}"


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return unit_label(obj)


class UnitMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return unit_label(obj)


class DispatchChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.department.name


class OperationForm(forms.Form):
    def __init__(self, *args: Any, case: Case, actor: Any, dispatches: list[Dispatch] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case, self.actor = case, actor
        self.dispatches = dispatches  # the case's dispatches when the caller has them (saves queries)

    def _has_lead(self) -> bool:
        if self.dispatches is not None:
            return any(d.role == Dispatch.Role.LEAD and d.state in LIVE for d in self.dispatches)
        return self.case.dispatches.filter(role=Dispatch.Role.LEAD, state__in=LIVE).exists()


def _share_choices(form: forms.Form, names: list[str], units: Any) -> None:
    """An unbound form (the panel) reads the departments once for all its selects; a bound one (a POST)
    validates against the queryset."""
    if form.is_bound:
        return
    options = [(u.pk, unit_label(u)) for u in units]
    for name in names:
        if name in form.fields:
            field: Any = form.fields[name]
            field.choices = ([("", "---------")] if isinstance(field.widget, forms.Select)
                             and not isinstance(field, forms.ModelMultipleChoiceField) else []) + options


def _note(label: Any = None, required: bool = False, max_length: int = 4000) -> forms.CharField:
    return forms.CharField(label=label or _("Note"), required=required, max_length=max_length,
                           widget=forms.Textarea(attrs={"rows": 2}))


def _reason(label: Any = None) -> forms.CharField:
    return _note(label or _("Reason"), required=True, max_length=500)


class NoteForm(OperationForm):
    note = _note()


class RequiredNoteForm(OperationForm):
    note = _note(required=True)


class ReasonForm(OperationForm):
    reason = _reason()


# Triage (services in services/triage.py) --------------------------------------------------------------------


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return "\u3000" * max(obj.level - 1, 0) + obj.name


class AcceptForm(OperationForm):
    category = CategoryChoiceField(label=_("Category"), queryset=Category.objects.filter(is_active=True),
                                   required=False)
    note = _note()


class RejectForm(OperationForm):
    reason = _reason()
    redirect_to = forms.CharField(label=_("Where to go instead"), max_length=200, required=False)


class ClassifyForm(OperationForm):
    category = CategoryChoiceField(label=_("Category"), queryset=Category.objects.filter(is_active=True))


class MergeForm(OperationForm):
    into = forms.CharField(label=_("Tracking code of the case to merge into"), max_length=20)
    note = _note()


# 交办 / 吹哨 ---------------------------------------------------------------------------------------------------


class DispatchForm(OperationForm):
    lead = UnitChoiceField(label=_("Lead department"), queryset=Unit.objects.none(), required=False)
    co = UnitMultipleChoiceField(label=_("Co-handling departments"), queryset=Unit.objects.none(), required=False,
                                 widget=forms.CheckboxSelectMultiple)
    checkin_due = forms.DateTimeField(label=_("Check in by"), required=False, widget=DATETIME_INPUT,
                                      help_text=_("Leave empty for the time limit of the case's urgency."))
    handle_due = forms.DateTimeField(label=_("Report back by"), required=False, widget=DATETIME_INPUT,
                                     help_text=_("Leave empty for the time limit of the case's urgency."))
    note = _note()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        reach = dispatch_reach(self.case).select_related("parent").order_by("path")
        lead: Any = self.fields["lead"]
        co: Any = self.fields["co"]
        lead.queryset = co.queryset = reach
        if self._has_lead():
            self.fields.pop("lead")  # a lead is on the case: only co-handling departments can be added
        if not self.is_bound:
            _share_choices(self, ["lead", "co"], list(reach))


class SummonForm(OperationForm):
    departments = UnitMultipleChoiceField(label=_("District departments"), queryset=Unit.objects.none(),
                                          widget=forms.CheckboxSelectMultiple)
    handle_due = forms.DateTimeField(label=_("Report back by"), required=False, widget=DATETIME_INPUT,
                                     help_text=_("Leave empty for the time limit of the case's urgency."))
    note = _note()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["departments"]
        field.queryset = summon_reach(self.case).select_related("parent").order_by("path")


class _OpenDispatchForm(OperationForm):
    def _open_dispatches(self) -> Any:
        return self.case.dispatches.filter(state__in=OPEN).select_related("department").order_by("id")


class PressForm(_OpenDispatchForm):
    dispatch = DispatchChoiceField(label=_("Department"), queryset=Dispatch.objects.none(), required=False,
                                   empty_label=_("Every department still handling it"))
    note = _note(_("What is pressed for"), required=True, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["dispatch"]
        field.queryset = self._open_dispatches()


class DecideExtensionForm(_OpenDispatchForm):
    dispatch = DispatchChoiceField(label=_("Department"), queryset=Dispatch.objects.none(), widget=forms.HiddenInput)
    approve = forms.TypedChoiceField(label=_("Decision"), choices=[("1", _("Approve")), ("0", _("Refuse"))],
                                     coerce=lambda v: v == "1")
    note = _note(max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["dispatch"]
        field.queryset = self._open_dispatches().filter(extension_days__isnull=False)


class RateForm(OperationForm):
    dispatch = DispatchChoiceField(label=_("Department"), queryset=Dispatch.objects.none(), widget=forms.HiddenInput)
    rating = forms.TypedChoiceField(label=_("Rating"), coerce=int,
                                    choices=[(str(n), str(n)) for n in range(5, 0, -1)])
    note = _note(max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["dispatch"]
        field.queryset = self.case.dispatches.filter(feedback_at__isnull=False, rating__isnull=True)


# 核查 / 回访 ---------------------------------------------------------------------------------------------------


class CallbackForm(OperationForm):
    satisfaction = forms.ChoiceField(label=_("Satisfaction"), choices=Satisfaction.choices)
    solved = forms.TypedChoiceField(label=_("Is the problem solved?"), choices=YES_NO, coerce=lambda v: v == "1")
    note = _note()


# The department's side ---------------------------------------------------------------------------------------


class FeedbackForm(OperationForm):
    result = forms.CharField(label=_("What was done, with what result"), max_length=4000,
                             widget=forms.Textarea(attrs={"rows": 4}))


class ExtensionRequestForm(OperationForm):
    days = forms.IntegerField(label=_("More working days"), min_value=1, max_value=MAX_EXTENSION_DAYS)
    reason = _reason()


# The working calendar ------------------------------------------------------------------------------------------


class CalendarDayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    is_workday = forms.TypedChoiceField(label=_("The day is"), coerce=lambda v: v == "1",
                                        choices=[("0", _("a day off (holiday)")), ("1", _("a working day"))])
    note = forms.CharField(label=_("Note"), max_length=50, required=False)


class CalendarLoadForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
