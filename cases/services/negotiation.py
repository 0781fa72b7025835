"""Direct negotiation between consumer and merchant: offers, counter-offers, messages."""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, CaseEvent, CaseRole, Message, Offer, State, case_roles
from cases.rooms import check_room
from cases.services.actions import case_act
from cases.services.events import event_append
from cases.services.transitions import case_transition
from odr.errors import Conflict, DomainError, NotAllowed

MAX_MESSAGE = 4000
NEGOTIATION_ROOM = "negotiation"


def _side(case: Case, actor) -> str:
    roles = case_roles(case, actor)
    if CaseRole.CONSUMER in roles:
        return Offer.Side.CONSUMER
    if CaseRole.MERCHANT in roles:
        return Offer.Side.MERCHANT
    raise NotAllowed(_("Only the consumer and the merchant negotiate."), code="not_a_party")


def _lock(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


def _merchant_answered(case: Case, side: str, actor) -> None:
    """The merchant's first answer: an action that ends its answer clock, met or late by
    the clock's due time (not by whether the sweep has run)."""
    if side == Offer.Side.MERCHANT and case.merchant_answered_at is None:
        now = timezone.now()
        Case.objects.filter(pk=case.pk).update(merchant_answered_at=now)
        case.merchant_answered_at = now
        case_act(
            case=case,
            name="merchant_answer",
            actor=actor,
            payload={"answered_at": now.isoformat()},
            locked=True,
            at=now,
        )


def offer_make(
    *,
    case: Case,
    actor,
    kind: str,
    description: str,
    valid_until: dt.date,
    amount: Decimal | None = None,
    performance_days: int = 7,
    counter_to: Offer | None = None,
) -> Offer:
    errors: dict[str, list[str]] = {}
    if kind not in Offer.Kind.values:
        errors["kind"] = [_("Choose refund, replacement, repair, compensation or other.")]
    if not (description or "").strip():
        errors["description"] = [_("Describe what you offer.")]
    elif len(description) > MAX_MESSAGE:
        errors["description"] = [_("At most %(n)d characters.") % {"n": MAX_MESSAGE}]
    if amount is not None and (amount < 0 or amount >= Decimal("1e10")):
        errors["amount"] = [_("Enter an amount in yuan, like 199.00.")]
    if kind in (Offer.Kind.REFUND, Offer.Kind.COMPENSATION) and amount is None:
        errors["amount"] = [_("A refund or compensation needs an amount.")]
    if valid_until < timezone.localdate():
        errors["valid_until"] = [_("The offer must be valid until today or later.")]
    if not 0 <= performance_days <= 90:
        errors["performance_days"] = [_("Between 0 and 90 days.")]
    if errors:
        raise DomainError(next(iter(errors.values()))[0], fields=errors)
    with transaction.atomic():
        case = _lock(case)
        side = _side(case, actor)
        if case.state != State.NEGOTIATION:
            raise Conflict(_("Offers can only be made while negotiating."), code="not_negotiating")
        if counter_to is not None:
            counter_to = Offer.objects.select_for_update().get(pk=counter_to.pk, case=case)
            if counter_to.status != Offer.Status.OPEN or counter_to.side == side:
                raise Conflict(_("You can only counter an open offer from the other side."))
            counter_to.status = Offer.Status.COUNTERED
            counter_to.decided_by = actor
            counter_to.decided_at = timezone.now()
            counter_to.save(update_fields=["status", "decided_by", "decided_at"])
        # A new offer replaces this side's earlier open ones.
        Offer.objects.filter(case=case, side=side, status=Offer.Status.OPEN).update(
            status=Offer.Status.WITHDRAWN, decided_at=timezone.now()
        )
        offer = Offer.objects.create(
            case=case,
            side=side,
            made_by=actor,
            kind=kind,
            amount=amount,
            description=description.strip(),
            valid_until=valid_until,
            performance_days=performance_days,
            counter_to=counter_to,
        )
        event_append(
            case=case,
            kind="offer.made",
            actor=actor,
            actor_role=side,
            payload={
                **offer.terms(),
                "valid_until": valid_until.isoformat(),
                "counter_to": counter_to.pk if counter_to else None,
            },
            visibility=CaseEvent.Visibility.PARTIES,
        )
        _merchant_answered(case, side, actor)
    return offer


class _OfferExpired(Conflict):
    pass


def _expire(offer: Offer) -> None:
    """Record that an offer ran out, in its own transaction (the caller's is rolled back)."""
    Offer.objects.filter(pk=offer.pk, status=Offer.Status.OPEN).update(
        status=Offer.Status.EXPIRED, decided_at=timezone.now()
    )


def _decide(offer: Offer, actor) -> tuple[Case, Offer, str]:
    case = _lock(offer.case)
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    side = _side(case, actor)
    if offer.side == side:
        raise Conflict(_("The other side decides on your offer."), code="own_offer")
    if offer.status != Offer.Status.OPEN:
        raise Conflict(
            _("This offer is no longer open (%(status)s).")
            % {"status": offer.get_status_display()},
            code="offer_closed",
        )
    if offer.valid_until < timezone.localdate():
        raise _OfferExpired(_("This offer has expired."), code="offer_expired")
    if case.state != State.NEGOTIATION:
        raise Conflict(_("The case is no longer in negotiation."), code="not_negotiating")
    return case, offer, side


def offer_accept(*, offer: Offer, actor) -> Case:
    """Accepting an offer settles the case on its terms, with a performance due date."""
    try:
        return _offer_accept(offer=offer, actor=actor)
    except _OfferExpired:
        _expire(offer)
        raise


def _offer_accept(*, offer: Offer, actor) -> Case:
    with transaction.atomic():
        case, offer, side = _decide(offer, actor)
        offer.status = Offer.Status.ACCEPTED
        offer.decided_by = actor
        offer.decided_at = timezone.now()
        offer.save(update_fields=["status", "decided_by", "decided_at"])
        due = timezone.localdate() + dt.timedelta(days=offer.performance_days)
        _merchant_answered(case, side, actor)
        case = case_transition(
            case=case,
            name="settle",
            actor=actor,
            locked=True,
            via_offer=True,
            data={
                "description": offer.description,
                "amount": offer.amount,
                "performance_due_on": due.isoformat(),
            },
        )
        Case.objects.filter(pk=case.pk).update(
            settlement_terms={**offer.terms(), "performance_due_on": due.isoformat()}
        )
        case.settlement_terms = {**offer.terms(), "performance_due_on": due.isoformat()}
    return case


def offer_reject(*, offer: Offer, actor, reason: str = "") -> Offer:
    try:
        return _offer_reject(offer=offer, actor=actor, reason=reason)
    except _OfferExpired:
        _expire(offer)
        raise


def _offer_reject(*, offer: Offer, actor, reason: str = "") -> Offer:
    with transaction.atomic():
        case, offer, side = _decide(offer, actor)
        offer.status = Offer.Status.REJECTED
        offer.decided_by = actor
        offer.decided_at = timezone.now()
        offer.save(update_fields=["status", "decided_by", "decided_at"])
        event_append(
            case=case,
            kind="offer.rejected",
            actor=actor,
            actor_role=side,
            payload={"offer": offer.pk, "reason": reason[:MAX_MESSAGE]},
        )
        _merchant_answered(case, side, actor)
    return offer


def message_post(
    *, case: Case, actor, body: str, room: str = NEGOTIATION_ROOM, client_id: str = ""
) -> Message:
    """Save a message with the next number of its room; a retried client id returns the first."""
    text = (body or "").strip()
    if not text:
        raise DomainError(_("Write a message first."), fields={"body": [_("Empty message.")]})
    if len(text) > MAX_MESSAGE:
        raise DomainError(
            _("A message is at most %(n)d characters.") % {"n": MAX_MESSAGE},
            fields={"body": [_("Too long.")]},
        )
    client_id = (client_id or "")[:64]
    # This service writes the negotiation room only; the mediation rooms are written by
    # the mediation app (socket and API), which checks mutes, caucus and rate as well.
    if check_room(room) != NEGOTIATION_ROOM:
        raise DomainError(
            _("Messages in the mediation rooms are sent through the mediation room."),
            code="mediation_room",
        )
    with transaction.atomic():
        case = _lock(case)
        side = _side(case, actor)
        if client_id:
            existing = Message.objects.filter(
                case=case, room=room, author=actor, client_id=client_id
            ).first()
            if existing:
                return existing
        if case.state not in (State.SUBMITTED, State.NEGOTIATION):
            raise Conflict(_("Negotiation messages are closed for this case."), code="room_closed")
        last = Message.objects.filter(case=case, room=room).aggregate(m=Max("seq"))["m"] or 0
        message = Message.objects.create(
            case=case,
            room=room,
            seq=last + 1,
            author=actor,
            author_role=side,
            body=text,
            client_id=client_id,
        )
        event_append(
            case=case,
            kind="message.posted",
            actor=actor,
            actor_role=side,
            payload={"room": room, "seq": message.seq},
        )
        _merchant_answered(case, side, actor)
    return message
