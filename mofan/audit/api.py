"""The audit trail over the API: read-only. Only the 审计管理员 reads and exports; no method changes or
deletes a record (and the database refuses it anyway)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from mofan.accounts.reauth import require_recent_auth
from mofan.accounts.roles import Action
from mofan.audit import selectors, services
from mofan.audit.models import AuditLog, AuditVerifyRun
from mofan.audit.views import LogFilterForm, export_response
from mofan.core.api import valid_form

FILTER_PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.DATETIME, description="From this time (inclusive)"),
    OpenApiParameter("end", OpenApiTypes.DATETIME, description="Until this time (inclusive)"),
    OpenApiParameter("user", OpenApiTypes.STR, description="Exact user name"),
    OpenApiParameter("event", OpenApiTypes.INT, description="Event id from the registry"),
    OpenApiParameter("success", OpenApiTypes.STR, enum=["1", "0"], description="1 succeeded, 0 refused or failed"),
    OpenApiParameter("object_type", OpenApiTypes.STR, description="Model label, e.g. org.person"),
    OpenApiParameter("object", OpenApiTypes.STR, description="Object id, or part of its name"),
]


class AuditLogSerializer(serializers.ModelSerializer):
    event_label = serializers.CharField(read_only=True)

    class Meta:
        model = AuditLog
        fields = [
            "id", "at", "actor", "actor_name", "ip", "event_id", "event_name", "event_label", "success",
            "target_type", "target_id", "target_repr", "unit_path", "old_values", "new_values", "note",
        ]
        read_only_fields = fields


class VerifyRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditVerifyRun
        fields = ["id", "started", "finished", "ok", "checked", "first_bad_seq", "first_bad_id", "kind", "message",
                  "started_by"]
        read_only_fields = fields


class ChainStatusSerializer(serializers.Serializer):
    alert = serializers.BooleanField(help_text="The last verification found the chain broken.")
    stale = serializers.BooleanField(help_text="No verification finished in the last two days.")
    last_run = VerifyRunSerializer(allow_null=True)


class AuditCursorPagination(CursorPagination):
    page_size = selectors.PAGE_SIZE
    ordering = "-id"


@extend_schema_view(list=extend_schema(parameters=FILTER_PARAMETERS))
class AuditLogViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The audit trail, newest first, 50 a page (cursor paging). Read-only by construction."""

    serializer_class = AuditLogSerializer
    pagination_class = AuditCursorPagination
    http_method_names = ["get", "post", "head", "options"]  # POST only to start a verification of the chain

    def _filters(self) -> selectors.LogFilters:
        form = LogFilterForm(self.request.query_params)
        valid_form(form)
        return form.filters()

    def get_queryset(self) -> QuerySet[AuditLog]:
        if self.action == "list":
            return selectors.log_list(actor=self.request.user, filters=self._filters())
        return AuditLog.objects.none()

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # An export answers with a file whatever the client accepts.
        return super().perform_content_negotiation(request, force=force or self.action == "export")

    def get_object(self) -> AuditLog:
        return selectors.log_get(actor=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(
        parameters=[OpenApiParameter("file", OpenApiTypes.STR, enum=["csv", "xlsx"], required=True), *FILTER_PARAMETERS],
        responses={(200, "text/csv"): OpenApiTypes.BINARY,
                   (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY},
    )
    @action(detail=False, methods=["get"])
    def export(self, request: Request) -> Any:
        """Export the filtered trail as CSV (UTF-8 with BOM) or xlsx; the export is itself audited."""
        selectors.ensure_audit_reader(request.user, Action.AUDIT_EXPORT)
        require_recent_auth(request)  # actors, addresses and what they did: personal data leaving as a file
        rows = services.log_export(
            actor=request.user, filters=self._filters(), file_format=request.query_params.get("file", "")
        )
        return export_response(rows, request.query_params.get("file", ""))

    @extend_schema(responses=ChainStatusSerializer)
    @action(detail=False, methods=["get"], url_path="chain")
    def chain(self, request: Request) -> Response:
        """The audit chain's state: the last verification and whether it is an alert (the chain broken)."""
        status = selectors.chain_status(actor=request.user)
        return Response(ChainStatusSerializer(
            {"alert": status.alert, "stale": status.stale, "last_run": status.last_run}).data)

    @extend_schema(request=None, responses=VerifyRunSerializer)
    @action(detail=False, methods=["post"], url_path="chain/verify")
    def chain_verify(self, request: Request) -> Response:
        """Verify the chain now (audit administrator); the run is kept and audited."""
        run = services.verify_run(actor=request.user)
        return Response(VerifyRunSerializer(run).data)
