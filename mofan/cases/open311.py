"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2/) under /open311/v2/, in XML and JSON, so
that existing Open311 clients can submit and follow cases.

Endpoints: ``GET services.{xml,json}``, ``GET services/{code}.{fmt}``, ``POST requests.{fmt}``,
``GET requests.{fmt}`` and ``GET requests/{id}.{fmt}``. Errors are ``<errors><error><code/><description/>``
(JSON: ``[{"code": …, "description": …}]``) with the same HTTP status.

How GeoReport maps onto mofan:

- **services** are the open leaves of the category catalogue: ``service_code`` is the category id,
  ``group`` its 一级分类, ``keywords`` the names above it; ``metadata`` is always false, ``type`` realtime.
- **POST requests** is a citizen's report (channel "open311", no account, the same hourly budget per client
  address as the public form). ``api_key`` is optional and not checked: mofan issues no keys yet, so every
  request is a citizen report. The area where it happened is, in this order: ``attribute[area]`` or
  ``address_id`` = the code of an open township, village or grid; otherwise, when the request carries
  ``lat``/``long`` or ``address_string``, the district (its centre triages and passes it down). A request with
  no location at all is refused, as the spec asks. ``address_string``, ``lat`` and ``long`` are stored;
  ``first_name``/``last_name`` and ``phone`` become the reporter, and a request without a phone is anonymous
  (nobody could be called back); ``email``, ``device_id``, ``account_id`` and ``media_url`` are ignored.
  An optional ``client_token`` (or ``token``; 16-64 of A-Z a-z 0-9 _ -) makes the POST idempotent: the same token
  again answers with the case it made the first time, so a client's retry never files a second report.
- Control characters in any parameter, and texts longer than their column, are refused with a 400 and nothing
  is written; ``lat``/``long`` must be finite numbers.
- **service_request_id** is the tracking code; the response's ``service_notice`` says so.
- **GET requests** shows public data only: status (open, or closed once closed, rejected or merged), status
  notes in plain words (a rejection says why and where to go instead), the service, the dates, the address
  and coordinates given, the centre as ``agency_responsible``, the area code as ``address_id``. Never the
  description, the reporter or internal notes. Without ``service_request_id`` the list holds only reports made
  by citizens (public form and Open311) — cases from the windows and the hotline (counselling, women's and
  children's rights…) are never listed — newest first, at most ``MAX_LIST``, the last 90 days by default.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET  # noqa: S405 - building documents only, nothing is parsed  # nosec B405 # builds documents, parses nothing
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from mofan.audit.middleware import client_ip
from mofan.cases import ratelimit
from mofan.cases.categories import category_get, category_leaves, category_path
from mofan.cases.models import Case, Category, Channel
from mofan.cases.public import area_in_reach, is_closed, public_state, top_area_in_reach
from mofan.cases.services.intake import case_create, case_for_token, clean_client_token
from mofan.core.api import parse_id
from mofan.org.models import Unit, UnitKind

MAX_LIST = 1000
DEFAULT_DAYS = 90
MAX_IDS = 100
AREA_KINDS = (UnitKind.DISTRICT, UnitKind.TOWN, UnitKind.VILLAGE, UnitKind.GRID)
LISTED_CHANNELS = (Channel.PUBLIC, Channel.OPEN311)
CONTENT_TYPES = {"xml": "application/xml; charset=utf-8", "json": "application/json; charset=utf-8"}


class Open311Error(Exception):
    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(descriptions[0] if descriptions else "")
        self.status = status
        self.descriptions = list(descriptions)


# Serialisation ----------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_xml(root: str, item: str, rows: list[dict[str, Any]]) -> bytes:
    """``<root><item><key>value</key>…</item>…</root>``: the element per field, empty for null."""
    document = ET.Element(root)
    for row in rows:
        element = ET.SubElement(document, item)
        for key, value in row.items():
            ET.SubElement(element, key).text = _text(value) or None
    return ET.tostring(document, encoding="utf-8", xml_declaration=True)


def respond(fmt: str, root: str, item: str, rows: list[dict[str, Any]], status: int = 200) -> HttpResponse:
    if fmt == "xml":
        body = to_xml(root, item, rows)
    else:
        body = json.dumps(rows, ensure_ascii=False).encode()
    response = HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])
    response["Access-Control-Allow-Origin"] = "*"  # public data, read by clients on other sites
    return response


def error_response(fmt: str, error: Open311Error) -> HttpResponse:
    rows = [{"code": error.status, "description": d} for d in error.descriptions]
    response = respond(fmt, "errors", "error", rows, status=error.status)
    if error.status == 429:
        response["Retry-After"] = str(ratelimit.WINDOW_SECONDS)
    return response


def _w3c(moment: datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def service_row(category: Category) -> dict[str, Any]:
    chain = category_path(category)
    return {
        "service_code": str(category.pk),
        "service_name": category.name,
        "description": " / ".join(c.name for c in chain),
        "metadata": False,
        "type": "realtime",
        "keywords": ", ".join(c.name for c in chain[:-1]),
        "group": chain[0].name,
    }


def status_notes(case: Case) -> str:
    if case.state == "rejected" and case.reject_reason:
        if case.redirect_to:
            return _("Not accepted: %(reason)s. Where to go instead: %(place)s.") % {
                "reason": case.reject_reason, "place": case.redirect_to}
        return _("Not accepted: %(reason)s.") % {"reason": case.reject_reason}
    return public_state(case)


def request_row(case: Case) -> dict[str, Any]:
    """The public view of a case as a GeoReport service request: no description, no reporter, no notes."""
    return {
        "service_request_id": case.tracking_code,
        "status": "closed" if is_closed(case) else "open",
        "status_notes": status_notes(case),
        "service_name": case.category.name if case.category is not None else "",
        "service_code": str(case.category_id) if case.category_id else None,
        "description": None,
        "agency_responsible": case.centre.name,
        "service_notice": None,
        "requested_datetime": _w3c(case.created_at),
        "updated_datetime": _w3c(case.updated_at),
        "expected_datetime": None,
        "address": case.address or None,
        "address_id": case.area.code or None,
        "zipcode": None,
        "lat": float(case.latitude) if case.latitude is not None else None,
        "long": float(case.longitude) if case.longitude is not None else None,
        "media_url": None,
    }


# Parsing a POST -----------------------------------------------------------------------------------------------


def _coordinate(params: Any, name: str, bound: int) -> Decimal | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = Decimal(raw)
        if not value.is_finite():  # NaN and infinities are not places
            raise InvalidOperation
        value = value.quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        raise Open311Error(400, _("%(name)s is not a number.") % {"name": name}) from None
    if not -bound <= value <= bound:
        raise Open311Error(400, _("%(name)s is out of range.") % {"name": name})
    return value


def resolve_area(params: Any) -> Unit:
    """The area of a POST: ``attribute[area]`` or ``address_id`` (a unit code), else the district when the
    request says where it happened some other way."""
    code = (params.get("attribute[area]") or params.get("address_id") or "").strip()
    if code:
        unit = Unit.objects.filter(code=code, kind__in=list(AREA_KINDS), is_active=True).first()
        if unit is None or not area_in_reach(unit):
            raise Open311Error(400, _("Unknown area: no open township, village or grid has the code %(code)s.")
                               % {"code": code[:32]})
        return unit
    has_location = (params.get("lat") and params.get("long")) or (params.get("address_string") or "").strip()
    if not has_location:
        raise Open311Error(400, _("A location is required: lat and long, address_string, address_id or "
                                  "attribute[area]."))
    district = top_area_in_reach()
    if district is None:
        raise Open311Error(400, _("No governance centre takes reports yet."))
    return district


def _reporter_name(params: Any) -> str:
    first = (params.get("first_name") or "").strip()
    last = (params.get("last_name") or "").strip()
    if any("\u4e00" <= ch <= "\u9fff" for ch in first + last):
        return f"{last}{first}"  # Chinese order: family name first, no space
    return " ".join(part for part in (first, last) if part)


def _create(request: HttpRequest) -> Case:
    params = request.POST
    try:  # the same token again (a client's retry) is the case it made the first time: no second case, no budget
        token = clean_client_token(params.get("client_token") or params.get("token"))
        sent_before = case_for_token(token, channel=Channel.OPEN311, actor=None)
    except ValidationError as exc:
        raise Open311Error(400, *[f"client_token: {m}" for m in exc.messages]) from None
    if sent_before is not None:
        return sent_before
    code = (params.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, _("service_code is required."))
    category = category_get(code)
    if category is None:
        raise Open311Error(400, _("Unknown service_code %(code)s: see services.xml for the list.")
                           % {"code": code[:32]})
    latitude, longitude = _coordinate(params, "lat", 90), _coordinate(params, "long", 180)
    if (latitude is None) != (longitude is None):
        raise Open311Error(400, _("lat and long must be given together."))
    area = resolve_area(params)
    phone = (params.get("phone") or "").strip()
    address = client_ip(request) or "unknown"
    verdict = ratelimit.public_report_allowed(address, channel=Channel.OPEN311)
    if not verdict.allowed:
        raise Open311Error(429, _("Too many reports from your network address in the last hour; try again later."))
    try:
        return case_create(
            actor=None, area=area, channel=Channel.OPEN311, category=category,
            description=params.get("description") or "", address=params.get("address_string") or "",
            latitude=latitude, longitude=longitude, reporter_name=_reporter_name(params), reporter_phone=phone,
            anonymous=not phone, client_token=token,
        )
    except ValidationError as exc:
        ratelimit.refund(ratelimit.PUBLIC_BUCKET, address)  # nothing written: not counted
        messages = ([f"{field}: {m}" for field, ms in exc.message_dict.items() for m in ms]
                    if hasattr(exc, "error_dict") else list(exc.messages))
        raise Open311Error(400, *messages) from None


# Listing ------------------------------------------------------------------------------------------------------


def _moment(params: Any, name: str) -> datetime | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        moment = parse_datetime(raw.replace(" ", "+"))  # a "+" in a query string arrives as a space
    except ValueError:
        moment = None
    if moment is None:
        raise Open311Error(400, _("%(name)s is not a W3C date and time, e.g. 2010-01-01T00:00:00Z.") % {"name": name})
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _split(params: Any, name: str) -> list[str]:
    return [part.strip() for part in (params.get(name) or "").split(",") if part.strip()]


def list_requests(params: Any) -> list[Case]:
    qs = Case.objects.select_related("category", "area", "centre")
    ids = _split(params, "service_request_id")
    if ids:  # the codes are the reporters' handles: any case they name, and nothing else filters
        return list(qs.filter(tracking_code__in=[i.upper() for i in ids[:MAX_IDS]]).order_by("-id"))
    qs = qs.filter(channel__in=list(LISTED_CHANNELS))
    codes = _split(params, "service_code")
    if codes:
        if not all(c.isascii() and c.isdigit() for c in codes):
            raise Open311Error(400, _("service_code is a list of numbers separated by commas."))
        wanted = [parse_id(c) for c in codes]  # a number no category can have matches nothing
        qs = qs.filter(category_id__in=[pk for pk in wanted if pk is not None])
    start, end = _moment(params, "start_date"), _moment(params, "end_date")
    if start is None and end is None:
        start = timezone.now() - timedelta(days=DEFAULT_DAYS)
    if start is not None:
        qs = qs.filter(created_at__gte=start)
    if end is not None:
        qs = qs.filter(created_at__lte=end)
    statuses = set(_split(params, "status"))
    if statuses - {"open", "closed"}:
        raise Open311Error(400, _("status is open, closed, or both separated by a comma."))
    closed_q = Q(state__in=["closed", "rejected", "merged"])
    if statuses == {"open"}:
        qs = qs.exclude(closed_q)
    elif statuses == {"closed"}:
        qs = qs.filter(closed_q)
    return list(qs.order_by("-id")[:MAX_LIST])


# Views ----------------------------------------------------------------------------------------------------------


@require_GET
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    return respond(fmt, "services", "service", [service_row(c) for c in category_leaves()])


@require_GET
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """No service has extra attributes (metadata is false): the definition lists none."""
    category = category_get(code)
    if category is None:
        return error_response(fmt, Open311Error(404, _("Unknown service_code %(code)s: see services.xml for the "
                                                       "list.") % {"code": code[:32]}))
    if fmt == "xml":
        document = ET.Element("service_definition")
        ET.SubElement(document, "service_code").text = str(category.pk)
        ET.SubElement(document, "attributes")
        body = ET.tostring(document, encoding="utf-8", xml_declaration=True)
    else:
        body = json.dumps({"service_code": str(category.pk), "attributes": []}).encode()
    return HttpResponse(body, content_type=CONTENT_TYPES[fmt])


@csrf_exempt  # a public API without sessions: no cookie is read, so there is nothing to forge
@require_http_methods(["GET", "POST"])
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    try:
        if request.method == "POST":
            case = _create(request)
            page = request.build_absolute_uri(reverse("cases:track_status", args=[case.tracking_code]))
            notice = _("Your report has the tracking code %(code)s; follow it at %(page)s.") % {
                "code": case.tracking_code, "page": page}
            return respond(fmt, "service_requests", "request", [
                {"service_request_id": case.tracking_code, "service_notice": notice, "account_id": None},
            ], status=201)
        return respond(fmt, "service_requests", "request", [request_row(c) for c in list_requests(request.GET)])
    except Open311Error as error:
        return error_response(fmt, error)


@require_GET
def request_detail(request: HttpRequest, request_id: str, fmt: str) -> HttpResponse:
    case = (Case.objects.select_related("category", "area", "centre")
            .filter(tracking_code=request_id.strip().upper()[:20]).first())
    if case is None:
        return error_response(fmt, Open311Error(404, _("No service request has the id %(id)s.")
                                                % {"id": request_id[:20]}))
    return respond(fmt, "service_requests", "request", [request_row(case)])


def refuse_input(request: HttpRequest, view_kwargs: dict[str, Any], messages: dict[str, str]) -> HttpResponse:
    """A request carrying a control character (``core.validators.ControlCharacterMiddleware``): an Open311
    error document in the format asked for."""
    fmt = view_kwargs.get("fmt") if view_kwargs.get("fmt") in CONTENT_TYPES else "json"
    return error_response(str(fmt), Open311Error(400, *[f"{field}: {m}" for field, m in messages.items()]))


for _view in (services, service_definition, requests, request_detail):
    _view.refuse_input = refuse_input  # type: ignore[union-attr]
