from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.cases.models import Case, CaseEvent, Channel, Dispatch
from mofan.cases.services.intake import attach_files, case_create
from mofan.cases.services.triage import case_accept, case_merge, case_reject
from mofan.cases.templatetags.cases_work import due_marker_for, span_words

pytestmark = pytest.mark.django_db

PHONE, ID_NUMBER = "13912345678", "11010519491231002X"
WORKBENCH = reverse("cases:workbench")


def report(gov: Any, area: Any = None, actor: Any = None, **extra: Any) -> Case:
    extra.setdefault("description", "小区门口的下水道堵了，污水漫到人行道上，气味很大")
    return case_create(actor=actor or gov.village_a1_operator, area=area or gov.d.village_a1,
                       channel=Channel.HOTLINE, reporter_name="王五", reporter_phone=PHONE,
                       reporter_id_number=ID_NUMBER, **extra)


def png() -> SimpleUploadedFile:
    data = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    return SimpleUploadedFile("现场照片.png", data, content_type="image/png")


def detail(case: Case) -> str:
    return reverse("cases:case_detail", args=[case.pk])


# The due marker ------------------------------------------------------------------------------------------


def test_due_marker_says_it_in_words_and_colour() -> None:
    now = timezone.now()
    with override("en"):
        assert due_marker_for(now + timedelta(hours=2, minutes=5), now=now).text == "2 hours left"
        assert due_marker_for(now + timedelta(hours=2), now=now).tone == "warn"
        assert due_marker_for(now + timedelta(days=3), now=now).tone == "ok"
        late = due_marker_for(now - timedelta(days=1, hours=3), now=now)
        assert (late.tone, late.text) == ("bad", "Overdue by 27 hours")
        assert due_marker_for(now - timedelta(days=3), now=now).text == "Overdue by 3 days"
        assert due_marker_for(None, done=True).text == "Finished"
        assert due_marker_for(now, paused=True).text == "Clock paused"
        assert due_marker_for(None).tone == "muted"
        assert span_words(timedelta(seconds=10)) == "1 minute"
    with override("zh-hans"):
        assert "2" in due_marker_for(now + timedelta(hours=2, minutes=5), now=now).text


# The workbench ------------------------------------------------------------------------------------------


def test_workbench_lists_the_queue_with_a_due_marker_on_every_row(gov: Any, login: Any) -> None:
    late, fresh = report(gov, title="下水道堵塞"), report(gov, title="路面塌陷")
    Case.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=3))
    with override("en"):
        response = login(gov.village_a1_operator).get(WORKBENCH, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert late.tracking_code in html and fresh.tracking_code in html
    rows = response.context["bench"].rows
    assert len(rows) == 2 and html.count('class="badge due ') == 2
    assert "due-bad" in html and "due-ok" in html


def test_workbench_query_count_is_pinned(gov: Any, login: Any, django_assert_max_num_queries: Any) -> None:
    for _ in range(12):
        report(gov)
    client = login(gov.town_a_operator)
    client.get(WORKBENCH)  # warm the session
    # session, user, memberships, catalogue, areas, 7 queue counts, one page, the session's save (3)
    with django_assert_max_num_queries(16):
        response = client.get(WORKBENCH + "?queue=to_accept")
    assert len(response.context["bench"].rows) == 12


def test_department_workbench_lists_its_dispatches(gov: Any, login: Any,
                                                   django_assert_max_num_queries: Any) -> None:
    now = timezone.now()
    for _ in range(5):
        case = report(gov)
        Case.objects.filter(pk=case.pk).update(state="dispatched")
        Dispatch.objects.create(case=case, department=gov.justice, department_path=gov.justice.path,
                                role=Dispatch.Role.LEAD, checkin_due=now + timedelta(minutes=20),
                                handle_due=now + timedelta(days=5))
    client = login(gov.justice_handler)
    client.get(WORKBENCH)
    # session, user, memberships, catalogue, 5 queue counts, one page, the session's save (3)
    with django_assert_max_num_queries(13):
        response = client.get(WORKBENCH)
    assert response.context["bench"].current.key == "to_check_in"
    assert len(response.context["bench"].rows) == 5
    assert "司法局" in response.content.decode()
    assert login(gov.urban_handler).get(WORKBENCH).context["bench"].rows == []


def test_workbench_filters_and_drops_values_it_does_not_offer(gov: Any, login: Any) -> None:
    wanted = report(gov, title="路灯不亮")
    report(gov, title="噪音扰民")
    outside = report(gov, area=gov.d.village_b1, actor=gov.town_b_operator)
    client = login(gov.town_a_operator)
    found = client.get(WORKBENCH, {"queue": "all", "q": "路灯"}).context["bench"].rows
    assert [r.case for r in found] == [wanted]
    by_code = client.get(WORKBENCH, {"queue": "all", "q": wanted.tracking_code}).context["bench"].rows
    assert [r.case for r in by_code] == [wanted]
    # An area out of reach is not offered, so it is ignored: the list is not widened to it.
    response = client.get(WORKBENCH, {"queue": "all", "area": gov.d.village_b1.pk, "urgency": "bogus"})
    assert response.status_code == 200 and response.context["filters"].area is None
    assert outside not in [r.case for r in response.context["bench"].rows]


def test_a_user_without_case_roles_gets_an_empty_workbench(make_user: Any, login: Any) -> None:
    response = login(make_user()).get(WORKBENCH)
    assert response.status_code == 200 and response.context["bench"].queues == []


def test_workbench_needs_a_login(client: Any) -> None:
    assert client.get(WORKBENCH).status_code == 302


# The case page -------------------------------------------------------------------------------------------


def test_case_page_shows_header_masked_reporter_and_timeline(gov: Any, login: Any,
                                                             django_assert_max_num_queries: Any) -> None:
    case = report(gov, title="下水道堵塞", address="村一东街12号")
    case = case_accept(actor=gov.village_a1_operator, case=case, note="已联系社区")
    client = login(gov.village_a1_operator)
    client.get(detail(case))
    with override("en"), django_assert_max_num_queries(14):
        response = client.get(detail(case), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert case.tracking_code in html and "村一东街12号" in html and "村一治理中心" in html
    assert "139****5678" in html and PHONE not in html
    assert "1101**********002X" in html and ID_NUMBER not in html
    assert "王*" in html and "王五" not in html
    assert [e.label for e in response.context["timeline"]] == ["Collected", "Accept"]
    assert "已联系社区" in html
    assert response.context["can_reveal"]
    assert reverse("cases:case_reporter_reveal", args=[case.pk]) in html


def test_reveal_shows_the_reporter_and_audits_it(gov: Any, login: Any, reauth: Any) -> None:
    case = report(gov)
    client = reauth(login(gov.village_a1_operator))
    response = client.post(reverse("cases:case_reporter_reveal", args=[case.pk]), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and PHONE in html and ID_NUMBER in html and "王五" in html
    assert AuditLog.objects.filter(event_id=AuditEvent.CASE_REPORTER_VIEWED.id, target_id=str(case.pk)).count() == 1
    full = client.post(reverse("cases:case_reporter_reveal", args=[case.pk]))
    assert full.status_code == 200 and PHONE in full.content.decode() and "timeline" in full.content.decode()


def test_roles_without_reporter_access_see_masks_and_cannot_reveal(gov: Any, login: Any) -> None:
    case = report(gov, actor=gov.grid_worker)
    client = login(gov.grid_worker)
    response = client.get(detail(case))
    assert response.status_code == 200 and not response.context["can_reveal"]
    assert PHONE not in response.content.decode()
    refused = client.post(reverse("cases:case_reporter_reveal", args=[case.pk]))
    assert refused.status_code == 403
    assert not AuditLog.objects.filter(event_id=AuditEvent.CASE_REPORTER_VIEWED.id).exists()


def test_anonymous_reports_offer_nothing_to_reveal(gov: Any, login: Any) -> None:
    case = case_create(actor=None, area=gov.d.village_a1, channel=Channel.PUBLIC, description="河边有人倾倒垃圾",
                       anonymous=True)
    response = login(gov.village_a1_operator).get(detail(case))
    assert response.status_code == 200 and not response.context["can_reveal"]


def test_a_case_outside_the_jurisdiction_is_a_404(gov: Any, login: Any) -> None:
    case = report(gov)
    event = case.events.get()
    attachment = attach_files(case=case, event=event, files=[png()], actor=gov.village_a1_operator)[0]
    other = login(gov.town_b_operator)
    assert other.get(detail(case)).status_code == 404
    assert other.post(reverse("cases:case_reporter_reveal", args=[case.pk])).status_code == 404
    url = reverse("cases:case_attachment", args=[case.pk, attachment.pk])
    assert other.get(url).status_code == 404
    assert login(gov.justice_handler).get(detail(case)).status_code == 404  # not dispatched to it
    assert login(gov.village_a1_operator).get(reverse("cases:case_detail", args=[99999])).status_code == 404


def test_attachments_download_only_through_their_own_case(gov: Any, login: Any) -> None:
    case, other_case = report(gov), report(gov)
    attachment = attach_files(case=case, event=case.events.get(), files=[png()], actor=gov.village_a1_operator)[0]
    client = login(gov.village_a1_operator)
    page = client.get(detail(case)).content.decode()
    url = reverse("cases:case_attachment", args=[case.pk, attachment.pk])
    assert url in page
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert "attachment" in response["Content-Disposition"]
    wrong = reverse("cases:case_attachment", args=[other_case.pk, attachment.pk])
    assert client.get(wrong).status_code == 404


def test_a_department_sees_a_dispatched_case_with_its_dispatches(gov: Any, login: Any) -> None:
    case = case_accept(actor=gov.village_a1_operator, case=report(gov))
    Case.objects.filter(pk=case.pk).update(state="dispatched")
    now = timezone.now()
    Dispatch.objects.create(case=case, department=gov.justice, department_path=gov.justice.path,
                            role=Dispatch.Role.LEAD, checkin_due=now - timedelta(minutes=10),
                            handle_due=now + timedelta(days=3), summons=True)
    response = login(gov.justice_handler).get(detail(case))
    assert response.status_code == 200 and not response.context["can_reveal"]
    dispatch, row = response.context["dispatch_rows"][0]
    assert dispatch.department == gov.justice and row.overdue
    assert "139****5678" in response.content.decode()


def test_rejected_and_merged_cases_link_and_explain(gov: Any, login: Any) -> None:
    first, second, third = report(gov), report(gov), report(gov)
    case_merge(actor=gov.village_a1_operator, case=second, into=first)
    case_reject(actor=gov.village_a1_operator, case=third, reason="属于劳动仲裁范围", redirect_to="区劳动人事争议仲裁院")
    client = login(gov.village_a1_operator)
    parent_page = client.get(detail(first))
    assert [c.pk for c in parent_page.context["duplicates"]] == [second.pk]
    assert second.tracking_code in parent_page.content.decode()
    child_page = client.get(detail(second))
    assert child_page.context["parent"].pk == first.pk
    rejected = client.get(detail(third)).content.decode()
    assert "区劳动人事争议仲裁院" in rejected and "属于劳动仲裁范围" in rejected


def test_timeline_shows_unknown_actions_and_data_without_failing(gov: Any, login: Any) -> None:
    case = report(gov)
    CaseEvent.objects.create(case=case, action="something_new", data={"result": "已修复", "odd": {"x": 1}})
    response = login(gov.village_a1_operator).get(detail(case))
    entry = response.context["timeline"][-1]
    assert entry.label == "something_new" and any(value == "已修复" for _label, value in entry.details)


def test_case_page_renders_without_the_operations_panel(gov: Any, login: Any, monkeypatch: Any) -> None:
    from mofan.cases import views_work

    monkeypatch.setattr(views_work, "OPERATIONS_TEMPLATE", "cases/ops/_missing.html")
    response = login(gov.village_a1_operator).get(detail(report(gov)))
    assert response.status_code == 200 and response.context["operations_template"] is None



def test_the_navigation_and_home_page_lead_to_the_workbench(gov: Any, make_user: Any, login: Any) -> None:
    for user in (gov.town_a_operator, gov.justice_handler, gov.grid_worker):
        home = login(user).get(reverse("core:home")).content.decode()
        assert home.count(f'href="{WORKBENCH}"') >= 2, user.username  # the menu and the home page
    nobody = login(make_user()).get(reverse("core:home")).content.decode()
    assert f'href="{WORKBENCH}"' not in nobody
