"""Shared API plumbing: errors as clear messages, and Django's PermissionDenied/ValidationError mapped; ids in
bodies (``IdField``, ``id_list``) and in paths (``Router``, ``PlainRouter``) that are ids or a clear 4xx."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, serializers
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter, SimpleRouter
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import exception_handler as drf_exception_handler

from mofan.core.paging import COUNT_CAP, PAGE_SIZE, KeysetPage, keyset_page

# Ids ---------------------------------------------------------------------------------------------------------

MAX_ID = 2**63 - 1  # the largest value a BigAutoField (and PostgreSQL's bigint) holds
ID_REGEX = "[0-9]{1,19}"  # an id in a URL: digits, no longer than MAX_ID; anything else is not a route (404)
_ID_RE = re.compile(ID_REGEX)


class IdField(serializers.IntegerField):
    """The id of a row named in a request body: a whole number from 1 to 2**63 - 1, else a 400 that says so
    (never an overflow in the database)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        out_of_range = gettext_lazy("An id is a whole number from 1 to 9223372036854775807.")
        kwargs["error_messages"] = {"invalid": gettext_lazy("An id is a whole number."), "min_value": out_of_range,
                                    "max_value": out_of_range, **kwargs.get("error_messages", {})}
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or isinstance(data, float) and not data.is_integer():
            self.fail("invalid")  # true is not the id 1, 1.5 is not an id
        return int(super().to_internal_value(data))


def parse_id(value: Any) -> int | None:
    """An id from a query parameter or a form value ("7"), or None when it is not one: only ASCII digits, from 1
    to 2**63 - 1 (``"²".isdigit()`` is true and ``int("9" * 5000)`` raises; neither may reach a query)."""
    text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    if not _ID_RE.fullmatch(text):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def id_list(**kwargs: Any) -> serializers.ListField:
    """A list of ids in a request body (at most ``max_length``, 100 unless told)."""
    kwargs.setdefault("max_length", 100)
    return serializers.ListField(child=IdField(), **kwargs)


class IdLookupMixin:
    """Routes whose ``{pk}`` is an id: digits only, at most 19 of them, unless the viewset says otherwise with
    ``lookup_value_regex``. ``/api/…/abc/`` is a 404 from the router, never a ValueError in a view."""

    _default_value_pattern: str

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._default_value_pattern = ID_REGEX


class Router(IdLookupMixin, DefaultRouter):
    pass


class PlainRouter(IdLookupMixin, SimpleRouter):
    """Without the API root view."""


# Errors --------------------------------------------------------------------------------------------------------


def validation_detail(exc: DjangoValidationError) -> Any:
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
    return {"detail": [str(m) for m in exc.messages]}


def request_object(request: Request) -> Any:
    """The request's body as a mapping (a JSON object or form fields); anything else is a 400."""
    data: Any = request.data
    if not hasattr(data, "get"):
        raise exceptions.ValidationError({"detail": [_("Send the fields as an object.")]})
    return data


def valid_form(form: forms.Form) -> dict[str, Any]:
    """The cleaned data of a form that shapes an API request, or a 400 with the form's messages by field."""
    if not form.is_valid():
        raise exceptions.ValidationError({field: [str(e) for e in errors] for field, errors in form.errors.items()})
    return form.cleaned_data


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        return Response(validation_detail(exc), status=400)
    if isinstance(exc, PermissionDenied) and not isinstance(exc, exceptions.PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)


class KeysetPagination(BasePagination):
    """API twin of ``core.paging.keyset_page``: ``?after=<id>`` / ``?before=<id>``, 50 a page, count capped.
    Subclass with ``descending = True`` for newest-first lists. A view with a ``count_queryset()`` method has
    the count taken from it (the same rows, written for a counting plan)."""

    descending = False
    page: KeysetPage | None = None
    request: Request | None = None

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any]:
        self.request = request
        self.page = keyset_page(queryset, after=request.query_params.get("after"),
                                before=request.query_params.get("before"), size=PAGE_SIZE,
                                descending=self.descending,
                                count_queryset=view.count_queryset() if hasattr(view, "count_queryset") else None)
        return self.page.items

    def _link(self, **params: Any) -> str | None:
        assert self.request is not None  # noqa: S101 - set by paginate_queryset
        url = self.request.build_absolute_uri()
        url = remove_query_param(remove_query_param(url, "after"), "before")
        for key, value in params.items():
            url = replace_query_param(url, key, value)
        return url

    def get_paginated_response(self, data: Any) -> Response:
        page = self.page
        assert page is not None  # noqa: S101 - set by paginate_queryset
        return Response({
            "count": page.total,
            "count_capped": page.total_capped,
            "next": self._link(after=page.next_after) if page.next_after else None,
            "previous": self._link(before=page.prev_before) if page.prev_before else None,
            "results": data,
        })

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["count", "count_capped", "results"],
            "properties": {
                "count": {"type": "integer", "description": f"exact, or {COUNT_CAP} when count_capped"},
                "count_capped": {"type": "boolean"},
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {"name": name, "required": False, "in": "query", "description": text, "schema": {"type": "integer"}}
            for name, text in (("after", "id of the last row of the previous page"),
                               ("before", "id of the first row of the next page"))
        ]
