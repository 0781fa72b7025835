"""The group complaints API: /api/v1/groups/ (list, create), /api/v1/groups/{ref}/ and
/api/v1/groups/{ref}/actions/ (every act of the pages, by name). What a member sees of
the others is their number and state, never their name, phone or address."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.apis import ERROR
from accounts.models import Merchant, Role
from cases.models import Case, CaseRole
from groups import selectors
from groups.models import CaseGroup
from groups.selectors import GroupAction, access_group
from groups.services import agreement as agreements
from groups.services import mediation, membership
from odr.errors import DomainError, NotAllowed
from odr.idempotency import idempotent

REF = OpenApiParameter("ref", OpenApiTypes.STR, OpenApiParameter.PATH, description="QT-2026-0001")
ERRORS = {400: ERROR, 403: ERROR, 404: ERROR, 409: ERROR}
MAX_INT = 2**31 - 1


class MemberOut(serializers.Serializer):
    number = serializers.IntegerField()
    state = serializers.CharField()
    is_representative = serializers.BooleanField()
    how = serializers.CharField()
    # Only for the office and the mediator, and for the member's own case.
    case = serializers.CharField(allow_null=True)


class ShareOut(serializers.Serializer):
    member = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    status = serializers.CharField()


class GroupAgreementOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    description = serializers.CharField()
    performance_due_on = serializers.DateField()
    shares = ShareOut(many=True)


class GroupSummaryOut(serializers.Serializer):
    reference = serializers.CharField()
    title = serializers.CharField()
    category = serializers.CharField()
    status = serializers.CharField()
    merchant = serializers.CharField()
    merchant_uscc = serializers.CharField()
    members = serializers.IntegerField()


class GroupOut(GroupSummaryOut):
    division_code = serializers.CharField()
    max_representatives = serializers.IntegerField()
    mediator = serializers.CharField(allow_null=True)
    answer = serializers.CharField(allow_blank=True)
    roles = serializers.ListField(child=serializers.CharField())
    member_list = MemberOut(many=True)
    agreement = GroupAgreementOut(allow_null=True)


def _group_out(group: CaseGroup, user, roles: set[str]) -> dict:
    staff = bool(roles & {CaseRole.REGULATOR, CaseRole.ADMIN, CaseRole.MEDIATOR})
    mine = selectors.membership_of(group, user)
    members = selectors.group_members(group=group)
    agreement = selectors.current_agreement(group=group)
    shares = []
    if agreement is not None:
        for s in agreement.shares.select_related("membership"):
            own = mine is not None and s.membership_id == mine.pk
            if staff or own or CaseRole.MERCHANT in roles:
                shares.append(
                    {"member": s.membership.number, "amount": s.amount, "status": s.status}
                )
    return {
        "reference": group.reference,
        "title": group.title,
        "category": group.category,
        "status": group.status,
        "merchant": group.merchant.name,
        "merchant_uscc": group.merchant.uscc,
        "members": len(members),
        "division_code": group.division_code,
        "max_representatives": group.max_representatives,
        "mediator": str(group.mediator) if group.mediator_id else None,
        "answer": group.answer,
        "roles": sorted(roles),
        "member_list": [
            {
                "number": m.number,
                "state": m.case.state,
                "is_representative": m.is_representative,
                "how": m.how,
                "case": m.case.reference if staff or (mine and mine.pk == m.pk) else None,
            }
            for m in members
        ],
        "agreement": None
        if agreement is None
        else {
            "id": agreement.pk,
            "status": agreement.status,
            "description": agreement.description,
            "performance_due_on": agreement.performance_due_on,
            "shares": shares,
        },
    }


class GroupCreateIn(serializers.Serializer):
    merchant = serializers.IntegerField(min_value=1, max_value=MAX_INT)
    title = serializers.CharField(max_length=200)
    cases = serializers.ListField(child=serializers.CharField(max_length=24), max_length=500)
    max_representatives = serializers.IntegerField(min_value=1, max_value=3, default=2)


class GroupListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: GroupSummaryOut(many=True)}, summary="Group complaints")
    def get(self, request: Request) -> Response:
        rows = [
            {
                "reference": g.reference,
                "title": g.title,
                "category": g.category,
                "status": g.status,
                "merchant": g.merchant.name,
                "merchant_uscc": g.merchant.uscc,
                "members": g.member_count,
            }
            for g in selectors.groups_visible_to(user=request.user)[:200]
        ]
        return Response(GroupSummaryOut(rows, many=True).data)

    @extend_schema(
        request=GroupCreateIn, responses={201: GroupOut, **ERRORS}, summary="Group cases (office)"
    )
    @idempotent
    def post(self, request: Request) -> Response:
        if not request.user.has_role(Role.Kind.REGULATOR):
            raise NotAllowed(_("Only the office makes a group complaint."), code="not_a_regulator")
        data = GroupCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        merchant = Merchant.objects.filter(pk=values["merchant"]).first()
        if merchant is None:
            raise DomainError(
                _("There is no such merchant."),
                fields={"merchant": [_("There is no such merchant.")]},
            )
        ids = list(Case.objects.filter(reference__in=values["cases"]).values_list("pk", flat=True))
        if len(ids) != len(set(values["cases"])):
            raise DomainError(
                _("Choose among the listed cases."),
                fields={"cases": [_("Choose among the listed cases.")]},
            )
        group = membership.group_create(
            actor=request.user,
            merchant=merchant,
            title=values["title"],
            case_ids=ids,
            max_representatives=values["max_representatives"],
        )
        roles = selectors.group_roles(group, request.user)
        return Response(GroupOut(_group_out(group, request.user, roles)).data, status=201)


class GroupDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[REF], responses={200: GroupOut, 403: ERROR, 404: ERROR})
    def get(self, request: Request, ref: str) -> Response:
        group, roles = access_group(user=request.user, ref=ref)
        return Response(GroupOut(_group_out(group, request.user, roles)).data)


ACTIONS = {
    "add": GroupAction.MANAGE,
    "remove": GroupAction.MANAGE,
    "representatives": GroupAction.MANAGE,
    "accept": GroupAction.MANAGE,
    "close": GroupAction.MANAGE,
    "answer": GroupAction.ANSWER,
    "message": GroupAction.SPEAK,
    "terms": GroupAction.MEDIATE,
    "record": GroupAction.MEDIATE,
    "terms_accept": GroupAction.MEMBER,
    "nominate": GroupAction.MEMBER,
    "leave": GroupAction.MEMBER,
}


class GroupActIn(serializers.Serializer):
    action = serializers.ChoiceField(choices=sorted(ACTIONS))
    cases = serializers.ListField(
        child=serializers.CharField(max_length=24), required=False, max_length=500
    )
    member = serializers.IntegerField(required=False, min_value=1, max_value=MAX_INT)
    representatives = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_INT), required=False, max_length=3
    )
    mediator = serializers.IntegerField(required=False, min_value=1, max_value=MAX_INT)
    body = serializers.CharField(required=False, max_length=4000, allow_blank=True)
    reason = serializers.CharField(required=False, max_length=2000, allow_blank=True)
    description = serializers.CharField(required=False, max_length=4000, allow_blank=True)
    performance_due_on = serializers.DateField(required=False)
    amounts = serializers.DictField(
        child=serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0),
        required=False,
    )
    nominee = serializers.IntegerField(required=False, min_value=1, max_value=MAX_INT)


def _act(group: CaseGroup, user, v: dict) -> None:
    action = v["action"]
    if action == "add":
        refs = v.get("cases") or []
        ids = list(Case.objects.filter(reference__in=refs).values_list("pk", flat=True))
        membership.group_members_add(group=group, actor=user, case_ids=ids)
    elif action == "remove":
        membership.group_member_remove(
            group=group, actor=user, number=v.get("member") or 0, reason=v.get("reason", "")
        )
    elif action == "representatives":
        membership.group_representatives_confirm(
            group=group, actor=user, numbers=v.get("representatives") or []
        )
    elif action == "accept":
        mediation.group_mediation_start(
            group=group, actor=user, mediator_id=str(v.get("mediator") or "")
        )
    elif action == "close":
        membership.group_close(group=group, actor=user)
    elif action == "answer":
        mediation.group_answer(group=group, actor=user, body=v.get("body", ""))
    elif action == "message":
        mediation.group_message_post(group=group, actor=user, body=v.get("body", ""))
    elif action == "terms":
        amounts = {}
        for key, value in (v.get("amounts") or {}).items():
            if str(key).isdigit() and len(str(key)) < 10:
                amounts[int(key)] = agreements.parse_amount(value, field="amounts")
        agreements.group_terms_propose(
            group=group,
            actor=user,
            description=v.get("description", ""),
            performance_due_on=v.get("performance_due_on"),
            amounts=amounts,
        )
    elif action == "record":
        agreements.group_agreement_record(group=group, actor=user)
    elif action == "terms_accept":
        agreements.group_terms_accept(group=group, actor=user)
    elif action == "nominate":
        membership.group_nominate(group=group, actor=user, nominee_number=v.get("nominee") or 0)
    elif action == "leave":
        membership.group_leave(group=group, actor=user, reason=v.get("reason", ""))


class GroupActApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[REF],
        request=GroupActIn,
        responses={200: GroupOut, **ERRORS},
        summary="Act on a group complaint (add, remove, representatives, accept, close, "
        "answer, message, terms, record, terms_accept, nominate, leave)",
    )
    @idempotent
    def post(self, request: Request, ref: str) -> Response:
        data = GroupActIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        group, roles = access_group(user=request.user, ref=ref, action=ACTIONS[values["action"]])
        _act(group, request.user, values)
        group.refresh_from_db()
        roles = selectors.group_roles(group, request.user)
        if not roles:  # a member who has just left
            return Response(
                inline_serializer("GroupLeft", {"left": serializers.BooleanField()})(
                    {"left": True}
                ).data
            )
        return Response(GroupOut(_group_out(group, request.user, roles)).data)
