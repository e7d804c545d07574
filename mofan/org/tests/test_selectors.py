"""Reads through the actor's jurisdiction: a town-level user sees nothing of another town, and the audit
administrator sees no org data at all."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import Http404

from mofan.accounts.roles import Role
from mofan.core.identity import id_number_check_digit
from mofan.org import selectors, services
from mofan.org.models import UnitKind

pytestmark = pytest.mark.django_db


def id_number(seq: int) -> str:
    first17 = f"150102198003{seq % 28 + 1:02d}{seq % 1000:03d}"
    return first17 + id_number_check_digit(first17)


@pytest.fixture
def people(district: Any) -> dict[str, Any]:
    """One person per village, made by the installer."""
    make = services.person_create
    return {
        "a1": make(actor=None, unit=district.village_a1, name="甲一", id_number=id_number(1), is_party_member=True,
                   post="书记"),
        "a2": make(actor=None, unit=district.village_a2, name="甲二", id_number=id_number(2)),
        "b1": make(actor=None, unit=district.village_b1, name="乙一", id_number=id_number(3), is_party_member=True),
        "organ": make(actor=None, unit=district.department, name="机关一", id_number=id_number(4)),
    }


@pytest.fixture(params=[Role.SYSTEM_ADMIN, Role.CENTRE_OPERATOR])
def town_user(request: Any, district: Any, make_user: Any) -> Any:
    """A town-level user of 甲镇, once as administrator and once in an everyday role."""
    return make_user(request.param, district.town_a)


def test_town_user_sees_only_own_town(district: Any, people: dict[str, Any], town_user: Any) -> None:
    names = set(selectors.unit_list(actor=town_user).values_list("name", flat=True))
    assert names == {"甲镇", "村一", "村二"}
    assert [u.pk for u in selectors.unit_roots(actor=town_user)] == [district.town_a.pk]
    assert set(selectors.person_list(actor=town_user).values_list("name", flat=True)) == {"甲一", "甲二"}
    # Filters cannot widen the jurisdiction.
    assert not selectors.unit_list(actor=town_user, within=district.town_b).exists()
    assert not selectors.unit_list(actor=town_user, parent=district.district, kind=UnitKind.TOWN).exclude(
        pk=district.town_a.pk).exists()
    assert not selectors.person_list(actor=town_user, within=district.town_b).exists()
    assert not selectors.person_list(actor=town_user, search="乙").exists()


def test_town_user_gets_404_for_other_town(district: Any, people: dict[str, Any], town_user: Any) -> None:
    for unit in (district.town_b, district.village_b1, district.district, district.organ):
        with pytest.raises(Http404):
            selectors.unit_get(actor=town_user, pk=unit.pk)
    with pytest.raises(Http404):
        selectors.unit_history(actor=town_user, unit=district.village_b1)
    for key in ("b1", "organ"):
        with pytest.raises(Http404):
            selectors.person_get(actor=town_user, pk=people[key].pk)
    assert selectors.unit_get(actor=town_user, pk=district.village_a1.pk) == district.village_a1
    assert selectors.person_get(actor=town_user, pk=people["a1"].pk) == people["a1"]


@pytest.mark.parametrize("pk", ["abc", None, "", 10**9])
def test_unit_get_and_person_get_turn_junk_ids_into_404(district: Any, make_user: Any, pk: Any) -> None:
    user = make_user(Role.SYSTEM_ADMIN, district.district)
    with pytest.raises(Http404):
        selectors.unit_get(actor=user, pk=pk)
    with pytest.raises(Http404):
        selectors.person_get(actor=user, pk=pk)


def test_children_and_breadcrumb_stay_inside_jurisdiction(district: Any, town_user: Any) -> None:
    # The district root is outside; its children as seen by the town user are their own town only.
    assert [u.name for u in selectors.unit_children(actor=town_user, unit=district.district)] == ["甲镇"]
    children: list[Any] = list(selectors.unit_children(actor=town_user, unit=district.town_a))
    assert [(u.name, u.child_count) for u in children] == [("村一", 0), ("村二", 0)]
    assert [u.name for u in selectors.unit_ancestors(actor=town_user, unit=district.village_a1)] == ["甲镇", "村一"]


def test_district_user_sees_everything(district: Any, people: dict[str, Any], make_user: Any) -> None:
    user = make_user(Role.CENTRE_OPERATOR, district.district)
    assert selectors.unit_list(actor=user).count() == 8
    assert selectors.person_list(actor=user).count() == 4
    assert [u.name for u in selectors.unit_ancestors(actor=user, unit=district.village_b1)] == ["测试区", "乙镇", "村三"]
    nodes: list[Any] = list(selectors.unit_children(actor=user, unit=district.district))
    children = {u.name: u.child_count for u in nodes}
    assert children == {"甲镇": 2, "乙镇": 1, "区委政法委": 1}


def test_audit_admin_sees_no_org_data(district: Any, people: dict[str, Any], make_user: Any) -> None:
    auditor = make_user(Role.AUDIT_ADMIN, district.district)
    assert not selectors.unit_list(actor=auditor).exists()
    assert not selectors.unit_roots(actor=auditor).exists()
    assert not selectors.person_list(actor=auditor).exists()
    with pytest.raises(Http404):
        selectors.unit_get(actor=auditor, pk=district.district.pk)
    with pytest.raises(Http404):
        selectors.person_get(actor=auditor, pk=people["a1"].pk)


def test_user_without_roles_sees_nothing(district: Any, people: dict[str, Any], make_user: Any) -> None:
    nobody = make_user()
    assert not selectors.unit_list(actor=nobody).exists()
    assert not selectors.person_list(actor=nobody).exists()


def test_person_list_filters(district: Any, people: dict[str, Any], make_user: Any) -> None:
    user = make_user(Role.CENTRE_OPERATOR, district.district)
    assert [p.name for p in selectors.person_list(actor=user, within=district.town_a)] == ["甲一", "甲二"]
    assert [p.name for p in selectors.person_list(actor=user, party_member=True)] == ["甲一", "乙一"]
    assert [p.name for p in selectors.person_list(actor=user, party_member=False)] == ["甲二", "机关一"]
    assert [p.name for p in selectors.person_list(actor=user, search="书记")] == ["甲一"]
    assert [p.name for p in selectors.person_list(actor=user, search="机关")] == ["机关一"]


def test_unit_list_filters(district: Any, make_user: Any) -> None:
    user = make_user(Role.CENTRE_OPERATOR, district.district)
    assert [u.name for u in selectors.unit_list(actor=user, kind=UnitKind.VILLAGE)] == ["村一", "村二", "村三"]
    assert [u.name for u in selectors.unit_list(actor=user, parent=district.town_a)] == ["村一", "村二"]
    assert [u.name for u in selectors.unit_list(actor=user, within=district.organ)] == ["区委政法委", "综治科"]
    assert [u.name for u in selectors.unit_list(actor=user, search="15")] == ["测试区"]  # code prefix
    assert [u.name for u in selectors.unit_list(actor=user, search="政法")] == ["区委政法委"]


def test_closed_units_leave_lists_unless_asked(district: Any, make_user: Any) -> None:
    admin = make_user(Role.SYSTEM_ADMIN, district.district)
    services.unit_close(actor=admin, unit=district.village_a2)
    assert "村二" not in set(selectors.unit_list(actor=admin).values_list("name", flat=True))
    assert "村二" in set(selectors.unit_list(actor=admin, include_closed=True).values_list("name", flat=True))
