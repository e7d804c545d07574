"""API of the xlsx import: the same importers, permissions and all-or-nothing rule as the import page.

- ``POST /api/imports/units/`` and ``POST /api/imports/people/`` (multipart, field ``file``):
  201 ``{"created": n}``, or 400 ``{"errors": [{"row", "column", "value", "message"}]}`` with nothing written.
- ``GET /api/imports/template/?kind=units|people``: the xlsx template.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.encoding import escape_uri_path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from mofan.core.xlsx import XLSX_CONTENT_TYPE
from mofan.org.importers import IMPORTERS, ImportRejected, RowError, template_filename, template_xlsx


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, help_text="The filled-in xlsx template.")


class ImportCreatedSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="How many units or people were created.")


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text="The row number Excel shows; null for the whole file.")
    column = serializers.CharField(allow_blank=True, help_text="The column header, e.g. 身份证号.")
    value = serializers.CharField(allow_blank=True, help_text="The cell's value (ID numbers and phones masked).")
    message = serializers.CharField(help_text="Why the row was refused, in the user's language.")


class ImportErrorsSerializer(serializers.Serializer):
    """``{"errors": [...]}``; the field is declared in ``get_fields`` because ``errors`` is a serializer
    attribute."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {"errors": ImportErrorSerializer(many=True)}


class XlsxRenderer(BaseRenderer):
    """Lets a client ask for the template with ``Accept: <xlsx type>``; the view returns the bytes itself."""

    media_type = XLSX_CONTENT_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> Any:
        return data


def _errors(report: list[RowError]) -> Response:
    return Response({"errors": [e.as_dict() for e in report]}, status=status.HTTP_400_BAD_REQUEST)


_UPLOAD_SCHEMA: dict[str, Any] = {
    "request": {"multipart/form-data": ImportUploadSerializer},
    "responses": {
        201: ImportCreatedSerializer,
        400: OpenApiResponse(ImportErrorsSerializer, description="Nothing was imported; every error is listed."),
        403: OpenApiResponse(description="The account may not import."),
    },
}


@extend_schema(tags=["imports"])
class ImportViewSet(viewsets.ViewSet):
    parser_classes = [MultiPartParser, FormParser]

    def _import(self, request: Request, kind: str) -> Response:
        upload = ImportUploadSerializer(data=request.data)
        if not upload.is_valid():
            return _errors([RowError(None, "file", "", _("Choose the xlsx file to import."))])
        try:
            result = IMPORTERS[kind](actor=request.user, file=upload.validated_data["file"])
        except ImportRejected as exc:
            return _errors(exc.report)
        return Response({"created": result.created}, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Import units from the units template (all or nothing)", **_UPLOAD_SCHEMA)
    @action(detail=False, methods=["post"])
    def units(self, request: Request) -> Response:
        return self._import(request, "units")

    @extend_schema(summary="Import people from the people template (all or nothing)", **_UPLOAD_SCHEMA)
    @action(detail=False, methods=["post"])
    def people(self, request: Request) -> Response:
        return self._import(request, "people")

    @extend_schema(
        summary="Download an import template",
        parameters=[
            OpenApiParameter("kind", str, enum=list(IMPORTERS), required=True, description="units or people"),
            OpenApiParameter("format", exclude=True),
        ],
        responses={
            (200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
            (400, "application/json"): OpenApiResponse(ImportErrorsSerializer, description="Unknown kind."),
            403: OpenApiResponse(description="The account may not import."),
        },
    )
    @action(detail=False, methods=["get"], renderer_classes=[JSONRenderer, XlsxRenderer])
    def template(self, request: Request) -> HttpResponse:
        kind = request.query_params.get("kind", "")
        if kind not in IMPORTERS:
            return _errors([RowError(None, "kind", kind[:20], _("Choose kind=units or kind=people."))])
        response = HttpResponse(template_xlsx(actor=request.user, kind=kind), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{escape_uri_path(template_filename(kind))}"
        return response
