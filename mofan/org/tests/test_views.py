"""The district pages: they render for permitted users, refuse bad input with clear messages and write
nothing, load the tree lazily over HTMX, mask personal data, export xlsx, and show nothing of another town."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from mofan.accounts.roles import Role
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.core import crypto
from mofan.core.xlsx import XLSX_CONTENT_TYPE
from mofan.org import services
from mofan.org.models import Person, Unit, UnitChange, UnitKind
from mofan.org.tests.conftest import id_number

pytestmark = pytest.mark.django_db


def last_audit() -> Any:
    return AuditLog.objects.latest("id")


def url(name: str, *args: Any) -> str:
    return reverse(f"org:{name}", args=args)


def xlsx_rows(response: Any) -> list[tuple[Any, ...]]:
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def snapshot() -> tuple[Any, ...]:
    return (
        list(Unit.objects.order_by("pk").values_list("pk", "name", "code", "parent_id", "path", "depth")),
        list(Person.objects.order_by("pk").values()),
    )




# Rendering ----------------------------------------------------------------------------------------------


def test_pages_need_sign_in(district: Any, client: Any) -> None:
    response = client.get(url("unit_tree"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_tree_shows_own_roots_and_first_level(district: Any, operator: Any) -> None:
    response = operator.get(url("unit_tree"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "甲镇" in html and "村一" in html and "村二" in html
    assert "乙镇" not in html and "测试区" not in html
    assert url("unit_export") in html


def test_tree_lazy_children_fragment(district: Any, make_user: Any, login: Any) -> None:
    client = login(make_user(Role.CENTRE_OPERATOR, district.district))
    html = client.get(url("unit_tree")).content.decode()
    # 甲镇 has children: it is an expandable node that loads them over HTMX.
    assert f'hx-get="{url("unit_children", district.town_a.pk)}"' in html
    response = client.get(url("unit_children", district.town_a.pk), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    fragment = response.content.decode()
    assert "<html" not in fragment
    assert fragment.count("<li>") == 2 and "村一" in fragment and "村二" in fragment
    assert url("unit_detail", district.village_a1.pk) in fragment


def test_tree_search(district: Any, operator: Any) -> None:
    html = operator.get(url("unit_tree"), {"q": "村"}).content.decode()
    assert "Search results" in html or "搜索结果" in html
    assert html.count(url("unit_detail", district.village_a1.pk)) >= 2  # in the results and in the tree
    response = operator.get(url("unit_tree"), {"q": "村三"})
    assert response.context["results"] == []
    assert url("unit_detail", district.village_b1.pk) not in response.content.decode()


def test_unit_detail_renders_breadcrumb_people_history(district: Any, people: Any, operator: Any) -> None:
    response = operator.get(url("unit_detail", district.village_a1.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert url("unit_detail", district.town_a.pk) in html  # breadcrumb
    assert "甲一" in html and "甲二" not in html
    assert "138****5678" in html and "13812345678" not in html  # an operator sees the phone masked
    assert people["a1"].id_number_masked in html and id_number(1) not in html
    # Everyday role: no edit buttons.
    assert url("unit_edit", district.village_a1.pk) not in html
    assert url("unit_move", district.village_a1.pk) not in html


def test_unit_detail_shows_manage_buttons_and_masked_phone_to_admin(district: Any, people: Any, admin: Any) -> None:
    html = admin.get(url("unit_detail", district.village_a1.pk)).content.decode()
    assert url("unit_edit", district.village_a1.pk) in html
    assert url("unit_move", district.village_a1.pk) in html
    assert f'{url("unit_create")}?parent={district.village_a1.pk}' in html
    assert "138****5678" in html and "13812345678" not in html  # lists mask for every role (issue 9 defect 13)
    assert id_number(1) not in html


def test_unit_detail_people_are_paged(district: Any, admin: Any) -> None:
    for i in range(55):
        services.person_create(actor=None, unit=district.village_a2, name=f"人{i:02d}", gender="M")
    page1 = admin.get(url("unit_detail", district.town_a.pk)).content.decode()
    assert "人00" in page1 and "人49" in page1 and "人50" not in page1
    last_on_page1 = Person.objects.get(name="人49").pk
    assert f"after={last_on_page1}" in page1
    page2 = admin.get(url("unit_detail", district.town_a.pk), {"after": last_on_page1}).content.decode()
    assert "人50" in page2 and "人54" in page2 and "人00" not in page2
    assert f"before={Person.objects.get(name='人50').pk}" in page2


def test_unit_detail_history_shows_rename_and_move(district: Any, make_user: Any, login: Any) -> None:
    user = make_user(Role.SYSTEM_ADMIN, district.district)
    services.unit_update(actor=user, unit=district.village_a1, name="幸福村")
    services.unit_move(actor=user, unit=district.village_a1, new_parent=district.town_b)
    html = login(user).get(url("unit_detail", district.village_a1.pk)).content.decode()
    assert "村一" in html and "幸福村" in html and "甲镇" in html and "乙镇" in html
    assert str(UnitChange.Kind.MOVED.label) in html and str(UnitChange.Kind.RENAMED.label) in html


# Unit forms ---------------------------------------------------------------------------------------------


def test_unit_create_under_parent(district: Any, admin: Any) -> None:
    response = admin.get(url("unit_create"), {"parent": district.village_a1.pk})
    assert response.status_code == 200
    before = AuditLog.objects.count()
    response = admin.post(f'{url("unit_create")}?parent={district.village_a1.pk}',
                          {"parent": district.village_a1.pk, "name": "第一网格", "kind": UnitKind.GRID, "code": "",
                           "sort_order": "1"})
    grid = Unit.objects.get(name="第一网格")
    assert response.status_code == 302 and response["Location"] == url("unit_detail", grid.pk)
    assert grid.parent_id == district.village_a1.pk and grid.sort_order == 1
    assert AuditLog.objects.count() == before + 1


def test_unit_create_refuses_bad_input_with_messages(district: Any, admin: Any) -> None:
    state = snapshot()
    response = admin.post(url("unit_create"), {"parent": district.town_a.pk, "name": "村一", "kind": UnitKind.VILLAGE})
    assert response.status_code == 200
    assert "A unit of this name already stands under the same parent." in response.content.decode()
    response = admin.post(url("unit_create"), {"parent": district.town_a.pk, "name": "镇中镇", "kind": UnitKind.TOWN})
    assert "cannot stand under" in response.content.decode()
    response = admin.post(url("unit_create"), {"parent": district.town_a.pk, "name": "", "kind": UnitKind.VILLAGE})
    assert response.status_code == 200 and response.context["form"].errors["name"]
    assert snapshot() == state


def test_unit_create_refused_to_everyday_role_and_outside(district: Any, admin: Any, operator: Any) -> None:
    state = snapshot()
    assert operator.get(url("unit_create")).status_code == 403
    assert operator.get(url("unit_create"), {"parent": district.town_a.pk}).status_code == 403
    response = operator.post(url("unit_create"), {"parent": district.town_a.pk, "name": "新村", "kind": "village"})
    assert response.status_code == 403
    assert admin.get(url("unit_create"), {"parent": district.town_b.pk}).status_code == 404
    # A parent outside the jurisdiction is not offered, so the form refuses it.
    response = admin.post(url("unit_create"), {"parent": district.town_b.pk, "name": "新村", "kind": "village"})
    assert response.status_code == 200 and response.context["form"].errors["parent"]
    assert snapshot() == state


def test_unit_edit_renames_and_refuses_bad_input(district: Any, admin: Any) -> None:
    target = url("unit_edit", district.village_a1.pk)
    assert admin.get(target).status_code == 200
    response = admin.post(target, {"name": "村二", "code": "", "sort_order": "0"})
    assert "A unit of this name already stands under the same parent." in response.content.decode()
    response = admin.post(target, {"name": "村一", "code": "150000", "sort_order": "0"})
    assert "Another unit has this code." in response.content.decode()
    district.village_a1.refresh_from_db()
    assert (district.village_a1.name, district.village_a1.code) == ("村一", "")
    response = admin.post(target, {"name": "幸福村", "code": "150102001", "sort_order": "3"})
    assert response.status_code == 302
    district.village_a1.refresh_from_db()
    assert (district.village_a1.name, district.village_a1.code, district.village_a1.sort_order) == (
        "幸福村", "150102001", 3)


def test_unit_move_page(district: Any, make_user: Any, login: Any) -> None:
    client = login(make_user(Role.SYSTEM_ADMIN, district.district))
    response = client.get(url("unit_move", district.village_a1.pk))
    assert response.status_code == 200
    offered = set(response.context["form"].fields["parent"].queryset.values_list("name", flat=True))
    assert offered == {"甲镇", "乙镇"}  # only towns may hold a village
    state = snapshot()
    response = client.post(url("unit_move", district.town_a.pk), {"parent": district.village_a1.pk})
    assert response.status_code == 200 and response.context["form"].errors["parent"]
    assert snapshot() == state
    response = client.post(url("unit_move", district.village_a1.pk), {"parent": district.town_b.pk})
    assert response.status_code == 302
    district.refresh()
    assert district.village_a1.path.startswith(district.town_b.path)


def test_unit_move_shows_service_error(district: Any, make_user: Any, login: Any) -> None:
    user = make_user(Role.SYSTEM_ADMIN, district.district)
    services.unit_update(actor=user, unit=district.village_b1, name="村一")
    state = snapshot()
    response = login(user).post(url("unit_move", district.village_a1.pk), {"parent": district.town_b.pk})
    assert response.status_code == 200
    assert "A unit of this name already stands under the same parent." in response.content.decode()
    assert snapshot() == state


# People -------------------------------------------------------------------------------------------------


def test_person_list_masks_phone_for_everyday_role(district: Any, people: Any, operator: Any) -> None:
    response = operator.get(url("person_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "甲一" in html and "甲二" in html and "乙一" not in html
    assert "138****5678" in html and "13812345678" not in html
    assert people["a1"].id_number_masked in html and id_number(1) not in html


def test_person_list_masks_phone_for_sensitive_role_too(district: Any, people: Any, admin: Any) -> None:
    html = admin.get(url("person_list")).content.decode()
    assert "138****5678" in html and "13812345678" not in html  # clear only through the audited unmask
    assert id_number(1) not in html and id_number(2) not in html


def test_person_list_filters(district: Any, people: Any, operator: Any) -> None:
    html = operator.get(url("person_list"), {"unit": district.village_a2.pk}).content.decode()
    assert "甲二" in html and "甲一" not in html
    html = operator.get(url("person_list"), {"party": "1"}).content.decode()
    assert "甲一" in html and "甲二" not in html
    html = operator.get(url("person_list"), {"q": "书记"}).content.decode()
    assert "甲一" in html and "甲二" not in html


def _list_queries(client: Any) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url("person_list"), {"unit": ""}).status_code == 200
    return len(ctx.captured_queries)


def test_person_list_query_count_is_constant(
    district: Any, admin: Any, django_assert_max_num_queries: Any
) -> None:
    for i in range(3):
        services.person_create(actor=None, unit=district.village_a1, name=f"少{i}", gender="M", phone="13800000000")
    few = _list_queries(admin)
    for i in range(60):
        unit = district.village_a1 if i % 2 else district.village_a2
        services.person_create(actor=None, unit=unit, name=f"多{i}", gender="F", phone="13800000000",
                                      is_party_member=bool(i % 3))
    assert _list_queries(admin) == few
    # session, user, memberships, filter unit, count, page, session save (+ savepoint pair): no per-row query.
    with django_assert_max_num_queries(9):
        assert admin.get(url("person_list"), {"unit": district.town_a.pk, "page": 2}).status_code == 200


def test_person_detail_is_masked_and_reveal_is_audited(district: Any, people: Any, admin: Any, reauth: Any) -> None:
    person = people["a1"]
    html = admin.get(url("person_detail", person.pk)).content.decode()
    assert id_number(1) not in html and "13812345678" not in html
    assert person.id_number_masked in html and "138****5678" in html
    assert url("person_reveal", person.pk) in html

    assert admin.get(url("person_reveal", person.pk)).status_code == 405
    reauth(admin)
    before = AuditLog.objects.count()
    response = admin.post(url("person_reveal", person.pk), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    fragment = response.content.decode()
    assert id_number(1) in fragment and "13812345678" in fragment and "<html" not in fragment
    assert "no-store" in response["Cache-Control"]
    assert AuditLog.objects.count() == before + 1
    assert last_audit().event_id == AuditEvent.PERSON_SENSITIVE_VIEWED.id
    # Without HTMX the whole page comes back, revealed.
    html = admin.post(url("person_reveal", person.pk)).content.decode()
    assert id_number(1) in html and "<html" in html


def test_person_reveal_refused_to_everyday_role(district: Any, people: Any, operator: Any) -> None:
    html = operator.get(url("person_detail", people["a1"].pk)).content.decode()
    assert url("person_reveal", people["a1"].pk) not in html
    response = operator.post(url("person_reveal", people["a1"].pk))
    assert response.status_code == 403
    assert id_number(1) not in response.content.decode()
    assert last_audit().event_id == AuditEvent.ACCESS_DENIED.id


def test_person_create(district: Any, admin: Any) -> None:
    assert admin.get(url("person_create"), {"unit": district.village_a1.pk}).status_code == 200
    number = id_number(9, male=False)
    response = admin.post(url("person_create"), {
        "unit": district.village_a1.pk, "name": "新人", "id_number": number, "gender": "", "phone": "0471-6234567",
        "is_party_member": "on", "post": "委员",
    })
    person = Person.objects.get(name="新人")
    assert response.status_code == 302 and response["Location"] == url("person_detail", person.pk)
    assert (person.gender, person.phone, person.is_party_member) == ("F", "0471-6234567", True)
    assert crypto.decrypt(person.id_number_cipher) == number


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"id_number": "BADCHECK"}, "The check digit of the ID number is wrong."),
        ({"phone": "12345"}, "Not a valid phone number."),
        ({"id_number": "DUPLICATE"}, "A person with this ID number already exists."),
        ({"gender": "F", "id_number": "MALE"}, "The gender does not match the ID number."),
    ],
)
def test_person_create_refuses_bad_input_with_messages(
    district: Any, people: Any, admin: Any, fields: dict[str, str], message: str
) -> None:
    data = {"unit": district.village_a1.pk, "name": "坏人", "id_number": "", "gender": "M", "phone": "", "post": ""}
    data |= fields
    if data["id_number"] == "DUPLICATE":
        data["id_number"] = id_number(1)
    if data["id_number"] == "BADCHECK":
        good = id_number(8)
        data["id_number"] = good[:17] + ("0" if good[17] != "0" else "1")
    if data["id_number"] == "MALE":
        data["id_number"] = id_number(21, male=True)
    state, before = snapshot(), AuditLog.objects.count()
    response = admin.post(url("person_create"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert (snapshot(), AuditLog.objects.count()) == (state, before)


def test_person_create_refused_to_everyday_role(district: Any, operator: Any) -> None:
    assert operator.get(url("person_create")).status_code == 403
    response = operator.post(url("person_create"), {"unit": district.village_a1.pk, "name": "某人", "gender": "M"})
    assert response.status_code == 403
    assert not Person.objects.filter(name="某人").exists()


def test_person_edit_blank_id_number_keeps_current(district: Any, people: Any, admin: Any) -> None:
    person = people["a1"]
    response = admin.get(url("person_edit", person.pk))
    assert response.status_code == 200
    assert id_number(1) not in response.content.decode()
    response = admin.post(url("person_edit", person.pk), {
        "name": "甲一改", "id_number": "", "gender": "M", "phone": "13812345679", "post": "主任",
    })
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.name, person.phone, person.post, person.is_party_member) == ("甲一改", "13812345679", "主任", False)
    assert crypto.decrypt(person.id_number_cipher) == id_number(1)


def test_person_edit_refuses_bad_input(district: Any, people: Any, admin: Any) -> None:
    person = people["a1"]
    state = snapshot()
    response = admin.post(url("person_edit", person.pk), {
        "name": "甲一", "id_number": id_number(2), "gender": "M", "phone": "13812345678", "post": "书记",
        "is_party_member": "on",
    })
    assert response.status_code == 200
    assert "A person with this ID number already exists." in response.content.decode()
    assert snapshot() == state


def test_person_edit_refused_to_everyday_role(district: Any, people: Any, operator: Any) -> None:
    assert operator.get(url("person_edit", people["a1"].pk)).status_code == 403
    state = snapshot()
    response = operator.post(url("person_edit", people["a1"].pk), {"name": "改", "gender": "M"})
    assert response.status_code == 403
    assert snapshot() == state


# Export -------------------------------------------------------------------------------------------------


def test_person_export_masks_and_audits(district: Any, people: Any, admin: Any, reauth: Any) -> None:
    reauth(admin)
    before = AuditLog.objects.count()
    rows = xlsx_rows(admin.get(url("person_export")))
    header, body = rows[0], rows[1:]
    assert len(header) == 7
    assert sorted(r[0] for r in body) == ["甲一", "甲二"]
    flat = str(body)
    assert "13812345678" not in flat and id_number(1) not in flat  # masked even for a sensitive role
    assert "138****5678" in flat and people["a1"].id_number_masked in flat
    assert AuditLog.objects.count() == before + 1
    row = last_audit()
    assert (row.event_id, row.note, row.new_values) == (
        AuditEvent.EXPORT_LIST.id, "org.person", {"list": "org.person", "count": 2})


def test_person_export_follows_list_filters(district: Any, people: Any, admin: Any, reauth: Any) -> None:
    reauth(admin)
    rows = xlsx_rows(admin.get(url("person_export"), {"unit": district.village_a2.pk}))
    assert [r[0] for r in rows[1:]] == ["甲二"]
    rows = xlsx_rows(admin.get(url("person_export"), {"party": "1"}))
    assert [r[0] for r in rows[1:]] == ["甲一"]


def test_unit_export(district: Any, operator: Any) -> None:
    rows = xlsx_rows(operator.get(url("unit_export")))
    assert len(rows[0]) == 6
    assert [r[0] for r in rows[1:]] == ["甲镇", "村一", "村二"]
    assert rows[2][3] == "甲镇"  # parent column
    row = last_audit()
    assert (row.event_id, row.new_values["count"]) == (AuditEvent.EXPORT_LIST.id, 3)
    rows = xlsx_rows(operator.get(url("unit_export"), {"q": "村二"}))
    assert [r[0] for r in rows[1:]] == ["村二"]


# Isolation ----------------------------------------------------------------------------------------------


def test_town_user_sees_nothing_of_other_town(district: Any, people: Any, town_client: Any, reauth: Any) -> None:
    client = reauth(town_client)
    b = people["b1"]
    for target in (url("unit_detail", district.town_b.pk), url("unit_detail", district.village_b1.pk),
                   url("unit_children", district.town_b.pk), url("unit_detail", district.district.pk),
                   url("person_detail", b.pk)):
        assert client.get(target).status_code == 404, target
    # Lists: absent; filters naming another town's unit: 404.
    assert "乙一" not in client.get(url("person_list")).content.decode()
    assert "乙镇" not in client.get(url("unit_tree")).content.decode()
    assert client.get(url("person_list"), {"unit": district.town_b.pk}).status_code == 404
    assert client.get(url("unit_tree"), {"unit": district.town_b.pk}).status_code == 404
    # Export: absent from the rows.
    assert "乙一" not in str(xlsx_rows(client.get(url("person_export"))))
    units = str(xlsx_rows(client.get(url("unit_export"))))
    assert "乙镇" not in units and "村三" not in units
    assert client.get(url("person_export"), {"unit": district.village_b1.pk}).status_code == 404


def test_town_user_cannot_change_other_town(district: Any, people: Any, town_client: Any) -> None:
    client = town_client
    b = people["b1"]
    state = snapshot()
    attempts = [
        (url("unit_edit", district.village_b1.pk), {"name": "改名", "code": "", "sort_order": "0"}),
        (url("unit_move", district.village_b1.pk), {"parent": district.town_a.pk}),
        (f'{url("unit_create")}?parent={district.town_b.pk}', {"parent": district.town_b.pk, "name": "新", "kind": "village"}),
        (url("person_edit", b.pk), {"name": "改名", "gender": "M", "phone": "", "id_number": "", "post": ""}),
        (url("person_reveal", b.pk), {}),
        (f'{url("person_create")}?unit={district.village_b1.pk}', {"unit": district.village_b1.pk, "name": "新", "gender": "M"}),
    ]
    for target, data in attempts:
        assert client.get(target).status_code in (403, 404, 405), target
        assert client.post(target, data).status_code in (403, 404), target
    assert snapshot() == state
    assert not AuditLog.objects.filter(event_id=AuditEvent.PERSON_SENSITIVE_VIEWED.id).exists()


def test_audit_admin_sees_no_org_data(district: Any, people: Any, make_user: Any, login: Any, reauth: Any) -> None:
    client = reauth(login(make_user(Role.AUDIT_ADMIN, district.district)))
    html = client.get(url("unit_tree")).content.decode()
    assert "甲镇" not in html and "测试区" not in html
    html = client.get(url("person_list")).content.decode()
    assert "甲一" not in html and "乙一" not in html
    assert client.get(url("unit_detail", district.district.pk)).status_code == 404
    assert client.get(url("person_detail", people["a1"].pk)).status_code == 404
    assert xlsx_rows(client.get(url("person_export")))[1:] == []
    assert xlsx_rows(client.get(url("unit_export")))[1:] == []
