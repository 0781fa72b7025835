"""Authentication API: SMS codes for consumers and merchant staff, tokens for staff."""

from axes.exceptions import AxesBackendPermissionDenied
from django.contrib.auth import authenticate, login
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.selectors import user_is_staff_member, user_roles
from odr.errors import NotAllowed, RateLimited
from odr.http import client_ip

ERROR = inline_serializer(
    "Error",
    {
        "error": inline_serializer(
            "ErrorBody",
            {
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(required=False),
            },
        )
    },
)


class RoleSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField(source="get_kind_display")
    merchant = serializers.CharField(source="merchant.uscc", default=None)
    mediation_organisation = serializers.IntegerField(source="mediation_organisation_id")
    arbitration_body = serializers.IntegerField(source="arbitration_body_id")
    jurisdiction = serializers.CharField()


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    phone = serializers.CharField(allow_null=True)
    display_name = serializers.CharField()
    language = serializers.CharField()
    roles = serializers.SerializerMethodField()

    def get_roles(self, user) -> list[dict]:
        return RoleSerializer(user_roles(user=user), many=True).data


class OtpRequestSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=32)


class OtpVerifySerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=32)
    code = serializers.CharField(max_length=12)


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, style={"input_type": "password"})


class OtpRequestApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=OtpRequestSerializer,
        responses={
            202: inline_serializer(
                "OtpSent",
                {"detail": serializers.CharField(), "expires_in": serializers.IntegerField()},
            ),
            400: ERROR,
            429: ERROR,
        },
        summary="Send a one-time login code by SMS",
    )
    def post(self, request: Request) -> Response:
        data = OtpRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        challenge = services.otp_request(phone=data.validated_data["phone"], ip=client_ip(request))
        seconds = int((challenge.expires_at - challenge.created_at).total_seconds())
        return Response(
            {"detail": _("A code has been sent by SMS."), "expires_in": seconds},
            status=status.HTTP_202_ACCEPTED,
        )


class OtpVerifyApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=OtpVerifySerializer,
        responses={
            200: inline_serializer(
                "OtpVerified", {"user": MeSerializer(), "token": serializers.CharField()}
            ),
            400: ERROR,
            403: ERROR,
        },
        summary="Check a login code; signs the session in and returns an API token",
    )
    def post(self, request: Request) -> Response:
        data = OtpVerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.otp_verify(
            phone=data.validated_data["phone"],
            code=data.validated_data["code"],
            ip=client_ip(request),
        )
        login(request._request, user, backend="django.contrib.auth.backends.ModelBackend")
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"user": MeSerializer(user).data, "token": token.key})


class TokenApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer("TokenIssued", {"token": serializers.CharField()}),
            400: ERROR,
            403: ERROR,
            429: ERROR,
        },
        summary="Exchange a staff username and password for an API token",
    )
    def post(self, request: Request) -> Response:
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            user = authenticate(
                request=request._request,
                username=data.validated_data["username"],
                password=data.validated_data["password"],
            )
        except AxesBackendPermissionDenied as exc:
            raise RateLimited(
                _("Too many failed logins for this account. Please try again in an hour."),
                retry_after=3600,
            ) from exc
        if getattr(request._request, "axes_locked_out", False):
            raise RateLimited(
                _("Too many failed logins for this account. Please try again in an hour."),
                retry_after=3600,
            )
        if user is None:
            raise NotAllowed(_("Wrong username or password."), code="wrong_credentials")
        if not user_is_staff_member(user=user):
            raise NotAllowed(_("API tokens are for staff accounts."), code="not_staff")
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class MeApi(APIView):
    @extend_schema(responses={200: MeSerializer, 403: ERROR}, summary="The signed-in user")
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)
