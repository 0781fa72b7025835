"""The parties' arbitration agreement, and the referral it allows.

After mediation fails, a party proposes an agreement naming one body (from those that
take the case's category and region). ``documents`` renders it as a draft that each
party confirms with an SMS code (documents/services/confirm.py: the same flow as a
settlement). Only when both have confirmed that very draft may the case be referred;
a referral with one confirmation is refused with a message naming the party missing.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import ArbitrationBody
from arbitration.models import Agreement, BodyProfile, Referral
from cases.models import Case, CaseEvent, CaseRole, State, case_roles
from cases.services.events import event_append
from cases.services.transitions import case_transition
from odr.divisions import division_covers
from odr.errors import Conflict, DomainError, NotAllowed

PARTIES = ("consumer", "merchant")


def _takes_category(profile: BodyProfile | None, category: str) -> bool:
    if profile is None or not profile.categories:
        return True
    return any(category == c or category.startswith(f"{c}.") for c in profile.categories)


def _serves(body: ArbitrationBody, profile: BodyProfile | None, division_code: str) -> bool:
    areas = (profile.divisions if profile and profile.divisions else None) or [body.division_code]
    return any(a == division_code or division_covers(a, division_code) for a in areas)


def bodies_eligible(*, case: Case) -> list[ArbitrationBody]:
    """The bodies on the platform that take this case's category and region."""
    bodies = []
    for body in ArbitrationBody.objects.select_related("arbitration_profile").order_by("name"):
        profile = getattr(body, "arbitration_profile", None)
        if profile is not None and not profile.accepts_referrals:
            continue
        if _takes_category(profile, case.category) and _serves(body, profile, case.division_code):
            bodies.append(body)
    return bodies


def _lock(case: Case) -> Case:
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("arbitration_body")
        .get(pk=case.pk)
    )


def _party(case: Case, actor) -> str:
    roles = case_roles(case, actor)
    if CaseRole.CONSUMER in roles:
        return CaseRole.CONSUMER
    if CaseRole.MERCHANT in roles:
        return CaseRole.MERCHANT
    raise NotAllowed(
        _("Only the consumer and the merchant agree to arbitration."), code="not_a_party"
    )


def agreement_propose(*, case: Case, actor, body_id) -> Agreement:
    """Propose an agreement naming one body; it replaces an earlier unsigned proposal."""
    with transaction.atomic():
        case = _lock(case)
        party = _party(case, actor)
        if case.state != State.MEDIATION_FAILED:
            raise Conflict(
                _("An arbitration agreement is made after mediation ends without agreement."),
                code="illegal_state",
            )
        try:
            chosen = int(str(body_id).strip())
        except (TypeError, ValueError):
            chosen = None
        eligible = {b.pk: b for b in bodies_eligible(case=case)}
        if chosen not in eligible:
            message = _("Choose one of the arbitration bodies listed for this case.")
            raise DomainError(message, fields={"body": [message]})
        body = eligible[chosen]
        previous = Agreement.objects.filter(case=case, status=Agreement.Status.PROPOSED)
        previous.update(status=Agreement.Status.WITHDRAWN)
        if case.arbitration_consented:
            Case.objects.filter(pk=case.pk).update(arbitration_consented=False)
        event = event_append(
            case=case,
            kind="arbitration.agreement_proposed",
            actor=actor,
            actor_role=party,
            payload={"body": body.pk, "body_name": body.name},
            visibility=CaseEvent.Visibility.PARTIES,
        )
        # documents renders the draft after commit (documents/kinds.py TRIGGERS).
        return Agreement.objects.create(case=case, body=body, event=event, proposed_by=actor)


def agreement_open(*, case: Case) -> Agreement | None:
    return (
        Agreement.objects.filter(case=case, status=Agreement.Status.PROPOSED)
        .select_related("body", "event")
        .first()
    )


def agreement_document(agreement: Agreement):
    """The current version of the agreement's document, if documents has made it."""
    from documents.kinds import Kind
    from documents.models import Document

    return (
        Document.objects.filter(
            case_id=agreement.case_id, kind=Kind.ARBITRATION_AGREEMENT, event_id=agreement.event_id
        )
        .exclude(status__in=[Document.Status.SUPERSEDED, Document.Status.REVOKED])
        .order_by("-version")
        .first()
    )


def agreement_signatures(agreement: Agreement) -> dict[str, bool]:
    """Which parties have confirmed the current draft of the agreement with their code."""
    from documents.services.confirm import confirmations

    document = agreement_document(agreement)
    done = (
        {c.party for c in confirmations(document)}
        if document and document.content_sha256
        else set()
    )
    return {party: party in done for party in PARTIES}


def check_consent(*, case: Case) -> Agreement:
    """The agreement both parties signed; otherwise a 409 that says whose signature is missing."""
    agreement = agreement_open(case=case)
    if agreement is None:
        raise Conflict(
            _("No arbitration agreement has been proposed for this case."), code="no_agreement"
        )
    signed = agreement_signatures(agreement)
    if not signed["consumer"] and not signed["merchant"]:
        raise Conflict(
            _("Neither the consumer nor the merchant has signed the arbitration agreement yet."),
            code="consent_missing",
        )
    if not signed["consumer"]:
        raise Conflict(
            _("The consumer has not signed the arbitration agreement yet."),
            code="consumer_consent_missing",
        )
    if not signed["merchant"]:
        raise Conflict(
            _("The merchant has not signed the arbitration agreement yet."),
            code="merchant_consent_missing",
        )
    return agreement


def case_refer(*, case: Case, actor) -> Referral:
    """Refer the case to the body both parties chose; the referral row is made by the
    in-transaction handler of the refer event (arbitration/handlers.py)."""
    with transaction.atomic():
        case = _lock(case)
        if case.state != State.MEDIATION_FAILED:
            raise Conflict(
                _("Only a case whose mediation ended without agreement can be referred."),
                code="illegal_transition",
            )
        roles = case_roles(case, actor)
        if not roles & {CaseRole.CONSUMER, CaseRole.MEDIATOR}:
            raise NotAllowed(
                _("The consumer or the mediator refers the case to arbitration."),
                code="not_your_action",
            )
        agreement = check_consent(case=case)
        Case.objects.filter(pk=case.pk).update(arbitration_consented=True)
        case.arbitration_consented = True
        case = case_transition(
            case=case,
            name="refer_to_arbitration",
            actor=actor,
            data={"body": str(agreement.body_id)},
            locked=True,
        )
        return Referral.objects.select_related("case", "body").get(
            case=case, agreement=agreement, status=Referral.Status.PREPARING
        )
