"""The second factor over the API: the same services and the same checks and messages as the pages.

The code step of the sign-in is a page (the API uses the session of a signed-in browser); an administrator
who must enroll can reach status, enroll and confirm here and nothing else (TwoFactorMiddleware)."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from mofan.accounts.models import User
from mofan.core.api import request_object
from mofan.twofactor import services, session, totp


class StatusSerializer(serializers.Serializer):
    enrolled = serializers.BooleanField()
    pending_enrollment = serializers.BooleanField()
    must_enroll = serializers.BooleanField(source="required", help_text="Administrators must enroll (MOFAN_ADMIN_2FA).")
    verified = serializers.BooleanField(help_text="This session has passed the second factor.")
    confirmed_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)
    recovery_codes_left = serializers.IntegerField()


class CodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32, help_text="The 6-digit code the authenticator app shows now.")


CodesSerializer = inline_serializer("RecoveryCodes", {"recovery_codes": serializers.ListField(
    child=serializers.CharField(), help_text="Single-use recovery codes, shown only now.")})


def _user(request: Request) -> Any:
    return request.user


@extend_schema(responses=StatusSerializer, summary="Two-factor state of your account")
@api_view(["GET"])
def status(request: Request) -> Response:
    data = services.status(_user(request))
    data["verified"] = session.is_verified(request._request)  # noqa: SLF001
    return Response(StatusSerializer(data).data)


@extend_schema(request=None, summary="Start (or resume) enrolling an authenticator", responses=inline_serializer(
    "Enrollment", {"secret": serializers.CharField(), "secret_grouped": serializers.CharField(),
                   "uri": serializers.CharField(help_text="otpauth:// URI for the app (the QR code's content)")}))
@api_view(["POST"])
def enroll(request: Request) -> Response:
    started = services.enroll_start(user=_user(request))
    return Response({"secret": started["secret"], "secret_grouped": totp.grouped(started["secret"]),
                     "uri": started["uri"]})


@extend_schema(request=CodeSerializer, responses=CodesSerializer, summary="Confirm enrollment with a code")
@api_view(["POST"])
def confirm(request: Request) -> Response:
    serializer = CodeSerializer(data=request_object(request))
    serializer.is_valid(raise_exception=True)
    codes = services.enroll_confirm(user=_user(request), code=serializer.validated_data["code"])
    session.mark_verified(request._request, services.METHOD_TOTP)  # noqa: SLF001
    return Response({"recovery_codes": codes})


@extend_schema(request=None, responses=CodesSerializer, summary="New recovery codes (the old ones stop working)")
@api_view(["POST"])
def recovery_codes(request: Request) -> Response:
    return Response({"recovery_codes": services.regenerate_recovery_codes(user=_user(request))})


@extend_schema(request=None, responses={204: None}, summary="Reset a user's authenticator (security administrator)")
@api_view(["POST"])
def reset(request: Request, pk: int) -> Response:
    target = get_object_or_404(User, pk=pk)
    services.reset_device(actor=_user(request), user=target)
    return Response(status=204)
