"""The group's agreement: one set of terms, each member's own amount, each member's own
answer, and then each accepting member's own mediation agreement.

A representative cannot agree for another consumer: each member accepts the terms for
their own case (or objects and leaves, keeping an individual case). When the mediator
records the agreement, each accepting member's case takes the transition
``reach_agreement`` through the cases service, so each gets its own signed mediation
agreement (documents, on the event) and its own credit record (credit, keyed by the
event), and each consumer confirms their own form 9 by SMS as on any case.

Applying is a fan-out of one task per member share. A share is applied exactly once: the
case row is locked, then the share; a share that already names its case's event is done;
and the case itself can reach an agreement only once (its state moves to ``settled``).

Each act is logged on the member cases (``event_append(`` through services/log.py).
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from cases.models import Case, CaseEvent, CaseRole, State
from cases.services.transitions import MAX_PERFORMANCE_DAYS, case_transition
from groups.models import AgreementShare, CaseGroup, GroupAgreement
from groups.selectors import group_members, membership_of
from groups.services.log import lock_cases, log_on_members
from groups.services.membership import _check_open, _check_roles, _lock_group, _text
from odr.errors import Conflict, DomainError, NotAllowed

logger = logging.getLogger(__name__)
MAX_TERMS = 4000


def parse_amount(value, *, field: str) -> Decimal | None:
    text = ("" if value is None else str(value)).strip()
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
        message = _("Enter an amount in yuan, like 199.00.")
        raise DomainError(message, fields={field: [message]})
    return amount.quantize(Decimal("0.01"))


def parse_due(value, *, field: str = "performance_due_on") -> dt.date:
    day: dt.date | None = None
    if isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(("" if value is None else str(value)).strip())
        except ValueError:
            day = None
    today = timezone.localdate()
    if not isinstance(day, dt.date) or not today <= day <= today + dt.timedelta(
        days=MAX_PERFORMANCE_DAYS
    ):
        message = _("Choose a date from today to %(n)d days from now.") % {
            "n": MAX_PERFORMANCE_DAYS
        }
        raise DomainError(message, fields={field: [message]})
    return day


def group_terms_propose(
    *,
    group: CaseGroup,
    actor,
    description: str,
    performance_due_on: dt.date,
    amounts: dict[int, Decimal | None] | None = None,
) -> GroupAgreement:
    """The mediator puts the group's terms to the members whose cases they mediate; each
    member's amount is their own (``amounts`` by member number; the amount they claimed
    where none is given)."""
    description = _text(description, field="description", required=True, limit=MAX_TERMS)
    due = parse_due(performance_due_on)
    amounts = amounts or {}
    with transaction.atomic():
        group = _lock_group(group)
        _check_open(group)
        _check_roles(
            group, actor, {CaseRole.MEDIATOR}, _("Only the group's mediator proposes its terms.")
        )
        if group.agreements.filter(status=GroupAgreement.Status.PROPOSED).exists():
            raise Conflict(_("Terms are already before the members."), code="terms_pending")
        members = group_members(group=group)
        cases = lock_cases([m.case_id for m in members])
        included = [
            m
            for m in members
            if cases[m.case_id].state == State.MEDIATION
            and cases[m.case_id].mediator_id == actor.pk
        ]
        if not included:
            raise Conflict(
                _("No member case is in mediation with you yet: the office accepts them first."),
                code="none_in_mediation",
            )
        agreement = GroupAgreement.objects.create(
            group=group,
            description=description,
            performance_due_on=due,
            proposed_by=actor,
            proposed_at=timezone.now(),
        )
        per_member = {}
        for m in included:
            amount = amounts.get(m.number, cases[m.case_id].amount)
            AgreementShare.objects.create(agreement=agreement, membership=m, amount=amount)
            per_member[m.pk] = {"amount": None if amount is None else str(amount)}
        log_on_members(
            memberships=included,
            kind="group.terms_proposed",
            actor=actor,
            payload={
                "group": group.reference,
                "agreement": agreement.pk,
                "description": description,
                "performance_due_on": due.isoformat(),
            },
            per_member=per_member,
            cases=cases,
        )
    return agreement


def group_terms_accept(*, group: CaseGroup, actor) -> AgreementShare:
    """A member accepts the proposed terms for their own case (idempotent)."""
    with transaction.atomic():
        group = _lock_group(group)
        mine = membership_of(group, actor)
        if mine is None:
            raise NotAllowed(_("Only a member accepts the group's terms."), code="not_a_member")
        cases = lock_cases([mine.case_id])
        share = (
            AgreementShare.objects.select_for_update()
            .filter(membership=mine, agreement__status=GroupAgreement.Status.PROPOSED)
            .select_related("agreement")
            .first()
        )
        if share is None:
            raise Conflict(_("No terms are before you."), code="no_terms")
        if share.status == AgreementShare.Status.ACCEPTED:
            return share
        share.status = AgreementShare.Status.ACCEPTED
        share.answered_at = timezone.now()
        share.save(update_fields=["status", "answered_at"])
        log_on_members(
            memberships=[mine],
            kind="group.terms_accepted",
            actor=actor,
            payload={"group": group.reference, "agreement": share.agreement_id},
            cases=cases,
        )
    return share


def group_agreement_record(*, group: CaseGroup, actor) -> GroupAgreement:
    """The mediator records the group's agreement: it is applied to each member who
    accepted (after commit, one task per member); members who did not answer stay in the
    group with their case in mediation, outside this agreement."""
    with transaction.atomic():
        group = _lock_group(group)
        _check_open(group)
        _check_roles(
            group, actor, {CaseRole.MEDIATOR}, _("Only the group's mediator records its agreement.")
        )
        agreement = (
            group.agreements.select_for_update()
            .filter(status=GroupAgreement.Status.PROPOSED)
            .first()
        )
        if agreement is None:
            raise Conflict(_("No terms are before the members."), code="no_terms")
        if not agreement.shares.filter(status=AgreementShare.Status.ACCEPTED).exists():
            raise Conflict(_("No member has accepted the terms yet."), code="none_accepted")
        now = timezone.now()
        agreement.shares.filter(status=AgreementShare.Status.PENDING).update(
            status=AgreementShare.Status.SKIPPED,
            skipped_reason="not accepted when the agreement was recorded",
        )
        agreement.status = GroupAgreement.Status.RECORDED
        agreement.recorded_by = actor
        agreement.recorded_at = now
        agreement.save(update_fields=["status", "recorded_by", "recorded_at"])
        agreement_id = agreement.pk
        transaction.on_commit(lambda: _enqueue(agreement_id))
    return agreement


def _enqueue(agreement_id: int) -> None:
    from groups.tasks import enqueue_agreement

    enqueue_agreement(agreement_id)


def _terms(share: AgreementShare) -> dict:
    agreement = share.agreement
    return {
        "description": agreement.description,
        "amount": "" if share.amount is None else str(share.amount),
        "performance_due_on": agreement.performance_due_on.isoformat(),
    }


def group_share_apply(*, share_id: int) -> AgreementShare:
    """Reach this member's agreement on their case, once. Safe to run again, and at the
    same time as another run: the second finds the share applied and does nothing."""
    share = AgreementShare.objects.select_related("membership", "agreement").get(pk=share_id)
    if share.status != AgreementShare.Status.ACCEPTED:
        return share
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=share.membership.case_id)
        share = (
            AgreementShare.objects.select_for_update()
            .select_related("membership", "agreement")
            .get(pk=share_id)
        )
        if share.status != AgreementShare.Status.ACCEPTED or share.applied_event_id:
            return share
        agreement = share.agreement
        if agreement.status != GroupAgreement.Status.RECORDED:
            return share
        mediator = User.objects.get(pk=agreement.recorded_by_id)
        reason = ""
        if share.membership.left_at is not None:
            reason = "left the group"
        elif case.state != State.MEDIATION:
            reason = f"case is {case.state}"
        elif case.mediator_id != mediator.pk:
            reason = "case has another mediator"
        if reason:
            share.status = AgreementShare.Status.SKIPPED
            share.skipped_reason = reason
            share.save(update_fields=["status", "skipped_reason"])
            return share
        case_transition(
            case=case, name="reach_agreement", actor=mediator, data=_terms(share), locked=True
        )
        event = (
            CaseEvent.objects.filter(case=case, kind="transition.reach_agreement")
            .order_by("-seq")
            .first()
        )
        share.applied_event = event
        share.status = AgreementShare.Status.APPLIED
        share.save(update_fields=["applied_event", "status"])
    return share


def group_agreement_apply(*, agreement_id: int) -> dict[str, int]:
    """Apply every accepted share now (what the fan-out's tasks do one by one); returns
    the shares by status afterwards."""
    ids = list(
        AgreementShare.objects.filter(
            agreement_id=agreement_id, status=AgreementShare.Status.ACCEPTED
        ).values_list("pk", flat=True)
    )
    for share_id in ids:
        group_share_apply(share_id=share_id)
    counts: dict[str, int] = {}
    for status in AgreementShare.objects.filter(agreement_id=agreement_id).values_list(
        "status", flat=True
    ):
        counts[status] = counts.get(status, 0) + 1
    return counts
