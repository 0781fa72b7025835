"""Mediation API: room state, posting and sharing files over HTTP, read receipts, the
mediator's tools, the console rows and the joint-room transcript.

Every view gets its case through ``access_case`` and calls one service or selector.
"""

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.apis import ERROR
from accounts.models import Role
from cases import rooms
from cases.models import Evidence, Offer, case_roles
from cases.selectors import Action, access_case
from mediation import selectors
from mediation.models import RoomFile
from mediation.services import chat, tools
from odr.errors import NotAllowed, NotFound
from odr.idempotency import idempotent

REF = OpenApiParameter(
    "ref", OpenApiTypes.STR, OpenApiParameter.PATH, description="e.g. LY-2026-000123"
)
ERRORS = {400: ERROR, 403: ERROR, 404: ERROR, 409: ERROR}
OBJECT = {200: OpenApiTypes.OBJECT, **ERRORS}


class MediationMessageOut(serializers.Serializer):
    room = serializers.CharField()
    seq = serializers.IntegerField()
    author = serializers.IntegerField(allow_null=True)
    author_role = serializers.CharField()
    system = serializers.BooleanField()
    body = serializers.CharField()
    # Not in the transcript: a client's ids are no part of the case file.
    client_id = serializers.CharField(required=False)
    created_at = serializers.CharField()
    file = serializers.DictField(allow_null=True)


class MediationMessageIn(serializers.Serializer):
    room = serializers.ChoiceField(choices=list(rooms.MEDIATION_ROOMS))
    body = serializers.CharField(max_length=4000, allow_blank=True, trim_whitespace=False)
    client_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class FileIn(serializers.Serializer):
    room = serializers.ChoiceField(choices=list(rooms.MEDIATION_ROOMS))
    file = serializers.FileField(required=False)
    evidence = serializers.IntegerField(required=False, min_value=1)
    description = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )
    client_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class ReadIn(serializers.Serializer):
    room = serializers.ChoiceField(choices=list(rooms.ROOMS))
    seq = serializers.IntegerField(min_value=0, max_value=2**31 - 1)


class SessionIn(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField(min_value=15, max_value=480, default=60)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class MuteIn(serializers.Serializer):
    minutes = serializers.IntegerField(min_value=1, max_value=tools.MAX_MUTE_MINUTES, default=10)


class ProposalIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Offer.Kind.choices)
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True, default=None
    )
    description = serializers.CharField(max_length=4000)
    performance_days = serializers.IntegerField(min_value=0, max_value=90, default=7)


class TerminateIn(serializers.Serializer):
    ground = serializers.CharField(max_length=40)
    reason = serializers.CharField(max_length=4000)


def _message_out(sent: chat.Sent, case) -> dict:
    room_file = RoomFile.objects.filter(message=sent.message).first()
    return selectors.message_payload(sent.message, reference=case.reference, room_file=room_file)


class MediationStateApi(APIView):
    @extend_schema(
        parameters=[REF], responses=OBJECT, summary="The rooms of a case as the caller sees them"
    )
    def get(self, request: Request, ref: str) -> Response:
        case = access_case(user=request.user, ref=ref, action=Action.VIEW)
        roles = case_roles(case, request.user)
        return Response(selectors.room_state(case=case, user=request.user, roles=roles))


class MediationMessagesApi(APIView):
    @extend_schema(
        parameters=[REF],
        request=MediationMessageIn,
        responses={201: MediationMessageOut, 429: ERROR, **ERRORS},
        summary="Post in a mediation room (the socket's 'send', for clients without one)",
    )
    @idempotent
    def post(self, request: Request, ref: str) -> Response:
        case = access_case(user=request.user, ref=ref, action=Action.VIEW)
        data = MediationMessageIn(data=request.data)
        data.is_valid(raise_exception=True)
        sent = chat.message_send(case=case, actor=request.user, **data.validated_data)
        return Response(
            _message_out(sent, case),
            status=status.HTTP_201_CREATED if sent.created else status.HTTP_200_OK,
        )


class MediationFilesApi(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        parameters=[REF],
        request={"multipart/form-data": FileIn, "application/json": FileIn},
        responses={201: MediationMessageOut, 413: ERROR, 429: ERROR, **ERRORS},
        summary="Share a file into a room: a new upload, or evidence already on the case",
    )
    @idempotent
    def post(self, request: Request, ref: str) -> Response:
        case = access_case(user=request.user, ref=ref, action=Action.UPLOAD)
        data = FileIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        evidence = None
        if values.get("evidence"):
            evidence = Evidence.objects.filter(case=case, pk=values["evidence"]).first()
            if evidence is None:
                raise NotFound(_("There is no such file on this case."))
        sent = chat.file_share(
            case=case,
            actor=request.user,
            room=values["room"],
            upload=values.get("file"),
            evidence=evidence,
            description=values["description"],
            client_id=values["client_id"],
        )
        return Response(
            _message_out(sent, case),
            status=status.HTTP_201_CREATED if sent.created else status.HTTP_200_OK,
        )


class MediationFileApi(APIView):
    @extend_schema(
        parameters=[REF, OpenApiParameter("file_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 403: ERROR, 404: ERROR},
        summary="Download a file shared into a room you may read",
    )
    def get(self, request: Request, ref: str, file_id: int):
        case = access_case(user=request.user, ref=ref, action=Action.VIEW)
        room_file = (
            RoomFile.objects.filter(case=case, pk=file_id).select_related("evidence").first()
        )
        if room_file is None:
            raise NotFound(_("There is no such file on this case."))
        if not rooms.may_read(case_roles(case, request.user), room_file.room):
            raise NotAllowed(_("This room is not yours."), code="not_your_room")
        stored = room_file.evidence.file if room_file.evidence_id else room_file.file
        name = f"{case.reference}-{room_file.pk}{room_file.extension}"
        response = FileResponse(stored.open("rb"), as_attachment=True, filename=name)
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class MediationReadApi(APIView):
    @extend_schema(
        parameters=[REF],
        request=ReadIn,
        responses=OBJECT,
        summary="Record that you read a room up to a sequence number",
    )
    def post(self, request: Request, ref: str) -> Response:
        case = access_case(user=request.user, ref=ref, action=Action.VIEW)
        data = ReadIn(data=request.data)
        data.is_valid(raise_exception=True)
        seq = chat.read_mark(case=case, actor=request.user, **data.validated_data)
        return Response({"room": data.validated_data["room"], "seq": seq})


class SessionsApi(APIView):
    @extend_schema(
        parameters=[REF],
        request=SessionIn,
        responses={201: OpenApiTypes.OBJECT, **ERRORS},
        summary="Schedule a mediation session (the mediator)",
    )
    @idempotent
    def post(self, request: Request, ref: str) -> Response:
        case = access_case(user=request.user, ref=ref, action=Action.TRANSITION)
        data = SessionIn(data=request.data)
        data.is_valid(raise_exception=True)
        session = tools.session_schedule(case=case, actor=request.user, **data.validated_data)
        return Response(selectors.session_payload(session), status=status.HTTP_201_CREATED)


class PartyApi(APIView):
    """Mute or unmute a party in the joint room; take them into caucus or back."""

    act = "mute"

    @extend_schema(
        parameters=[
            REF,
            OpenApiParameter(
                "party", OpenApiTypes.STR, OpenApiParameter.PATH, enum=["consumer", "merchant"]
            ),
        ],
        request=MuteIn,
        responses=OBJECT,
        summary="Act on a party's standing in the joint room (the mediator)",
    )
    @idempotent
    def post(self, request: Request, ref: str, party: str) -> Response:
        case = access_case(user=request.user, ref=ref, action=Action.TRANSITION)
        if self.act == "mute":
            data = MuteIn(data=request.data)
            data.is_valid(raise_exception=True)
            tools.party_mute(
                case=case, actor=request.user, party=party, minutes=data.validated_data["minutes"]
            )
        elif self.act == "unmute":
            tools.party_unmute(case=case, actor=request.user, party=party)
        elif self.act == "caucus":
            tools.party_to_caucus(case=case, actor=request.user, party=party)
        else:
            tools.party_to_joint(case=case, actor=request.user, party=party)
        return Response(selectors.standings(case_id=case.pk)[party])


class ProposalsApi(APIView):
    @extend_schema(
        parameters=[REF],
        request=ProposalIn,
        responses={201: OpenApiTypes.OBJECT, **ERRORS},
        summary="Propose agreement terms (the mediator)",
    )
    @idempotent
    def post(self, request: Request, ref: str) -> Response:
        case = access_case(user=request.user, ref=ref, action=Action.TRANSITION)
        data = ProposalIn(data=request.data)
        data.is_valid(raise_exception=True)
        proposal = tools.proposal_make(case=case, actor=request.user, **data.validated_data)
        return Response(selectors.proposal_payload(proposal), status=status.HTTP_201_CREATED)


class ProposalAcceptApi(APIView):
    @extend_schema(
        parameters=[
            REF,
            OpenApiParameter("proposal_id", OpenApiTypes.INT, OpenApiParameter.PATH),
        ],
        request=None,
        responses=OBJECT,
        summary="Accept the proposed terms (a party); when both have, the case settles",
    )
    @idempotent
    def post(self, request: Request, ref: str, proposal_id: int) -> Response:
        case = access_case(user=request.user, ref=ref, action=Action.TRANSITION)
        proposal = tools.proposal_accept(case=case, proposal_id=proposal_id, actor=request.user)
        proposal.refresh_from_db()
        case.refresh_from_db(fields=["state"])
        return Response({**selectors.proposal_payload(proposal), "case_state": case.state})


class TerminateApi(APIView):
    @extend_schema(
        parameters=[REF],
        request=TerminateIn,
        responses=OBJECT,
        summary="End mediation without agreement, on a ground of the rule set (the mediator)",
    )
    @idempotent
    def post(self, request: Request, ref: str) -> Response:
        case = access_case(user=request.user, ref=ref, action=Action.TRANSITION)
        data = TerminateIn(data=request.data)
        data.is_valid(raise_exception=True)
        case = tools.mediation_terminate(case=case, actor=request.user, **data.validated_data)
        return Response({"case": case.reference, "state": case.state, "ground": case.ground})


class TranscriptApi(APIView):
    @extend_schema(
        parameters=[REF],
        responses={
            200: inline_serializer(
                "Transcript",
                {
                    "case": serializers.CharField(),
                    "room": serializers.CharField(),
                    "generated_at": serializers.CharField(),
                    "count": serializers.IntegerField(),
                    "last_seq": serializers.IntegerField(),
                    "sha256": serializers.CharField(),
                    "messages": MediationMessageOut(many=True),
                },
            ),
            403: ERROR,
            404: ERROR,
        },
        summary="The joint room's transcript for the case file (caucus excluded)",
    )
    def get(self, request: Request, ref: str) -> Response:
        case = access_case(user=request.user, ref=ref, action=Action.VIEW)
        if not rooms.may_read(case_roles(case, request.user), rooms.JOINT):
            raise NotAllowed(_("This room is not yours."), code="not_your_room")
        return Response(selectors.transcript(case=case))


class ConsoleApi(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT, 403: ERROR}, summary="The mediator's cases")
    def get(self, request: Request) -> Response:
        if not request.user.roles.filter(kind=Role.Kind.MEDIATOR).exists():
            raise NotAllowed(_("The console is for mediators."), code="not_a_mediator")
        rows = selectors.console_cases(mediator=request.user)
        return Response({"rows": [row.as_dict() for row in rows]})
