"""Accounts over the API: the same selectors and services as the pages, so the same people may do the
same things (系统管理员 creates and deactivates, 安全管理员 grants, revokes, unlocks and resets)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from mofan.accounts import selectors, services
from mofan.accounts.models import Membership, User
from mofan.accounts.roles import Action, Role


class MembershipSerializer(serializers.ModelSerializer):
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "role", "role_label", "unit", "unit_name", "granted_at"]
        read_only_fields = fields


class AccountSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True, default=None)
    unit_name = serializers.CharField(source="person.unit.name", read_only=True, default=None)
    is_locked = serializers.SerializerMethodField()
    memberships = MembershipSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = [
            "id", "username", "display_name", "person", "person_name", "unit_name", "is_active", "is_locked",
            "locked_until", "must_change_password", "password_changed_at", "date_joined", "memberships",
        ]
        read_only_fields = fields

    def get_is_locked(self, obj: User) -> bool:
        return obj.is_locked()


class AccountCreateSerializer(serializers.Serializer):
    person = serializers.IntegerField(help_text="A person of your units who has no account yet.")
    username = serializers.CharField(max_length=150)
    display_name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    password = serializers.CharField(write_only=True, trim_whitespace=False, style={"input_type": "password"})


class GrantSerializer(serializers.Serializer):
    unit = serializers.IntegerField()
    role = serializers.ChoiceField(choices=Role.choices)


class RevokeSerializer(serializers.Serializer):
    membership = serializers.IntegerField()


class PasswordSerializer(serializers.Serializer):
    password = serializers.CharField(write_only=True, trim_whitespace=False, style={"input_type": "password"})


def _field_error(field: str, message: str) -> ValidationError:
    return ValidationError({field: message})


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("q", OpenApiTypes.STR, description="User name or display name")])
)
class AccountViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Accounts in your jurisdiction. Writes go through the accounts services, which check the role."""

    serializer_class = AccountSerializer

    def get_queryset(self) -> QuerySet[User]:
        if self.action == "list":
            return selectors.user_list(actor=self.request.user, search=self.request.query_params.get("q", ""))
        return User.objects.none()

    def get_object(self) -> User:
        return selectors.user_get(actor=self.request.user, pk=self.kwargs["pk"])

    def _reloaded(self, user: User) -> Response:
        return Response(AccountSerializer(selectors.user_get(actor=self.request.user, pk=user.pk)).data)

    @extend_schema(request=AccountCreateSerializer, responses={201: AccountSerializer})
    def create(self, request: Request) -> Response:
        selectors.ensure_account_admin(request.user, Action.ACCOUNT_MANAGE)
        data = AccountCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values: dict[str, Any] = data.validated_data
        person = selectors.person_choices(actor=request.user).filter(pk=values["person"]).first()
        if person is None:
            raise _field_error("person", _("Choose a person of your units who has no account yet."))
        user = services.user_create(
            actor=request.user, username=values["username"],  # type: ignore[arg-type]
            display_name=values["display_name"].strip() or person.name, password=values["password"], person=person,
        )
        return Response(AccountSerializer(selectors.user_get(actor=request.user, pk=user.pk)).data, status=201)

    @extend_schema(request=GrantSerializer, responses={200: AccountSerializer})
    @action(detail=True, methods=["post"])
    def grant(self, request: Request, pk: str) -> Response:
        user = self.get_object()
        data = GrantSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            unit = selectors.grantable_unit_get(actor=request.user, pk=data.validated_data["unit"])
        except Http404:
            raise _field_error("unit", _("Choose a unit where you may grant roles.")) from None
        services.membership_grant(actor=request.user, user=user, unit=unit,  # type: ignore[arg-type]
                                  role=data.validated_data["role"])
        return self._reloaded(user)

    @extend_schema(request=RevokeSerializer, responses={200: AccountSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        user = self.get_object()
        data = RevokeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = selectors.membership_get(actor=request.user, user=user, pk=data.validated_data["membership"])
        services.membership_revoke(actor=request.user, membership=membership)  # type: ignore[arg-type]
        return self._reloaded(user)

    @extend_schema(request=None, responses={200: AccountSerializer})
    @action(detail=True, methods=["post"])
    def unlock(self, request: Request, pk: str) -> Response:
        user = self.get_object()
        services.user_unlock(actor=request.user, user=user)  # type: ignore[arg-type]
        return self._reloaded(user)

    @extend_schema(request=PasswordSerializer, responses={200: AccountSerializer})
    @action(detail=True, methods=["post"])
    def reset_password(self, request: Request, pk: str) -> Response:
        user = self.get_object()
        data = PasswordSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_reset(actor=request.user, user=user,  # type: ignore[arg-type]
                                new_password=data.validated_data["password"])
        return self._reloaded(user)

    @extend_schema(request=None, responses={200: AccountSerializer})
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str) -> Response:
        user = self.get_object()
        services.user_deactivate(actor=request.user, user=user)  # type: ignore[arg-type]
        return self._reloaded(user)
