"""Writes on the district tree and its people. Each function checks permission first, then writes and
audits inside one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mofan.accounts.permissions import acting_user, ensure_can
from mofan.accounts.roles import Action
from mofan.audit.events import AuditEvent, EventType
from mofan.audit.services import audit_record
from mofan.core import crypto
from mofan.core.identity import validate_id_number, validate_phone
from mofan.core.masking import mask_id_number
from mofan.org.models import (
    ALLOWED_PARENTS,
    PATH_SEGMENT,
    Gender,
    Person,
    Unit,
    UnitChange,
    UnitKind,
    path_segment,
)

MAX_DEPTH = 255 // PATH_SEGMENT
BULK_BATCH = 1000
ID_NUMBER_TAKEN = gettext_lazy("A person with this ID number already exists.")


def _check_placement(kind: str, parent: Unit | None) -> None:
    if kind not in UnitKind.values:
        raise ValidationError({"kind": _("Unknown unit kind.")})
    allowed = ALLOWED_PARENTS[kind]
    parent_kind = parent.kind if parent is not None else None
    if parent_kind not in allowed:
        raise ValidationError(
            {"parent": _("A %(kind)s cannot stand under %(parent)s.")
             % {"kind": UnitKind(kind).label, "parent": UnitKind(parent_kind).label if parent_kind else _("nothing")}}
        )
    if parent is not None and not parent.is_active:
        raise ValidationError({"parent": _("The parent unit is closed.")})
    if parent is not None and parent.depth + 1 >= MAX_DEPTH:
        raise ValidationError({"parent": _("The tree is too deep here.")})


def _check_name(name: str, parent: Unit | None, exclude: Unit | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("The name is required.")})
    if len(name) > 100:
        raise ValidationError({"name": _("The name is longer than 100 characters.")})
    siblings = Unit.objects.filter(parent=parent, name=name)
    if exclude is not None:
        siblings = siblings.exclude(pk=exclude.pk)
    if siblings.exists():
        raise ValidationError({"name": _("A unit of this name already stands under the same parent.")})
    return name


def _check_code(code: str, exclude: Unit | None = None) -> str:
    code = (code or "").strip()
    others = Unit.objects.filter(code=code)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    if code and others.exists():
        raise ValidationError({"code": _("Another unit has this code.")})
    return code


def unit_create(
    *, actor: Any, name: str, kind: str, parent: Unit | None, code: str = "", sort_order: int = 0, audit: bool = True
) -> Unit:
    """Create a unit. Only the installer (actor None) creates a root; everyone else creates under a parent
    in their jurisdiction."""
    if actor is not None:
        if parent is None:
            raise ValidationError({"parent": _("Choose the parent unit.")})
        ensure_can(actor, Action.ORG_MANAGE, parent)
    _check_placement(kind, parent)
    name = _check_name(name, parent)
    code = _check_code(code)
    with transaction.atomic():
        unit = Unit(name=name, kind=kind, code=code, parent=parent, sort_order=sort_order,
                    depth=parent.depth + 1 if parent else 0, path=f"new-{uuid.uuid4().hex}")
        unit.save()
        unit.path = (parent.path if parent else "") + path_segment(unit.pk)
        unit.save(update_fields=["path"])
        UnitChange.objects.create(unit=unit, kind=UnitChange.Kind.CREATED, actor=acting_user(actor), new_name=name,
                                  new_parent=parent)
        if audit:
            audit_record(actor=actor, event=AuditEvent.UNIT_CREATED, target=unit,
                         new={"name": name, "kind": kind, "code": code, "parent": parent.name if parent else None})
    return unit


def unit_update(*, actor: Any, unit: Unit, name: str | None = None, code: str | None = None,
                sort_order: int | None = None) -> Unit:
    """Rename a unit or change its code and order. A rename keeps the old name in the unit's history."""
    ensure_can(actor, Action.ORG_MANAGE, unit, target=unit)
    old = {"name": unit.name, "code": unit.code, "sort_order": unit.sort_order}
    new_name = _check_name(name, unit.parent, exclude=unit) if name is not None else unit.name
    new_code = _check_code(code, exclude=unit) if code is not None else unit.code
    new_order = sort_order if sort_order is not None else unit.sort_order
    new = {"name": new_name, "code": new_code, "sort_order": new_order}
    if new == old:
        return unit
    with transaction.atomic():
        unit.name, unit.code, unit.sort_order = new_name, new_code, new_order
        unit.save(update_fields=["name", "code", "sort_order", "updated_at"])
        renamed = old["name"] != new_name
        UnitChange.objects.create(
            unit=unit, kind=UnitChange.Kind.RENAMED if renamed else UnitChange.Kind.UPDATED, actor=acting_user(actor),
            old_name=str(old["name"]), new_name=new_name,
        )
        audit_record(actor=actor, event=AuditEvent.UNIT_RENAMED if renamed else AuditEvent.UNIT_UPDATED,
                     target=unit, old=old, new=new)
    return unit


def unit_move(*, actor: Any, unit: Unit, new_parent: Unit) -> Unit:
    """Move a unit and its whole subtree under ``new_parent``; refuses a move into its own subtree."""
    ensure_can(actor, Action.ORG_MANAGE, unit, target=unit)
    ensure_can(actor, Action.ORG_MANAGE, new_parent, target=unit)
    if new_parent.path.startswith(unit.path):
        raise ValidationError({"parent": _("A unit cannot be moved under itself or one of its own units.")})
    if new_parent.pk == unit.parent_id:
        return unit
    _check_placement(unit.kind, new_parent)
    _check_name(unit.name, new_parent, exclude=unit)
    subtree_depth = Unit.objects.filter(path__startswith=unit.path).order_by("-depth").values_list("depth", flat=True)
    deepest = (subtree_depth.first() or unit.depth) - unit.depth
    if new_parent.depth + 1 + deepest >= MAX_DEPTH:
        raise ValidationError({"parent": _("The tree would become too deep.")})
    old_parent = unit.parent
    old_path = unit.path
    new_path = new_parent.path + path_segment(unit.pk)
    delta = new_parent.depth + 1 - unit.depth
    with transaction.atomic():
        Unit.objects.filter(path__startswith=old_path).update(
            path=Concat(Value(new_path), Substr("path", len(old_path) + 1)), depth=F("depth") + delta
        )
        Unit.objects.filter(pk=unit.pk).update(parent=new_parent)
        unit.refresh_from_db()
        UnitChange.objects.create(unit=unit, kind=UnitChange.Kind.MOVED, actor=acting_user(actor), old_parent=old_parent,
                                  new_parent=new_parent, old_name=unit.name, new_name=unit.name)
        audit_record(actor=actor, event=AuditEvent.UNIT_MOVED, target=unit,
                     old={"parent": old_parent.name if old_parent else None, "path": old_path},
                     new={"parent": new_parent.name, "path": new_path})
    return unit


def unit_close(*, actor: Any, unit: Unit) -> Unit:
    """Close (deactivate) a unit; refused while it has active units or people under it."""
    ensure_can(actor, Action.ORG_MANAGE, unit, target=unit)
    if Unit.objects.filter(path__startswith=unit.path, is_active=True).exclude(pk=unit.pk).exists():
        raise ValidationError(_("Close or move the units under this unit first."))
    if Person.objects.filter(unit=unit, is_active=True).exists():
        raise ValidationError(_("Move the people of this unit first."))
    with transaction.atomic():
        unit.is_active = False
        unit.save(update_fields=["is_active", "updated_at"])
        UnitChange.objects.create(unit=unit, kind=UnitChange.Kind.CLOSED, actor=acting_user(actor), old_name=unit.name)
        audit_record(actor=actor, event=AuditEvent.UNIT_CLOSED, target=unit, old={"is_active": True},
                     new={"is_active": False})
    return unit


# People -----------------------------------------------------------------------------------------------


def id_numbers_taken(id_numbers: list[str]) -> set[str]:
    """Which of these (valid) ID numbers a person already has, in a few queries whatever their number."""
    by_digest = {crypto.blind_index(number): number for number in id_numbers}
    digests = list(by_digest)
    taken: set[str] = set()
    for start in range(0, len(digests), BULK_BATCH):
        found = Person.objects.filter(id_number_digest__in=digests[start : start + BULK_BATCH])
        taken.update(by_digest[d] for d in found.values_list("id_number_digest", flat=True) if d)
    return taken


def clean_person_fields(
    *, name: str, gender: str | None, phone: str, id_number: str, post: str, exclude: Person | None = None,
    check_taken: bool = True,
) -> dict[str, Any]:
    """Validate and normalise a person's fields; raises ValidationError keyed by field. Shared by the form,
    the API and the xlsx import so that all three accept and refuse the same input. An import passes
    ``check_taken=False`` and checks all its ID numbers at once with ``id_numbers_taken``."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    name = (name or "").strip()
    if not name:
        errors.setdefault("name", []).append(_("The name is required."))
    elif len(name) > 50:
        errors.setdefault("name", []).append(_("The name is longer than 50 characters."))
    values["name"] = name
    phone = (phone or "").strip()
    if phone:
        try:
            phone = validate_phone(phone)
        except ValidationError as exc:
            errors.setdefault("phone", []).extend(exc.messages)
    values["phone"] = phone
    id_number = (id_number or "").strip()
    values["id_number"] = ""
    if id_number:
        try:
            id_number = validate_id_number(id_number)
            values["id_number"] = id_number
            taken = Person.objects.filter(id_number_digest=crypto.blind_index(id_number))
            if exclude is not None:
                taken = taken.exclude(pk=exclude.pk)
            if check_taken and taken.exists():
                errors.setdefault("id_number", []).append(str(ID_NUMBER_TAKEN))
        except ValidationError as exc:
            errors.setdefault("id_number", []).extend(exc.messages)
    gender = (gender or "").strip()
    if gender in ("男", "女"):
        gender = "M" if gender == "男" else "F"
    if not gender and values["id_number"]:
        gender = "M" if int(values["id_number"][16]) % 2 else "F"
    if gender not in Gender.values:
        errors.setdefault("gender", []).append(_("Gender must be male or female."))
    elif values["id_number"] and gender != ("M" if int(values["id_number"][16]) % 2 else "F"):
        errors.setdefault("gender", []).append(_("The gender does not match the ID number."))
    values["gender"] = gender
    values["post"] = (post or "").strip()[:50]
    if errors:
        raise ValidationError(errors)
    return values


def _apply_id_number(person: Person, id_number: str) -> None:
    if id_number:
        person.id_number_cipher = crypto.encrypt(id_number)
        person.id_number_digest = crypto.blind_index(id_number)
        person.id_number_masked = mask_id_number(id_number)
    else:
        person.id_number_cipher = ""
        person.id_number_digest = None
        person.id_number_masked = ""


def _person_snapshot(person: Person, id_number: str | None = None) -> dict[str, Any]:
    return {
        "name": person.name, "gender": person.gender, "phone": person.phone, "post": person.post,
        "is_party_member": person.is_party_member, "unit": person.unit.name,
        "id_number": id_number if id_number is not None else person.id_number_masked,
    }


def person_create(
    *, actor: Any, unit: Unit, name: str, gender: str | None = "", phone: str = "", id_number: str = "",
    is_party_member: bool = False, post: str = "", audit: bool = True,
) -> Person:
    if actor is not None:
        ensure_can(actor, Action.ORG_MANAGE, unit)
    values = clean_person_fields(name=name, gender=gender, phone=phone, id_number=id_number, post=post)
    if not unit.is_active:
        raise ValidationError({"unit": _("The unit is closed.")})
    with transaction.atomic():
        person = Person(unit=unit, name=values["name"], gender=values["gender"], phone=values["phone"],
                        post=values["post"], is_party_member=is_party_member)
        _apply_id_number(person, values["id_number"])
        person.save()
        if audit:
            audit_record(actor=actor, event=AuditEvent.PERSON_CREATED, target=person, unit_path=unit.path,
                         new=_person_snapshot(person, values["id_number"]))
    return person


def person_update(
    *, actor: Any, person: Person, name: str, gender: str | None, phone: str, id_number: str | None = None,
    is_party_member: bool, post: str,
) -> Person:
    """Change a person's fields. ``id_number`` None keeps the stored number; "" clears it."""
    ensure_can(actor, Action.ORG_MANAGE, person.unit, target=person)
    keep_id = id_number is None
    current_id = crypto.decrypt(person.id_number_cipher) if keep_id and person.id_number_cipher else ""
    values = clean_person_fields(name=name, gender=gender, phone=phone,
                                 id_number=current_id if keep_id else (id_number or ""), post=post, exclude=person)
    old = _person_snapshot(person)
    with transaction.atomic():
        person.name, person.gender, person.phone = values["name"], values["gender"], values["phone"]
        person.post, person.is_party_member = values["post"], is_party_member
        if not keep_id:
            _apply_id_number(person, values["id_number"])
        person.save()
        new = _person_snapshot(person)
        if old != new:
            audit_record(actor=actor, event=AuditEvent.PERSON_UPDATED, target=person, unit_path=person.unit.path,
                         old={k: v for k, v in old.items() if new[k] != v},
                         new={k: v for k, v in new.items() if old[k] != v})
    return person


def person_move(*, actor: Any, person: Person, unit: Unit) -> Person:
    ensure_can(actor, Action.ORG_MANAGE, person.unit, target=person)
    ensure_can(actor, Action.ORG_MANAGE, unit, target=person)
    if not unit.is_active:
        raise ValidationError({"unit": _("The unit is closed.")})
    old_unit = person.unit
    with transaction.atomic():
        person.unit = unit
        person.save(update_fields=["unit", "updated_at"])
        audit_record(actor=actor, event=AuditEvent.PERSON_MOVED, target=person, unit_path=unit.path,
                     old={"unit": old_unit.name}, new={"unit": unit.name})
    return person


def person_reveal_id_number(*, actor: Any, person: Person) -> str:
    """The clear ID number for a role that needs it; every reveal is audited."""
    ensure_can(actor, Action.PERSON_VIEW_SENSITIVE, person.unit, target=person)
    audit_record(actor=actor, event=AuditEvent.PERSON_SENSITIVE_VIEWED, target=person, unit_path=person.unit.path,
                 note="id_number,phone")  # the callers show both
    return crypto.decrypt(person.id_number_cipher) if person.id_number_cipher else ""


@dataclass(frozen=True)
class PersonDraft:
    """A person whose fields ``clean_person_fields`` has already accepted, waiting to be written in bulk."""

    unit: Unit
    name: str
    gender: str
    phone: str = ""
    id_number: str = ""
    is_party_member: bool = False
    post: str = ""



def person_bulk_create(
    *, actor: Any, drafts: list[PersonDraft], event: EventType, audit_new: dict[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write many cleaned people at once (an import): permission on every target unit, all or none, one
    audit row. Raises ValidationError when an ID number was taken meanwhile."""
    units = sorted({d.unit.pk: d.unit for d in drafts}.values(), key=lambda u: u.path)
    for unit in units if actor is not None else []:  # actor None: the installer (demo, bootstrap)
        ensure_can(actor, Action.ORG_IMPORT, unit)
    digests = [crypto.blind_index(d.id_number) for d in drafts if d.id_number]
    with transaction.atomic():
        if digests and Person.objects.filter(id_number_digest__in=digests).exists():
            raise ValidationError({"id_number": ID_NUMBER_TAKEN})
        people = []
        for draft in drafts:
            person = Person(unit=draft.unit, name=draft.name, gender=draft.gender, phone=draft.phone,
                            post=draft.post, is_party_member=draft.is_party_member)
            _apply_id_number(person, draft.id_number)
            people.append(person)
        for start in range(0, len(people), BULK_BATCH):
            Person.objects.bulk_create(people[start : start + BULK_BATCH])
            if progress is not None:
                progress(min(start + BULK_BATCH, len(people)), len(people))
        audit_record(actor=actor, event=event, unit_path=_common_prefix([u.path for u in units]),
                     new={"created": len(people), **(audit_new or {})})
    return len(people)


def _common_prefix(paths: list[str]) -> str:
    """The deepest unit path that holds all of ``paths``."""
    if not paths:
        return ""
    prefix = paths[0]
    for path in paths[1:]:
        while not path.startswith(prefix):
            prefix = prefix[:-PATH_SEGMENT]
    return prefix
