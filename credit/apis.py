"""Credit API: a merchant's credit file (public), the export feed, the right of reply."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.apis import ERROR
from credit import selectors
from credit.models import CreditReply
from credit.services.replies import MAX_REPLY, reply_attach
from odr.errors import DomainError, NotAllowed
from odr.idempotency import idempotent

USCC = OpenApiParameter(
    "uscc", OpenApiTypes.STR, OpenApiParameter.PATH, description="e.g. 91350100M000100Y43"
)


def _reply_json(reply: CreditReply | None) -> dict | None:
    if reply is None:
        return None
    return {"body": reply.body, "created_at": reply.created_at.isoformat()}


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def record_json(row: dict) -> dict:
    """A record on the merchant's file: de-identified, with its repair mark and reply."""
    return {
        "id": row["id"],
        "kind": row["kind"],
        "label": row["label"],
        "occurred_at": row["occurred_at"].isoformat(),
        "case": row["case_reference"],
        "category": row["category"],
        "consumer": row["consumer"],
        "counts_in_index": row["counts_in_index"],
        # Whether the public sees it (the consumer agreed to publication); the public is
        # only ever given published records, so only staff and regulators see False.
        "public": row["published"],
        "repaired_at": _iso(row["repaired_at"]),
        # Marked by a reversal (the deadline it rested on moved), not by a repair: it no
        # longer counts, and the record that "corrects" it does.
        "reversed": row["reversed"],
        "repairs": row["repairs_id"],
        "corrects": row["corrects_id"],
        "details": row["details"],
        "reply": (
            {"body": row["reply__body"], "created_at": _iso(row["reply__created_at"])}
            if row["reply__body"] is not None
            else None
        ),
    }


def credit_file_json(file: selectors.CreditFile, *, request: Request) -> dict:
    merchant = file.merchant
    entry = file.negative_list
    older = None
    if file.older:
        path = reverse("api-credit-merchant", args=[merchant.uscc])
        older = request.build_absolute_uri(f"{path}?before={file.older}")
    body = {
        "merchant": {
            "uscc": merchant.uscc,
            "name": merchant.name,
            "division_code": merchant.division_code,
            "stores": [{"platform": s.platform, "url": s.url} for s in file.stores],
        },
        "as_of": file.computed_at.isoformat(),
        "period": {
            "from": selectors.window_start(file.computed_at).isoformat(),
            "to": file.computed_at.isoformat(),
        },
        "odr": file.odr.as_dict(),
        "figures": file.figures.as_dict(),
        "index": file.index.as_dict(),
        "negative_list": (
            {
                "reason": entry.reason,
                "since": entry.confirmed_at.date().isoformat(),
                "review_on": entry.review_on.isoformat(),
            }
            if entry
            else None
        ),
        "records": [record_json(r) for r in file.records],
        "older_records": older,
    }
    if file.not_public is not None:
        # For the merchant's staff and its regulators only: how many records the public
        # does not see because the consumer did not agree to publication.
        body["records_not_public"] = file.not_public
    return body


class CreditFileApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            USCC,
            OpenApiParameter(
                "before", OpenApiTypes.INT, description="records older than this record id"
            ),
        ],
        responses={200: OpenApiTypes.OBJECT, 404: ERROR},
        summary="A merchant's credit file: 12-month figures, the index and how it is computed",
        description=(
            "The figures and the index count every case. The records are a case's own "
            "entries: the public gets those whose consumer agreed to publication; the "
            "merchant's staff and its regulators get all of them, each with `public`, and "
            "`records_not_public`, how many the public does not see."
        ),
    )
    def get(self, request: Request, uscc: str) -> Response:
        merchant = selectors.merchant_by_uscc(uscc=uscc)
        raw = request.query_params.get("before", "")
        before = int(raw) if raw.isdigit() and len(raw) < 19 else None
        file = selectors.credit_file(
            merchant=merchant,
            before=before,
            every_entry=selectors.sees_every_entry(request.user, merchant),
        )
        return Response(credit_file_json(file, request=request))


class RecordsFeedApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("cursor", OpenApiTypes.STR, description="from the previous page"),
            OpenApiParameter("limit", OpenApiTypes.INT, description="1 to 500, default 100"),
        ],
        responses={
            200: inline_serializer(
                "CreditRecordPage",
                {
                    "results": serializers.ListField(child=serializers.DictField()),
                    "next_cursor": serializers.CharField(),
                    "has_more": serializers.BooleanField(),
                },
            ),
            400: ERROR,
            401: ERROR,
            403: ERROR,
        },
        summary="Every credit record, append-only, in a stable order (for credit systems)",
        description=(
            "Administrators get every record; a regulator the published records and every "
            "record of the merchants of its jurisdiction; any other authorised system only "
            "the records whose consumer agreed to publication."
        ),
    )
    def get(self, request: Request) -> Response:
        if not selectors.may_read_feed(request.user):
            raise NotAllowed(
                _("The credit record feed is for regulators and authorised systems."),
                code="not_allowed_feed",
            )
        raw = request.query_params.get("limit", "100")
        if not raw.isdigit() or not 1 <= int(raw) <= selectors.FEED_LIMIT_MAX:
            raise DomainError(
                _("limit is a number from 1 to %(n)d.") % {"n": selectors.FEED_LIMIT_MAX},
                fields={"limit": [_("Between 1 and 500.")]},
            )
        limit = int(raw)
        page, cursor = selectors.records_feed(
            cursor=request.query_params.get("cursor", "")[:200],
            limit=limit,
            scope=selectors.feed_scope(request.user),
        )
        return Response(
            {
                "results": [selectors.record_export(r) for r in page],
                "next_cursor": cursor,
                "has_more": len(page) == limit,
            }
        )


class ReplyIn(serializers.Serializer):
    body = serializers.CharField(max_length=MAX_REPLY)


class RecordReplyApi(APIView):
    @extend_schema(
        request=ReplyIn,
        responses={
            201: inline_serializer(
                "CreditReply",
                {"body": serializers.CharField(), "created_at": serializers.DateTimeField()},
            ),
            400: ERROR,
            403: ERROR,
            404: ERROR,
            409: ERROR,
        },
        summary="The merchant's public reply to a record of its credit file",
    )
    @idempotent
    def post(self, request: Request, record_id: int) -> Response:
        record = selectors.access_record_for_merchant(user=request.user, record_id=record_id)
        data = ReplyIn(data=request.data)
        data.is_valid(raise_exception=True)
        reply = reply_attach(record=record, actor=request.user, body=data.validated_data["body"])
        return Response(_reply_json(reply), status=status.HTTP_201_CREATED)
