"""Writes on the tree and its people: each checks permission, refuses bad input without writing anything,
keeps history, and leaves exactly one audit row with personal data masked."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mofan.accounts.roles import Role
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.core import crypto
from mofan.core.identity import id_number_check_digit
from mofan.org import services
from mofan.org.models import Person, Unit, UnitChange, UnitKind, path_segment

pytestmark = pytest.mark.django_db


def id_number(seq: int, *, male: bool = True, birth: str = "19850614") -> str:
    """A valid 身份证号: region 150102, the birth date, a sequence whose last digit carries the gender."""
    first17 = f"150102{birth}{seq % 100:02d}{(1 if male else 2) + 2 * (seq % 4)}"
    return first17 + id_number_check_digit(first17)


def bad_checksum(number: str) -> str:
    wrong = "0" if number[17] != "0" else "1"
    return number[:17] + wrong


def last_audit() -> Any:
    return AuditLog.objects.latest("id")


def audit_rows() -> int:
    return AuditLog.objects.count()


def snapshot_units() -> list[tuple[Any, ...]]:
    return list(Unit.objects.order_by("pk").values_list("pk", "name", "code", "parent_id", "path", "depth"))


@pytest.fixture
def admin(district: Any, make_user: Any) -> Any:
    """系统管理员 of the whole district."""
    return make_user(Role.SYSTEM_ADMIN, district.district)


@pytest.fixture
def town_admin(district: Any, make_user: Any) -> Any:
    """系统管理员 of 甲镇 only."""
    return make_user(Role.SYSTEM_ADMIN, district.town_a)


# Units --------------------------------------------------------------------------------------------------


def test_unit_create_places_unit_in_tree_with_history_and_one_audit_row(district: Any, town_admin: Any) -> None:
    before = audit_rows()
    grid = services.unit_create(actor=town_admin, name="一组网格", kind=UnitKind.GRID, parent=district.village_a1)
    assert audit_rows() == before + 1
    assert grid.path == district.village_a1.path + path_segment(grid.pk)
    assert grid.depth == district.village_a1.depth + 1
    change = UnitChange.objects.get(unit=grid)
    assert (change.kind, change.new_name, change.new_parent_id, change.actor_id) == (
        UnitChange.Kind.CREATED, "一组网格", district.village_a1.pk, town_admin.pk)
    row = last_audit()
    assert (row.event_id, row.actor_id, row.target_id, row.success) == (
        AuditEvent.UNIT_CREATED.id, town_admin.pk, str(grid.pk), True)
    assert row.new_values["parent"] == "村一"


def test_unit_create_outside_jurisdiction_is_refused_and_writes_nothing(district: Any, town_admin: Any) -> None:
    units = snapshot_units()
    with pytest.raises(PermissionDenied):
        services.unit_create(actor=town_admin, name="新村", kind=UnitKind.VILLAGE, parent=district.town_b)
    assert snapshot_units() == units
    refusal = last_audit()
    assert (refusal.event_id, refusal.success) == (AuditEvent.ACCESS_DENIED.id, False)


def test_unit_create_refuses_wrong_placement(district: Any, admin: Any) -> None:
    units, before = snapshot_units(), audit_rows()
    with pytest.raises(ValidationError) as exc:
        services.unit_create(actor=admin, name="错位村", kind=UnitKind.VILLAGE, parent=district.district)
    assert "parent" in exc.value.message_dict
    assert "cannot stand under" in exc.value.message_dict["parent"][0]
    assert (snapshot_units(), audit_rows()) == (units, before)


def test_unit_create_refuses_duplicate_sibling_name(district: Any, admin: Any) -> None:
    units, before = snapshot_units(), audit_rows()
    with pytest.raises(ValidationError) as exc:
        services.unit_create(actor=admin, name="村一", kind=UnitKind.VILLAGE, parent=district.town_a)
    assert exc.value.message_dict["name"] == ["A unit of this name already stands under the same parent."]
    assert (snapshot_units(), audit_rows()) == (units, before)
    # The same name under another parent is fine.
    services.unit_create(actor=admin, name="村一", kind=UnitKind.VILLAGE, parent=district.town_b)


def test_unit_create_refuses_duplicate_code(district: Any, admin: Any) -> None:
    units = snapshot_units()
    with pytest.raises(ValidationError) as exc:
        services.unit_create(actor=admin, name="新村", kind=UnitKind.VILLAGE, parent=district.town_a, code="150000")
    assert "code" in exc.value.message_dict
    assert snapshot_units() == units


def test_unit_rename_keeps_old_name_in_history(district: Any, town_admin: Any) -> None:
    before = audit_rows()
    services.unit_update(actor=town_admin, unit=district.village_a1, name="幸福村", code="150102001")
    assert audit_rows() == before + 1
    district.village_a1.refresh_from_db()
    assert (district.village_a1.name, district.village_a1.code) == ("幸福村", "150102001")
    change = district.village_a1.changes.first()
    assert (change.kind, change.old_name, change.new_name) == (UnitChange.Kind.RENAMED, "村一", "幸福村")
    row = last_audit()
    assert row.event_id == AuditEvent.UNIT_RENAMED.id
    assert (row.old_values["name"], row.new_values["name"]) == ("村一", "幸福村")


def test_unit_code_change_is_an_update_not_a_rename(district: Any, town_admin: Any) -> None:
    services.unit_update(actor=town_admin, unit=district.village_a1, code="150102009")
    assert district.village_a1.changes.first().kind == UnitChange.Kind.UPDATED
    assert last_audit().event_id == AuditEvent.UNIT_UPDATED.id


def test_unit_rename_refuses_sibling_name_and_blank(district: Any, town_admin: Any) -> None:
    units, before = snapshot_units(), audit_rows()
    with pytest.raises(ValidationError) as exc:
        services.unit_update(actor=town_admin, unit=district.village_a1, name="村二")
    assert "name" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.unit_update(actor=town_admin, unit=district.village_a1, name="  ")
    assert (snapshot_units(), audit_rows()) == (units, before)
    assert not district.village_a1.changes.exclude(kind=UnitChange.Kind.CREATED).exists()


def test_unit_rename_outside_jurisdiction_is_refused(district: Any, town_admin: Any) -> None:
    units = snapshot_units()
    with pytest.raises(PermissionDenied):
        services.unit_update(actor=town_admin, unit=district.village_b1, name="改名")
    assert snapshot_units() == units


def test_unit_move_rewrites_subtree_paths_and_depths(district: Any, admin: Any) -> None:
    grid = services.unit_create(actor=admin, name="网格一", kind=UnitKind.GRID, parent=district.village_a1)
    person = services.person_create(actor=admin, unit=grid, name="张三", id_number=id_number(1))
    before = audit_rows()

    services.unit_move(actor=admin, unit=district.village_a1, new_parent=district.town_b)

    assert audit_rows() == before + 1
    district.refresh()
    grid.refresh_from_db()
    village = district.village_a1
    assert village.parent_id == district.town_b.pk
    assert village.path == district.town_b.path + path_segment(village.pk)
    assert grid.path == village.path + path_segment(grid.pk)
    assert (village.depth, grid.depth) == (district.town_b.depth + 1, district.town_b.depth + 2)
    # "Everything under 乙镇" now includes the moved village, its grid and its people.
    under_b = Unit.objects.filter(path__startswith=district.town_b.path)
    assert {village.pk, grid.pk} <= set(under_b.values_list("pk", flat=True))
    assert Person.objects.filter(unit__path__startswith=district.town_b.path, pk=person.pk).exists()
    assert not Unit.objects.filter(path__startswith=district.town_a.path, pk=grid.pk).exists()
    change = village.changes.first()
    assert (change.kind, change.old_parent_id, change.new_parent_id) == (
        UnitChange.Kind.MOVED, district.town_a.pk, district.town_b.pk)
    row = last_audit()
    assert (row.event_id, row.old_values["parent"], row.new_values["parent"]) == (
        AuditEvent.UNIT_MOVED.id, "甲镇", "乙镇")


def test_unit_move_into_own_subtree_is_refused_and_changes_nothing(district: Any, admin: Any) -> None:
    units, before = snapshot_units(), audit_rows()
    for target in (district.village_a1, district.town_a):
        with pytest.raises(ValidationError) as exc:
            services.unit_move(actor=admin, unit=district.town_a, new_parent=target)
        assert exc.value.message_dict["parent"] == ["A unit cannot be moved under itself or one of its own units."]
    assert (snapshot_units(), audit_rows()) == (units, before)
    assert not UnitChange.objects.filter(kind=UnitChange.Kind.MOVED).exists()


def test_unit_move_refuses_wrong_placement_and_sibling_name(district: Any, admin: Any) -> None:
    units = snapshot_units()
    with pytest.raises(ValidationError) as exc:
        services.unit_move(actor=admin, unit=district.village_a1, new_parent=district.organ)
    assert "cannot stand under" in exc.value.message_dict["parent"][0]
    services.unit_update(actor=admin, unit=district.village_b1, name="村一")
    units = snapshot_units()
    with pytest.raises(ValidationError) as exc:
        services.unit_move(actor=admin, unit=district.village_a1, new_parent=district.town_b)
    assert "name" in exc.value.message_dict
    assert snapshot_units() == units


def test_unit_move_needs_manage_on_both_ends(district: Any, town_admin: Any) -> None:
    units = snapshot_units()
    with pytest.raises(PermissionDenied):
        services.unit_move(actor=town_admin, unit=district.village_a1, new_parent=district.town_b)
    with pytest.raises(PermissionDenied):
        services.unit_move(actor=town_admin, unit=district.village_b1, new_parent=district.town_a)
    assert snapshot_units() == units


def test_everyday_role_cannot_change_units(district: Any, make_user: Any) -> None:
    operator = make_user(Role.CENTRE_OPERATOR, district.town_a)
    units = snapshot_units()
    with pytest.raises(PermissionDenied):
        services.unit_create(actor=operator, name="新村", kind=UnitKind.VILLAGE, parent=district.town_a)
    with pytest.raises(PermissionDenied):
        services.unit_update(actor=operator, unit=district.village_a1, name="改名")
    assert snapshot_units() == units


# People -------------------------------------------------------------------------------------------------


def test_person_create_encrypts_id_number_and_audits_masked(district: Any, town_admin: Any) -> None:
    number = id_number(7, male=False)
    before = audit_rows()
    person = services.person_create(actor=town_admin, unit=district.village_a1, name="李梅", phone="13812345678",
                                    id_number=number, is_party_member=True, post="村主任")
    assert audit_rows() == before + 1
    person.refresh_from_db()
    assert person.gender == "F"  # taken from the ID number
    assert number not in person.id_number_cipher
    assert crypto.decrypt(person.id_number_cipher) == number
    assert person.id_number_digest == crypto.blind_index(number)
    assert person.id_number_masked == number[:4] + "*" * 10 + number[-4:]
    row = last_audit()
    assert (row.event_id, row.target_id, row.unit_path) == (
        AuditEvent.PERSON_CREATED.id, str(person.pk), district.village_a1.path)
    stored = str(row.new_values)
    assert number not in stored and "13812345678" not in stored
    assert row.new_values["phone"] == "138****5678"
    assert row.new_values["id_number"] == person.id_number_masked


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"id_number": bad_checksum(id_number(3))}, "id_number"),
        ({"id_number": "15010219851314001X"}, "id_number"),
        ({"id_number": "12345"}, "id_number"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "2381234567"}, "phone"),
        ({"name": "  "}, "name"),
        ({"gender": "F", "id_number": id_number(5, male=True)}, "gender"),
        ({"gender": "X"}, "gender"),
    ],
)
def test_person_create_refuses_bad_input_and_writes_nothing(
    district: Any, town_admin: Any, fields: dict[str, str], error_field: str
) -> None:
    values: dict[str, Any] = {"name": "王五", "gender": "M", "phone": "", "id_number": ""} | fields
    people, before = Person.objects.count(), audit_rows()
    with pytest.raises(ValidationError) as exc:
        services.person_create(actor=town_admin, unit=district.village_a1, **values)
    assert error_field in exc.value.message_dict
    assert exc.value.message_dict[error_field][0]
    assert (Person.objects.count(), audit_rows()) == (people, before)


def test_person_create_refuses_duplicate_id_number(district: Any, admin: Any) -> None:
    number = id_number(11)
    services.person_create(actor=admin, unit=district.village_a1, name="赵一", id_number=number)
    people, before = Person.objects.count(), audit_rows()
    with pytest.raises(ValidationError) as exc:
        # In another town, and typed in lower case: still the same person.
        services.person_create(actor=admin, unit=district.village_b1, name="赵二", id_number=number.lower())
    assert exc.value.message_dict["id_number"] == ["A person with this ID number already exists."]
    assert (Person.objects.count(), audit_rows()) == (people, before)


def test_person_create_outside_jurisdiction_is_refused(district: Any, town_admin: Any) -> None:
    people = Person.objects.count()
    with pytest.raises(PermissionDenied):
        services.person_create(actor=town_admin, unit=district.village_b1, name="钱六", id_number=id_number(12))
    assert Person.objects.count() == people


def test_person_update_audits_masked_difference_and_keeps_id_number(district: Any, town_admin: Any) -> None:
    number = id_number(21)
    person = services.person_create(actor=town_admin, unit=district.village_a1, name="孙七", phone="13900001111",
                                    id_number=number)
    before = audit_rows()
    services.person_update(actor=town_admin, person=person, name="孙七", gender="M", phone="13900002222",
                           id_number=None, is_party_member=True, post="会计")
    assert audit_rows() == before + 1
    person.refresh_from_db()
    assert (person.phone, person.is_party_member, person.post) == ("13900002222", True, "会计")
    assert crypto.decrypt(person.id_number_cipher) == number
    row = last_audit()
    assert row.event_id == AuditEvent.PERSON_UPDATED.id
    assert row.old_values == {"phone": "139****1111", "post": "", "is_party_member": False}
    assert row.new_values == {"phone": "139****2222", "post": "会计", "is_party_member": True}
    assert "13900002222" not in str(row.new_values)


def test_person_update_replaces_id_number_and_refuses_bad_one(district: Any, town_admin: Any) -> None:
    person = services.person_create(actor=town_admin, unit=district.village_a1, name="周八", id_number=id_number(31))
    new_number = id_number(32)
    services.person_update(actor=town_admin, person=person, name="周八", gender="M", phone="",
                           id_number=new_number, is_party_member=False, post="")
    person.refresh_from_db()
    assert crypto.decrypt(person.id_number_cipher) == new_number
    row = last_audit()
    assert new_number not in str(row.new_values)

    state, before = Person.objects.values().get(pk=person.pk), audit_rows()
    with pytest.raises(ValidationError) as exc:
        services.person_update(actor=town_admin, person=person, name="周八", gender="M", phone="139",
                               id_number=bad_checksum(new_number), is_party_member=False, post="")
    assert {"id_number", "phone"} <= set(exc.value.message_dict)
    assert (Person.objects.values().get(pk=person.pk), audit_rows()) == (state, before)


def test_person_update_refuses_another_persons_id_number(district: Any, admin: Any) -> None:
    taken = id_number(41)
    services.person_create(actor=admin, unit=district.village_a1, name="吴九", id_number=taken)
    person = services.person_create(actor=admin, unit=district.village_a2, name="郑十", id_number=id_number(42))
    state = Person.objects.values().get(pk=person.pk)
    with pytest.raises(ValidationError) as exc:
        services.person_update(actor=admin, person=person, name="郑十", gender="M", phone="", id_number=taken,
                               is_party_member=False, post="")
    assert "id_number" in exc.value.message_dict
    assert Person.objects.values().get(pk=person.pk) == state


def test_person_update_outside_jurisdiction_is_refused(district: Any, admin: Any, town_admin: Any) -> None:
    person = services.person_create(actor=admin, unit=district.village_b1, name="冯一", id_number=id_number(51))
    state = Person.objects.values().get(pk=person.pk)
    with pytest.raises(PermissionDenied):
        services.person_update(actor=town_admin, person=person, name="改名", gender="M", phone="",
                               is_party_member=False, post="")
    assert Person.objects.values().get(pk=person.pk) == state


def test_person_move_audits_one_row_and_needs_both_ends(district: Any, admin: Any, town_admin: Any) -> None:
    person = services.person_create(actor=admin, unit=district.village_a1, name="陈二", id_number=id_number(61))
    before = audit_rows()
    services.person_move(actor=town_admin, person=person, unit=district.village_a2)
    assert audit_rows() == before + 1
    row = last_audit()
    assert (row.event_id, row.old_values, row.new_values) == (
        AuditEvent.PERSON_MOVED.id, {"unit": "村一"}, {"unit": "村二"})
    with pytest.raises(PermissionDenied):
        services.person_move(actor=town_admin, person=person, unit=district.village_b1)
    person.refresh_from_db()
    assert person.unit_id == district.village_a2.pk


def test_person_reveal_returns_clear_number_and_audits(district: Any, admin: Any, make_user: Any) -> None:
    number = id_number(71)
    person = services.person_create(actor=admin, unit=district.village_a1, name="褚三", id_number=number)
    before = audit_rows()
    assert services.person_reveal_id_number(actor=admin, person=person) == number
    assert audit_rows() == before + 1
    row = last_audit()
    assert (row.event_id, row.target_id) == (AuditEvent.PERSON_SENSITIVE_VIEWED.id, str(person.pk))
    assert number not in str(row.new_values) + row.note

    operator = make_user(Role.CENTRE_OPERATOR, district.town_a)
    with pytest.raises(PermissionDenied):
        services.person_reveal_id_number(actor=operator, person=person)


def _draft(unit: Unit, seq: int) -> services.PersonDraft:
    from mofan.org.tests.conftest import id_number

    return services.PersonDraft(unit=unit, name=f"批量{seq}", gender="M", phone="13800000000",
                                id_number=id_number(100 + seq))


def test_bulk_create_writes_all_with_one_audit_row(district: Any, make_user: Any) -> None:
    actor = make_user(Role.SYSTEM_ADMIN, district.town_a)
    drafts = [_draft(district.village_a1 if n % 2 else district.village_a2, n) for n in range(5)]
    before = AuditLog.objects.count()
    assert services.person_bulk_create(actor=actor, drafts=drafts, event=AuditEvent.IMPORT_PEOPLE) == 5
    people = Person.objects.filter(name__startswith="批量")
    assert people.count() == 5
    assert all(crypto.decrypt(p.id_number_cipher) == d.id_number for p, d in zip(people.order_by("id"), drafts,
                                                                                    strict=True))
    assert AuditLog.objects.count() == before + 1
    row = AuditLog.objects.latest("id")
    assert row.event_id == AuditEvent.IMPORT_PEOPLE.id and row.new_values == {"created": 5}
    assert row.unit_path == district.town_a.path


def test_bulk_create_outside_the_jurisdiction_writes_nothing(district: Any, make_user: Any) -> None:
    actor = make_user(Role.SYSTEM_ADMIN, district.town_a)
    drafts = [_draft(district.village_a1, 1), _draft(district.village_b1, 2)]
    with pytest.raises(PermissionDenied):
        services.person_bulk_create(actor=actor, drafts=drafts, event=AuditEvent.IMPORT_PEOPLE)
    assert not Person.objects.filter(name__startswith="批量").exists()


def test_bulk_create_refuses_a_taken_id_number_and_writes_nothing(district: Any) -> None:
    first = _draft(district.village_a1, 1)
    services.person_create(actor=None, unit=first.unit, name="先来", gender="M", id_number=first.id_number)
    assert services.id_numbers_taken([first.id_number, _draft(district.village_a1, 2).id_number]) == {
        first.id_number}
    with pytest.raises(ValidationError):
        services.person_bulk_create(actor=None, drafts=[_draft(district.village_a1, 2), first],
                                    event=AuditEvent.IMPORT_PEOPLE)
    assert not Person.objects.filter(name__startswith="批量").exists()
