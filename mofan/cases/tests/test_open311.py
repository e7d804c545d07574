"""Open311 GeoReport v2, driven by Open311 clients from PyPI.

- ``georeport`` reads (service list, one request, a list of requests) in JSON and XML; it has no call to
  create a request.
- ``civicbot``'s ``Open311Client.create_request`` posts one (form-encoded, like the spec).

No live server (flushing fails on the audit table's triggers): each client's HTTP is routed into Django's
test client — georeport uses ``requests.get``, so a ``requests`` transport adapter is mounted; civicbot sends
through a transport object whose ``_open`` we replace.
"""

from __future__ import annotations

import urllib.request
import xml.etree.ElementTree as ET  # noqa: S405 - parsing our own test responses
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from civicbot.http import HttpError, HttpTransport, RateLimiter
from civicbot.open311 import Open311Client
from civicbot.registry import Endpoint
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from georeport import GeoReport
from requests.structures import CaseInsensitiveDict

from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.cases.models import Case, Category, Channel, Level
from mofan.cases.services.intake import case_create
from mofan.cases.services.triage import case_accept, case_reject
from mofan.org.models import Unit

pytestmark = pytest.mark.django_db

ROOT = "http://testserver/open311/v2"


def _forward(client: Client, method: str, url: str, body: bytes, content_type: str) -> Any:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return client.generic(method, path, data=body or b"", content_type=content_type or "")


class DjangoAdapter(requests.adapters.BaseAdapter):
    """A ``requests`` transport that answers from Django's test client instead of the network."""

    def __init__(self, client: Client) -> None:
        super().__init__()
        self.client = client

    def send(self, request: Any, *args: Any, **kwargs: Any) -> requests.Response:
        body = request.body.encode() if isinstance(request.body, str) else (request.body or b"")
        answer = _forward(self.client, request.method, request.url, body, request.headers.get("Content-Type", ""))
        response = requests.Response()
        response.status_code = answer.status_code
        response._content = answer.content
        response.headers = CaseInsensitiveDict(dict(answer.headers))
        response.url, response.request, response.encoding = request.url, request, "utf-8"
        return response

    def close(self) -> None:
        pass


class DjangoTransport(HttpTransport):
    """civicbot's transport, answering from Django's test client."""

    def __init__(self, client: Client) -> None:
        super().__init__(rate_limiter=RateLimiter(min_interval=0))
        self.client = client

    def _open(self, req: urllib.request.Request) -> bytes:
        data = req.data if isinstance(req.data, bytes) else b""
        answer = _forward(self.client, req.get_method(), req.full_url, data, req.get_header("Content-type") or "")
        if answer.status_code >= 400:
            raise HttpError(answer.status_code, req.full_url, answer.content.decode())
        return bytes(answer.content)


@pytest.fixture
def http(monkeypatch: Any) -> Client:
    """Route georeport's ``requests`` calls to testserver into Django."""
    client = Client()
    adapter = DjangoAdapter(client)
    real = requests.Session.get_adapter

    def get_adapter(self: requests.Session, url: str) -> Any:
        return adapter if url.startswith("http://testserver/") else real(self, url)

    monkeypatch.setattr(requests.Session, "get_adapter", get_adapter)
    return client


@pytest.fixture
def poster(http: Client) -> Open311Client:
    endpoint = Endpoint(id="mofan", name="mofan", base_url=ROOT, write=True, api_key_required_for_write=False)
    return Open311Client(endpoint, transport=DjangoTransport(http))


@pytest.fixture(autouse=True)
def fresh_counters() -> None:
    cache.clear()


@pytest.fixture
def services(gov: Any) -> dict[str, Category]:
    infra = Category.objects.create(name="城乡建设", level=1)
    facilities = Category.objects.create(name="市政设施", level=2, parent=infra)
    lamp = Category.objects.create(name="路灯损坏", level=3, parent=facilities)
    cover = Category.objects.create(name="井盖缺失", level=3, parent=facilities)
    Unit.objects.filter(pk=gov.d.village_a1.pk).update(code="150000101")
    Unit.objects.filter(pk=gov.d.town_b.pk).update(code="150000200")
    gov.refresh()
    return {"infra": infra, "facilities": facilities, "lamp": lamp, "cover": cover}


def test_service_list_in_json_and_xml(gov: Any, services: Any, http: Client) -> None:
    for fmt in ("json", "xml"):
        listed = GeoReport(ROOT, output_format=fmt).get_service_list()
        by_code = {s["service_code"]: s for s in listed}
        assert set(by_code) == {str(services["lamp"].pk), str(services["cover"].pk)}  # the leaves
        lamp = by_code[str(services["lamp"].pk)]
        assert lamp["service_name"] == "路灯损坏" and lamp["group"] == "城乡建设"
        assert lamp["keywords"] == "城乡建设, 市政设施"
        assert lamp["type"] == "realtime"
        assert lamp["metadata"] in (False, "false")
    definition = GeoReport(ROOT).get_service_definition(str(services["lamp"].pk))
    assert definition == {"service_code": str(services["lamp"].pk), "attributes": []}


def test_round_trip_post_then_read_the_status_back(gov: Any, services: Any, http: Client, poster: Any) -> None:
    sent = poster.create_request(
        services["lamp"].pk, dry_run=False, confirm="SEND", address_id="150000101", address_string="幸福路12号",
        lat=40.8123456, lng=111.6543219, description="路灯不亮已经三天", first_name="五", last_name="王",
        phone="13912345678", email="wang@example.com", media_url="http://example.com/x.jpg",
    )
    [answer] = sent.response
    code = answer["service_request_id"]
    assert code.startswith("MF") and code in answer["service_notice"] and answer["account_id"] is None
    case = Case.objects.get(tracking_code=code)
    assert (case.channel, case.area, case.centre, case.level, case.category) == (
        Channel.OPEN311, gov.d.village_a1, gov.village_a1_centre, Level.VILLAGE, services["lamp"])
    assert (case.reporter_name, case.reporter_phone, case.anonymous) == ("王五", "13912345678", False)
    assert str(case.latitude) == "40.812346" and case.address == "幸福路12号"

    status = GeoReport(ROOT).get_service_request(code)
    assert (status["service_request_id"], status["status"], status["service_name"]) == (code, "open", "路灯损坏")
    assert status["address"] == "幸福路12号" and status["address_id"] == "150000101"
    assert status["lat"] == pytest.approx(40.812346) and status["long"] == pytest.approx(111.654322)
    assert status["requested_datetime"] and status["updated_datetime"]
    assert status["agency_responsible"] == "村一治理中心"

    case_reject(actor=gov.village_a1_operator, case=case, reason="不属于本村管辖", redirect_to="市供电公司")
    closed = GeoReport(ROOT, output_format="xml").get_service_request(code)
    assert closed["status"] == "closed"
    assert "不属于本村管辖" in closed["status_notes"] and "市供电公司" in closed["status_notes"]
    listed = GeoReport(ROOT).get_service_requests(service_request_id=code)
    assert [r["service_request_id"] for r in listed] == [code]


def test_post_answers_in_xml_as_the_spec(gov: Any, services: Any) -> None:
    response = Client().post(reverse("open311:requests", args=["xml"]), {
        "service_code": services["cover"].pk, "lat": "40.1", "long": "111.2", "description": "井盖丢了",
        "api_key": "anything",
    })
    assert response.status_code == 201 and response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)  # noqa: S314 - our own response
    assert root.tag == "service_requests"
    [request] = list(root)
    assert request.tag == "request"
    assert [child.tag for child in request] == ["service_request_id", "service_notice", "account_id"]
    case = Case.objects.get(tracking_code=request.findtext("service_request_id"))
    # lat/long without an area code: the district's centre triages it. No phone: anonymous.
    assert (case.area, case.centre, case.level, case.anonymous) == (gov.d.district, gov.district_centre,
                                                                    Level.DISTRICT, True)


def test_area_attribute_and_address_id_choose_the_area(gov: Any, services: Any) -> None:
    client = Client()
    url = reverse("open311:requests", args=["json"])
    client.post(url, {"service_code": services["lamp"].pk, "attribute[area]": "150000200", "description": "x",
                      "phone": "13912345678"})
    client.post(url, {"service_code": services["lamp"].pk, "address_id": "150000101", "description": "y",
                      "phone": "13912345678"})
    first, second = Case.objects.order_by("id")
    assert (first.area, first.centre) == (gov.d.town_b, gov.town_b_centre)
    assert (second.area, second.centre) == (gov.d.village_a1, gov.village_a1_centre)


@pytest.mark.parametrize(("data", "status", "words"), [
    ({"lat": "40", "long": "111", "description": "x"}, 400, "service_code"),
    ({"service_code": "999999", "lat": "40", "long": "111", "description": "x"}, 400, "999999"),
    ({"service_code": "lamp", "description": "x"}, 400, "location"),
    ({"service_code": "lamp", "address_id": "NOPE", "description": "x"}, 400, "NOPE"),
    ({"service_code": "lamp", "lat": "400", "long": "111", "description": "x"}, 400, "lat"),
    ({"service_code": "lamp", "lat": "40", "description": "x"}, 400, "lat"),
    ({"service_code": "lamp", "lat": "40", "long": "111", "description": ""}, 400, "description"),
    ({"service_code": "lamp", "lat": "40", "long": "111", "description": "x", "phone": "12"}, 400, "reporter_phone"),
])
def test_bad_posts_are_refused_as_errors(gov: Any, services: Any, data: dict[str, str], status: int,
                                         words: str) -> None:
    data = {key: (str(services[value].pk) if key == "service_code" and value in services else value)
            for key, value in data.items()}
    client = Client()
    as_json = client.post(reverse("open311:requests", args=["json"]), data)
    assert as_json.status_code == status
    errors = as_json.json()
    assert all(e["code"] == status for e in errors) and any(words in e["description"] for e in errors)
    as_xml = client.post(reverse("open311:requests", args=["xml"]), data)
    root = ET.fromstring(as_xml.content)  # noqa: S314 - our own response
    assert root.tag == "errors" and root[0].tag == "error"
    assert [child.tag for child in root[0]] == ["code", "description"] and root[0].findtext("code") == str(status)
    assert not Case.objects.exists()


def test_reads_carry_public_data_only(gov: Any, services: Any, http: Client) -> None:
    case = case_create(actor=None, area=gov.d.village_a1, channel=Channel.OPEN311, category=services["lamp"],
                       description="我家门口路灯坏了，我是李雷", reporter_name="李雷", reporter_phone="13600001234")
    case_accept(actor=gov.village_a1_operator, case=case, note="内部：联系李雷")
    for fmt in ("json", "xml"):
        raw = http.get(f"/open311/v2/requests/{case.tracking_code}.{fmt}").content.decode()
        listed = http.get(f"/open311/v2/requests.{fmt}").content.decode()
        for body in (raw, listed):
            assert case.tracking_code in body
            for secret in ("李雷", "13600001234", "1234", "我家门口", "内部"):
                assert secret not in body


def test_the_list_holds_citizen_reports_only_and_filters(gov: Any, services: Any, http: Client) -> None:
    public = case_create(actor=None, area=gov.d.village_a1, channel=Channel.PUBLIC, category=services["lamp"],
                         description="a", anonymous=True)
    open311 = case_create(actor=None, area=gov.d.village_a1, channel=Channel.OPEN311, category=services["cover"],
                          description="b", anonymous=True)
    window = case_create(actor=gov.village_a1_operator, area=gov.d.village_a1, channel=Channel.WINDOW_PSYCH,
                         description="心理咨询", category=services["lamp"])
    case_reject(actor=gov.village_a1_operator, case=open311, reason="重复")
    client = GeoReport(ROOT)
    codes = [r["service_request_id"] for r in client.get_service_requests()]
    assert codes == [open311.tracking_code, public.tracking_code]  # newest first; the window case never
    assert [r["service_request_id"] for r in client.get_service_requests(status="open")] == [public.tracking_code]
    assert [r["service_request_id"] for r in client.get_service_requests(status="closed")] == [open311.tracking_code]
    assert [r["service_request_id"] for r in client.get_service_requests(
        service_code=str(services["cover"].pk))] == [open311.tracking_code]
    assert client.get_service_requests(start_date="2001-01-01T00:00:00Z", end_date="2001-02-01T00:00:00Z") == []
    # By its code (the caller's handle) the window case is readable, with no personal data.
    [row] = client.get_service_requests(service_request_id=window.tracking_code)
    assert row["service_request_id"] == window.tracking_code and row["description"] is None
    bad = http.get("/open311/v2/requests.json", {"start_date": "yesterday"})
    assert bad.status_code == 400 and "start_date" in bad.json()[0]["description"]
    assert http.get("/open311/v2/requests.json", {"status": "pending"}).status_code == 400


def test_unknown_request_is_a_404_error(gov: Any, services: Any, http: Client) -> None:
    response = http.get("/open311/v2/requests/MF000000ZZZZZZ.xml")
    assert response.status_code == 404
    root = ET.fromstring(response.content)  # noqa: S314 - our own response
    assert root.tag == "errors" and root[0].findtext("code") == "404"
    with pytest.raises(requests.HTTPError):
        GeoReport(ROOT).get_service_request("MF000000ZZZZZZ")
    assert http.get("/open311/v2/services/999999.json").status_code == 404


def test_a_flood_of_posts_is_refused_with_429(gov: Any, services: Any, settings: Any, poster: Any) -> None:
    settings.MOFAN_PUBLIC_REPORTS_PER_HOUR = 2
    form = {"lat": 40.0, "lng": 111.0, "description": "路灯坏了", "phone": "13912345678"}
    for _ in range(2):
        poster.create_request(services["lamp"].pk, dry_run=False, confirm="SEND", **form)
    with pytest.raises(HttpError) as caught:
        poster.create_request(services["lamp"].pk, dry_run=False, confirm="SEND", **form)
    assert caught.value.status == 429 and "429" in caught.value.body
    assert Case.objects.count() == 2
    assert AuditLog.objects.filter(event_id=AuditEvent.CASE_PUBLIC_REFUSED.id).count() == 1
