"""Notifications API: the caller's inbox, its unread count (the badge), read marks and
channel preferences."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.apis import ERROR
from notifications import selectors
from notifications.services import inbox as inbox_services
from odr.api import page_of, paginated


class NotificationOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    case = serializers.CharField(source="case.reference")
    # In the caller's language (the request's), whatever language the notice was sent in.
    subject = serializers.CharField(source="title")
    body = serializers.CharField(source="text")
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class PreferenceSerializer(serializers.Serializer):
    sms = serializers.BooleanField()
    email = serializers.BooleanField()


UNREAD = inline_serializer(
    "UnreadCount",
    {
        "unread": serializers.IntegerField(help_text="unread notifications"),
        "total": serializers.IntegerField(
            help_text="what the page header's badge shows: unread notifications and other "
            "unread items (a regulator's alert notices)"
        ),
    },
)


class NotificationListApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("unread", OpenApiTypes.BOOL, description="only unread"),
            OpenApiParameter("page", OpenApiTypes.INT, description="page number, from 1"),
        ],
        responses={
            200: page_of("NotificationPage", NotificationOut(many=True)),
            404: ERROR,
        },
        summary="The caller's notifications, newest first",
    )
    def get(self, request: Request) -> Response:
        notifications = selectors.inbox(user=request.user)
        if request.query_params.get("unread") in ("1", "true", "yes"):
            notifications = notifications.filter(read_at__isnull=True)
        return paginated(request, self, notifications, NotificationOut)


class UnreadCountApi(APIView):
    @extend_schema(responses={200: UNREAD}, summary="How many notifications are unread")
    def get(self, request: Request) -> Response:
        response = Response(
            {
                "unread": selectors.unread_count(user=request.user),
                "total": selectors.unread_total(user=request.user),
            }
        )
        response["Cache-Control"] = "no-store"
        return response


class MarkReadApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("notification_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        request=None,
        responses={200: NotificationOut, 404: ERROR},
        summary="Mark one notification read",
    )
    def post(self, request: Request, notification_id: int) -> Response:
        notification = inbox_services.notification_mark_read(
            user=request.user, notification_id=notification_id
        )
        return Response(NotificationOut(notification).data)


class MarkAllReadApi(APIView):
    @extend_schema(
        request=None,
        responses={200: inline_serializer("MarkedRead", {"marked": serializers.IntegerField()})},
        summary="Mark every notification read",
    )
    def post(self, request: Request) -> Response:
        return Response({"marked": inbox_services.notifications_mark_all_read(user=request.user)})


class PreferencesApi(APIView):
    @extend_schema(responses={200: PreferenceSerializer}, summary="How the caller is notified")
    def get(self, request: Request) -> Response:
        preference = selectors.preference_of(request.user)
        return Response(PreferenceSerializer(preference).data)

    @extend_schema(
        request=PreferenceSerializer,
        responses={200: PreferenceSerializer, 400: ERROR},
        summary="Choose SMS and email (the inbox always gets every notice; login codes are always SMS)",
    )
    def put(self, request: Request) -> Response:
        data = PreferenceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        preference = inbox_services.preference_update(user=request.user, **data.validated_data)
        return Response(PreferenceSerializer(preference).data)
