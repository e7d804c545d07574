"""The citizens' pages: report without an account (rate-limited, honeypot, CSRF) and the public status page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext as _

from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.cases.models import Case, Channel, Level
from mofan.cases.services.intake import case_create
from mofan.cases.services.triage import case_accept, case_reject
from mofan.org import services as org_services
from mofan.org.models import Unit, UnitKind

pytestmark = pytest.mark.django_db

REPORT = reverse("cases:report")
DONE = reverse("cases:report_done")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"


@pytest.fixture(autouse=True)
def fresh_counters(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    cache.clear()


def report(gov: Any, **extra: Any) -> dict[str, Any]:
    data = {"town": gov.d.town_a.pk, "village": gov.d.village_a1.pk, "description": "小区门口路灯坏了一周",
            "address": "幸福路12号", "reporter_name": "王五", "reporter_phone": "13912345678", "website": ""}
    data.update(extra)
    return data


def test_a_citizen_reports_without_an_account_and_gets_a_tracking_code(gov: Any) -> None:
    client = Client()
    page = client.get(REPORT)
    assert page.status_code == 200
    assert {t for _, t in page.context["form"].fields["town"].choices if _} == {"甲镇", "乙镇"}
    photo = SimpleUploadedFile("p.jpg", JPEG, content_type="image/jpeg")
    response = client.post(REPORT, report(gov, photos=[photo]))
    assert response.status_code == 302 and response["Location"] == DONE
    case = Case.objects.get()
    assert (case.channel, case.area, case.centre, case.level) == (
        Channel.PUBLIC, gov.d.village_a1, gov.village_a1_centre, Level.VILLAGE)
    assert case.created_by is None and case.attachments.count() == 1
    done = client.get(DONE)
    html = done.content.decode()
    assert case.tracking_code in html and reverse("cases:track_status", args=[case.tracking_code]) in html
    assert client.get(DONE)["Location"] == REPORT  # shown once
    audit = AuditLog.objects.get(event_id=AuditEvent.CASE_CREATED.id)
    assert audit.actor is None and audit.ip == "127.0.0.1"


def test_a_town_without_a_village_goes_to_the_town(gov: Any) -> None:
    Client().post(REPORT, report(gov, town=gov.d.town_b.pk, village=""))
    case = Case.objects.get()
    assert (case.area, case.centre, case.level) == (gov.d.town_b, gov.town_b_centre, Level.TOWN)


def test_only_areas_with_a_centre_in_reach_are_offered(district: Any) -> None:
    org_services.unit_create(actor=None, name="村一中心", kind=UnitKind.CENTRE, parent=district.village_a1)
    closed = org_services.unit_create(actor=None, name="村四", kind=UnitKind.VILLAGE, parent=district.town_a)
    org_services.unit_create(actor=None, name="村四中心", kind=UnitKind.CENTRE, parent=closed)
    Unit.objects.filter(pk=closed.pk).update(is_active=False)  # a closed village is offered no more
    client = Client()
    form = client.get(REPORT).context["form"]
    assert [label for value, label in form.fields["town"].choices if value] == ["甲镇"]  # 乙镇 has no centre
    villages = client.get(reverse("cases:report_villages"), {"town": district.town_a.pk}).content.decode()
    assert "村一" in villages and "村二" not in villages and "村四" not in villages  # 村二 reaches no centre
    assert client.get(reverse("cases:report_villages"), {"town": district.town_b.pk}).content.decode().count(
        "<option") == 1
    refused = client.post(REPORT, {"town": district.town_a.pk, "village": district.village_a2.pk,
                                   "description": "x", "anonymous": "on"})
    assert refused.status_code == 400 and "village" in refused.context["form"].errors
    refused = client.post(REPORT, {"town": district.town_b.pk, "description": "x", "anonymous": "on"})
    assert refused.status_code == 400 and "town" in refused.context["form"].errors
    assert not Case.objects.exists()


def test_a_village_of_another_town_is_refused(gov: Any) -> None:
    response = Client().post(REPORT, report(gov, village=gov.d.village_b1.pk))
    assert response.status_code == 400 and "village" in response.context["form"].errors
    assert not Case.objects.exists()


def test_phone_or_anonymous(gov: Any) -> None:
    client = Client()
    response = client.post(REPORT, report(gov, reporter_phone=""))
    assert response.status_code == 400
    assert response.context["form"].errors["reporter_phone"] == [
        _("Leave a phone number so that we can tell you the result, or report anonymously.")]
    response = client.post(REPORT, report(gov, reporter_phone="", anonymous="on"))
    case = Case.objects.get()
    assert case.anonymous and case.reporter_name == "" and case.reporter_phone == ""


@pytest.mark.parametrize(("extra", "field"), [
    ({"reporter_phone": "110"}, "reporter_phone"),
    ({"description": ""}, "description"),
    ({"photos": [SimpleUploadedFile("p.jpg", PDF, content_type="image/jpeg")]}, "photos"),
])
def test_bad_input_writes_nothing_and_is_not_counted(gov: Any, settings: Any, extra: dict[str, Any],
                                                     field: str) -> None:
    settings.MOFAN_PUBLIC_REPORTS_PER_HOUR = 1
    client = Client()
    response = client.post(REPORT, report(gov, **extra))
    assert response.status_code == 400 and response.context["form"].errors[field]
    assert not Case.objects.exists()
    assert client.post(REPORT, report(gov)).status_code == 302  # the refused attempt used no budget


def test_a_flood_is_refused_with_429_and_audited_once(gov: Any, settings: Any) -> None:
    settings.MOFAN_PUBLIC_REPORTS_PER_HOUR = 3
    client = Client()
    statuses = [client.post(REPORT, report(gov)).status_code for _ in range(6)]
    assert statuses == [302, 302, 302, 429, 429, 429]
    assert Case.objects.count() == 3
    refused = client.post(REPORT, report(gov))
    assert refused["Retry-After"] == "3600"
    assert refused.context["limit"] == 3
    assert [t.name for t in refused.templates][0] == "cases/public/refused.html"
    flood = AuditLog.objects.filter(event_id=AuditEvent.CASE_PUBLIC_REFUSED.id)
    assert flood.count() == 1
    assert (flood.get().success, flood.get().ip, flood.get().actor) == (False, "127.0.0.1", None)
    # Another address has its own budget.
    assert Client(REMOTE_ADDR="10.0.0.2").post(REPORT, report(gov)).status_code == 302
    assert Case.objects.count() == 4


def test_honeypot_catches_bots(gov: Any) -> None:
    response = Client().post(REPORT, report(gov, website="http://spam.example"))
    assert response.status_code == 400
    assert _("Your report could not be accepted. Please try again, or call the hotline.") in response.content.decode()
    assert not Case.objects.exists()
    html = Client().get(REPORT).content.decode()
    assert 'class="hp" aria-hidden="true"' in html and 'tabindex="-1"' in html


def test_csrf_is_on(gov: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post(REPORT, report(gov)).status_code == 403
    client.get(REPORT)
    token = client.cookies["csrftoken"].value
    assert client.post(REPORT, {**report(gov), "csrfmiddlewaretoken": token}).status_code == 302
    assert Case.objects.count() == 1


def _public_case(gov: Any) -> Case:
    return case_create(actor=None, area=gov.d.village_a1, channel=Channel.PUBLIC, description="楼道堆放杂物，张三家",
                       title="杂物堆放-张三", reporter_name="赵六", reporter_phone="13700001111", address="幸福路3号")


def test_status_page_shows_no_personal_data_nor_internal_notes(gov: Any) -> None:
    case = _public_case(gov)
    case_accept(actor=gov.village_a1_operator, case=case, note="内部备注：与物业联系人李某沟通")
    html = Client().get(reverse("cases:track_status", args=[case.tracking_code])).content.decode()
    assert case.tracking_code in html and "村一" in html
    assert str(_("Accepted, being handled")) in html
    for secret in ("赵六", "13700001111", "1111", "张三", "楼道堆放", "内部备注", "李某", "幸福路3号"):
        assert secret not in html
    assert html.count("<li>") >= 2  # received, accepted


def test_status_page_says_why_and_where_to_go_after_a_rejection(gov: Any) -> None:
    case = _public_case(gov)
    case_reject(actor=gov.village_a1_operator, case=case, reason="属于劳动仲裁范围", redirect_to="区劳动人事争议仲裁院")
    html = Client().get(reverse("cases:track_status", args=[case.tracking_code])).content.decode()
    assert str(_("Not accepted")) in html and "属于劳动仲裁范围" in html and "区劳动人事争议仲裁院" in html
    assert "op_village_a1" not in html  # who rejected stays internal


def test_lookup_by_tracking_code(gov: Any) -> None:
    case = _public_case(gov)
    client = Client()
    assert client.get(reverse("cases:track")).status_code == 200
    response = client.get(reverse("cases:track"), {"code": f" {case.tracking_code.lower()} "})
    assert response["Location"] == reverse("cases:track_status", args=[case.tracking_code])
    missing = client.get(reverse("cases:track"), {"code": "MF000000XXXXXX"})
    assert missing.status_code == 404 and "MF000000XXXXXX" in missing.content.decode()
    assert client.get(reverse("cases:track_status", args=["NOPE"])).status_code == 404
