"""Case API: intake, case detail, transitions, offers, messages, evidence, timeline."""

from django.http import FileResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.apis import ERROR
from accounts.models import Merchant, Role
from cases import selectors
from cases.categories import CATEGORY_CHOICES
from cases.models import Case, Consent, Deadline, Evidence, Offer
from cases.rulesets import clock_label
from cases.selectors import Action, access_case, case_consents, case_limitation
from cases.services import evidence as evidence_services
from cases.services import negotiation
from cases.services.consents import consent_change
from cases.services.intake import ComplaintData, case_submit
from cases.services.transitions import (
    SPECS,
    VIA_OFFER,
    case_transition,
    check_transition_door,
    field_choices,
    transitions_available,
)
from odr.api import page_of, paginated
from odr.errors import Conflict, DomainError, NotAllowed
from odr.idempotency import idempotent

REF = OpenApiParameter(
    "ref", OpenApiTypes.STR, OpenApiParameter.PATH, description="e.g. LY-2026-000123"
)
ERRORS = {400: ERROR, 403: ERROR, 404: ERROR, 409: ERROR}


# --- Output ----------------------------------------------------------------------------


class StoreOut(serializers.Serializer):
    platform = serializers.CharField()
    url = serializers.CharField()


class MerchantOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    uscc = serializers.CharField()
    division_code = serializers.CharField()
    address = serializers.CharField()
    stores = StoreOut(many=True, source="stores.all")
    odr_enrolled = serializers.SerializerMethodField()

    def get_odr_enrolled(self, merchant: Merchant) -> bool:
        from django.utils import timezone

        return merchant.odr_enrolled_on(timezone.localdate())


class DeadlineOut(serializers.Serializer):
    clock = serializers.CharField()
    label = serializers.SerializerMethodField(help_text="The clock's name, in the language asked")
    due_on = serializers.DateField()
    due_at = serializers.DateTimeField()
    provisional = serializers.BooleanField(
        help_text="Counted on a year whose State Council holiday notice is not entered yet"
    )
    latest_at = serializers.DateTimeField(
        allow_null=True,
        help_text="The latest due time a provisional deadline could still move to",
    )
    status = serializers.ChoiceField(
        choices=Deadline.Status.choices,
        help_text="met: the act came in time; late: after the due time; expired: it never "
        "came; cancelled: no longer applies",
    )
    ended_at = serializers.DateTimeField(allow_null=True)
    citation = serializers.SerializerMethodField()

    def get_label(self, deadline) -> str:
        return clock_label(deadline.clock, get_language())

    def get_citation(self, deadline) -> str:
        return selectors.deadline_citation(deadline=deadline)


class LimitationOut(serializers.Serializer):
    knew_of_harm_on = serializers.DateField()
    claimed_on = serializers.DateField(allow_null=True)
    runs_from = serializers.DateField()
    ends_on = serializers.DateField()
    passed = serializers.BooleanField()


class ConsentOut(serializers.Serializer):
    question = serializers.CharField()
    answer = serializers.BooleanField()
    wording = serializers.CharField()
    language = serializers.CharField()
    channel = serializers.CharField()
    recorded_at = serializers.DateTimeField()
    recorded_by_role = serializers.SerializerMethodField()

    def get_recorded_by_role(self, consent: Consent) -> str:
        return "consumer" if consent.recorded_by_id == consent.case.consumer_id else "staff"


class CaseListOut(serializers.Serializer):
    reference = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField(source="get_state_display")
    merchant_name = serializers.CharField()
    category = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    possible_duplicate_of = serializers.CharField(
        source="possible_duplicate_of.reference", default=None, allow_null=True
    )


class CaseOut(CaseListOut):
    ruleset = serializers.CharField()
    language = serializers.CharField()
    merchant = serializers.CharField(source="merchant.uscc", default=None, allow_null=True)
    merchant_address = serializers.CharField()
    merchant_store_url = serializers.CharField()
    division_code = serializers.CharField(help_text="The merchant's division")
    office_code = serializers.CharField(
        help_text="Division code of the office handling the case (changed by a transfer)"
    )
    complainant_name = serializers.CharField()
    complainant_phone = serializers.CharField()
    complainant_address = serializers.CharField()
    purchase_date = serializers.DateField(allow_null=True)
    knew_of_harm_on = serializers.DateField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    order_number = serializers.CharField()
    platform = serializers.CharField()
    facts = serializers.CharField()
    request = serializers.CharField()
    ground = serializers.CharField()
    reason = serializers.CharField()
    outcome = serializers.CharField()
    settlement_terms = serializers.JSONField(allow_null=True)
    performance_due_on = serializers.DateField(allow_null=True)
    deadlines = DeadlineOut(many=True, source="deadlines.all")
    agrees_to_publication = serializers.BooleanField()
    agrees_to_delegated_mediation = serializers.BooleanField()
    claimed_from_merchant_on = serializers.DateField(allow_null=True)
    limitation = serializers.SerializerMethodField(
        help_text="The three-year limit the consumer's dates give on the day of filing: "
        "for the office to weigh (it decides on art. 16(4)), never a refusal by itself."
    )

    @extend_schema_field(LimitationOut)
    def get_limitation(self, case: Case) -> dict:
        return case_limitation(case=case).as_dict()


class OfferOut(serializers.Serializer):
    id = serializers.IntegerField()
    side = serializers.CharField()
    kind = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    description = serializers.CharField()
    valid_until = serializers.DateField()
    performance_days = serializers.IntegerField()
    counter_to = serializers.IntegerField(source="counter_to_id", allow_null=True)
    status = serializers.CharField()
    created_at = serializers.DateTimeField()


class MessageOut(serializers.Serializer):
    seq = serializers.IntegerField()
    room = serializers.CharField()
    author_role = serializers.CharField()
    body = serializers.CharField()
    client_id = serializers.CharField()
    created_at = serializers.DateTimeField()


class EvidenceOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    original_name = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    description = serializers.CharField()
    created_at = serializers.DateTimeField()


class EventOut(serializers.Serializer):
    seq = serializers.IntegerField()
    kind = serializers.CharField()
    actor_role = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    ground = serializers.CharField()
    payload = serializers.JSONField()
    created_at = serializers.DateTimeField()
    hash = serializers.CharField()


class TransitionOut(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    fields = serializers.ListField(child=serializers.DictField())


# --- Input -----------------------------------------------------------------------------


class ComplaintIn(serializers.Serializer):
    complainant_name = serializers.CharField(
        max_length=100, allow_blank=True, required=False, default=""
    )
    complainant_phone = serializers.CharField(
        max_length=20, allow_blank=True, required=False, default=""
    )
    complainant_address = serializers.CharField(
        max_length=300, allow_blank=True, required=False, default=""
    )
    merchant = serializers.PrimaryKeyRelatedField(
        queryset=Merchant.objects.all(), required=False, allow_null=True, default=None
    )
    merchant_name = serializers.CharField(
        max_length=200, allow_blank=True, required=False, default=""
    )
    merchant_address = serializers.CharField(
        max_length=300, allow_blank=True, required=False, default=""
    )
    merchant_store_url = serializers.CharField(
        max_length=500, allow_blank=True, required=False, default=""
    )
    merchant_division_code = serializers.CharField(
        max_length=6, allow_blank=True, required=False, default=""
    )
    category = serializers.ChoiceField(choices=CATEGORY_CHOICES)
    purchase_date = serializers.DateField(required=False, allow_null=True, default=None)
    knew_of_harm_on = serializers.DateField(required=False, allow_null=True, default=None)
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True, default=None
    )
    order_number = serializers.CharField(
        max_length=100, allow_blank=True, required=False, default=""
    )
    platform = serializers.CharField(max_length=100, allow_blank=True, required=False, default="")
    facts = serializers.CharField(max_length=10000, allow_blank=True, required=False, default="")
    request = serializers.CharField(max_length=4000, allow_blank=True, required=False, default="")
    # Unticked unless the consumer says yes (DESIGN.md, "Consents").
    agrees_to_publication = serializers.BooleanField(required=False, default=False)
    agrees_to_delegated_mediation = serializers.BooleanField(required=False, default=False)
    claimed_from_merchant_on = serializers.DateField(required=False, allow_null=True, default=None)


class OfferIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Offer.Kind.choices)
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True, default=None
    )
    description = serializers.CharField(max_length=4000)
    valid_until = serializers.DateField()
    performance_days = serializers.IntegerField(
        min_value=0, max_value=90, required=False, default=7
    )
    counter_to = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1
    )


class OfferDecisionIn(serializers.Serializer):
    reason = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class MessageIn(serializers.Serializer):
    room = serializers.CharField(max_length=20, required=False, default="negotiation")
    body = serializers.CharField(max_length=4000, allow_blank=True)
    client_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class TransitionIn(serializers.Serializer):
    name = serializers.CharField(max_length=40)
    # Other fields depend on the transition; GET lists them.


class EvidenceIn(serializers.Serializer):
    file = serializers.FileField()
    description = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )


# --- Views -----------------------------------------------------------------------------


class MerchantSearchApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("q", OpenApiTypes.STR, description="name, code or store URL")],
        responses={200: MerchantOut(many=True)},
        summary="Find merchants by name, unified social credit code or store URL",
    )
    def get(self, request: Request) -> Response:
        q = request.query_params.get("q", "")[:200]
        return Response(MerchantOut(selectors.merchant_search(q=q), many=True).data)


def _transition_payload(case: Case, spec) -> dict:
    return {
        "name": spec.name,
        "label": str(spec.label),
        "fields": [
            {
                "name": f.name,
                "type": f.kind,
                "required": f.required,
                "label": str(f.label),
                **(
                    {
                        "choices": [
                            {"value": v, "label": str(lbl)} for v, lbl in field_choices(case, f)
                        ]
                    }
                    if f.kind == "choice"
                    else {}
                ),
            }
            for f in spec.fields
        ],
    }


class CaseListCreateApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("state", OpenApiTypes.STR)],
        responses={
            200: page_of("CasePage", CaseListOut(many=True)),
            403: ERROR,
        },
        summary="Cases the caller takes part in",
        operation_id="cases_list",
    )
    def get(self, request: Request) -> Response:
        cases = selectors.cases_visible_to(user=request.user).select_related(
            "possible_duplicate_of"
        )
        state = request.query_params.get("state")
        if state:
            cases = cases.filter(state=state)
        return paginated(request, self, cases.order_by("-submitted_at", "-id"), CaseListOut)

    @extend_schema(
        request=ComplaintIn,
        responses={201: CaseOut, **ERRORS},
        summary="File a complaint (consumers)",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        if not request.user.roles.filter(kind=Role.Kind.CONSUMER).exists():
            raise NotAllowed(_("Only consumers file complaints."), code="not_a_consumer")
        data = ComplaintIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        complaint = ComplaintData(**values, language=request.LANGUAGE_CODE)
        case = case_submit(consumer=request.user, data=complaint)
        return Response(CaseOut(case).data, status=status.HTTP_201_CREATED)


class CaseDetailApi(APIView):
    @extend_schema(parameters=[REF], responses={200: CaseOut, 403: ERROR, 404: ERROR})
    def get(self, request: Request, ref: str) -> Response:
        case = access_case(user=request.user, ref=ref, action=Action.VIEW)
        return Response(CaseOut(case).data)


class CaseTransitionsApi(APIView):
    @extend_schema(
        parameters=[REF],
        responses={200: TransitionOut(many=True), 403: ERROR, 404: ERROR},
        summary="Transitions the caller may take now, with the fields each needs",
    )
    def get(self, request: Request, ref: str) -> Response:
        case = access_case(user=request.user, ref=ref, action=Action.VIEW)
        specs = transitions_available(case=case, actor=request.user)
        return Response([_transition_payload(case, s) for s in specs])

    @extend_schema(
        parameters=[REF],
        request=inline_serializer("TransitionRequest", {"name": serializers.CharField()}),
        responses={200: CaseOut, **ERRORS},
        summary="Take a transition",
    )
    @idempotent
    def post(self, request: Request, ref: str) -> Response:
        case = access_case(user=request.user, ref=ref, action=Action.TRANSITION)
        data = TransitionIn(data=request.data)
        data.is_valid(raise_exception=True)
        name = data.validated_data["name"]
        if name not in SPECS:
            raise DomainError(
                _("Unknown action “%(name)s”.") % {"name": name[:40]}, code="unknown_transition"
            )
        if (name, case.state) in VIA_OFFER:
            raise Conflict(
                _("In negotiation, a case is settled by accepting an offer."), code="use_offers"
            )
        check_transition_door(name=name)
        fields = (
            {k: v for k, v in request.data.items() if k != "name"}
            if hasattr(request.data, "items")
            else {}
        )
        case = case_transition(case=case, name=name, actor=request.user, data=fields)
        return Response(CaseOut(case).data)


class OffersApi(APIView):
    @extend_schema(parameters=[REF], responses={200: OfferOut(many=True), 403: ERROR, 404: ERROR})
    def get(self, request: Request, ref: str) -> Response:
        case = access_case(user=request.user, ref=ref, action=Action.VIEW)
        return Response(OfferOut(selectors.case_offers(case=case), many=True).data)

    @extend_schema(parameters=[REF], request=OfferIn, responses={201: OfferOut, **ERRORS})
    @idempotent
    def post(self, request: Request, ref: str) -> Response:
        case = access_case(user=request.user, ref=ref, action=Action.NEGOTIATE)
        data = OfferIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        counter_id = values.pop("counter_to")
        counter = None
        if counter_id:
            counter = case.offers.filter(pk=counter_id).first()
            if counter is None:
                raise DomainError(
                    _("There is no such offer on this case."),
                    fields={"counter_to": [_("Unknown offer.")]},
                )
        offer = negotiation.offer_make(case=case, actor=request.user, counter_to=counter, **values)
        return Response(OfferOut(offer).data, status=status.HTTP_201_CREATED)


class OfferDecisionApi(APIView):
    decision = "accept"

    @extend_schema(
        parameters=[REF, OpenApiParameter("offer_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        request=OfferDecisionIn,
        responses={200: OfferOut, **ERRORS},
    )
    @idempotent
    def post(self, request: Request, ref: str, offer_id: int) -> Response:
        case = access_case(user=request.user, ref=ref, action=Action.NEGOTIATE)
        offer = case.offers.filter(pk=offer_id).first()
        if offer is None:
            from odr.errors import NotFound

            raise NotFound(_("There is no such offer on this case."))
        data = OfferDecisionIn(data=request.data)
        data.is_valid(raise_exception=True)
        if self.decision == "accept":
            negotiation.offer_accept(offer=offer, actor=request.user)
        else:
            negotiation.offer_reject(
                offer=offer, actor=request.user, reason=data.validated_data["reason"]
            )
        offer.refresh_from_db()
        return Response(OfferOut(offer).data)


class MessagesApi(APIView):
    """History of a room, for resume and for clients without a socket.

    Every room the caller may read (cases/rooms.py): the negotiation room, the joint
    room, and a party's own caucus; another party's caucus is refused (403 not_your_room),
    so what is said there never reaches the other side. Posting here is for the
    negotiation room; the mediation rooms are written through the mediation app.
    """

    PAGE = 100

    @extend_schema(
        parameters=[
            REF,
            OpenApiParameter(
                "room",
                OpenApiTypes.STR,
                enum=["negotiation", "joint", "caucus:consumer", "caucus:merchant"],
                description="negotiation (default), joint, caucus:consumer, caucus:merchant",
            ),
            OpenApiParameter("after_seq", OpenApiTypes.INT),
            OpenApiParameter("limit", OpenApiTypes.INT),
        ],
        responses={
            200: inline_serializer(
                "MessagePage",
                {
                    "results": MessageOut(many=True),
                    "next_after_seq": serializers.IntegerField(),
                    "has_more": serializers.BooleanField(),
                },
            ),
            **ERRORS,
        },
        summary="Messages of a room after a sequence number (resume and history)",
    )
    def get(self, request: Request, ref: str) -> Response:
        from cases import rooms
        from cases.models import case_roles

        case = access_case(user=request.user, ref=ref, action=Action.VIEW)
        room = rooms.check_room(request.query_params.get("room", rooms.NEGOTIATION)[:20])
        if not rooms.may_read(case_roles(case, request.user), room):
            raise NotAllowed(_("This room is not yours."), code="not_your_room")
        try:
            after = max(0, int(request.query_params.get("after_seq", 0)))
            limit = min(self.PAGE, max(1, int(request.query_params.get("limit", self.PAGE))))
        except ValueError as exc:
            raise DomainError(_("after_seq and limit are whole numbers.")) from exc
        rows = list(
            selectors.case_messages(case=case, room=room, after_seq=min(after, 2**31 - 1))[
                : limit + 1
            ]
        )
        more = len(rows) > limit
        rows = rows[:limit]
        return Response(
            {
                "results": MessageOut(rows, many=True).data,
                "next_after_seq": rows[-1].seq if rows else after,
                "has_more": more,
            }
        )

    @extend_schema(parameters=[REF], request=MessageIn, responses={201: MessageOut, **ERRORS})
    @idempotent
    def post(self, request: Request, ref: str) -> Response:
        case = access_case(user=request.user, ref=ref, action=Action.NEGOTIATE)
        data = MessageIn(data=request.data)
        data.is_valid(raise_exception=True)
        message = negotiation.message_post(case=case, actor=request.user, **data.validated_data)
        return Response(MessageOut(message).data, status=status.HTTP_201_CREATED)


class EvidenceApi(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        parameters=[REF], responses={200: EvidenceOut(many=True), 403: ERROR, 404: ERROR}
    )
    def get(self, request: Request, ref: str) -> Response:
        case = access_case(user=request.user, ref=ref, action=Action.VIEW)
        return Response(EvidenceOut(case.evidence.all(), many=True).data)

    @extend_schema(
        parameters=[REF],
        request={"multipart/form-data": EvidenceIn},
        responses={201: EvidenceOut, 413: ERROR, **ERRORS},
    )
    @idempotent
    def post(self, request: Request, ref: str) -> Response:
        case = access_case(user=request.user, ref=ref, action=Action.UPLOAD)
        data = EvidenceIn(data=request.data)
        data.is_valid(raise_exception=True)
        evidence = evidence_services.evidence_add(
            uploaded_by=request.user,
            upload=data.validated_data["file"],
            case=case,
            description=data.validated_data["description"],
        )
        return Response(EvidenceOut(evidence).data, status=status.HTTP_201_CREATED)


class EvidenceFileApi(APIView):
    @extend_schema(
        parameters=[REF, OpenApiParameter("evidence_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 403: ERROR, 404: ERROR},
    )
    def get(self, request: Request, ref: str, evidence_id: int):
        case = access_case(user=request.user, ref=ref, action=Action.VIEW)
        return evidence_file_response(case, evidence_id)


def evidence_file_response(case: Case, evidence_id: int) -> FileResponse:
    from odr.errors import NotFound

    evidence = Evidence.objects.filter(case=case, pk=evidence_id).first()
    if evidence is None:
        raise NotFound(_("There is no such file on this case."))
    name = f"{case.reference}-{evidence.pk}{evidence.extension}"
    response = FileResponse(evidence.file.open("rb"), as_attachment=True, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


class EventsApi(APIView):
    @extend_schema(parameters=[REF], responses={200: EventOut(many=True), 403: ERROR, 404: ERROR})
    def get(self, request: Request, ref: str) -> Response:
        case = access_case(user=request.user, ref=ref, action=Action.VIEW)
        return Response(
            EventOut(selectors.case_timeline(case=case, user=request.user), many=True).data
        )


class ConsentIn(serializers.Serializer):
    question = serializers.ChoiceField(choices=Consent.Question.choices)
    answer = serializers.BooleanField()


class ConsentsApi(APIView):
    @extend_schema(
        parameters=[REF],
        responses={200: ConsentOut(many=True), 403: ERROR, 404: ERROR},
        summary="Every answer the consumer gave to the registration's two questions",
    )
    def get(self, request: Request, ref: str) -> Response:
        case = access_case(user=request.user, ref=ref, action=Action.CONSENTS)
        return Response(ConsentOut(case_consents(case=case), many=True).data)

    @extend_schema(
        parameters=[REF],
        request=ConsentIn,
        responses={200: CaseOut, **ERRORS},
        summary="Change an answer (the consumer, until the office decides on acceptance)",
    )
    @idempotent
    def post(self, request: Request, ref: str) -> Response:
        case = access_case(user=request.user, ref=ref, action=Action.CONSENTS)
        data = ConsentIn(data=request.data)
        data.is_valid(raise_exception=True)
        consent_change(
            case=case,
            actor=request.user,
            question=data.validated_data["question"],
            answer=data.validated_data["answer"],
            language=request.LANGUAGE_CODE,
        )
        case = access_case(user=request.user, ref=ref, action=Action.VIEW)
        return Response(CaseOut(case).data)


class LinkMerchantIn(serializers.Serializer):
    merchant = serializers.PrimaryKeyRelatedField(queryset=Merchant.objects.all())


class CaseMerchantApi(APIView):
    @extend_schema(
        parameters=[REF],
        request=LinkMerchantIn,
        responses={200: CaseOut, **ERRORS},
        summary="Link a complaint to a merchant record (regulators)",
    )
    @idempotent
    def post(self, request: Request, ref: str) -> Response:
        from cases.services.merchants import case_link_merchant

        case = access_case(user=request.user, ref=ref, action=Action.TRANSITION)
        data = LinkMerchantIn(data=request.data)
        data.is_valid(raise_exception=True)
        case = case_link_merchant(
            case=case, merchant=data.validated_data["merchant"], actor=request.user
        )
        return Response(CaseOut(case).data)


# --- Proof of identity (SAMR form 4) and recusal of the mediator (form 7) ----------------


class IdentityProofOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    original_name = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    created_at = serializers.DateTimeField()


class IdentityRequestOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=["open", "provided", "cancelled"],
        help_text="open: waiting for the proof; provided; cancelled: no longer asked",
    )
    materials = serializers.CharField(help_text="The proof the office asks for")
    due_on = serializers.DateField(help_text="The date of the rule set's clock identity_proof")
    created_at = serializers.DateTimeField()
    provided_at = serializers.DateTimeField(allow_null=True)
    proofs = serializers.SerializerMethodField(
        help_text="The files provided: listed to the office and the mediator only"
    )

    @extend_schema_field(IdentityProofOut(many=True))
    def get_proofs(self, request) -> list:
        if not self.context.get("staff"):
            return []
        return IdentityProofOut(request.proofs.all(), many=True).data


class IdentityRequestIn(serializers.Serializer):
    materials = serializers.CharField(max_length=1000, help_text="The proof asked for")


class IdentityProofIn(serializers.Serializer):
    file = serializers.FileField()


def _identity_reader(case: Case, user) -> bool:
    """Staff (the office, the mediator) see every request and its files; the complainant
    their requests; the merchant nothing of it (403)."""
    from cases.models import CaseRole, case_roles

    roles = case_roles(case, user)
    if roles & selectors.STAFF_ROLES:
        return True
    if CaseRole.CONSUMER in roles:
        return False
    raise NotAllowed(_("Proof of identity is between the complainant and the office."))


class IdentityApi(APIView):
    @extend_schema(
        parameters=[REF],
        responses={200: IdentityRequestOut(many=True), 403: ERROR, 404: ERROR},
        summary="Requests for proof of identity (the office, the mediator and the complainant)",
    )
    def get(self, request: Request, ref: str) -> Response:
        from cases.services import identity

        case = access_case(user=request.user, ref=ref, action=Action.VIEW)
        staff = _identity_reader(case, request.user)
        rows = identity.identity_requests(case=case)
        return Response(IdentityRequestOut(rows, many=True, context={"staff": staff}).data)

    @extend_schema(
        parameters=[REF],
        request=IdentityRequestIn,
        responses={201: IdentityRequestOut, **ERRORS},
        summary="Ask the complainant for proof of identity by the rule set's time limit "
        "(the office; SAMR form 4 is issued)",
    )
    @idempotent
    def post(self, request: Request, ref: str) -> Response:
        from cases.services import identity

        case = access_case(user=request.user, ref=ref, action=Action.TRANSITION)
        data = IdentityRequestIn(data=request.data)
        data.is_valid(raise_exception=True)
        asked = identity.identity_request(
            case=case, actor=request.user, materials=data.validated_data["materials"]
        )
        return Response(
            IdentityRequestOut(asked, context={"staff": True}).data,
            status=status.HTTP_201_CREATED,
        )


class IdentityProofApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        parameters=[REF],
        request={"multipart/form-data": IdentityProofIn},
        responses={201: IdentityRequestOut, 413: ERROR, **ERRORS},
        summary="Upload proof of identity (the complainant); seen by the office only",
    )
    @idempotent
    def post(self, request: Request, ref: str) -> Response:
        from cases.services import identity

        case = access_case(user=request.user, ref=ref, action=Action.UPLOAD)
        data = IdentityProofIn(data=request.data)
        data.is_valid(raise_exception=True)
        answered = identity.identity_provide(
            case=case, actor=request.user, uploads=[data.validated_data["file"]]
        )
        return Response(
            IdentityRequestOut(answered, context={"staff": False}).data,
            status=status.HTTP_201_CREATED,
        )


class RecusalOut(serializers.Serializer):
    id = serializers.IntegerField()
    party = serializers.CharField()
    mediator = serializers.SerializerMethodField()
    ground = serializers.CharField()
    reasons = serializers.CharField()
    status = serializers.ChoiceField(choices=["pending", "granted", "refused"])
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_reasons = serializers.CharField()
    new_mediator = serializers.SerializerMethodField()

    def get_mediator(self, row) -> str:
        from odr.formatting import person

        return person(row.mediator)

    def get_new_mediator(self, row) -> str | None:
        from odr.formatting import person

        return person(row.new_mediator) if row.new_mediator_id else None


class ChoiceOut(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class RecusalStateOut(serializers.Serializer):
    window_until = serializers.DateTimeField(
        allow_null=True, help_text="Until when the caller may ask (null: they may not now)"
    )
    grounds = ChoiceOut(many=True)
    mediators = ChoiceOut(
        many=True, help_text="Who the office may assign if it grants (the office only)"
    )
    requests = RecusalOut(many=True)


class RecusalIn(serializers.Serializer):
    ground = serializers.CharField(max_length=40)
    reasons = serializers.CharField(max_length=4000)


class RecusalDecisionIn(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["grant", "refuse"])
    new_mediator = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default=""
    )
    reasons = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


def _recusal_state(case: Case, user) -> dict:
    from cases.models import CaseRole, case_roles
    from cases.services import recusal

    english = (get_language() or "").startswith("en")
    rule = recusal.recusal_rule(case)
    window = recusal.recusal_may_ask(case=case, user=user)
    office = CaseRole.REGULATOR in case_roles(case, user)
    return {
        "window_until": window.due_at if window else None,
        "grounds": [
            {"value": g.code, "label": g.text_en if english else g.text_zh}
            for g in (rule.grounds if rule else ())
        ],
        "mediators": [
            {"value": v, "label": label} for v, label in recusal.mediator_choices(case=case)
        ]
        if office and case.state == "mediation"
        else [],
        "requests": list(case.recusal_requests.select_related("mediator", "new_mediator")),
    }


class RecusalApi(APIView):
    @extend_schema(
        parameters=[REF],
        responses={200: RecusalStateOut, 403: ERROR, 404: ERROR},
        summary="Recusal of the mediator: the window, the grounds and the requests",
    )
    def get(self, request: Request, ref: str) -> Response:
        case = access_case(user=request.user, ref=ref, action=Action.VIEW)
        return Response(RecusalStateOut(_recusal_state(case, request.user)).data)

    @extend_schema(
        parameters=[REF],
        request=RecusalIn,
        responses={201: RecusalOut, **ERRORS},
        summary="Ask for the mediator's recusal within the window (a party; the office decides)",
    )
    @idempotent
    def post(self, request: Request, ref: str) -> Response:
        from cases.services import recusal

        case = access_case(user=request.user, ref=ref, action=Action.NEGOTIATE)
        data = RecusalIn(data=request.data)
        data.is_valid(raise_exception=True)
        asked = recusal.recusal_request(case=case, actor=request.user, **data.validated_data)
        return Response(RecusalOut(asked).data, status=status.HTTP_201_CREATED)


class RecusalDecisionApi(APIView):
    @extend_schema(
        parameters=[REF],
        request=RecusalDecisionIn,
        responses={200: RecusalOut, **ERRORS},
        summary="Decide the pending request for recusal (the office): grant with another "
        "mediator (a new mediation notice), or refuse with reasons",
    )
    @idempotent
    def post(self, request: Request, ref: str) -> Response:
        from cases.services import recusal

        case = access_case(user=request.user, ref=ref, action=Action.TRANSITION)
        data = RecusalDecisionIn(data=request.data)
        data.is_valid(raise_exception=True)
        decided = recusal.recusal_decide(
            case=case,
            actor=request.user,
            grant=data.validated_data["decision"] == "grant",
            reasons=data.validated_data["reasons"],
            new_mediator=data.validated_data["new_mediator"],
        )
        return Response(RecusalOut(decided).data)
