from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from mofan.accounts.roles import Role
from mofan.cases.models import CalendarDay, CaseAttachment, Dispatch
from mofan.cases.services.closing import case_pause
from mofan.cases.services.dispatch import case_summon, dispatch_check_in, dispatch_feedback
from mofan.cases.tests.ops_factory import PNG, dispatched, district_case, fresh, report, town_case
from mofan.cases.views_ops import CASE_OPERATIONS, DISPATCH_OPERATIONS, available_operations

pytestmark = pytest.mark.django_db


def case_url(case: Any) -> str:
    return reverse("cases:case_detail", args=[case.pk])


def last_message(response: Any) -> str:
    """The level of the latest message (redirects are not followed, so messages pile up in the session)."""
    return [m.level_tag for m in get_messages(response.wsgi_request)][-1]


# Which operations are offered ----------------------------------------------------------------------------------


def test_available_operations_follow_the_role_and_the_state(gov: Any) -> None:
    collected = report(gov, gov.d.district)
    assert available_operations(gov.district_operator, collected) == [
        "accept", "reject", "classify", "merge", "pause"]
    assert available_operations(gov.town_a_operator, collected) == []  # not its case
    accepted = district_case(gov)
    assert available_operations(gov.district_operator, accepted) == [
        "classify", "merge", "dispatch", "pause"]  # the district is the last level: no escalate
    case, lead, _co = dispatched(gov)
    assert available_operations(gov.justice_handler, case) == ["check_in", "return", "request_extension"]
    assert available_operations(gov.district_operator, case) == [
        "classify", "dispatch", "redispatch", "press", "pause"]
    dispatch_check_in(actor=gov.justice_handler, dispatch=lead)
    assert available_operations(gov.justice_handler, fresh(case)) == ["feedback", "return", "request_extension"]
    dispatch_feedback(actor=gov.justice_handler, dispatch=fresh(lead), result="已处理")
    assert available_operations(gov.justice_handler, fresh(case)) == []
    assert available_operations(gov.district_operator, fresh(case)) == ["rate", "verify", "verify_failed"]
    town = town_case(gov)
    assert "summon" in available_operations(gov.town_a_operator, town)
    assert "escalate" in available_operations(gov.town_a_operator, town)
    paused = case_pause(actor=gov.town_a_operator, case=town, reason="等待")
    offered = available_operations(gov.town_a_operator, paused)
    assert "resume" in offered and "pause" not in offered and "dispatch" not in offered
    assert set(CASE_OPERATIONS) | set(DISPATCH_OPERATIONS) >= set(offered)


def test_the_panel_renders_only_the_forms_the_actor_may_submit(gov: Any) -> None:
    case, lead, _co = dispatched(gov)
    request = RequestFactory().get("/")

    def render(user: Any) -> str:
        request.user = user
        return render_to_string("cases/ops/_operations.html", {
            "case": case, "user": user, "dispatches": list(case.dispatches.all())}, request=request)

    for_centre = render(gov.district_operator)
    assert 'data-operation="press"' in for_centre and 'data-operation="check_in"' not in for_centre
    assert reverse("cases:op_press", args=[case.pk]) in for_centre
    for_department = render(gov.justice_handler)
    assert 'data-operation="check_in"' in for_department and 'data-operation="press"' not in for_department
    assert reverse("cases:op_check_in", args=[lead.pk]) in for_department
    assert render(gov.grid_worker).strip() == ""


def test_the_case_page_shows_the_operations(gov: Any, login: Any) -> None:
    case = district_case(gov)
    response = login(gov.district_operator).get(case_url(case))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-operation="dispatch"' in html and "司法局" in html


# Submitting them -----------------------------------------------------------------------------------------------


def test_a_case_through_the_pages(gov: Any, login: Any) -> None:
    centre, justice = login(gov.district_operator), login(gov.justice_handler)
    case = report(gov, gov.d.district)
    response = centre.post(reverse("cases:op_accept", args=[case.pk]), {"note": "受理"})
    assert response.status_code == 302 and response["Location"] == case_url(case)
    assert fresh(case).state == "accepted"
    response = centre.post(reverse("cases:op_dispatch", args=[case.pk]),
                           {"lead": gov.justice.pk, "co": [gov.urban.pk], "note": "交办"})
    assert response.status_code == 302 and fresh(case).state == "dispatched"
    lead = Dispatch.objects.get(case=case, department=gov.justice)
    co = Dispatch.objects.get(case=case, department=gov.urban)
    assert justice.post(reverse("cases:op_check_in", args=[lead.pk]), {"note": "到场"}).status_code == 302
    photo = SimpleUploadedFile("现场.png", PNG, content_type="image/png")
    response = justice.post(reverse("cases:op_feedback", args=[lead.pk]), {"result": "已处理", "files": [photo]})
    assert response.status_code == 302 and fresh(lead).state == "done"
    assert CaseAttachment.objects.filter(case=case).count() == 1
    response = login(gov.urban_handler).post(reverse("cases:op_return", args=[co.pk]), {"reason": "无需协办"})
    assert response.status_code == 302 and fresh(case).state == "handled"
    centre.post(reverse("cases:op_rate", args=[case.pk]), {"dispatch": lead.pk, "rating": "4", "note": "及时"})
    assert fresh(lead).rating == 4
    centre.post(reverse("cases:op_verify", args=[case.pk]), {"note": ""})
    response = centre.post(reverse("cases:op_callback", args=[case.pk]),
                           {"satisfaction": "satisfied", "solved": "1", "note": ""})
    assert fresh(case).state == "closed" and last_message(response) == "success"


def test_the_centre_side_of_a_dispatch_through_the_pages(gov: Any, login: Any) -> None:
    case = town_case(gov)
    town = login(gov.town_a_operator)
    response = town.post(reverse("cases:op_summon", args=[case.pk]), {"departments": [gov.justice.pk]})
    assert response.status_code == 302
    (row,) = Dispatch.objects.filter(case=case)
    assert row.summons
    justice = login(gov.justice_handler)
    justice.post(reverse("cases:op_request_extension", args=[row.pk]), {"days": "2", "reason": "等待鉴定"})
    assert fresh(row).extension_days == 2
    town.post(reverse("cases:op_decide_extension", args=[case.pk]), {"dispatch": row.pk, "approve": "1"})
    assert fresh(row).extension_days is None
    town.post(reverse("cases:op_press", args=[case.pk]), {"note": "请尽快报到", "dispatch": ""})
    assert case.events.filter(action="press").count() == 1
    town.post(reverse("cases:op_pause", args=[case.pk]), {"reason": "等待群众"})
    assert fresh(case).paused_at is not None
    town.post(reverse("cases:op_resume", args=[case.pk]), {"note": ""})
    town.post(reverse("cases:op_redispatch", args=[case.pk]), {"note": "重新研判"})
    assert fresh(case).state == "accepted"
    response = town.post(reverse("cases:op_escalate", args=[case.pk]), {"reason": "需区级协调"})
    assert response.status_code == 302 and fresh(case).level == 1
    # the town still sees the case (it happened in its area): back to the case page
    assert response["Location"] == case_url(case)


def test_a_department_leaving_the_case_goes_back_to_the_workbench(gov: Any, login: Any) -> None:
    case = town_case(gov)
    (row,) = case_summon(actor=gov.town_a_operator, case=case, departments=[gov.justice])
    login(gov.town_a_operator).post(reverse("cases:op_redispatch", args=[case.pk]), {"note": "收回"})
    response = login(gov.justice_handler).post(reverse("cases:op_check_in", args=[row.pk]), {"note": ""})
    assert response.status_code == 404  # withdrawn: the department no longer sees the case


def test_refusals_come_back_as_messages_and_change_nothing(gov: Any, login: Any) -> None:
    centre = login(gov.district_operator)
    case = district_case(gov)
    response = centre.post(reverse("cases:op_dispatch", args=[case.pk]), {"lead": gov.d.village_a1.pk})
    assert response.status_code == 302 and last_message(response) == "error"  # not offered: outside the reach
    response = centre.post(reverse("cases:op_verify", args=[case.pk]), {"note": ""})
    assert last_message(response) == "error"  # wrong state
    response = centre.post(reverse("cases:op_escalate", args=[case.pk]), {"reason": "上报"})
    assert last_message(response) == "error"  # the district is the last level
    assert fresh(case).state == "accepted" and not Dispatch.objects.filter(case=case).exists()


def test_roles_and_jurisdiction_on_the_pages(gov: Any, login: Any) -> None:
    case, lead, _co = dispatched(gov)
    assert login(gov.justice_handler).post(reverse("cases:op_press", args=[case.pk]),
                                           {"note": "督办"}).status_code == 403
    assert login(gov.town_b_operator).post(reverse("cases:op_press", args=[case.pk]),
                                           {"note": "督办"}).status_code == 404
    assert login(gov.urban_handler).post(reverse("cases:op_check_in", args=[lead.pk])).status_code == 404
    assert login(gov.district_operator).get(reverse("cases:op_press", args=[case.pk])).status_code == 405
    assert case.events.filter(action="press").count() == 0


def test_htmx_requests_get_a_client_redirect(gov: Any, login: Any) -> None:
    case = district_case(gov)
    response = login(gov.district_operator).post(reverse("cases:op_pause", args=[case.pk]), {"reason": "等待"},
                                                 HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Redirect"] == case_url(case)
    assert fresh(case).paused_at is not None


# The working calendar ------------------------------------------------------------------------------------------


def test_the_calendar_page(gov: Any, login: Any, make_user: Any) -> None:
    admin = login(make_user(Role.SYSTEM_ADMIN, gov.d.district))
    response = admin.post(reverse("cases:calendar_load"), {"year": "2026"})
    assert response.status_code == 302 and CalendarDay.objects.filter(date__year=2026).count() == 39
    page = admin.get(reverse("cases:calendar") + "?year=2026")
    assert page.status_code == 200 and "2026-02-14" in page.content.decode()
    response = admin.post(reverse("cases:calendar_set"), {"date": "2026-12-31", "is_workday": "0", "note": "试行"})
    assert response.status_code == 302 and CalendarDay.objects.get(date="2026-12-31").note == "试行"
    admin.post(reverse("cases:calendar_set"), {"date": "not a date", "is_workday": "0"})
    assert CalendarDay.objects.count() == 40
    town_admin = login(make_user(Role.SYSTEM_ADMIN, gov.d.town_a))
    page = town_admin.get(reverse("cases:calendar"))
    assert page.status_code == 200 and 'action="/cases/calendar/day/"' not in page.content.decode()
    assert town_admin.post(reverse("cases:calendar_set"), {"date": "2026-12-30", "is_workday": "0"}).status_code == 403
    assert login(gov.district_operator).get(reverse("cases:calendar")).status_code == 403
