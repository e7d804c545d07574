"""Pages of the district tree and its people.

Each view validates input, then calls the selectors (reads, always with ``actor=``: outside the actor's
jurisdiction is a 404) or one service (writes: the service checks permission, validates and audits).
``can()`` is used here only to decide which buttons to show and to refuse a form page early with 403;
the services decide for real.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from mofan.accounts.permissions import can, has_action
from mofan.accounts.reauth import recent_auth_required, require_recent_auth
from mofan.accounts.roles import Action
from mofan.core.masking import mask_phone
from mofan.core.paging import PAGE_SIZE, KeysetPage, keyset_page
from mofan.core.services import record_export
from mofan.core.xlsx import xlsx_response
from mofan.org import selectors, services
from mofan.org.forms import PersonForm, UnitCreateForm, UnitEditForm, UnitMoveForm, apply_service_errors
from mofan.org.models import ALLOWED_PARENTS, Person, Unit, UnitKind

SEARCH_LIMIT = 200


@dataclass(frozen=True)
class PersonRow:
    person: Person
    phone: str


def _person_rows(people: Any) -> list[PersonRow]:
    """Lists show the phone masked to every role; the clear value only through ``person_reveal`` (audited)."""
    return [PersonRow(person=p, phone=mask_phone(p.phone)) for p in people]


def _page(request: HttpRequest, queryset: QuerySet[Any]) -> KeysetPage:
    """People lists page by keyset (?after= / ?before=), so page 1 and page 2,000 cost the same."""
    return keyset_page(queryset, after=request.GET.get("after"), before=request.GET.get("before"), size=PAGE_SIZE)


def _unit_filters(request: HttpRequest) -> dict[str, Any]:
    """The unit list filters shared by the tree's search and the unit export."""
    kind = request.GET.get("kind", "")
    return {
        "search": request.GET.get("q", "").strip()[:100],
        "kind": kind if kind in UnitKind.values else "",
        "within": selectors.unit_get(actor=request.user, pk=request.GET["unit"]) if request.GET.get("unit") else None,
    }


def _person_filters(request: HttpRequest) -> dict[str, Any]:
    """The people list filters shared by the list page and the people export."""
    party = request.GET.get("party", "")
    return {
        "within": selectors.unit_get(actor=request.user, pk=request.GET["unit"]) if request.GET.get("unit") else None,
        "search": request.GET.get("q", "").strip()[:50],
        "party_member": {"1": True, "0": False}.get(party),
    }


# Units -----------------------------------------------------------------------------------------------


@login_required
@require_GET
def unit_tree(request: HttpRequest) -> HttpResponse:
    """The tree from the tops of the actor's jurisdiction; deeper levels load on demand (HTMX)."""
    actor = request.user
    filters = _unit_filters(request)
    results = None
    if filters["search"] or filters["kind"] or filters["within"]:
        results = list(selectors.unit_list(actor=actor, **filters)[: SEARCH_LIMIT + 1])
    roots = [(root, list(selectors.unit_children(actor=actor, unit=root))) for root in selectors.unit_roots(actor=actor)]
    return render(request, "org/unit_tree.html", {
        "roots": roots,
        "results": results[:SEARCH_LIMIT] if results is not None else None,
        "truncated": results is not None and len(results) > SEARCH_LIMIT,
        "search_limit": SEARCH_LIMIT,
        "filters": filters,
        "kinds": UnitKind.choices,
        "can_create": has_action(actor, Action.ORG_MANAGE),
    })


@login_required
@require_GET
def unit_children(request: HttpRequest, pk: int) -> HttpResponse:
    """HTMX fragment: the <li> nodes of a unit's children."""
    unit = selectors.unit_get(actor=request.user, pk=pk)
    children = selectors.unit_children(actor=request.user, unit=unit)
    return render(request, "org/_unit_nodes.html", {"units": children})


@login_required
@require_GET
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.user
    unit = selectors.unit_get(actor=actor, pk=pk)
    ancestors = [a for a in selectors.unit_ancestors(actor=actor, unit=unit) if a.pk != unit.pk]
    people = _page(request, selectors.person_list(actor=actor, within=unit))
    can_manage = unit.is_active and can(actor, Action.ORG_MANAGE, unit)
    return render(request, "org/unit_detail.html", {
        "unit": unit,
        "ancestors": ancestors,
        "children": selectors.unit_children(actor=actor, unit=unit),
        "people": people,
        "rows": _person_rows(people.items),
        "history": selectors.unit_history(actor=actor, unit=unit),
        "can_manage": can_manage,
        "can_add_child": can_manage and any(unit.kind in parents for parents in ALLOWED_PARENTS.values()),
        "can_move": can_manage and unit.parent_id is not None,
    })


def _refuse_unless_manage(actor: Any, unit: Unit) -> None:
    if not can(actor, Action.ORG_MANAGE, unit):
        raise PermissionDenied(_("You do not have permission to do this here."))


@login_required
def unit_create(request: HttpRequest) -> HttpResponse:
    actor = request.user
    parent = selectors.unit_get(actor=actor, pk=request.GET["parent"]) if request.GET.get("parent") else None
    if parent is not None:
        _refuse_unless_manage(actor, parent)
    elif not has_action(actor, Action.ORG_MANAGE):
        raise PermissionDenied(_("You do not have permission to do this here."))
    form = UnitCreateForm(request.POST or None, actor=actor, parent=parent)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            unit = services.unit_create(actor=actor, parent=data["parent"], name=data["name"], kind=data["kind"],
                                        code=data["code"], sort_order=data["sort_order"] or 0)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Unit %(name)s created.") % {"name": unit.name})
            return redirect("org:unit_detail", pk=unit.pk)
    return render(request, "org/unit_form.html", {"form": form, "parent": parent, "unit": None})


@login_required
def unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.user
    unit = selectors.unit_get(actor=actor, pk=pk)
    _refuse_unless_manage(actor, unit)
    form = UnitEditForm(request.POST or None,
                        initial={"name": unit.name, "code": unit.code, "sort_order": unit.sort_order})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.unit_update(actor=actor, unit=unit, name=data["name"], code=data["code"],
                                 sort_order=data["sort_order"] if data["sort_order"] is not None else unit.sort_order)
        except ValidationError as exc:
            unit.refresh_from_db()
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Unit %(name)s saved.") % {"name": unit.name})
            return redirect("org:unit_detail", pk=unit.pk)
    return render(request, "org/unit_form.html", {"form": form, "parent": unit.parent, "unit": unit})


@login_required
def unit_move(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.user
    unit = selectors.unit_get(actor=actor, pk=pk)
    _refuse_unless_manage(actor, unit)
    form = UnitMoveForm(request.POST or None, actor=actor, unit=unit, initial={"parent": unit.parent_id})
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_move(actor=actor, unit=unit, new_parent=form.cleaned_data["parent"])
        except ValidationError as exc:
            unit.refresh_from_db()
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Unit %(name)s moved.") % {"name": unit.name})
            return redirect("org:unit_detail", pk=unit.pk)
    return render(request, "org/unit_move.html", {"form": form, "unit": unit})


@login_required
@require_GET
def unit_export(request: HttpRequest) -> HttpResponse:
    """The units of the actor's jurisdiction (with the tree page's filters) as xlsx; audited."""
    actor = request.user
    units = selectors.unit_list(actor=actor, **_unit_filters(request))
    rows = [
        (u.name, u.get_kind_display(), u.code, u.parent.name if u.parent else "", u.depth + 1, u.sort_order)
        for u in units.iterator(chunk_size=2000)
    ]
    headers = [_("Name"), _("Kind"), _("Code"), _("Parent unit"), _("Level"), _("Order")]
    record_export(actor=actor, what="org.unit", count=len(rows))
    return xlsx_response(_export_filename(_("units")), headers, rows, title=_("Units"))


def _export_filename(stem: str) -> str:
    return f"{stem}-{timezone.localdate():%Y%m%d}.xlsx"


# People ----------------------------------------------------------------------------------------------


@login_required
@require_GET
def person_list(request: HttpRequest) -> HttpResponse:
    actor = request.user
    filters = _person_filters(request)
    people = _page(request, selectors.person_list(actor=actor, **filters))
    return render(request, "org/person_list.html", {
        "people": people,
        "rows": _person_rows(people.items),
        "filters": filters,
        "party": request.GET.get("party", ""),
        "can_create": has_action(actor, Action.ORG_MANAGE),
    })


@login_required
@require_GET
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.user
    person = selectors.person_get(actor=actor, pk=pk)
    return render(request, "org/person_detail.html", _person_context(actor, person))


def _person_context(actor: Any, person: Person, revealed: dict[str, str] | None = None) -> dict[str, Any]:
    can_sensitive = can(actor, Action.PERSON_VIEW_SENSITIVE, person.unit)
    return {
        "person": person,
        "phone": mask_phone(person.phone),  # masked by default, even for those who may reveal it
        "revealed": revealed,
        "can_reveal": can_sensitive and bool(person.id_number_cipher),
        "can_manage": person.unit.is_active and can(actor, Action.ORG_MANAGE, person.unit),
        "ancestors": selectors.unit_ancestors(actor=actor, unit=person.unit),
    }


@login_required
@require_POST
@never_cache
def person_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the clear ID number and phone to a role allowed to see them (audited by the service)."""
    actor = request.user
    person = selectors.person_get(actor=actor, pk=pk)
    if can(actor, Action.PERSON_VIEW_SENSITIVE, person.unit):  # without the permission: the service's 403
        require_recent_auth(request)
    id_number = services.person_reveal_id_number(actor=actor, person=person)
    revealed = {"id_number": id_number, "phone": person.phone}
    if getattr(request, "htmx", False):
        return render(request, "org/_person_revealed.html", {"person": person, "revealed": revealed})
    return render(request, "org/person_detail.html", _person_context(actor, person, revealed))


@login_required
def person_create(request: HttpRequest) -> HttpResponse:
    actor = request.user
    if not has_action(actor, Action.ORG_MANAGE):
        raise PermissionDenied(_("You do not have permission to do this here."))
    initial_unit = selectors.unit_get(actor=actor, pk=request.GET["unit"]) if request.GET.get("unit") else None
    form = PersonForm(request.POST or None, actor=actor, initial={"unit": initial_unit.pk if initial_unit else None})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = services.person_create(
                actor=actor, unit=data["unit"], name=data["name"], gender=data["gender"], phone=data["phone"],
                id_number=data["id_number"], is_party_member=data["is_party_member"], post=data["post"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s added.") % {"name": person.name})
            return redirect("org:person_detail", pk=person.pk)
    return render(request, "org/person_form.html", {"form": form, "person": None})


@login_required
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.user
    person = selectors.person_get(actor=actor, pk=pk)
    _refuse_unless_manage(actor, person.unit)
    # Everyone edits the phone blind (the form is no way around the audited unmask): a blank field keeps the
    # stored number.
    phone_hidden = True
    initial = {"name": person.name, "gender": person.gender, "phone": "" if phone_hidden else person.phone,
               "is_party_member": person.is_party_member, "post": person.post}
    form = PersonForm(request.POST or None, actor=actor, editing=True, initial=initial,
                      id_number_masked=person.id_number_masked,
                      phone_masked=mask_phone(person.phone) if phone_hidden else "")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        phone = data["phone"] or (person.phone if phone_hidden else "")
        try:
            services.person_update(
                actor=actor, person=person, name=data["name"], gender=data["gender"], phone=phone,
                id_number=data["id_number"] or None,  # blank keeps the stored number
                is_party_member=data["is_party_member"], post=data["post"],
            )
        except ValidationError as exc:
            person.refresh_from_db()
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s saved.") % {"name": person.name})
            return redirect("org:person_detail", pk=person.pk)
    return render(request, "org/person_form.html", {"form": form, "person": person})


@login_required
@require_GET
@recent_auth_required  # names, posts and party membership of many people: personal data
def person_export(request: HttpRequest) -> HttpResponse:
    """The people list (same filters as the page) as xlsx, phone and ID number always masked; audited."""
    actor = request.user
    people = selectors.person_list(actor=actor, **_person_filters(request))
    yes, no = _("Yes"), _("No")
    rows = [
        (p.name, p.get_gender_display(), mask_phone(p.phone), p.id_number_masked, yes if p.is_party_member else no,
         p.post, p.unit.name)
        for p in people.iterator(chunk_size=2000)
    ]
    headers = [pgettext("person", "Name"), _("Gender"), _("Phone"), _("ID number"), _("Party member"), _("Post"), _("Unit")]
    record_export(actor=actor, what="org.person", count=len(rows))
    return xlsx_response(_export_filename(_("people")), headers, rows, title=_("People"))
