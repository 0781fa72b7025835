"""Arbitration API: the body's referrals (pull), its decisions and awards; the parties'
agreement and referral.

Bodies call with ``Authorization: Bearer odrarb_…`` (an ``ApiToken``, stored hashed,
scoped to one body, rate-limited); the body's staff may also use their session or staff
token. Every referral endpoint goes through ``access_referral``.
"""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import authentication, exceptions, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from accounts.apis import ERROR
from accounts.models import Role
from arbitration import selectors
from arbitration.models import ApiToken, Referral
from arbitration.services import actions, consent
from arbitration.services.tokens import PREFIX, token_hash
from cases.selectors import Action, access_case
from odr.api import page_of, paginated
from odr.errors import NotFound, RateLimited, TooLarge
from odr.idempotency import idempotent

REF = OpenApiParameter(
    "ref", OpenApiTypes.STR, OpenApiParameter.PATH, description="e.g. LY-2026-000123"
)
ERRORS = {400: ERROR, 403: ERROR, 404: ERROR, 409: ERROR, 429: ERROR}


# --- Authentication and rate ------------------------------------------------------------


class BodyTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer odrarb_…``: a body's token, looked up by its SHA-256."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        try:
            token = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from exc
        if not token.startswith(PREFIX):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        row = (
            ApiToken.objects.select_related("user", "body")
            .filter(key_hash=token_hash(token), revoked_at__isnull=True)
            .first()
        )
        if row is None or not row.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not Role.objects.filter(
            user=row.user, kind=Role.Kind.ARBITRATION_STAFF, arbitration_body=row.body_id
        ).exists():
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        now = timezone.now()
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        return row.user, row

    def authenticate_header(self, request) -> str:
        return self.keyword


class BodyTokenScheme(OpenApiAuthenticationExtension):
    target_class = "arbitration.apis.BodyTokenAuthentication"
    name = "arbitrationBodyToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "odrarb_… (body API token)"}


class BodyRateThrottle(SimpleRateThrottle):
    """Per token (or per signed-in user) on the arbitration API."""

    scope = "arbitration"

    def get_rate(self) -> str:
        return settings.ARBITRATION_API_RATE

    def get_cache_key(self, request, view) -> str | None:
        if isinstance(request.auth, ApiToken):
            ident = f"token:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return f"arbitration:rate:{ident}"


class _BodyApi(APIView):
    authentication_classes = [
        BodyTokenAuthentication,
        authentication.SessionAuthentication,
        authentication.TokenAuthentication,
    ]
    throttle_classes = [BodyRateThrottle]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def throttled(self, request, wait):
        seconds = int(wait or 1) + 1
        raise RateLimited(_("Too many requests. Please slow down."), retry_after=seconds)

    def referral(self, request: Request, ref: str) -> Referral:
        return selectors.access_referral(user=request.user, auth=request.auth, ref=ref)


# --- Output ----------------------------------------------------------------------------


class PartyOut(serializers.Serializer):
    name = serializers.CharField()
    role = serializers.CharField()


class AwardOut(serializers.Serializer):
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    obligations = serializers.CharField()
    due_on = serializers.DateField()
    recorded_at = serializers.DateTimeField()


class ReferralListOut(serializers.Serializer):
    reference = serializers.CharField(source="case.reference")
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    case_state = serializers.CharField(source="case.state")
    body = serializers.CharField(source="body.name")
    delivered_at = serializers.DateTimeField(allow_null=True)
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)


class ReferralOut(ReferralListOut):
    applicant = serializers.SerializerMethodField()
    respondent = serializers.SerializerMethodField()
    request = serializers.CharField(source="case.request")
    facts = serializers.CharField(source="case.facts")
    amount = serializers.DecimalField(
        source="case.amount", max_digits=12, decimal_places=2, allow_null=True
    )
    file_sha256 = serializers.CharField()
    file_size = serializers.IntegerField(allow_null=True)
    manifest_sha256 = serializers.CharField()
    decline_reason = serializers.CharField()
    award = serializers.SerializerMethodField()

    @extend_schema_field(PartyOut)
    def get_applicant(self, referral: Referral) -> dict:
        return {"name": referral.case.complainant_name, "role": "consumer"}

    @extend_schema_field(PartyOut)
    def get_respondent(self, referral: Referral) -> dict:
        return {"name": referral.case.merchant_name, "role": "merchant"}

    @extend_schema_field(AwardOut(allow_null=True))
    def get_award(self, referral: Referral) -> dict | None:
        award = getattr(referral, "award", None)
        return AwardOut(award).data if award is not None else None


class BodyChoiceOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class AgreementOut(serializers.Serializer):
    body = BodyChoiceOut()
    status = serializers.CharField()
    document = serializers.CharField(allow_null=True)
    consumer_signed = serializers.BooleanField()
    merchant_signed = serializers.BooleanField()


class CaseArbitrationOut(serializers.Serializer):
    reference = serializers.CharField()
    state = serializers.CharField()
    bodies = BodyChoiceOut(many=True)
    agreement = AgreementOut(allow_null=True)
    referrals = ReferralListOut(many=True)
    award = AwardOut(allow_null=True)


class AttemptOut(serializers.Serializer):
    number = serializers.IntegerField()
    at = serializers.DateTimeField()
    status_code = serializers.IntegerField(allow_null=True)
    error = serializers.CharField()


class DeliveryOut(serializers.Serializer):
    reference = serializers.CharField(source="referral.case.reference")
    body = serializers.CharField(source="body.name")
    topic = serializers.CharField()
    key = serializers.UUIDField()
    url = serializers.CharField()
    status = serializers.CharField()
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    log = AttemptOut(many=True, source="log.all")


# --- Input -----------------------------------------------------------------------------


class DeclineIn(serializers.Serializer):
    reason = serializers.CharField(max_length=4000)


class InfoRequestIn(serializers.Serializer):
    message = serializers.CharField(max_length=4000)


class SettlementIn(serializers.Serializer):
    description = serializers.CharField(max_length=4000)
    amount = serializers.CharField(required=False, allow_blank=True, max_length=20)
    performance_due_on = serializers.CharField(max_length=20)


class AwardIn(serializers.Serializer):
    file = serializers.FileField()
    obligations = serializers.CharField(max_length=4000)
    amount = serializers.CharField(required=False, allow_blank=True, max_length=20)
    due_on = serializers.CharField(max_length=20)


class AgreementIn(serializers.Serializer):
    body = serializers.IntegerField(min_value=1, max_value=2**31 - 1)


# --- The body's API --------------------------------------------------------------------


class ReferralListApi(_BodyApi):
    @extend_schema(
        parameters=[OpenApiParameter("status", OpenApiTypes.STR)],
        responses={
            200: page_of("ReferralPage", ReferralListOut(many=True)),
            403: ERROR,
            429: ERROR,
        },
        summary="Referrals to the caller's arbitration body",
        operation_id="arbitration_referrals_list",
    )
    def get(self, request: Request) -> Response:
        referrals = selectors.referrals_for(user=request.user, auth=request.auth)
        wanted = request.query_params.get("status")
        if wanted:
            referrals = referrals.filter(status=wanted)
        return paginated(request, self, referrals, ReferralListOut)


class ReferralDetailApi(_BodyApi):
    @extend_schema(parameters=[REF], responses={200: ReferralOut, **ERRORS})
    def get(self, request: Request, ref: str) -> Response:
        return Response(ReferralOut(self.referral(request, ref)).data)


class ReferralFileApi(_BodyApi):
    @extend_schema(
        parameters=[REF],
        responses={(200, "application/zip"): OpenApiTypes.BINARY, **ERRORS},
        summary="The referral file (ZIP with a signed manifest)",
    )
    def get(self, request: Request, ref: str):
        referral = self.referral(request, ref)
        if not referral.file:
            raise NotFound(_("The referral file is not ready yet."))
        response = FileResponse(
            referral.file.open("rb"),
            as_attachment=True,
            filename=f"{referral.case.reference}-referral.zip",
            content_type="application/zip",
        )
        response["X-Content-SHA256"] = referral.file_sha256
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


def _referral_response(referral: Referral) -> Response:
    referral = Referral.objects.select_related("case", "body").get(pk=referral.pk)
    return Response(ReferralOut(referral).data)


class ReferralAcknowledgeApi(_BodyApi):
    @extend_schema(parameters=[REF], request=None, responses={200: ReferralOut, **ERRORS})
    @idempotent
    def post(self, request: Request, ref: str) -> Response:
        referral = self.referral(request, ref)
        return _referral_response(
            actions.referral_acknowledge(referral=referral, actor=request.user)
        )


class ReferralAcceptApi(_BodyApi):
    @extend_schema(parameters=[REF], request=None, responses={200: ReferralOut, **ERRORS})
    @idempotent
    def post(self, request: Request, ref: str) -> Response:
        referral = self.referral(request, ref)
        return _referral_response(actions.referral_accept(referral=referral, actor=request.user))


class ReferralDeclineApi(_BodyApi):
    @extend_schema(parameters=[REF], request=DeclineIn, responses={200: ReferralOut, **ERRORS})
    @idempotent
    def post(self, request: Request, ref: str) -> Response:
        referral = self.referral(request, ref)
        data = DeclineIn(data=request.data)
        data.is_valid(raise_exception=True)
        return _referral_response(
            actions.referral_decline(
                referral=referral, actor=request.user, reason=data.validated_data["reason"]
            )
        )


class ReferralInfoRequestApi(_BodyApi):
    @extend_schema(
        parameters=[REF],
        request=InfoRequestIn,
        responses={
            201: inline_serializer("InfoRequestOut", {"seq": serializers.IntegerField()}),
            **ERRORS,
        },
        summary="Ask the parties for more information",
    )
    @idempotent
    def post(self, request: Request, ref: str) -> Response:
        referral = self.referral(request, ref)
        data = InfoRequestIn(data=request.data)
        data.is_valid(raise_exception=True)
        event = actions.referral_request_info(
            referral=referral, actor=request.user, message=data.validated_data["message"]
        )
        return Response({"seq": event.seq}, status=status.HTTP_201_CREATED)


class ReferralSettlementApi(_BodyApi):
    @extend_schema(
        parameters=[REF],
        request=SettlementIn,
        responses={200: ReferralOut, **ERRORS},
        summary="Record a settlement reached in arbitration",
    )
    @idempotent
    def post(self, request: Request, ref: str) -> Response:
        referral = self.referral(request, ref)
        data = SettlementIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        return _referral_response(
            actions.referral_settle(
                referral=referral,
                actor=request.user,
                description=values["description"],
                amount=values.get("amount") or None,
                performance_due_on=values["performance_due_on"],
            )
        )


class ReferralAwardApi(_BodyApi):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        parameters=[REF],
        request={"multipart/form-data": AwardIn},
        responses={201: AwardOut, 413: ERROR, **ERRORS},
        summary="Record the award (PDF and terms)",
    )
    @idempotent
    def post(self, request: Request, ref: str) -> Response:
        referral = self.referral(request, ref)
        data = AwardIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        upload = values["file"]
        if upload.size > settings.ARBITRATION_AWARD_MAX_BYTES:
            raise TooLarge(_("The award PDF is too large."))
        award = actions.award_record(
            referral=referral,
            actor=request.user,
            pdf=upload.read(),
            obligations=values["obligations"],
            amount=values.get("amount") or None,
            due_on=values["due_on"],
        )
        return Response(AwardOut(award).data, status=status.HTTP_201_CREATED)


def award_file_response(referral: Referral) -> FileResponse:
    award = getattr(referral, "award", None)
    if award is None:
        raise NotFound(_("No award has been recorded."))
    response = FileResponse(
        award.file.open("rb"),
        as_attachment=True,
        filename=f"{referral.case.reference}-award.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class ReferralAwardFileApi(_BodyApi):
    @extend_schema(
        parameters=[REF], responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERRORS}
    )
    def get(self, request: Request, ref: str):
        return award_file_response(self.referral(request, ref))


class DeliveriesApi(_BodyApi):
    @extend_schema(
        parameters=[OpenApiParameter("reference", OpenApiTypes.STR)],
        responses={
            200: page_of("DeliveryPage", DeliveryOut(many=True)),
            403: ERROR,
            429: ERROR,
        },
        summary="Webhook deliveries and every attempt (regulators, administrators, the body)",
    )
    def get(self, request: Request) -> Response:
        deliveries = selectors.deliveries_visible_to(user=request.user)
        if isinstance(request.auth, ApiToken):
            deliveries = deliveries.filter(body_id=request.auth.body_id)
        reference = request.query_params.get("reference")
        if reference:
            deliveries = deliveries.filter(referral__case__reference=reference)
        return paginated(request, self, deliveries.order_by("-created_at", "-id"), DeliveryOut)


# --- The parties' API ------------------------------------------------------------------


def case_arbitration_data(case, user) -> dict:
    agreement = consent.agreement_open(case=case)
    agreement_data = None
    if agreement is not None:
        document = consent.agreement_document(agreement)
        signed = consent.agreement_signatures(agreement)
        agreement_data = {
            "body": {"id": agreement.body_id, "name": agreement.body.name},
            "status": agreement.status,
            "document": document.number if document else None,
            "consumer_signed": signed["consumer"],
            "merchant_signed": signed["merchant"],
        }
    referrals = list(selectors.referrals_of_case(case=case))
    award = next((getattr(r, "award", None) for r in referrals if hasattr(r, "award")), None)
    return {
        "reference": case.reference,
        "state": case.state,
        "bodies": [{"id": b.pk, "name": b.name} for b in consent.bodies_eligible(case=case)],
        "agreement": agreement_data,
        "referrals": referrals,
        "award": award,
    }


class CaseArbitrationApi(APIView):
    @extend_schema(
        parameters=[REF],
        responses={200: CaseArbitrationOut, 403: ERROR, 404: ERROR},
        summary="Arbitration for a case: bodies to choose, the agreement, referrals, award",
    )
    def get(self, request: Request, ref: str) -> Response:
        case = access_case(user=request.user, ref=ref, action=Action.VIEW)
        return Response(CaseArbitrationOut(case_arbitration_data(case, request.user)).data)


class CaseAgreementApi(APIView):
    @extend_schema(
        parameters=[REF],
        request=AgreementIn,
        responses={201: CaseArbitrationOut, **ERRORS},
        summary="Propose an arbitration agreement naming a body (consumer or merchant)",
    )
    @idempotent
    def post(self, request: Request, ref: str) -> Response:
        case = access_case(user=request.user, ref=ref, action=Action.TRANSITION)
        data = AgreementIn(data=request.data)
        data.is_valid(raise_exception=True)
        consent.agreement_propose(
            case=case, actor=request.user, body_id=data.validated_data["body"]
        )
        return Response(
            CaseArbitrationOut(case_arbitration_data(case, request.user)).data,
            status=status.HTTP_201_CREATED,
        )


class CaseReferApi(APIView):
    @extend_schema(
        parameters=[REF],
        request=None,
        responses={201: CaseArbitrationOut, **ERRORS},
        summary="Refer the case to the body both parties chose",
    )
    @idempotent
    def post(self, request: Request, ref: str) -> Response:
        case = access_case(user=request.user, ref=ref, action=Action.TRANSITION)
        consent.case_refer(case=case, actor=request.user)
        case.refresh_from_db()
        return Response(
            CaseArbitrationOut(case_arbitration_data(case, request.user)).data,
            status=status.HTTP_201_CREATED,
        )


class CaseAwardFileApi(APIView):
    @extend_schema(
        parameters=[REF],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 403: ERROR, 404: ERROR},
    )
    def get(self, request: Request, ref: str):
        case = access_case(user=request.user, ref=ref, action=Action.VIEW)
        referral = case.referrals.filter(award__isnull=False).select_related("case").first()
        if referral is None:
            raise NotFound(_("No award has been recorded."))
        return award_file_response(referral)
