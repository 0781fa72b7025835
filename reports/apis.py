"""Reports API: filing (anyone, named or anonymous), the reporter's and the office's
lists and reports, and the office's steps. A report answer carries the reporter's identity
only for the handling office (``ReportOfficeOut``); everyone else never gets it."""

from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.apis import ERROR
from accounts.models import Merchant
from cases.rulesets import report_ruleset_by_key
from odr.errors import NotAllowed
from odr.idempotency import idempotent
from reports import selectors
from reports.models import Finding, Report
from reports.selectors import Action, access_report
from reports.services import handling
from reports.services.filing import ReportData, report_file
from reports.violations import VIOLATION_CHOICES

REF = OpenApiParameter(
    "ref", OpenApiTypes.STR, OpenApiParameter.PATH, description="e.g. JB-2026-000001"
)
ERRORS = {400: ERROR, 403: ERROR, 404: ERROR, 409: ERROR}


class ReportDeadlineOut(serializers.Serializer):
    clock = serializers.CharField()
    label = serializers.SerializerMethodField()
    due_on = serializers.DateField()
    provisional = serializers.BooleanField()
    status = serializers.CharField(
        help_text="running, met (in time), late, expired (passed) or cancelled (no longer applies)"
    )
    citation = serializers.SerializerMethodField()

    def _clock(self, deadline):
        return report_ruleset_by_key(deadline.report.ruleset).clocks.get(deadline.clock)

    def get_label(self, deadline) -> str:
        clock = self._clock(deadline)
        return clock.label(get_language()) if clock else deadline.clock

    def get_citation(self, deadline) -> str:
        clock = self._clock(deadline)
        if clock is None:
            return ""
        return clock.citation_en if (get_language() or "").startswith("en") else clock.citation_zh


class ReportOut(serializers.Serializer):
    """What the reporter sees of their report (and what any non-office answer holds)."""

    reference = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField(source="get_state_display")
    submitted_at = serializers.DateTimeField()
    anonymous = serializers.BooleanField()
    wants_notice = serializers.BooleanField()
    merchant_name = serializers.CharField()
    violation_kind = serializers.CharField()
    violation_label = serializers.CharField(source="get_violation_kind_display")
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_reasons = serializers.CharField()
    case = serializers.CharField(source="case.reference", default=None, allow_null=True)


class IdentityOut(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField()
    id_number = serializers.CharField()


class ReportOfficeOut(ReportOut):
    division_code = serializers.CharField()
    merchant = serializers.CharField(source="merchant.uscc", default=None, allow_null=True)
    facts = serializers.CharField()
    extended_at = serializers.DateTimeField(allow_null=True)
    extension_reason = serializers.CharField()
    finding = serializers.CharField()
    finding_summary = serializers.CharField()
    reporter_identity = serializers.SerializerMethodField()
    deadlines = ReportDeadlineOut(many=True, source="deadlines.all")
    evidence = serializers.SerializerMethodField()

    @extend_schema_field(IdentityOut(allow_null=True))
    def get_reporter_identity(self, report) -> dict | None:
        identity = getattr(report, "identity", None) if not report.anonymous else None
        return IdentityOut(identity).data if identity else None

    def get_evidence(self, report) -> list[str]:
        return [e.original_name for e in report.evidence.all()]


def _out(report: Report, user):
    if selectors.is_handling_regulator(user=user, report=report):
        return ReportOfficeOut(report).data
    return ReportOut(report).data


class ReportIn(serializers.Serializer):
    anonymous = serializers.BooleanField(default=False)
    name = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    phone = serializers.CharField(required=False, allow_blank=True, max_length=30, default="")
    id_number = serializers.CharField(required=False, allow_blank=True, max_length=30, default="")
    wants_notice = serializers.BooleanField(default=False)
    merchant = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=18,
        default="",
        help_text="The merchant's unified social credit code, if it is on the platform",
    )
    merchant_name = serializers.CharField(
        required=False, allow_blank=True, max_length=200, default=""
    )
    merchant_division_code = serializers.CharField(
        required=False, allow_blank=True, max_length=6, default=""
    )
    merchant_address = serializers.CharField(
        required=False, allow_blank=True, max_length=300, default=""
    )
    merchant_store_url = serializers.CharField(
        required=False, allow_blank=True, max_length=500, default=""
    )
    violation_kind = serializers.ChoiceField(choices=VIOLATION_CHOICES)
    facts = serializers.CharField(max_length=5000)
    files = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class ReportListCreateApi(APIView):
    permission_classes = [AllowAny]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        responses={200: ReportOut(many=True), 401: ERROR},
        summary="The caller's reports (a reporter) or the reports to decide (a regulator)",
    )
    def get(self, request: Request) -> Response:
        if not request.user.is_authenticated:
            raise NotAllowed(_("Please sign in."), code="not_authenticated")
        if selectors.is_regulator(user=request.user):
            reports = list(selectors.report_queue(user=request.user)[:200])
        else:
            reports = list(selectors.reports_of_reporter(user=request.user)[:200])
        return Response(ReportOut(reports, many=True).data)

    @extend_schema(
        request={"application/json": ReportIn, "multipart/form-data": ReportIn},
        responses={201: ReportOut, 400: ERROR, 413: ERROR},
        summary="Report a suspected violation, named or anonymously",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = ReportIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        uscc = v["merchant"].strip().upper()
        merchant = Merchant.objects.filter(uscc=uscc).first() if uscc else None
        anonymous = v["anonymous"]
        report = report_file(
            reporter=request.user,
            data=ReportData(
                violation_kind=v["violation_kind"],
                facts=v["facts"],
                merchant=merchant,
                merchant_name=v["merchant_name"],
                merchant_address=v["merchant_address"],
                merchant_store_url=v["merchant_store_url"],
                merchant_division_code=v["merchant_division_code"],
                anonymous=anonymous,
                name="" if anonymous else v["name"],
                phone="" if anonymous else v["phone"],
                id_number="" if anonymous else v["id_number"],
                wants_notice=v["wants_notice"] and not anonymous,
                language=request.LANGUAGE_CODE,
                uploads=list(v["files"]),
            ),
        )
        return Response(ReportOut(report).data, status=status.HTTP_201_CREATED)


class ReportDetailApi(APIView):
    @extend_schema(
        parameters=[REF],
        responses={200: ReportOfficeOut, 403: ERROR, 404: ERROR},
        summary="A report: the reporter sees its status and decision; the office all of it",
    )
    def get(self, request: Request, ref: str) -> Response:
        report = access_report(user=request.user, ref=ref, action=Action.VIEW)
        return Response(_out(report, request.user))


class DecisionIn(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[("open", "open"), ("not_open", "not_open")])
    reasons = serializers.CharField(max_length=4000)


class ExtensionIn(serializers.Serializer):
    reason = serializers.CharField(max_length=4000)


class FindingIn(serializers.Serializer):
    finding = serializers.ChoiceField(
        choices=[(Finding.VIOLATION, "violation"), (Finding.NO_VIOLATION, "no_violation")]
    )
    summary = serializers.CharField(max_length=4000)


class _OfficeStepApi(APIView):
    serializer: type[serializers.Serializer] | None = None

    def act(self, request, report, values):  # pragma: no cover - overridden
        raise NotImplementedError

    def post(self, request: Request, ref: str) -> Response:
        report = access_report(user=request.user, ref=ref, action=Action.HANDLE)
        values = {}
        if self.serializer is not None:
            data = self.serializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = data.validated_data
        report = self.act(request, report, values)
        return Response(ReportOfficeOut(report).data)


class VerificationApi(_OfficeStepApi):
    @extend_schema(
        parameters=[REF],
        request=None,
        responses={200: ReportOfficeOut, **ERRORS},
        summary="The office begins verifying the report",
    )
    def post(self, request: Request, ref: str) -> Response:
        return super().post(request, ref)

    def act(self, request, report, values):
        return handling.report_verify(report=report, actor=request.user)


class ExtensionApi(_OfficeStepApi):
    serializer = ExtensionIn

    @extend_schema(
        parameters=[REF],
        request=ExtensionIn,
        responses={200: ReportOfficeOut, **ERRORS},
        summary="Extend the time to decide by 15 working days (once, with the reason)",
    )
    def post(self, request: Request, ref: str) -> Response:
        return super().post(request, ref)

    def act(self, request, report, values):
        return handling.report_extend(report=report, actor=request.user, reason=values["reason"])


class DecisionApi(_OfficeStepApi):
    serializer = DecisionIn

    @extend_schema(
        parameters=[REF],
        request=DecisionIn,
        responses={200: ReportOfficeOut, **ERRORS},
        summary="Decide whether to open a case (立案), with the reasons",
    )
    def post(self, request: Request, ref: str) -> Response:
        return super().post(request, ref)

    def act(self, request, report, values):
        return handling.report_decide(
            report=report,
            actor=request.user,
            decision=values["decision"],
            reasons=values["reasons"],
        )


class FindingApi(_OfficeStepApi):
    serializer = FindingIn

    @extend_schema(
        parameters=[REF],
        request=FindingIn,
        responses={200: ReportOfficeOut, **ERRORS},
        summary="After a case was opened: whether a violation was found",
    )
    def post(self, request: Request, ref: str) -> Response:
        return super().post(request, ref)

    def act(self, request, report, values):
        return handling.report_record_finding(
            report=report, actor=request.user, finding=values["finding"], summary=values["summary"]
        )
