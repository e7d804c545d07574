"""The import page: templates to download, the upload form, the success message and the error report."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.urls import reverse
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from mofan.accounts.roles import Role
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.org.models import Person, Unit
from mofan.org.tests.test_importers import make_id, people_file, person_row, units_file, upload

URL = reverse("org:import")


@pytest.fixture
def admin_client(district: Any, make_user: Any, login: Any) -> Any:
    return login(make_user(Role.SYSTEM_ADMIN, district.district))


def test_page_offers_both_templates_and_the_form(admin_client: Any) -> None:
    response = admin_client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert reverse("org:import_template", args=["units"]) in body
    assert reverse("org:import_template", args=["people"]) in body
    assert 'enctype="multipart/form-data"' in body and 'name="file"' in body and 'name="kind"' in body


@pytest.mark.parametrize(("kind", "sheet"), [("units", "单位"), ("people", "人员")])
def test_template_download(admin_client: Any, kind: str, sheet: str) -> None:
    response = admin_client.get(reverse("org:import_template", args=[kind]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == [sheet, "说明"]


def test_unknown_template_is_404(admin_client: Any) -> None:
    assert admin_client.get(reverse("org:import_template", args=["cases"])).status_code == 404


def test_successful_import_says_how_many(admin_client: Any, district: Any) -> None:
    response = admin_client.post(URL, {"kind": "people", "file": people_file([person_row(1), person_row(2)])},
                                 follow=True)
    assert response.status_code == 200
    assert Person.objects.count() == 2
    messages = [str(m) for m in response.context["messages"]]
    assert messages == [_("Imported %(count)s people.") % {"count": 2}]
    assert AuditLog.objects.filter(event_id=AuditEvent.IMPORT_PEOPLE.id).count() == 1


def test_units_import_from_the_page(admin_client: Any, district: Any) -> None:
    rows = [["测试区", "丙镇", "苏木镇(街道)", ""], ["测试区/丙镇", "丙一村", "嘎查村(社区)", ""]]
    response = admin_client.post(URL, {"kind": "units", "file": units_file(rows)})
    assert response.status_code == 302
    assert Unit.objects.filter(name__in=["丙镇", "丙一村"]).count() == 2


def test_bad_row_shows_the_error_report_and_imports_nothing(admin_client: Any, district: Any) -> None:
    bad = make_id(2)[:-1] + ("0" if make_id(2)[-1] != "0" else "1")
    rows = [person_row(1), person_row(2, 身份证号=bad), person_row(3, 手机号="12")]
    response = admin_client.post(URL, {"kind": "people", "file": people_file(rows)})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'class="error-report"' in body
    report = response.context["report"]
    assert [(e.row, e.column) for e in report] == [(3, "身份证号"), (4, "手机号")]
    assert _("The check digit of the ID number is wrong.") in body
    assert bad not in body  # the ID number is masked on the page
    assert Person.objects.count() == 0


def test_bad_file_shows_a_clear_message(admin_client: Any, district: Any) -> None:
    response = admin_client.post(URL, {"kind": "people", "file": upload(b"a,b\n1,2\n", "people.csv")})
    assert response.status_code == 400
    assert [e.row for e in response.context["report"]] == [None]
    assert 'class="error-report"' in response.content.decode()


def test_empty_upload_reaches_the_importer(admin_client: Any, district: Any) -> None:
    response = admin_client.post(URL, {"kind": "people", "file": upload(b"")})
    assert [e.message for e in response.context["report"]] == [_("The file is empty.")]


def test_missing_file_is_a_form_error(admin_client: Any) -> None:
    response = admin_client.post(URL, {"kind": "people"})
    assert response.status_code == 400 and response.context["form"].errors["file"]


def test_page_needs_the_import_right(district: Any, make_user: Any, login: Any) -> None:
    client = login(make_user(Role.CADRE, district.district))
    assert client.get(URL).status_code == 403
    assert client.get(reverse("org:import_template", args=["people"])).status_code == 403
    assert client.post(URL, {"kind": "people", "file": people_file([person_row(1)])}).status_code == 403
    assert Person.objects.count() == 0
    assert AuditLog.objects.filter(event_id=AuditEvent.ACCESS_DENIED.id).count() == 3


def test_anonymous_is_sent_to_sign_in(client: Any) -> None:
    response = client.get(URL)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_town_admin_cannot_import_into_another_town(district: Any, make_user: Any, login: Any) -> None:
    client = login(make_user(Role.SYSTEM_ADMIN, district.town_a))
    response = client.post(URL, {"kind": "people", "file": people_file([person_row(1, unit="测试区/乙镇/村三")])})
    assert response.status_code == 400
    assert [(e.row, e.column) for e in response.context["report"]] == [(2, "所属单位")]
    assert Person.objects.count() == 0
