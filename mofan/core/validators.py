"""Text that cannot hurt: control characters refused at input, once, for every way a text comes in.

A control character (C0 except tab, line feed and carriage return; DEL; C1) or a lone surrogate in a text is
never something a person typed on purpose, and it breaks what comes after: PostgreSQL refuses NUL in a text
column (a 500 instead of a message), openpyxl refuses C0 characters in a cell (the export of that row fails),
an audit row with "probe\\x0buser" poisons every later export of the log.

``validate_text`` is the validator for one value. ``ControlCharacterMiddleware`` applies it to everything a
request carries before any view runs — the query string, the path's parameters, form fields (URL-encoded and
multipart) and JSON bodies, at any depth — so the Django forms, the DRF
serializers, the sign-in form, the public report form and Open311 are all covered without each form or
serializer having to remember it, and nothing is written when it refuses. The refusal is a 400 with a clear
message: JSON by field for the API, the Open311 error document for Open311 (a view can shape its own refusal
with a ``refuse_input`` attribute), a page otherwise. The contents of uploaded files are not texts: importers
check what they read. A JSON body nested too deeply to parse (``[[[[…`` a hundred thousand times, a
RecursionError in any parser) is refused the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _

# The one definition of a control character: C0 without \t \n \r, DEL and C1 (``core.exports`` strips these).
CONTROL_CHARACTER_CLASS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
# Refused at input: the control characters and lone surrogates (which no encoding can store).
CONTROL_CHARACTERS = re.compile(f"[{CONTROL_CHARACTER_CLASS}\ud800-\udfff]")


def first_control_character(text: str) -> str | None:
    """The first control character of ``text`` as ``U+000B``, or None when there is none."""
    match = CONTROL_CHARACTERS.search(text)
    return f"U+{ord(match.group()):04X}" if match else None


def control_character_message(code: str) -> str:
    return _("The text contains an invisible control character (%(code)s); remove it and send again.") % {
        "code": code}


def validate_text(value: Any) -> None:
    """Refuse a text holding a control character (tab, line feed and carriage return are fine)."""
    if isinstance(value, str):
        code = first_control_character(value)
        if code:
            raise ValidationError(control_character_message(code), code="control_character")


def strings_in(value: Any) -> Iterator[str]:
    """Every string inside a parsed JSON value (or an imported cell): itself, or the keys and values of its
    lists, tuples and objects at any depth, in document order; without recursion, so no depth exhausts the stack."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            for key, child in reversed(item.items()):
                stack.append(child)
                stack.append(str(key))
        elif isinstance(item, list | tuple):
            stack.extend(reversed(item))


class TooDeep(Exception):  # noqa: N818 - a refusal, not a failure
    """A JSON body nested so deeply that parsing it would exhaust the stack (a 500 in any parser)."""


def _json_body(request: HttpRequest) -> Any:
    if request.content_type != "application/json" or not request.body:
        return None
    try:
        return json.loads(request.body)
    except ValueError:
        return None  # not JSON: the view's parser says so
    except RecursionError:
        raise TooDeep from None


def refused_fields(request: HttpRequest, view_kwargs: dict[str, Any]) -> dict[str, str]:
    """Each input of the request that holds a control character, with the first one found (``U+0000``)."""
    found: dict[str, str] = {}

    def check(field: str, texts: Any) -> None:
        for text in texts:
            code = first_control_character(text)
            if code and field not in found:
                found[field] = code

    for key, values in request.GET.lists():
        check(key, [key, *values])
    for key, value in view_kwargs.items():
        check(key, [value] if isinstance(value, str) else [])
    if request.method == "POST" and request.content_type in ("application/x-www-form-urlencoded",
                                                             "multipart/form-data"):
        for key, values in request.POST.lists():
            check(key, [key, *values])
        for key in request.FILES:  # the names of uploaded files come without control characters (Django's parser)
            check(key, [key])
    elif request.method in ("PUT", "PATCH") and request.content_type == "application/x-www-form-urlencoded":
        for key, values in QueryDict(request.body, encoding=request.encoding).lists():  # DRF parses these itself
            check(key, [key, *values])
    body = _json_body(request)
    if isinstance(body, dict):
        for key, value in body.items():
            check(str(key), [str(key), *strings_in(value)])
    elif body is not None:
        check("detail", strings_in(body))
    return found


def _is_api_view(view_func: Any) -> bool:
    from rest_framework.views import APIView

    view_class = getattr(view_func, "cls", None)
    return isinstance(view_class, type) and issubclass(view_class, APIView)


class ControlCharacterMiddleware:
    """Refuse, with a 400 and before the view runs, a request carrying a control character in any text."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Any, view_args: Any,
                     view_kwargs: dict[str, Any]) -> HttpResponse | None:
        try:
            found = refused_fields(request, view_kwargs)
            messages = {field: control_character_message(code) for field, code in found.items()}
        except TooDeep:
            messages = {"detail": _("The JSON is nested too deeply.")}
        if not messages:
            return None
        refuse: Callable[..., HttpResponse] | None = getattr(view_func, "refuse_input", None)
        if refuse is not None:
            return refuse(request, view_kwargs, messages)
        if _is_api_view(view_func):
            return JsonResponse({field: [message] for field, message in messages.items()}, status=400)
        return render(request, "core/refused_input.html", {"message": next(iter(messages.values()))}, status=400)
