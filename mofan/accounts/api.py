"""Accounts over the API: the same selectors and services as the pages, so the same people may do the
same things (系统管理员 creates and deactivates, 安全管理员 grants, revokes, unlocks and resets; on an
administrator's account only through a request a second administrator approves, /api/accounts/requests/)."""

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
from mofan.accounts.models import AdminAction, AdminActionRequest, Membership, RequestState, User
from mofan.accounts.reauth import require_recent_auth
from mofan.accounts.roles import Action, Role
from mofan.core.api import IdField


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
    lookup_value_regex = "[0-9]+"  # so that accounts/requests/ is not read as an account

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
        user = self.get_object()  # outside the jurisdiction: 404 first
        require_recent_auth(request)  # a role grant is a sensitive action: 403 reauth_required without it
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
        user = self.get_object()  # outside the jurisdiction: 404 first
        require_recent_auth(request)  # a role revoke is a sensitive action: 403 reauth_required without it
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


# Two-person rule (ADR 0012) ------------------------------------------------------------------------------


class AdminRequestSerializer(serializers.ModelSerializer):
    action_label = serializers.CharField(source="get_action_display", read_only=True)
    target_username = serializers.CharField(source="target.username", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, default=None)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    # Plain strings: the role choices already have their enum in the schema (Membership's role).
    role = serializers.CharField(read_only=True, help_text="For grant and revoke: the role; else empty.")
    requester_role = serializers.CharField(read_only=True)

    class Meta:
        model = AdminActionRequest
        fields = [
            "id", "action", "action_label", "target", "target_username", "unit", "unit_name", "role", "membership",
            "note", "requested_by", "requester_role", "requested_at", "state", "state_label", "decided_by",
            "decided_at", "decision_note",
        ]
        read_only_fields = fields


class AdminRequestCreateSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=AdminAction.choices)
    user = IdField(help_text="The administrator's account (or, for a grant of an administrator "
                                              "role, any account) the action applies to.")
    unit = IdField(required=False, help_text="For grant: the unit of the role.")
    role = serializers.ChoiceField(choices=Role.choices, required=False, help_text="For grant: the role.")
    membership = IdField(required=False, help_text="For revoke: the role (membership id).")
    password = serializers.CharField(write_only=True, required=False, trim_whitespace=False,
                                     style={"input_type": "password"},
                                     help_text="For reset_password: the temporary password (only its hash is kept).")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("state", OpenApiTypes.STR, enum=list(RequestState.values),
                                                    description="Only requests in this state")])
)
class AdminRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Requests for actions on administrators' accounts: one administrator submits, a second one (not the
    submitter, not the subject, of another administrator role) approves — then the action is carried out —
    or refuses; the submitter may withdraw. The services decide who may do what."""

    serializer_class = AdminRequestSerializer

    def get_queryset(self) -> QuerySet[AdminActionRequest]:
        if self.action != "list":
            return AdminActionRequest.objects.none()
        qs = selectors.admin_requests(actor=self.request.user)
        state = self.request.query_params.get("state", "")
        if state:
            if state not in RequestState.values:
                raise _field_error("state", _("Unknown state."))
            qs = qs.filter(state=state)
        return qs

    def get_object(self) -> AdminActionRequest:
        return selectors.admin_request_get(actor=self.request.user, pk=self.kwargs["pk"])

    def _shown(self, item: AdminActionRequest, status: int = 200) -> Response:
        return Response(AdminRequestSerializer(selectors.admin_request_get(actor=self.request.user, pk=item.pk)).data,
                        status=status)

    @extend_schema(request=AdminRequestCreateSerializer, responses={201: AdminRequestSerializer})
    def create(self, request: Request) -> Response:
        selectors.ensure_account_admin(request.user, Action.ACCOUNT_APPROVE)
        require_recent_auth(request)  # an action on an administrator's account: re-authentication first
        data = AdminRequestCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values: dict[str, Any] = data.validated_data
        try:
            user = selectors.user_get(actor=request.user, pk=values["user"])
        except Http404:
            raise _field_error("user", _("Choose an account of your jurisdiction.")) from None
        unit = None
        if "unit" in values:
            try:
                unit = selectors.grantable_unit_get(actor=request.user, pk=values["unit"])
            except Http404:
                raise _field_error("unit", _("Choose a unit where you may grant roles.")) from None
        membership = None
        if "membership" in values:
            membership = Membership.objects.filter(user=user, pk=values["membership"]).select_related("unit").first()
            if membership is None:
                raise _field_error("membership", _("Choose a role this account holds."))
        item = services.admin_request_create(
            actor=request.user, action=values["action"], user=user, unit=unit,  # type: ignore[arg-type]
            role=values.get("role", ""), membership=membership, password=values.get("password", ""),
            note=values["note"],
        )
        return self._shown(item, status=201)

    def _decision(self, request: Request) -> str:
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return str(data.validated_data["note"])

    @extend_schema(request=DecisionSerializer, responses={200: AdminRequestSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        item = self.get_object()
        require_recent_auth(request)  # carries out an action on an administrator's account
        services.admin_request_approve(actor=request.user, request=item,  # type: ignore[arg-type]
                                       note=self._decision(request))
        return self._shown(item)

    @extend_schema(request=DecisionSerializer, responses={200: AdminRequestSerializer})
    @action(detail=True, methods=["post"])
    def refuse(self, request: Request, pk: str) -> Response:
        item = self.get_object()
        services.admin_request_refuse(actor=request.user, request=item,  # type: ignore[arg-type]
                                      note=self._decision(request))
        return self._shown(item)

    @extend_schema(request=None, responses={200: AdminRequestSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        item = self.get_object()
        services.admin_request_withdraw(actor=request.user, request=item)  # type: ignore[arg-type]
        return self._shown(item)
