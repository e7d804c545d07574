"""REST API of cases: /api/cases/ (list, retrieve, create).

Reads go through ``cases.selectors`` (so the API sees exactly what the pages see: nothing outside the actor's
jurisdiction, which is a 404); create goes through ``services.intake.case_create`` with the channel "api".
Lists page by keyset, newest first (``?after=<id>`` is the next page). The reporter is masked in lists and
details for every role; ``POST /api/cases/<id>/reveal/`` shows them in clear to whoever holds
CASE_VIEW_REPORTER on the case's centre, after a recent re-authentication, audited.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from mofan.accounts.reauth import require_recent_auth
from mofan.cases import kinds
from mofan.cases.categories import category_get, clean_category
from mofan.cases.models import Case, Channel, Urgency
from mofan.cases.selectors import case_get, case_list
from mofan.cases.serializers import CaseCreateSerializer, CaseSerializer, ReporterSerializer, reporter_data
from mofan.cases.services import privacy
from mofan.cases.services.intake import case_create, case_for_token, clean_client_token
from mofan.core.api import KeysetPagination
from mofan.org.selectors import unit_get


class NewestFirstPagination(KeysetPagination):
    descending = True


def _all_states() -> set[str]:
    return {state for kind in kinds.all_kinds() for state in kind.states}


def _flag(value: str | None) -> bool | None:
    value = (value or "").lower()
    if value in ("1", "true", "yes"):
        return True
    if value in ("0", "false", "no"):
        return False
    return None


def filter_cases(queryset: QuerySet[Case], *, actor: Any, params: Any) -> QuerySet[Case]:
    """The list filters shared by the API: state, urgency, channel, category (with its sub-categories),
    area (a unit and everything under it) and overdue. A bad value is a 400 with a clear message."""
    errors: dict[str, list[str]] = {}
    choices = {
        "state": (_all_states(), _("Unknown state.")),
        "urgency": (set(Urgency.values), _("Unknown urgency.")),
        "channel": (set(Channel.values), _("Unknown channel.")),
    }
    for field, (allowed, message) in choices.items():
        value = params.get(field)
        if value:
            if value in allowed:
                queryset = queryset.filter(**{field: value})
            else:
                errors[field] = [message]
    category_id = params.get("category")
    if category_id:
        category = category_get(category_id, active_only=False)
        if category is None:
            errors["category"] = [_("Unknown category.")]
        else:
            queryset = queryset.filter(Q(category=category) | Q(category__parent=category)
                                       | Q(category__parent__parent=category))
    area_id = params.get("area")
    if area_id:
        area = unit_get(actor=actor, pk=area_id)  # 404 outside the jurisdiction
        queryset = queryset.filter(area_path__startswith=area.path)
    overdue = params.get("overdue")
    if overdue:
        flag = _flag(overdue)
        if flag is None:
            errors["overdue"] = [_("Write true or false.")]
        else:
            queryset = queryset.filter(overdue=flag)
    if errors:
        raise ValidationError(errors)
    return queryset


@extend_schema(tags=["cases"])
class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Cases within the caller's jurisdiction."""

    serializer_class = CaseSerializer
    queryset = Case.objects.none()  # the schema's model; rows come from the selectors
    pagination_class = NewestFirstPagination
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self) -> QuerySet[Case]:
        if getattr(self, "swagger_fake_view", False):
            return Case.objects.none()
        return self._cases(seek=False)

    def count_queryset(self) -> QuerySet[Case]:
        """The same cases for the capped count: pages walk the ids, counts seek the path indexes (ADR 0009)."""
        return self._cases(seek=True)

    def _cases(self, *, seek: bool) -> QuerySet[Case]:
        actor = self.request.user
        return filter_cases(case_list(actor=actor, seek=seek), actor=actor, params=self.request.query_params)

    def get_object(self) -> Case:
        return case_get(actor=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(parameters=[
        OpenApiParameter("state", OpenApiTypes.STR, description="Only cases in this state."),
        OpenApiParameter("urgency", OpenApiTypes.STR, enum=Urgency.values),
        OpenApiParameter("channel", OpenApiTypes.STR, enum=Channel.values),
        OpenApiParameter("category", OpenApiTypes.INT, description="A category and its sub-categories."),
        OpenApiParameter("area", OpenApiTypes.INT, description="Cases that happened in this unit's subtree."),
        OpenApiParameter("overdue", OpenApiTypes.BOOL),
    ])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A case; the reporter masked (``reveal`` unmasks)."""
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=None, responses=ReporterSerializer)
    @action(detail=True, methods=["post"])
    def reveal(self, request: Request, pk: str | None = None) -> Response:
        """The reporter's name, phone and ID number in clear, for CASE_VIEW_REPORTER on the case's centre after a
        recent re-authentication (``/api/accounts/reauth/``; else 403 ``reauth_required``). Audited."""
        case = self.get_object()
        if privacy.may_view_reporter(request.user, case):  # without the permission: the service's 403
            require_recent_auth(request)
        response = Response(reporter_data(privacy.reporter_reveal(actor=request.user, case=case)))
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(request=CaseCreateSerializer, responses={201: CaseSerializer, 200: CaseSerializer})
    def create(self, request: Request) -> Response:
        """Register a case through the API (channel "api"); the same ``client_token`` again returns that case (200)."""
        serializer = CaseCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        token = clean_client_token(data["client_token"])
        sent_before = case_for_token(token, channel=Channel.API, actor=request.user)
        case = sent_before or case_create(
            actor=request.user, area=data["area"], channel=Channel.API, description=data["description"],
            title=data["title"], urgency=data["urgency"], category=clean_category(data["category"]),
            reporter_name=data["reporter_name"], reporter_phone=data["reporter_phone"],
            reporter_id_number=data["reporter_id_number"], anonymous=data["anonymous"], address=data["address"],
            latitude=data["latitude"], longitude=data["longitude"], attachments=data["attachments"],
            client_token=token,
        )
        return Response(CaseSerializer(case, context=self.get_serializer_context()).data,
                        status=status.HTTP_200_OK if sent_before else status.HTTP_201_CREATED)
