"""``mofan demo``: built the same way twice without duplicates, and extended by registered steps."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command

from mofan.accounts.models import Membership, User
from mofan.accounts.roles import Role
from mofan.demo import registry
from mofan.demo.structure import DISTRICT_CODE, DISTRICT_NAME
from mofan.org.models import Person, Unit, UnitKind

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def counts() -> dict[str, int]:
    return {"units": Unit.objects.count(), "people": Person.objects.count(), "users": User.objects.count(),
            "roles": Membership.objects.count()}


def run_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def test_demo_twice_builds_one_district() -> None:
    first_output = run_demo()
    first = counts()
    second_output = run_demo()
    assert counts() == first
    assert "本次新建" in first_output and "未新增" in second_output
    root = Unit.objects.get(parent__isnull=True)
    assert (root.name, root.code, root.kind) == (DISTRICT_NAME, DISTRICT_CODE, UnitKind.DISTRICT)

    towns = Unit.objects.filter(parent=root, kind=UnitKind.TOWN)
    assert towns.count() >= 8
    assert {t.name[-2:] for t in towns} >= {"街道", "苏木"} and any(t.name.endswith("镇") for t in towns)
    for town in towns:
        assert 5 <= town.children.filter(kind=UnitKind.VILLAGE).count() <= 10
        assert town.children.filter(kind=UnitKind.CENTRE).exists()
        assert len(town.code) == 9 and town.code.startswith(DISTRICT_CODE)

    assert 250 <= first["people"] <= 350
    organ_people = Person.objects.filter(unit__path__startswith=Unit.objects.get(name="区委政法委").path)
    for kind in (UnitKind.ORGAN, UnitKind.DEPARTMENT, UnitKind.PARTY_COMMITTEE, UnitKind.PARTY_GENERAL_BRANCH,
                 UnitKind.PARTY_BRANCH, UnitKind.PARTY_GROUP, UnitKind.CENTRE, UnitKind.WINDOW, UnitKind.STATION,
                 UnitKind.MEDIATION_ORG, UnitKind.GRID):
        assert Unit.objects.filter(kind=kind).exists(), kind
    assert organ_people.filter(is_party_member=True).exists()
    assert Unit.objects.filter(kind=UnitKind.STATION, name__endswith="消费维权服务站").count() >= 4
    assert Unit.objects.get(name="区市场监督管理局机关党总支").children.filter(kind=UnitKind.PARTY_BRANCH).count() >= 3


def test_registered_steps_run_in_order_with_the_district() -> None:
    seen: list[tuple[str, int]] = []

    @registry.demo_step(order=20, name="test-second")
    def second(district: Any) -> str:
        seen.append(("second", len(district.towns)))
        return "done"

    @registry.demo_step(order=10, name="test-first")
    def first(district: Any) -> None:
        seen.append(("first", len(district.all_villages())))
        assert district.account(Role.MEDIATOR).username == "tiaojie"
        assert district.rng("x").random() == district.rng("x").random()

    try:
        output = run_demo()
    finally:
        registry.unregister("test-first")
        registry.unregister("test-second")
    assert [name for name, _ in seen] == ["first", "second"]
    assert seen[1][1] == 8 and seen[0][1] >= 40
    assert "test-second：done" in output


def test_a_step_name_registers_once() -> None:
    registry.demo_step(order=1, name="test-once")(lambda d: None)
    try:
        with pytest.raises(ValueError):
            registry.demo_step(order=1, name="test-once")(lambda d: None)
    finally:
        registry.unregister("test-once")
