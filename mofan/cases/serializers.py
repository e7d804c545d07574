"""API shapes of cases. Read serializers carry the reporter masked, always; the clear values leave only
through ``CaseViewSet.reveal`` (``services.privacy.reporter_reveal``: CASE_VIEW_REPORTER, a recent
re-authentication, audited); the ID number cipher never leaves. Write serializers only check types: ``services.intake.case_create`` validates and writes."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from mofan.cases import kinds
from mofan.cases.forms_intake import intake_areas
from mofan.cases.models import Case, Urgency
from mofan.cases.services.intake import MAX_DESCRIPTION, column
from mofan.cases.services.privacy import Reporter, reporter_masked
from mofan.core.api import IdField
from mofan.org.models import Unit


class ReporterSerializer(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField()
    id_number = serializers.CharField()
    masked = serializers.BooleanField(help_text="True: the values are masked (138****1234).")
    anonymous = serializers.BooleanField()


class CaseSerializer(serializers.ModelSerializer):
    """A case. ``reporter`` is masked for every role, in lists and details alike (``reveal`` unmasks)."""

    state_label = serializers.SerializerMethodField()
    channel_label = serializers.CharField(source="get_channel_display", read_only=True)
    urgency_label = serializers.CharField(source="get_urgency_display", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True, default=None)
    area_name = serializers.CharField(source="area.name", read_only=True)
    centre_name = serializers.CharField(source="centre.name", read_only=True)
    reporter = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = ["id", "tracking_code", "kind", "state", "state_label", "title", "description", "channel",
                  "channel_label", "urgency", "urgency_label", "category", "category_name", "area", "area_name",
                  "centre", "centre_name", "level", "resolved_level", "address", "latitude", "longitude", "parent",
                  "due_at", "overdue", "created_at", "accepted_at", "rejected_at", "resolved_at", "closed_at",
                  "reject_reason", "redirect_to", "satisfaction", "reporter"]
        read_only_fields = fields

    def get_state_label(self, case: Case) -> str:
        return kinds.get(case.kind).state_label(case.state)

    @extend_schema_field(ReporterSerializer)
    def get_reporter(self, case: Case) -> dict[str, Any]:
        return reporter_data(reporter_masked(case))


def reporter_data(reporter: Reporter) -> dict[str, Any]:
    return {"name": reporter.name, "phone": reporter.phone, "id_number": reporter.id_number,
            "masked": reporter.masked, "anonymous": reporter.anonymous}


class IntakeAreaField(serializers.PrimaryKeyRelatedField):
    """An area where the requesting actor may register cases; any other id is refused like a missing one."""

    def get_queryset(self) -> Any:
        request = self.context.get("request")
        if request is None:
            return Unit.objects.none()
        return intake_areas(request.user)


class CaseCreateSerializer(serializers.Serializer):
    area = IntakeAreaField(queryset=Unit.objects.none(), help_text="The village, grid or township where it happened.")
    description = serializers.CharField(allow_blank=True, max_length=MAX_DESCRIPTION)
    title = serializers.CharField(required=False, allow_blank=True, default="", max_length=column("title"))
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False, default=Urgency.NORMAL)
    category = IdField(required=False, allow_null=True, default=None,
                       help_text="An open category of the catalogue (any level).")
    reporter_name = serializers.CharField(required=False, allow_blank=True, default="",
                                          max_length=column("reporter_name"))
    reporter_phone = serializers.CharField(required=False, allow_blank=True, default="",
                                           max_length=column("reporter_phone"))
    reporter_id_number = serializers.CharField(required=False, allow_blank=True, default="", max_length=20,
                                               write_only=True)
    anonymous = serializers.BooleanField(required=False, default=False)
    address = serializers.CharField(required=False, allow_blank=True, default="", max_length=column("address"))
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True,
                                        default=None, min_value=-90, max_value=90)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True,
                                         default=None, min_value=-180, max_value=180)
    attachments = serializers.ListField(child=serializers.FileField(allow_empty_file=True), required=False,
                                        default=list, help_text="Photos or documents (multipart).")
    client_token = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=64, write_only=True,
        help_text="Optional, 16-64 of A-Z a-z 0-9 _ -: the same token sent again returns the case made the first "
                  "time (200) instead of a second case.")
