"""/api/cases/: jurisdiction isolation, filters, keyset paging newest first, create, and the reporter's
masking with the audited reveal (``services.privacy``)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from mofan.accounts.roles import Role
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.cases.models import Case, Category, Channel
from mofan.cases.services.intake import case_create
from mofan.cases.services.privacy import reporter_reveal
from mofan.cases.services.triage import case_accept
from mofan.core.identity import id_number_check_digit

pytestmark = pytest.mark.django_db

LIST = "/api/cases/"
ID_NUMBER = "15010219800101123" + id_number_check_digit("15010219800101123")


def make_case(actor: Any, area: Any, **extra: Any) -> Case:
    values: dict[str, Any] = {"channel": Channel.HOTLINE, "description": "噪音扰民", "reporter_name": "张三",
              "reporter_phone": "13812345678", "reporter_id_number": ID_NUMBER}
    values.update(extra)
    return case_create(actor=actor, area=area, **values)


@pytest.fixture
def cases(gov: Any) -> dict[str, Case]:
    return {
        "a1": make_case(gov.village_a1_operator, gov.d.village_a1),
        "a2": make_case(gov.town_a_operator, gov.d.village_a2, urgency="urgent"),
        "b1": make_case(gov.town_b_operator, gov.d.village_b1, channel=Channel.WINDOW_LEGAL),
    }


def codes(response: Any) -> list[str]:
    return [row["tracking_code"] for row in response.json()["results"]]


def test_list_is_isolated_by_jurisdiction(gov: Any, cases: Any, login: Any) -> None:
    town_b = login(gov.town_b_operator).get(LIST)
    assert town_b.status_code == 200 and codes(town_b) == [cases["b1"].tracking_code]
    town_a = codes(login(gov.town_a_operator).get(LIST))
    assert town_a == [cases["a2"].tracking_code, cases["a1"].tracking_code]  # newest first
    assert codes(login(gov.village_a1_operator).get(LIST)) == [cases["a1"].tracking_code]
    assert codes(login(gov.justice_handler).get(LIST)) == []  # nothing dispatched to 司法局
    assert login(gov.town_b_operator).get(f"{LIST}{cases['a1'].pk}/").status_code == 404
    assert login(gov.town_b_operator).get(LIST, {"area": gov.d.village_a1.pk}).status_code == 404


def test_list_pages_by_keyset_newest_first(gov: Any, cases: Any, login: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr("mofan.core.api.PAGE_SIZE", 1)
    client = login(gov.town_a_operator)
    first = client.get(LIST).json()
    assert (first["count"], [r["id"] for r in first["results"]]) == (2, [cases["a2"].pk])
    second = client.get(first["next"]).json()
    assert [r["id"] for r in second["results"]] == [cases["a1"].pk] and second["next"] is None
    assert [r["id"] for r in client.get(second["previous"]).json()["results"]] == [cases["a2"].pk]


def test_list_costs_a_fixed_number_of_queries(gov: Any, cases: Any, login: Any,
                                               django_assert_max_num_queries: Any) -> None:
    client = login(gov.town_a_operator)
    for _number in range(5):
        make_case(gov.village_a1_operator, gov.d.village_a1)
    with django_assert_max_num_queries(8):  # session, user, memberships, page, count, session save (3)
        response = client.get(LIST)
    assert len(response.json()["results"]) == 7


def test_filters(gov: Any, cases: Any, login: Any) -> None:
    top = Category.objects.create(name="城乡建设", level=1)
    leaf = Category.objects.create(name="路灯", level=2, parent=top)
    Case.objects.filter(pk=cases["a1"].pk).update(category=leaf, overdue=True)
    case_accept(actor=gov.village_a1_operator, case=cases["a1"])
    client = login(gov.town_a_operator)
    a1, a2 = cases["a1"].tracking_code, cases["a2"].tracking_code
    assert codes(client.get(LIST, {"state": "accepted"})) == [a1]
    assert codes(client.get(LIST, {"urgency": "urgent"})) == [a2]
    assert codes(client.get(LIST, {"channel": "hotline"})) == [a2, a1]
    assert codes(client.get(LIST, {"category": top.pk})) == [a1]  # a category with its sub-categories
    assert codes(client.get(LIST, {"area": gov.d.village_a2.pk})) == [a2]
    assert codes(client.get(LIST, {"area": gov.d.town_a.pk})) == [a2, a1]
    assert codes(client.get(LIST, {"overdue": "true"})) == [a1]
    assert codes(client.get(LIST, {"overdue": "false"})) == [a2]
    bad = client.get(LIST, {"state": "nope", "urgency": "x", "channel": "y", "category": "999999", "overdue": "maybe"})
    assert bad.status_code == 400
    assert set(bad.json()) == {"state", "urgency", "channel", "category", "overdue"}
    assert bad.json()["category"] == [_("Unknown category.")]


def test_reporter_is_masked_without_the_role(gov: Any, cases: Any, login: Any) -> None:
    body = login(gov.grid_worker).get(f"{LIST}{cases['a1'].pk}/").json()  # grid worker: CASE_VIEW only
    assert body["reporter"] == {"name": "张*", "phone": "138****5678", "id_number": ID_NUMBER[:4] + "*" * 10
                                + ID_NUMBER[-4:], "masked": True, "anonymous": False}
    assert "reporter_id_cipher" not in body
    assert not AuditLog.objects.filter(event_id=AuditEvent.CASE_REPORTER_VIEWED.id).exists()


def test_reporter_is_shown_to_the_centre_and_every_view_is_audited(gov: Any, cases: Any, login: Any,
                                                                     reauth: Any) -> None:
    client = reauth(login(gov.village_a1_operator))
    listed = client.get(LIST).json()["results"][0]
    assert listed["reporter"]["masked"] is True  # lists never reveal
    assert client.get(f"{LIST}{cases['a1'].pk}/").json()["reporter"]["masked"] is True  # nor details
    assert not AuditLog.objects.filter(event_id=AuditEvent.CASE_REPORTER_VIEWED.id).exists()
    body = client.post(f"{LIST}{cases['a1'].pk}/reveal/").json()
    assert body == {"name": "张三", "phone": "13812345678", "id_number": ID_NUMBER, "masked": False,
                    "anonymous": False}
    client.post(f"{LIST}{cases['a1'].pk}/reveal/")
    views = AuditLog.objects.filter(event_id=AuditEvent.CASE_REPORTER_VIEWED.id)
    assert views.count() == 2
    first = views.earliest("id")
    assert first.actor == gov.village_a1_operator and first.target_id == str(cases["a1"].pk)
    assert ID_NUMBER not in str(list(views.values()))


def test_reporter_reveal_service(gov: Any, cases: Any) -> None:
    case = cases["a1"]
    with pytest.raises(PermissionDenied):
        reporter_reveal(gov.grid_worker, case)
    with pytest.raises(PermissionDenied):
        reporter_reveal(gov.town_b_operator, case)
    refused = AuditLog.objects.filter(event_id=AuditEvent.ACCESS_DENIED.id, success=False)
    assert refused.count() == 2
    shown = reporter_reveal(gov.town_a_operator, case)  # the town sees its villages' cases
    assert (shown.phone, shown.id_number, shown.masked) == ("13812345678", ID_NUMBER, False)
    anonymous = case_create(actor=gov.village_a1_operator, area=gov.d.village_a1, channel=Channel.HOTLINE,
                            description="匿名", anonymous=True, reporter_phone="13812345678")
    before = AuditLog.objects.filter(event_id=AuditEvent.CASE_REPORTER_VIEWED.id).count()
    assert reporter_reveal(gov.village_a1_operator, anonymous).phone == ""  # nothing stored, nothing to audit
    assert AuditLog.objects.filter(event_id=AuditEvent.CASE_REPORTER_VIEWED.id).count() == before


def test_create_through_the_api(gov: Any, login: Any) -> None:
    category = Category.objects.create(name="城乡建设", level=1)
    client = login(gov.village_a1_operator)
    response = client.post(LIST, {"area": gov.d.village_a1.pk, "description": "道路积水", "category": category.pk,
                                  "reporter_phone": "13812345678", "latitude": "40.5", "longitude": "111.25"},
                           content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    case = Case.objects.get(pk=body["id"])
    assert (case.channel, case.centre, case.category) == (Channel.API, gov.village_a1_centre, category)
    assert body["reporter"]["phone"] == "138****5678" and body["channel"] == "api"
    assert AuditLog.objects.filter(event_id=AuditEvent.CASE_CREATED.id, target_id=str(case.pk)).count() == 1


@pytest.mark.parametrize(("extra", "field"), [
    ({"category": 999999}, "category"),
    ({"reporter_phone": "12"}, "reporter_phone"),
    ({"reporter_id_number": "150102198001011234"}, "reporter_id_number"),
    ({"description": " "}, "description"),
    ({"area": "village_b1"}, "area"),  # outside the jurisdiction: refused like a missing unit
    ({"urgency": "whenever"}, "urgency"),
])
def test_create_refuses_bad_input(gov: Any, login: Any, extra: dict[str, Any], field: str) -> None:
    data = {"area": gov.d.village_a1.pk, "description": "道路积水", "reporter_phone": "13812345678", **extra}
    if data["area"] == "village_b1":
        data["area"] = gov.d.village_b1.pk
    response = login(gov.village_a1_operator).post(LIST, data, content_type="application/json")
    assert response.status_code == 400 and field in response.json()
    assert not Case.objects.exists()


def test_create_needs_the_intake_role(gov: Any, login: Any, make_user: Any) -> None:
    member = make_user(Role.PARTY_MEMBER, gov.d.village_a1)
    response = login(member).post(LIST, {"area": gov.d.village_a1.pk, "description": "x"},
                                  content_type="application/json")
    assert response.status_code == 400 and "area" in response.json()
    assert login(member).get(LIST).json()["results"] == []
    assert not Case.objects.exists()
