"""Staff intake (windows, hotline) and the grid worker's phone form."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.translation import gettext as _

from mofan.accounts.roles import Role
from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.cases.models import Case, CaseAttachment, Category, Channel, Level
from mofan.core import crypto
from mofan.core.identity import id_number_check_digit
from mofan.org import services as org_services
from mofan.org.models import UnitKind

pytestmark = pytest.mark.django_db

URL = reverse("cases:intake")
GRID_URL = reverse("cases:intake_grid")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 100


def valid_id_number() -> str:
    first17 = "15010219800101123"
    return first17 + id_number_check_digit(first17)


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def catalogue(db: Any) -> dict[str, Category]:
    infra = Category.objects.create(name="城乡建设", level=1)
    facilities = Category.objects.create(name="市政设施", level=2, parent=infra)
    lamp = Category.objects.create(name="路灯损坏", level=3, parent=facilities)
    disputes = Category.objects.create(name="矛盾纠纷", level=1)
    labour = Category.objects.create(name="劳动纠纷", level=2, parent=disputes)
    return {"infra": infra, "facilities": facilities, "lamp": lamp, "disputes": disputes, "labour": labour}


def staff_post(**extra: Any) -> dict[str, Any]:
    data = {"channel": Channel.WINDOW_LABOUR, "urgency": "normal", "title": "",
            "description": "公司拖欠三个月工资，约二十人", "address": "", "reporter_name": "李四",
            "reporter_phone": "13812345678", "reporter_id_number": ""}
    data.update(extra)
    return data


def test_window_intake_registers_the_case_at_the_centre_of_its_area(gov: Any, login: Any) -> None:
    client = login(gov.town_a_operator)
    page = client.get(URL + "?channel=window_labour")
    assert page.status_code == 200
    assert 'value="window_labour" selected' in page.content.decode()
    response = client.post(URL, staff_post(area=gov.d.village_a2.pk))  # 村二 has no centre: 甲镇 holds it
    case = Case.objects.get()
    assert response.status_code == 302
    assert (case.channel, case.centre, case.level, case.area) == (
        Channel.WINDOW_LABOUR, gov.town_a_centre, Level.TOWN, gov.d.village_a2)
    assert case.created_by == gov.town_a_operator and case.reporter_phone == "13812345678"
    assert AuditLog.objects.filter(event_id=AuditEvent.CASE_CREATED.id, target_id=str(case.pk)).count() == 1


@pytest.mark.parametrize("channel", [Channel.HOTLINE, Channel.WINDOW_LEGAL, Channel.WINDOW_PSYCH, Channel.WINDOW_WOMEN])
def test_every_window_and_the_hotline_is_a_channel(gov: Any, login: Any, channel: str) -> None:
    client = login(gov.village_a1_operator)
    client.post(URL, staff_post(area=gov.d.village_a1.pk, channel=channel))
    case = Case.objects.get()
    assert (case.channel, case.centre) == (channel, gov.village_a1_centre)


def test_id_number_is_stored_encrypted_and_masked(gov: Any, login: Any) -> None:
    number = valid_id_number()
    login(gov.village_a1_operator).post(URL, staff_post(area=gov.d.village_a1.pk, reporter_id_number=number))
    case = Case.objects.get()
    assert crypto.decrypt(case.reporter_id_cipher) == number
    assert case.reporter_id_masked == number[:4] + "*" * 10 + number[-4:]
    assert number not in str(AuditLog.objects.filter(event_id=AuditEvent.CASE_CREATED.id).values().get())


def test_three_level_category_is_the_deepest_chosen(gov: Any, login: Any, catalogue: Any) -> None:
    client = login(gov.village_a1_operator)
    client.post(URL, staff_post(area=gov.d.village_a1.pk, category_1=catalogue["infra"].pk,
                                category_2=catalogue["facilities"].pk, category_3=catalogue["lamp"].pk))
    assert Case.objects.get().category == catalogue["lamp"]
    client.post(URL, staff_post(area=gov.d.village_a1.pk, category_1=catalogue["disputes"].pk))
    assert Case.objects.latest("id").category == catalogue["disputes"]


@pytest.mark.parametrize("choice", [
    {"category_1": "999999"},  # no such category
    {"category_1": "infra", "category_2": "labour"},  # 劳动纠纷 is not under 城乡建设
    {"category_1": "lamp"},  # a third-level category offered as the first level
    {"category_1": "infra", "category_2": "facilities", "category_3": "closed"},
])
def test_unknown_category_is_refused(gov: Any, login: Any, catalogue: Any, choice: dict[str, str]) -> None:
    closed = Category.objects.create(name="已停用", level=3, parent=catalogue["facilities"], is_active=False)
    names = {**catalogue, "closed": closed}
    data = {key: (str(names[value].pk) if value in names else value) for key, value in choice.items()}
    response = login(gov.village_a1_operator).post(URL, staff_post(area=gov.d.village_a1.pk, **data))
    assert response.status_code == 400
    assert any(_("Unknown category.") in errors for errors in response.context["form"].errors.values())
    assert not Case.objects.exists()


@pytest.mark.parametrize(("field", "value", "message"), [
    ("reporter_phone", "12345", "Not a valid phone number."),
    ("reporter_id_number", "150102198001011234", "The check digit of the ID number is wrong."),
    ("reporter_id_number", "15010219801301123X", "The birth date inside the ID number is not a real date."),
    ("description", "   ", "Describe the problem."),
])
def test_bad_input_changes_nothing(gov: Any, login: Any, field: str, value: str, message: str) -> None:
    response = login(gov.village_a1_operator).post(URL, staff_post(area=gov.d.village_a1.pk, **{field: value}))
    assert response.status_code == 400
    form = response.context["form"]
    assert _(message) in form.errors[field]
    assert not Case.objects.exists()
    assert not AuditLog.objects.filter(event_id=AuditEvent.CASE_CREATED.id).exists()


DISGUISED = "The file %(name)s is not really a .%(ext)s file."


@pytest.mark.parametrize(("name", "content", "message"), [
    ("scan.jpg", PDF, DISGUISED),  # a PDF renamed to .jpg
    ("photo.jpg", EXE, DISGUISED),  # a Windows program renamed to .jpg
    ("tool.exe", EXE, "Files of type .%(ext)s are not accepted; send a photo (jpg, png), a PDF, or a Word or Excel file."),
    ("big.jpg", JPEG + b"\x00" * 2000, "The file %(name)s is larger than %(limit)d MB."),
])
def test_disguised_or_oversized_attachments_are_refused(gov: Any, login: Any, settings: Any, name: str,
                                                        content: bytes, message: str) -> None:
    settings.MOFAN_ATTACHMENT_MAX_BYTES = 1024
    upload = SimpleUploadedFile(name, content, content_type="image/jpeg")
    response = login(gov.village_a1_operator).post(URL, staff_post(area=gov.d.village_a1.pk, attachments=[upload]))
    assert response.status_code == 400
    expected = _(message) % {"name": name, "ext": name.rsplit(".", 1)[-1], "limit": 0}
    assert response.context["form"].errors["attachments"] == [expected]
    assert not Case.objects.exists() and not CaseAttachment.objects.exists()


def test_attachments_are_kept_with_the_case(gov: Any, login: Any) -> None:
    files = [SimpleUploadedFile("a.jpg", JPEG, content_type="image/jpeg"),
             SimpleUploadedFile("b.pdf", PDF, content_type="application/pdf")]
    login(gov.village_a1_operator).post(URL, staff_post(area=gov.d.village_a1.pk, attachments=files))
    case = Case.objects.get()
    assert sorted(case.attachments.values_list("content_type", flat=True)) == ["application/pdf", "image/jpeg"]


def test_areas_outside_the_jurisdiction_are_not_offered(gov: Any, login: Any) -> None:
    client = login(gov.town_a_operator)
    offered = set(client.get(URL).context["form"].fields["area"].queryset)
    assert offered == {gov.d.town_a, gov.d.village_a1, gov.d.village_a2}
    response = client.post(URL, staff_post(area=gov.d.village_b1.pk))
    assert response.status_code == 400 and "area" in response.context["form"].errors
    assert not Case.objects.exists()


def test_staff_channels_only(gov: Any, login: Any) -> None:
    response = login(gov.village_a1_operator).post(URL, staff_post(area=gov.d.village_a1.pk, channel="public"))
    assert response.status_code == 400 and "channel" in response.context["form"].errors


def test_intake_needs_the_intake_role(gov: Any, login: Any) -> None:
    assert login(gov.justice_handler).get(URL).status_code == 403
    assert login(gov.justice_handler).get(GRID_URL).status_code == 403


def test_grid_form_is_made_for_a_phone_and_presets_the_area(gov: Any, login: Any) -> None:
    page = login(gov.grid_worker).get(GRID_URL)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'accept="image/*"' in html and 'capture="environment"' in html and "multiple" in html
    assert f'type="hidden" name="area" value="{gov.d.village_a1.pk}"' in html
    assert "村一" in html


def test_grid_report_with_photos(gov: Any, login: Any) -> None:
    photos = [SimpleUploadedFile("p1.jpg", JPEG, content_type="image/jpeg"),
              SimpleUploadedFile("p2.jpg", JPEG + b"1", content_type="image/jpeg")]
    response = login(gov.grid_worker).post(GRID_URL, {
        "area": gov.d.village_a1.pk, "urgency": "high", "description": "河道有垃圾堆积", "photos": photos,
        "reporter_phone": "",
    })
    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.channel, case.area, case.centre, case.urgency) == (
        Channel.GRID, gov.d.village_a1, gov.village_a1_centre, "high")
    assert case.attachments.count() == 2
    assert {a.event for a in case.attachments.all()} == {case.events.get()}


def test_grid_worker_of_a_grid_reports_from_the_grid(gov: Any, login: Any, make_user: Any) -> None:
    grid = org_services.unit_create(actor=None, name="第一网格", kind=UnitKind.GRID, parent=gov.d.village_a1)
    worker = make_user(Role.GRID_WORKER, grid)
    client = login(worker)
    assert list(client.get(GRID_URL).context["form"].fields["area"].queryset) == [grid]
    client.post(GRID_URL, {"area": grid.pk, "urgency": "normal", "description": "井盖缺失"})
    case = Case.objects.get()
    assert (case.area, case.centre, case.channel) == (grid, gov.village_a1_centre, Channel.GRID)
    assert case.area_path.startswith(gov.d.village_a1.path)


def test_grid_form_refuses_a_disguised_photo(gov: Any, login: Any) -> None:
    response = login(gov.grid_worker).post(GRID_URL, {
        "area": gov.d.village_a1.pk, "urgency": "normal", "description": "路面塌陷",
        "photos": [SimpleUploadedFile("photo.jpg", PDF, content_type="image/jpeg")],
    })
    assert response.status_code == 400
    assert response.context["form"].errors["photos"]
    assert not Case.objects.exists()


def test_category_levels_load_by_htmx(gov: Any, login: Any, catalogue: Any) -> None:
    client = login(gov.village_a1_operator)
    url = reverse("cases:category_options")
    level2 = client.get(url, {"category_1": catalogue["infra"].pk}).content.decode()
    assert "市政设施" in level2 and "劳动纠纷" not in level2
    assert 'id="id_category_3" hx-swap-oob="innerHTML"' in level2
    level3 = client.get(url, {"category_2": catalogue["facilities"].pk}).content.decode()
    assert "路灯损坏" in level3 and "hx-swap-oob" not in level3
    form_html = client.get(URL).content.decode()
    assert f'hx-get="{url}"' in form_html and 'hx-target="#id_category_2"' in form_html
