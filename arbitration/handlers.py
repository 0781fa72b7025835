"""How arbitration reacts to case events (registered in apps.py through odr/events.py).

In the transaction of the event: the referral row follows the case (made by the refer
event, moved by accept, decline, award, settlement and withdrawal), whichever edge took
the transition. After commit: the referral file is built and the body notified.
"""

from django.db.models import Q
from django.utils.translation import gettext as _

from arbitration.models import Agreement, Referral
from cases.models import State
from odr.errors import Conflict

OPEN = [Referral.Status.PREPARING, Referral.Status.DELIVERED, Referral.Status.ACKNOWLEDGED]


def on_referred(event) -> None:
    """In the transaction: the referral row, once per refer event."""
    case = event.case
    agreement = (
        Agreement.objects.select_for_update()
        .filter(case=case, status=Agreement.Status.PROPOSED)
        .first()
    )
    if agreement is not None and agreement.body_id != case.arbitration_body_id:
        raise Conflict(
            _("The parties agreed to arbitration by %(body)s, not by another body.")
            % {"body": agreement.body.name},
            code="not_the_agreed_body",
        )
    if agreement is not None:
        Agreement.objects.filter(pk=agreement.pk).update(status=Agreement.Status.USED)
    Referral.objects.get_or_create(
        event=event,
        defaults={"case": case, "body_id": case.arbitration_body_id, "agreement": agreement},
    )


_MOVES = {
    "transition.arbitration_accept": (OPEN, Referral.Status.ACCEPTED),
    "transition.arbitration_decline": (OPEN, Referral.Status.DECLINED),
    "transition.record_award": ([Referral.Status.ACCEPTED], Referral.Status.AWARDED),
    "transition.settle": ([Referral.Status.ACCEPTED], Referral.Status.SETTLED),
    "transition.withdraw": ([*OPEN, Referral.Status.ACCEPTED], Referral.Status.WITHDRAWN),
}


def on_case_moved(event) -> None:
    """In the transaction: the case's current referral follows the case's state."""
    move = _MOVES.get(event.kind)
    if move is None:
        return
    if event.kind == "transition.settle" and event.from_state != State.ARBITRATING:
        return
    if event.kind == "transition.withdraw" and event.from_state not in (
        State.REFERRED,
        State.ARBITRATING,
    ):
        return
    sources, target = move
    fields = {"status": target, "decided_at": event.created_at}
    if target == Referral.Status.DECLINED:
        fields["decline_reason"] = (event.payload or {}).get("reason", "")
    if target == Referral.Status.WITHDRAWN:
        fields.pop("decided_at")
    # A decline has already cleared the case's body; a case has one open referral at most.
    body = event.case.arbitration_body_id
    Referral.objects.filter(
        Q(case_id=event.case_id) & Q(status__in=sources) & (Q(body_id=body) if body else Q())
    ).update(**fields)


def on_referred_after_commit(event) -> None:
    """After commit: build the referral file and deliver it."""
    from arbitration.tasks import enqueue_build

    referral = Referral.objects.filter(event=event).only("pk").first()
    if referral is not None:
        enqueue_build(referral.pk)
