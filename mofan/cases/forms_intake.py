"""Forms of intake (收集): staff on a caller's behalf, grid workers on the phone, citizens on the public page.

They only shape input: ``services.intake.case_create`` validates the description, the phone, the ID number,
the category and the attachments for every channel alike, and its errors are shown on the matching field
(``apply_service_errors``).
"""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from mofan.accounts.permissions import scope_filter, scope_paths
from mofan.accounts.roles import Action
from mofan.cases import categories
from mofan.cases.models import Category, Channel, Urgency
from mofan.cases.public import area_in_reach, areas_in_reach, town_in_reach, towns_in_reach
from mofan.cases.services.intake import CLIENT_TOKEN
from mofan.org.forms import UnitChoiceField, apply_service_errors
from mofan.org.models import Unit, UnitKind
from mofan.org.selectors import unit_list

__all__ = ["GridIntakeForm", "PublicReportForm", "StaffIntakeForm", "apply_service_errors", "intake_areas"]

INTAKE_AREA_KINDS = (UnitKind.DISTRICT, UnitKind.TOWN, UnitKind.VILLAGE, UnitKind.GRID)
# Channels staff enter on a caller's behalf: the four windows of the centre and the hotline.
STAFF_CHANNELS = (Channel.HOTLINE, Channel.WINDOW_LABOUR, Channel.WINDOW_LEGAL, Channel.WINDOW_PSYCH,
                  Channel.WINDOW_WOMEN)
IMAGE_ACCEPT = "image/jpeg,image/png"


def intake_areas(actor: Any) -> QuerySet[Unit]:
    """Open areas (district, towns, villages, grids) where the actor may register cases, in tree order."""
    return unit_list(actor=actor).filter(scope_filter(actor, Action.CASE_INTAKE, "path"),
                                         kind__in=list(INTAKE_AREA_KINDS))


def grid_areas(actor: Any) -> QuerySet[Unit]:
    """A grid worker's own areas: the units of their intake memberships and the grids under them."""
    roots = scope_paths(actor, Action.CASE_INTAKE)
    return intake_areas(actor).filter(Q(path__in=roots) | Q(kind=UnitKind.GRID))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by the service (type by content, size)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_empty_file", True)  # an empty file reaches the service, which says why it is refused
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files if f]


class CategoryPickerMixin:
    """Three selects, 一级 → 二级 → 三级; choosing a level loads the next one (HTMX, see
    ``views_intake.category_options``). The category is the deepest one chosen."""

    fields: dict[str, Any]
    data: Any
    initial: Any
    add_error: Any

    def _setup_categories(self) -> None:
        self.fields["category_1"] = forms.ChoiceField(label=_("Category"), required=False)
        self.fields["category_2"] = forms.ChoiceField(label=_("Sub-category"), required=False)
        self.fields["category_3"] = forms.ChoiceField(label=_("Detailed category"), required=False)
        chosen: list[Category | None] = []
        parent: Category | None = None
        for level in (1, 2, 3):
            name = f"category_{level}"
            field = self.fields[name]
            children = list(categories.category_children(parent=parent)) if level == 1 or parent else []
            field.choices = [("", "—")] + [(str(c.pk), c.name) for c in children]
            field.widget.attrs.update({"data-category-level": str(level)})
            if level < 3:  # choosing a level loads the choices of the next one
                field.widget.attrs.update({"hx-get": reverse("cases:category_options"), "hx-trigger": "change",
                                           "hx-target": f"#id_category_{level + 1}", "hx-swap": "innerHTML"})
            value = self.data.get(name) if self.data else self.initial.get(name)
            current = next((c for c in children if str(c.pk) == str(value)), None) if value else None
            chosen.append(current)
            parent = current
        self._chosen_categories = chosen

    def clean_categories(self, cleaned: dict[str, Any]) -> Category | None:
        """The deepest chosen category; an id that is not an open category under the level above is an
        unknown category."""
        category: Category | None = None
        for level in (1, 2, 3):
            raw = (self.data.get(f"category_{level}") if self.data else "") or ""
            if not raw:
                break
            found = categories.category_get(raw)
            if found is None or found.level != level or found.parent_id != (category.pk if category else None):
                self.add_error(f"category_{level}", _("Unknown category."))
                return None
            category = found
        cleaned["category"] = category
        return category


class StaffIntakeForm(CategoryPickerMixin, forms.Form):
    """Walk-in windows and the hotline: staff register a case on the caller's behalf."""

    area = UnitChoiceField(label=_("Where it happened"), queryset=Unit.objects.none(), empty_label=None)
    channel = forms.ChoiceField(label=_("Channel"), choices=[(c.value, c.label) for c in STAFF_CHANNELS])
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    title = forms.CharField(label=_("Title"), max_length=200, required=False,
                            help_text=_("Leave empty to use the start of the description."))
    description = forms.CharField(label=_("What happened"), widget=forms.Textarea(attrs={"rows": 6}), required=False)
    address = forms.CharField(label=_("Address where it happened"), max_length=200, required=False)
    reporter_name = forms.CharField(label=_("Caller's name"), max_length=50, required=False)
    reporter_phone = forms.CharField(label=_("Caller's phone"), max_length=20, required=False)
    reporter_id_number = forms.CharField(label=_("Caller's ID number"), max_length=20, required=False,
                                         help_text=_("Only when the caller's matter needs it; stored encrypted."))
    anonymous = forms.BooleanField(label=_("The caller wants to stay anonymous"), required=False)
    attachments = MultipleFileField(label=_("Attachments"),
                                    help_text=_("Photos (jpg, png), PDF, Word or Excel files; at most 9."))

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["area"]
        field.queryset = intake_areas(actor)
        self._setup_categories()
        self.order_fields(["area", "channel", "urgency", "category_1", "category_2", "category_3", "title",
                           "description", "address"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.clean_categories(cleaned)
        return cleaned


class GridIntakeForm(CategoryPickerMixin, forms.Form):
    """The grid worker's report from the phone: big inputs, one column, photos straight from the camera."""

    area = UnitChoiceField(label=_("Grid or village"), queryset=Unit.objects.none(), empty_label=None)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL,
                                widget=forms.RadioSelect)
    description = forms.CharField(label=_("What did you find?"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 5}))
    address = forms.CharField(label=_("Where exactly?"), max_length=200, required=False)
    photos = MultipleFileField(label=_("Photos"), widget=MultipleFileInput(
        attrs={"accept": "image/*", "capture": "environment"}))
    reporter_name = forms.CharField(label=_("Resident's name"), max_length=50, required=False)
    reporter_phone = forms.CharField(label=_("Resident's phone"), max_length=20, required=False,
                                     widget=forms.TextInput(attrs={"inputmode": "tel"}))
    anonymous = forms.BooleanField(label=_("The resident wants to stay anonymous"), required=False)

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["area"]
        field.queryset = grid_areas(actor)
        if field.queryset.count() == 1:
            only = field.queryset.first()
            field.initial = only.pk
            field.widget = forms.HiddenInput()
            self.area_name = only.name
        else:
            self.area_name = ""
        self._setup_categories()
        self.order_fields(["area", "description", "photos", "urgency", "category_1", "category_2", "category_3",
                           "address"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.clean_categories(cleaned)
        return cleaned


class PublicReportForm(forms.Form):
    """The citizens' page: no account, choose town then village, describe, phone or anonymous, photos.

    ``website`` is a honeypot: hidden from people, filled in by bots that fill in every field."""

    town = forms.ChoiceField(label=_("Township / sub-district"))
    village = forms.ChoiceField(label=_("Village / community"), required=False,
                                help_text=_("Leave empty if you do not know it."))
    description = forms.CharField(label=_("What is the problem?"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 6, "maxlength": 5000}))
    address = forms.CharField(label=_("Where exactly?"), max_length=200, required=False)
    reporter_name = forms.CharField(label=_("Your name"), max_length=50, required=False)
    reporter_phone = forms.CharField(label=_("Your phone"), max_length=20, required=False,
                                     widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
                                     help_text=_("So that we can tell you the result. Only the centre sees it."))
    anonymous = forms.BooleanField(label=_("Report anonymously (we cannot call you back)"), required=False)
    photos = MultipleFileField(label=_("Photos"), widget=MultipleFileInput(attrs={"accept": "image/*"}),
                               help_text=_("Up to 9 photos (jpg or png)."))
    website = forms.CharField(label=_("Leave this field empty"), required=False,
                              widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}))
    # One-time token made when the page is shown: the same form sent twice is one report (see case_create).
    client_token = forms.CharField(required=False, widget=forms.HiddenInput, validators=[RegexValidator(
        CLIENT_TOKEN, _("This form has expired: reload the page and send it again."))])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["client_token"] = secrets.token_urlsafe(24)
        town_field: Any = self.fields["town"]
        town_field.choices = [("", "—")] + [(str(t.pk), t.name) for t in towns_in_reach()]
        town_field.widget.attrs.update({"hx-get": reverse("cases:report_villages"), "hx-trigger": "change",
                                        "hx-target": "#id_village", "hx-swap": "innerHTML"})
        village_field: Any = self.fields["village"]
        town = town_in_reach(self.data.get("town")) if self.data and self.data.get("town") else None
        villages = areas_in_reach(kind=UnitKind.VILLAGE, parent=town) if town is not None else Unit.objects.none()
        village_field.choices = [("", "—")] + [(str(v.pk), v.name) for v in villages]
        self._villages = {str(v.pk): v for v in villages}
        self._town = town

    @property
    def is_bot(self) -> bool:
        return bool((self.data.get("website") or "").strip()) if self.data else False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self._town is None:
            if "town" not in self.errors:
                self.add_error("town", _("Choose a township from the list."))
            return cleaned
        village = self._villages.get(cleaned.get("village") or "")
        if village is None and not area_in_reach(self._town):
            self.add_error("village", _("Choose your village: reports from this township go to its villages."))
        cleaned["area"] = village or self._town
        return cleaned

