"""REST API of the district tree and its people: /api/units/ and /api/people/.

Reads go through the selectors (so the API sees exactly what the pages see: nothing outside the actor's
jurisdiction, which is a 404), writes through one service each (which check permission and audit). Django's
ValidationError / PermissionDenied / Http404 become 400 / 403 / 404 in ``mofan.core.api.exception_handler``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from mofan.accounts.permissions import can
from mofan.accounts.reauth import require_recent_auth
from mofan.accounts.roles import Action
from mofan.core.api import KeysetPagination
from mofan.org import services
from mofan.org.models import Person, Unit, UnitKind
from mofan.org.selectors import person_get, person_list, unit_get, unit_list
from mofan.org.serializers import (
    PersonCreateSerializer,
    PersonMoveSerializer,
    PersonRevealSerializer,
    PersonSerializer,
    PersonUpdateSerializer,
    UnitCreateSerializer,
    UnitMoveSerializer,
    UnitSerializer,
    UnitUpdateSerializer,
)


def _unit_param(request: Request, name: str) -> Unit | None:
    """A unit id from the query string, resolved in the actor's jurisdiction (404 outside)."""
    value = request.query_params.get(name)
    return unit_get(actor=request.user, pk=value) if value else None


def _flag_param(request: Request, name: str) -> bool | None:
    value = (request.query_params.get(name) or "").lower()
    if value in ("1", "true", "yes"):
        return True
    if value in ("0", "false", "no"):
        return False
    return None


@extend_schema(tags=["units"])
class UnitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Units of the district tree within the caller's jurisdiction."""

    serializer_class = UnitSerializer
    queryset = Unit.objects.none()  # the schema's model; rows come from the selectors

    def get_queryset(self) -> QuerySet[Unit]:
        if getattr(self, "swagger_fake_view", False):
            return Unit.objects.none()
        request = self.request
        kind = request.query_params.get("kind") or None
        if kind is not None and kind not in UnitKind.values:
            raise ValidationError({"kind": [_("Unknown unit kind.")]})
        return unit_list(
            actor=request.user,
            parent=_unit_param(request, "parent"),
            within=_unit_param(request, "within"),
            kind=kind,
            search=(request.query_params.get("search") or "").strip(),
        )

    def get_object(self) -> Unit:
        return unit_get(actor=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(parameters=[
        OpenApiParameter("parent", OpenApiTypes.INT, description="Only the direct children of this unit."),
        OpenApiParameter("within", OpenApiTypes.INT, description="Only units in this unit's subtree (itself included)."),
        OpenApiParameter("kind", OpenApiTypes.STR, enum=UnitKind.values, description="Only units of this kind."),
        OpenApiParameter("search", OpenApiTypes.STR, description="Part of the name, or the start of the code."),
    ])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=UnitCreateSerializer, responses={201: UnitSerializer})
    def create(self, request: Request) -> Response:
        data = self._valid(UnitCreateSerializer, request.data)
        unit = services.unit_create(actor=request.user, **data)
        return Response(self._out(unit), status=status.HTTP_201_CREATED)

    @extend_schema(request=UnitUpdateSerializer, responses=UnitSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        unit = self.get_object()
        data = self._valid(UnitUpdateSerializer, request.data)
        unit = services.unit_update(actor=request.user, unit=unit, name=data.get("name"), code=data.get("code"),
                                    sort_order=data.get("sort_order"))
        return Response(self._out(unit))

    @extend_schema(request=UnitMoveSerializer, responses=UnitSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str | None = None) -> Response:
        """Move the unit and its whole subtree under another unit."""
        unit = self.get_object()
        data = self._valid(UnitMoveSerializer, request.data)
        unit = services.unit_move(actor=request.user, unit=unit, new_parent=data["parent"])
        return Response(self._out(unit))

    def _valid(self, serializer_class: Any, data: Any) -> dict[str, Any]:
        serializer = serializer_class(data=data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _out(self, unit: Unit) -> Any:
        return UnitSerializer(unit, context=self.get_serializer_context()).data


@extend_schema(tags=["people"])
class PersonViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """People within the caller's jurisdiction. The ID number and the phone are only ever returned masked,
    except by ``reveal`` (audited, for roles allowed to view personal data, after a recent re-authentication)."""

    serializer_class = PersonSerializer
    queryset = Person.objects.none()
    pagination_class = KeysetPagination

    def get_queryset(self) -> QuerySet[Person]:
        if getattr(self, "swagger_fake_view", False):
            return Person.objects.none()
        request = self.request
        return person_list(
            actor=request.user,
            within=_unit_param(request, "unit"),
            search=(request.query_params.get("search") or "").strip(),
            party_member=_flag_param(request, "party_member"),
        )

    def get_object(self) -> Person:
        return person_get(actor=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(parameters=[
        OpenApiParameter("unit", OpenApiTypes.INT, description="Only people in this unit's subtree."),
        OpenApiParameter("search", OpenApiTypes.STR, description="Part of the name or post."),
        OpenApiParameter("party_member", OpenApiTypes.BOOL, description="Only party members (true) or others (false)."),
    ])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=PersonCreateSerializer, responses={201: PersonSerializer})
    def create(self, request: Request) -> Response:
        data = self._valid(PersonCreateSerializer, request.data)
        person = services.person_create(actor=request.user, **data)
        return Response(self._out(person), status=status.HTTP_201_CREATED)

    @extend_schema(request=PersonUpdateSerializer, responses=PersonSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        person = self.get_object()
        data = self._valid(PersonUpdateSerializer, request.data)
        person = services.person_update(
            actor=request.user, person=person,
            name=data.get("name", person.name),
            gender=data.get("gender", person.gender),
            phone=data.get("phone", person.phone),
            id_number=data.get("id_number"),  # absent: keep the stored number
            is_party_member=data.get("is_party_member", person.is_party_member),
            post=data.get("post", person.post),
        )
        return Response(self._out(person))

    @extend_schema(request=PersonMoveSerializer, responses=PersonSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str | None = None) -> Response:
        """Move the person to another unit."""
        person = self.get_object()
        data = self._valid(PersonMoveSerializer, request.data)
        person = services.person_move(actor=request.user, person=person, unit=data["unit"])
        return Response(self._out(person))

    @extend_schema(request=None, responses=PersonRevealSerializer)
    @action(detail=True, methods=["post"])
    def reveal(self, request: Request, pk: str | None = None) -> Response:
        """The clear ID number and phone, for roles allowed to view personal data, after a recent
        re-authentication (``/api/accounts/reauth/``; else 403 ``reauth_required``). Every call is audited."""
        person = self.get_object()
        if can(request.user, Action.PERSON_VIEW_SENSITIVE, person.unit):  # without the permission: the service's 403
            require_recent_auth(request)
        id_number = services.person_reveal_id_number(actor=request.user, person=person)
        response = Response(PersonRevealSerializer({"id_number": id_number, "phone": person.phone}).data)
        response["Cache-Control"] = "no-store"
        return response

    def _valid(self, serializer_class: Any, data: Any) -> dict[str, Any]:
        serializer = serializer_class(data=data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _out(self, person: Person) -> Any:
        return PersonSerializer(person, context=self.get_serializer_context()).data
