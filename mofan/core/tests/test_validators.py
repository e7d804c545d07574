"""Control characters refused at input, once for every way a text comes in (``mofan.core.validators``), and
the id fields and routes of ``mofan.core.api``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory
from rest_framework import serializers

from mofan.core.api import MAX_ID, IdField, id_list, parse_id
from mofan.core.validators import ControlCharacterMiddleware, first_control_character, validate_text

REFUSED = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x0e", "\x1f", "\x7f", "\x80", "\x85", "\x9f", "\ud800"]
KEPT = ["\t", "\n", "\r", " ", "\u00a0", "中文", "emoji 😀", "\u200b", "Ünïcödé"]


@pytest.mark.parametrize("char", REFUSED)
def test_control_characters_are_refused(char: str) -> None:
    assert first_control_character(f"前{char}后") == f"U+{ord(char):04X}"
    with pytest.raises(ValidationError) as refused:
        validate_text(f"前{char}后")
    assert refused.value.code == "control_character" and f"U+{ord(char):04X}" in refused.value.messages[0]


@pytest.mark.parametrize("text", KEPT)
def test_line_breaks_tabs_and_ordinary_unicode_pass(text: str) -> None:
    assert first_control_character(text) is None
    validate_text(text)
    validate_text(None)  # not a text: nothing to check


def _view(request: Any, **kwargs: Any) -> Any:
    from django.http import HttpResponse

    return HttpResponse("ran")


def _through(request: Any, view_kwargs: dict[str, Any] | None = None) -> Any:
    middleware = ControlCharacterMiddleware(lambda r: _view(r))
    request.session, request.user = {}, None
    return middleware.process_view(request, _view, (), view_kwargs or {})


@pytest.mark.parametrize("request_of", [
    lambda rf: rf.get("/x/", {"q": "a\x00"}),
    lambda rf: rf.get("/x/", {"a\x01": "1"}),
    lambda rf: rf.post("/x/", {"name": "a\x0bb"}),
    lambda rf: rf.post("/x/", json.dumps({"outer": [{"inner": "x\x7f"}]}), content_type="application/json"),
    lambda rf: rf.post("/x/", json.dumps({"k\x00": 1}), content_type="application/json"),
    lambda rf: rf.post("/x/", json.dumps(["\x00"]), content_type="application/json"),
    lambda rf: rf.patch("/x/", "name=a%0Bb", content_type="application/x-www-form-urlencoded"),
    lambda rf: rf.put("/x/", json.dumps({"name": "\x00"}), content_type="application/json"),
])
def test_the_middleware_refuses_every_place_a_text_can_hide(request_of: Any) -> None:
    response = _through(request_of(RequestFactory()))
    assert response is not None and response.status_code == 400


def test_the_middleware_checks_path_parameters_and_file_names_come_clean() -> None:
    rf = RequestFactory()
    assert _through(rf.get("/x/"), {"code": "MF\x00"}).status_code == 400
    from django.core.files.uploadedfile import SimpleUploadedFile

    request = rf.post("/x/", {"photos": SimpleUploadedFile("a\x01.jpg", b"x", content_type="image/jpeg")})
    assert _through(request) is None and getattr(request.FILES.get("photos"), "name", "") == "a.jpg"  # Django drops them from names


def test_the_middleware_lets_ordinary_requests_through() -> None:
    rf = RequestFactory()
    assert _through(rf.post("/x/", {"text": "第一行\r\n\t第二行"})) is None
    assert _through(rf.post("/x/", json.dumps({"a": ["中文\n", 1, None, {"b": True}]}),
                            content_type="application/json")) is None
    assert _through(rf.post("/x/", b"not json", content_type="application/json")) is None  # the parser says so


@pytest.mark.django_db
def test_api_refusals_are_json_by_field_and_pages_are_a_page(make_user: Any, login: Any) -> None:
    client = login(make_user())
    api = client.get("/api/units/", {"q": "x\x00"})
    assert api.status_code == 400 and api.json() == {"q": [api.json()["q"][0]]} and "U+0000" in api.json()["q"][0]
    page = Client().get("/accounts/login/", {"next": "/\x1b"})
    assert page.status_code == 400 and "U+001B" in page.content.decode()


class Ids(serializers.Serializer):
    one = IdField()
    ids = id_list()


@pytest.mark.parametrize("bad", [0, -1, MAX_ID + 1, 2**64, 1e30, 1.5, float("inf"), float("nan"), "abc", "1e30",
                                 True, None, [1], {"a": 1}, "9" * 5000])
def test_an_id_is_a_whole_number_from_1_to_2_63_minus_1(bad: Any) -> None:
    serializer = Ids(data={"one": bad, "ids": [1, bad]})
    assert not serializer.is_valid()
    assert set(serializer.errors) == {"one", "ids"}


def test_ids_in_range_pass() -> None:
    serializer = Ids(data={"one": "7", "ids": [1, MAX_ID, 2.0]})
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == {"one": 7, "ids": [1, MAX_ID, 2]}
    assert not Ids(data={"one": 1, "ids": list(range(1, 102))}).is_valid()  # at most 100 at once


@pytest.mark.django_db
def test_json_nested_too_deeply_is_a_400_not_a_recursion_error(make_user: Any, login: Any) -> None:
    client = login(make_user())
    for body in ["[" * 100_000 + "]" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000]:
        response = client.post("/api/cases/", body, content_type="application/json")
        assert response.status_code == 400 and "detail" in response.json()
        assert Client().post("/open311/v2/requests.json", body, content_type="application/json").status_code == 400


def test_parse_id_takes_ascii_digits_in_range_only() -> None:
    assert [parse_id(v) for v in ("7", " 42 ", 7, str(MAX_ID))] == [7, 42, 7, MAX_ID]
    assert [parse_id(v) for v in ("²", "１２", "9" * 5000, str(MAX_ID + 1), "0", "-1", "1e3", "", None, True, 1.0,
                                  "0x10")] == [None] * 12
