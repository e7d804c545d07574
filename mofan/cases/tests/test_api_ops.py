from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from mofan.accounts.roles import Role
from mofan.cases.models import CalendarDay, Case, CaseAttachment, Category, Dispatch
from mofan.cases.services.dispatch import case_dispatch, dispatch_check_in, dispatch_feedback
from mofan.cases.tests.ops_factory import (
    PNG,
    dispatched,
    district_case,
    fresh,
    report,
    town_case,
    transitions,
)

pytestmark = pytest.mark.django_db


def post(client: Any, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, data or {}, content_type="application/json")


def op(case: Any, name: str) -> str:
    return f"/api/case-ops/{case.pk}/{name}/"


def on(dispatch: Any, name: str) -> str:
    return f"/api/dispatches/{dispatch.pk}/{name}/"


def test_a_case_from_acceptance_to_closing_over_the_api(gov: Any, login: Any) -> None:
    centre, justice, urban = login(gov.district_operator), login(gov.justice_handler), login(gov.urban_handler)
    category = Category.objects.create(name="矛盾纠纷", level=1)
    case = report(gov, gov.d.district)
    response = post(centre, op(case, "accept"), {"category": category.pk, "note": "受理"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "accepted" and "dispatch" in body["operations"] and "accept" not in body["operations"]
    response = post(centre, op(case, "dispatch"), {"lead": gov.justice.pk, "co": [gov.urban.pk], "note": "交办"})
    assert response.status_code == 200, response.content
    rows = {d["department"]: d for d in response.json()["dispatches"]}
    lead, co = rows["司法局"], rows["城管局"]
    assert (lead["role"], co["role"]) == ("lead", "co")
    response = post(justice, f"/api/dispatches/{lead['id']}/check_in/", {"note": "已报到"})
    assert response.status_code == 200 and "feedback" in response.json()["operations"]
    assert post(urban, f"/api/dispatches/{co['id']}/check_in/").status_code == 200
    photo = SimpleUploadedFile("evidence.png", PNG, content_type="image/png")
    response = justice.post(f"/api/dispatches/{lead['id']}/feedback/", {"result": "已调解", "files": [photo]})
    assert response.status_code == 200, response.content
    assert CaseAttachment.objects.filter(case=case).count() == 1
    response = post(urban, f"/api/dispatches/{co['id']}/feedback/", {"result": "已协助"})
    assert response.json()["state"] == "handled"
    assert post(centre, op(case, "rate"), {"dispatch": lead["id"], "rating": 5}).status_code == 200
    assert post(centre, op(case, "verify"), {"note": "核实"}).json()["state"] == "verified"
    response = post(centre, op(case, "callback"), {"satisfaction": "satisfied", "solved": True})
    assert response.status_code == 200 and response.json()["state"] == "closed"
    assert response.json()["operations"] == ["rate", "reopen"]  # 城管局 is not rated yet
    assert post(centre, op(case, "reopen"), {"reason": "再次反映"}).json()["state"] == "accepted"


def test_triage_over_the_api(gov: Any, login: Any) -> None:
    centre = login(gov.district_operator)
    first, second, third = (report(gov, gov.d.district) for _ in range(3))
    response = post(centre, op(first, "classify"), {"category": 999999})
    assert response.status_code == 400 and "category" in response.json()
    category = Category.objects.create(name="城市管理", level=1)
    assert post(centre, op(first, "classify"), {"category": category.pk}).status_code == 200
    assert fresh(first).category == category
    response = post(centre, op(second, "merge"), {"into": first.pk})
    assert response.status_code == 200 and response.json()["state"] == "merged"
    response = post(centre, op(third, "reject"), {"reason": "不属于受理范围", "redirect_to": "区法院"})
    assert response.json()["state"] == "rejected"
    response = post(centre, op(third, "reject"), {"reason": "再次驳回"})
    assert response.status_code == 400 and response.json()["detail"]


def test_department_operations_over_the_api(gov: Any, login: Any) -> None:
    case, lead, _co = dispatched(gov)
    justice, centre = login(gov.justice_handler), login(gov.district_operator)
    response = post(justice, on(lead, "request_extension"), {"days": 3, "reason": "需要鉴定"})
    assert response.status_code == 200 and fresh(lead).extension_days == 3
    response = post(centre, op(case, "decide_extension"), {"dispatch": lead.pk, "approve": False, "note": "不同意"})
    assert response.status_code == 200 and fresh(lead).extension_days is None
    assert post(centre, op(case, "press"), {"note": "请尽快报到"}).status_code == 200
    response = post(justice, on(lead, "return"), {"reason": "非本部门职责"})
    assert response.status_code == 200 and fresh(lead).state == "returned"
    response = post(centre, op(case, "redispatch"), {"note": "重新研判"})
    assert response.json()["state"] == "accepted"


def test_summon_escalate_and_the_paused_clock_over_the_api(gov: Any, login: Any) -> None:
    town = login(gov.town_a_operator)
    case = town_case(gov)
    response = post(town, op(case, "summon"), {"departments": [gov.justice.pk, gov.urban.pk]})
    assert response.status_code == 200 and all(d["summons"] for d in response.json()["dispatches"])
    assert post(town, op(case, "pause"), {"reason": "等待群众"}).json()["paused"] is True
    body = post(town, op(case, "resume")).json()
    assert body["paused"] is False and "pause" in body["operations"]
    response = post(town, op(case, "escalate"), {"reason": "需区级协调"})
    assert response.status_code == 200 and response.json()["level"] == 1
    assert set(Dispatch.objects.filter(case=case).values_list("state", flat=True)) == {"withdrawn"}


def test_verify_failed_over_the_api(gov: Any, login: Any) -> None:
    case, lead, _co = dispatched(gov)
    dispatch_check_in(actor=gov.justice_handler, dispatch=lead)
    dispatch_feedback(actor=gov.justice_handler, dispatch=fresh(lead), result="已处理")
    response = post(login(gov.district_operator), op(case, "verify_failed"), {"reason": "未整改到位"})
    assert response.status_code == 200 and response.json()["state"] == "accepted"


# Refusals ------------------------------------------------------------------------------------------------------


def test_outside_the_jurisdiction_is_a_404(gov: Any, login: Any) -> None:
    case = town_case(gov)
    assert post(login(gov.town_b_operator), op(case, "accept")).status_code == 404
    case, lead, _co = dispatched(gov)
    urban = login(gov.urban_handler)  # not dispatched: cannot see the case at all
    assert post(urban, on(lead, "check_in")).status_code == 404
    assert fresh(lead).state == "dispatched"
    assert post(urban, "/api/case-ops/999999/accept/").status_code == 404


def test_a_role_that_may_not_act_is_a_403(gov: Any, login: Any) -> None:
    case, lead, _co = dispatched(gov)
    justice = login(gov.justice_handler)
    response = post(justice, op(case, "press"), {"note": "自己督办自己"})
    assert response.status_code == 403 and response.json()["detail"]
    (co,) = case_dispatch(actor=gov.district_operator, case=case, lead=None, co=[gov.urban])
    # 城管局 sees the case now, but may not check in for 司法局
    assert post(login(gov.urban_handler), on(lead, "check_in")).status_code == 403
    assert post(login(gov.district_operator), on(co, "check_in")).status_code == 403


def test_bad_input_is_a_400_with_a_message_and_changes_nothing(gov: Any, login: Any) -> None:
    centre = login(gov.district_operator)
    case = district_case(gov)
    before = transitions(case)
    response = post(centre, op(case, "dispatch"), {"lead": gov.d.village_a1.pk})  # outside the reach
    assert response.status_code == 400 and "村一" in str(response.json())
    assert post(centre, op(case, "dispatch"), {"lead": 987654}).status_code == 400  # unknown unit
    assert post(centre, op(case, "verify")).status_code == 400  # wrong state
    assert post(centre, op(case, "escalate"), {}).status_code == 400  # no reason
    assert post(centre, op(case, "callback"), {"satisfaction": "happy", "solved": True}).status_code == 400
    assert post(centre, op(case, "rate"), {"dispatch": 1, "rating": 9}).status_code == 400
    assert fresh(case).state == "accepted" and not Dispatch.objects.filter(case=case).exists()
    assert transitions(case) == before


def test_a_disguised_evidence_file_is_a_400(gov: Any, login: Any) -> None:
    case, lead, _co = dispatched(gov)
    justice = login(gov.justice_handler)
    post(justice, on(lead, "check_in"))
    fake = SimpleUploadedFile("photo.png", b"GIF89a not a png", content_type="image/png")
    response = justice.post(on(lead, "feedback"), {"result": "已处理", "files": [fake]})
    assert response.status_code == 400
    assert fresh(lead).state == "checked_in" and not CaseAttachment.objects.filter(case=case).exists()


def test_the_case_ops_endpoints_need_an_account(gov: Any, client: Any) -> None:
    case = district_case(gov)
    assert client.post(op(case, "verify")).status_code in (401, 403)
    assert Case.objects.get(pk=case.pk).state == "accepted"


# The working calendar ------------------------------------------------------------------------------------------


def test_the_calendar_api(gov: Any, login: Any, make_user: Any) -> None:
    admin = login(make_user(Role.SYSTEM_ADMIN, gov.d.district))
    response = post(admin, "/api/calendar-days/load/", {"year": 2025})
    assert response.status_code == 200 and response.json() == {"year": 2025, "days": 33}
    listed = admin.get("/api/calendar-days/?year=2025").json()
    assert len(listed) == 33 and listed[0] == {"date": "2025-01-01", "is_workday": False, "note": "元旦"}
    response = post(admin, "/api/calendar-days/", {"date": "2025-01-01", "is_workday": False, "note": "新年"})
    assert response.status_code == 200 and CalendarDay.objects.get(date=date(2025, 1, 1)).note == "新年"
    assert admin.get("/api/calendar-days/?year=abc").status_code == 400
    assert post(admin, "/api/calendar-days/load/", {"year": 2031}).status_code == 400
    operator = login(gov.district_operator)
    assert operator.get("/api/calendar-days/?year=2025").status_code == 200  # everyone may read it
    response = post(operator, "/api/calendar-days/", {"date": "2025-03-03", "is_workday": False})
    assert response.status_code == 403 and not CalendarDay.objects.filter(date=date(2025, 3, 3)).exists()
