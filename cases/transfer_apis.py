"""Transfers (转办) over the API: what a case's transfers are, where it may go, and the
transfer itself (cases/services/transfers.py)."""

from __future__ import annotations

from django.utils.translation import get_language
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.apis import ERROR
from cases.apis import ERRORS, REF, ChoiceOut
from cases.models import Case, CaseRole, State, case_roles
from cases.selectors import Action, access_case, case_transfers
from cases.services.transfers import (
    MAX_REASON_TEXT,
    case_transfer,
    office_name,
    transfer_destinations,
    transfer_rule,
)
from odr.idempotency import idempotent


def _language() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh-hans"


class TransferOut(serializers.Serializer):
    id = serializers.IntegerField()
    from_office = serializers.CharField(help_text="Division code of the sending office")
    from_office_name = serializers.SerializerMethodField()
    to_office = serializers.CharField(help_text="Division code of the receiving office")
    to_office_name = serializers.SerializerMethodField()
    reason = serializers.CharField(help_text="A reason code of the case's rule set")
    reason_label = serializers.SerializerMethodField()
    reason_text = serializers.CharField()
    transferred_at = serializers.DateTimeField(
        help_text="Also the receiving office's receipt: its acceptance limit counts from it"
    )
    back_and_forth = serializers.BooleanField(
        help_text="Back to an office that had sent the case away, or a third transfer or more"
    )

    def get_from_office_name(self, row) -> str:
        return office_name(row.from_office, _language())

    def get_to_office_name(self, row) -> str:
        return office_name(row.to_office, _language())

    def get_reason_label(self, row) -> str:
        rule = transfer_rule(row.case)
        if rule is None:
            return row.reason
        try:
            found = rule.reason(row.reason)
        except KeyError:
            return row.reason
        return found.text_en if _language() == "en" else found.text_zh


class TransferStateOut(serializers.Serializer):
    office = serializers.CharField(help_text="Division code of the office handling the case")
    office_name = serializers.CharField()
    flagged = serializers.BooleanField(help_text="Transferred back and forth (staff only)")
    offices = ChoiceOut(
        many=True, help_text="Where the caller may transfer it now (a regulator of the office)"
    )
    reasons = ChoiceOut(many=True)
    transfers = TransferOut(many=True)


class TransferIn(serializers.Serializer):
    to_office = serializers.CharField(
        max_length=12, help_text="Division code of the competent office (GET lists them)"
    )
    reason = serializers.CharField(max_length=30)
    reason_text = serializers.CharField(
        max_length=MAX_REASON_TEXT,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required for the reason 'other'",
    )


def _state(case: Case, user) -> dict:
    roles = case_roles(case, user)
    language = _language()
    rule = transfer_rule(case)
    may = CaseRole.REGULATOR in roles and case.state == State.REVIEW and rule is not None
    transfers = case_transfers(case=case)
    staff = bool(roles & {CaseRole.REGULATOR, CaseRole.MEDIATOR, CaseRole.ADMIN})
    return {
        "office": case.office_code,
        "office_name": office_name(case.office_code, language),
        "flagged": staff and any(t.back_and_forth for t in transfers),
        "offices": [
            {"value": o.division_code, "label": o.name_in(language)}
            for o in transfer_destinations(case=case)
        ]
        if may
        else [],
        "reasons": [
            {"value": r.code, "label": r.text_en if language == "en" else r.text_zh}
            for r in (rule.reasons if rule else ())
        ],
        "transfers": transfers,
    }


class TransfersApi(APIView):
    @extend_schema(
        parameters=[REF],
        responses={200: TransferStateOut, 403: ERROR, 404: ERROR},
        summary="The office handling the case, its transfers, and where it may go",
    )
    def get(self, request: Request, ref: str) -> Response:
        case = access_case(user=request.user, ref=ref, action=Action.VIEW)
        return Response(TransferStateOut(_state(case, request.user)).data)

    @extend_schema(
        parameters=[REF],
        request=TransferIn,
        responses={201: TransferOut, **ERRORS},
        summary="Transfer the case to the competent office (a regulator of the handling "
        "office, while the acceptance decision is pending); the receiving office's acceptance "
        "limit counts from now",
    )
    @idempotent
    def post(self, request: Request, ref: str) -> Response:
        case = access_case(user=request.user, ref=ref, action=Action.TRANSITION)
        data = TransferIn(data=request.data)
        data.is_valid(raise_exception=True)
        done = case_transfer(case=case, actor=request.user, **data.validated_data)
        return Response(TransferOut(done).data, status=status.HTTP_201_CREATED)
