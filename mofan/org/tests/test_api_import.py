"""The import API: 201 {created}, 400 {errors: [...]} with nothing written, the template, the schema."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.utils.translation import gettext as _
from drf_spectacular.generators import SchemaGenerator
from openpyxl import load_workbook
from rest_framework.test import APIClient

from mofan.accounts.roles import Role
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.org.models import Person, Unit
from mofan.org.tests.test_importers import make_id, people_file, person_row, units_file, upload

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def api_client(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def admin_api(district: Any, make_user: Any) -> APIClient:
    return api_client(make_user(Role.SYSTEM_ADMIN, district.district))


def test_people_import_returns_the_count(admin_api: APIClient, district: Any) -> None:
    response = admin_api.post("/api/imports/people/", {"file": people_file([person_row(1), person_row(2)])},
                              format="multipart")
    assert response.status_code == 201, response.content
    assert response.json() == {"created": 2}
    assert Person.objects.count() == 2
    assert AuditLog.objects.filter(event_id=AuditEvent.IMPORT_PEOPLE.id).count() == 1


def test_units_import_returns_the_count(admin_api: APIClient, district: Any) -> None:
    rows = [["测试区", "丙镇", "苏木镇(街道)", ""], ["测试区/丙镇", "丙一村", "嘎查村(社区)", ""]]
    response = admin_api.post("/api/imports/units/", {"file": units_file(rows)}, format="multipart")
    assert response.status_code == 201 and response.json() == {"created": 2}
    assert Unit.objects.get(name="丙一村").parent == Unit.objects.get(name="丙镇")


def test_bad_row_returns_the_report_and_writes_nothing(admin_api: APIClient, district: Any) -> None:
    bad = make_id(2)[:-1] + ("0" if make_id(2)[-1] != "0" else "1")
    rows = [person_row(1), person_row(2, 身份证号=bad)]
    response = admin_api.post("/api/imports/people/", {"file": people_file(rows)}, format="multipart")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert len(errors) == 1
    assert errors[0]["row"] == 3 and errors[0]["column"] == "身份证号"
    assert errors[0]["message"] == _("The check digit of the ID number is wrong.")
    assert errors[0]["value"] != bad and "*" in errors[0]["value"]
    assert Person.objects.count() == 0
    assert not AuditLog.objects.filter(event_id=AuditEvent.IMPORT_PEOPLE.id).exists()


def test_bad_file_returns_a_file_level_error(admin_api: APIClient, district: Any) -> None:
    response = admin_api.post("/api/imports/units/", {"file": upload(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)},
                              format="multipart")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["row"] is None and ".xls" in error["message"]


def test_missing_file(admin_api: APIClient) -> None:
    response = admin_api.post("/api/imports/people/", {}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"][0]["column"] == "file"


def test_oversize_file(admin_api: APIClient, district: Any, settings: Any) -> None:
    settings.MOFAN_IMPORT_MAX_BYTES = 2000
    response = admin_api.post("/api/imports/people/", {"file": people_file([person_row(n) for n in range(50)])},
                              format="multipart")
    assert response.status_code == 400 and response.json()["errors"][0]["row"] is None
    assert Person.objects.count() == 0


def test_town_admin_cannot_import_into_another_town(district: Any, make_user: Any) -> None:
    client = api_client(make_user(Role.SYSTEM_ADMIN, district.town_a))
    response = client.post("/api/imports/people/", {"file": people_file([person_row(1, unit="测试区/乙镇/村三")])},
                           format="multipart")
    assert response.status_code == 400
    assert [(e["row"], e["column"]) for e in response.json()["errors"]] == [(2, "所属单位")]
    assert Person.objects.count() == 0


def test_import_needs_the_import_right(district: Any, make_user: Any) -> None:
    client = api_client(make_user(Role.CADRE, district.district))
    response = client.post("/api/imports/people/", {"file": people_file([person_row(1)])}, format="multipart")
    assert response.status_code == 403
    assert client.get("/api/imports/template/?kind=people").status_code == 403
    assert Person.objects.count() == 0


def test_anonymous_is_refused(district: Any) -> None:
    response = APIClient().post("/api/imports/people/", {"file": people_file([person_row(1)])}, format="multipart")
    assert response.status_code in (401, 403)
    assert Person.objects.count() == 0


@pytest.mark.parametrize(("kind", "sheet"), [("units", "单位"), ("people", "人员")])
def test_template_download(admin_api: APIClient, kind: str, sheet: str) -> None:
    response = admin_api.get(f"/api/imports/template/?kind={kind}")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert load_workbook(io.BytesIO(response.content)).sheetnames == [sheet, "说明"]
    # a client may ask for the xlsx type explicitly
    assert admin_api.get(f"/api/imports/template/?kind={kind}", HTTP_ACCEPT=XLSX).status_code == 200


def test_template_round_trips_through_the_api(admin_api: APIClient, district: Any) -> None:
    template = admin_api.get("/api/imports/template/?kind=people").content
    workbook = load_workbook(io.BytesIO(template))
    workbook.worksheets[0].append(person_row(1))
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = admin_api.post("/api/imports/people/", {"file": upload(buffer.getvalue())}, format="multipart")
    assert response.status_code == 201 and response.json() == {"created": 1}


def test_template_needs_a_kind(admin_api: APIClient) -> None:
    response = admin_api.get("/api/imports/template/?kind=cases")
    assert response.status_code == 400 and response.json()["errors"][0]["column"] == "kind"


def test_schema_describes_the_import_endpoints() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    for kind in ("units", "people"):
        post = paths[f"/api/imports/{kind}/"]["post"]
        assert "multipart/form-data" in post["requestBody"]["content"]
        assert {"201", "400"} <= set(post["responses"])
    template = paths["/api/imports/template/"]["get"]
    assert [p["name"] for p in template["parameters"]] == ["kind"]
    assert template["parameters"][0]["required"] and set(template["parameters"][0]["schema"]["enum"]) == {
        "units", "people"}
    assert set(template["responses"]["400"]["content"]) == {"application/json"}
    assert XLSX in template["responses"]["200"]["content"]
    errors = schema["components"]["schemas"]["ImportErrors"]
    assert "errors" in errors["properties"]
