"""Making a group and who is in it: the office links cases, a consumer joins at filing or
objects and leaves (keeping their own case), members nominate representatives and the
office confirms them.

Locks are taken group row first, then the member cases in key order, then shares.

Each act is logged on the member cases (``event_append(`` through services/log.py).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Merchant, Role
from cases.models import Case, CaseRole, State, case_roles
from groups.models import (
    MAX_REPRESENTATIVES,
    AgreementShare,
    CaseGroup,
    GroupAgreement,
    GroupMembership,
    GroupNomination,
    GroupSequence,
)
from groups.selectors import GROUPABLE_STATES, group_roles, membership_of
from groups.services.log import lock_cases, log_on_members
from odr.divisions import division_covers
from odr.errors import Conflict, DomainError, NotAllowed

MAX_TITLE = 200
MAX_REASON = 2000
MIN_MEMBERS = 2


def _lock_group(group: CaseGroup) -> CaseGroup:
    return CaseGroup.objects.select_for_update().get(pk=group.pk)


def _check_open(group: CaseGroup) -> None:
    if group.status != CaseGroup.Status.OPEN:
        raise Conflict(_("This group complaint is closed."), code="group_closed")


def _check_roles(group: CaseGroup, actor, allowed: set[str], message: str) -> set[str]:
    roles = group_roles(group, actor)
    if not roles & allowed:
        raise NotAllowed(message, code="not_your_action")
    return roles


def _text(value: str, *, field: str, required: bool, limit: int) -> str:
    text = (value or "").strip()
    if "\x00" in text:
        raise DomainError(
            _("Remove the NUL character."), fields={field: [_("Remove the NUL character.")]}
        )
    if required and not text:
        raise DomainError(
            _("This field is required."), fields={field: [_("This field is required.")]}
        )
    if len(text) > limit:
        message = _("At most %(n)d characters.") % {"n": limit}
        raise DomainError(message, fields={field: [message]})
    return text


def group_reference_next(*, year: int) -> str:
    with transaction.atomic():
        row, _created = GroupSequence.objects.select_for_update().get_or_create(year=year)
        row.last += 1
        row.save(update_fields=["last"])
    return f"QT-{year}-{row.last:04d}"


def _office_of(actor, cases: list[Case]) -> str:
    """The most local of the actor's jurisdictions that covers every case."""
    jurisdictions = [
        r.jurisdiction
        for r in actor.roles.all()
        if r.kind == Role.Kind.REGULATOR and r.jurisdiction
    ]
    covering = [
        j
        for j in jurisdictions
        if all(division_covers(j, getattr(c, "office_code", "") or c.division_code) for c in cases)
    ]
    if not covering:
        raise NotAllowed(
            _(
                "Only a regulator of an office that handles every one of these cases may group them."
            ),
            code="not_your_action",
        )
    return max(covering, key=lambda j: len(j.rstrip("0")))


def _check_case_joins(group: CaseGroup, case: Case) -> None:
    if case.merchant_id != group.merchant_id:
        raise DomainError(
            _("Case %(ref)s is not against this group's merchant.") % {"ref": case.reference},
            code="other_merchant",
        )
    if case.state not in GROUPABLE_STATES:
        raise Conflict(
            _("Case %(ref)s cannot be grouped while it is %(state)s.")
            % {"ref": case.reference, "state": case.get_state_display()},
            code="not_groupable",
        )
    if case.state == State.MEDIATION and case.mediator_id != group.mediator_id:
        raise Conflict(
            _("Case %(ref)s is in mediation with another mediator than the group's.")
            % {"ref": case.reference},
            code="other_mediator",
        )
    if GroupMembership.objects.filter(case=case, left_at__isnull=True).exists():
        raise Conflict(
            _("Case %(ref)s is already in a group complaint.") % {"ref": case.reference},
            code="already_grouped",
        )


def _add(group: CaseGroup, cases: list[Case], how: str, actor, kind: str) -> list[GroupMembership]:
    now = timezone.now()
    last = group.memberships.aggregate(m=Max("number"))["m"] or 0
    added = []
    for case in sorted(cases, key=lambda c: c.pk):
        _check_case_joins(group, case)
        last += 1
        added.append(
            GroupMembership.objects.create(
                group=group, case=case, number=last, how=how, joined_at=now
            )
        )
    log_on_members(
        memberships=added,
        kind=kind,
        actor=actor,
        payload={"group": group.reference, "title": group.title},
        cases={c.pk: c for c in cases},
    )
    return added


def group_create(
    *,
    actor,
    merchant: Merchant,
    title: str,
    case_ids: list[int],
    category: str = "",
    max_representatives: int = 2,
) -> CaseGroup:
    """A group of cases against one merchant, made by a regulator of the office that
    handles every one of them. Each case's log says it was grouped."""
    title = _text(title, field="title", required=True, limit=MAX_TITLE)
    ids = sorted({int(i) for i in case_ids})
    if len(ids) < MIN_MEMBERS:
        message = _("Choose at least %(n)d cases to group.") % {"n": MIN_MEMBERS}
        raise DomainError(message, code="too_few", fields={"cases": [message]})
    if not 1 <= int(max_representatives) <= MAX_REPRESENTATIVES:
        message = _("From 1 to %(n)d representatives.") % {"n": MAX_REPRESENTATIVES}
        raise DomainError(message, fields={"max_representatives": [message]})
    now = timezone.now()
    reference = group_reference_next(year=timezone.localdate().year)
    with transaction.atomic():
        cases = lock_cases(ids)
        if len(cases) != len(ids):
            raise DomainError(
                _("Choose among the listed cases."),
                fields={"cases": [_("Choose among the listed cases.")]},
            )
        for case in cases.values():
            if CaseRole.REGULATOR not in case_roles(case, actor):
                raise NotAllowed(
                    _("Case %(ref)s is not one of your office's.") % {"ref": case.reference},
                    code="not_your_case",
                )
        office = _office_of(actor, list(cases.values()))
        first = cases[ids[0]]
        group = CaseGroup.objects.create(
            reference=reference,
            merchant=merchant,
            title=title,
            category=category or first.category,
            division_code=office,
            max_representatives=int(max_representatives),
            created_by=actor,
            created_at=now,
        )
        _add(group, list(cases.values()), GroupMembership.How.LINKED, actor, "group.member_added")
    return group


def group_members_add(*, group: CaseGroup, actor, case_ids: list[int]) -> list[GroupMembership]:
    """Link more cases (the office's, against the group's merchant) into the group."""
    ids = sorted({int(i) for i in case_ids})
    if not ids:
        raise DomainError(
            _("Choose the cases to add."), fields={"cases": [_("Choose the cases to add.")]}
        )
    with transaction.atomic():
        group = _lock_group(group)
        _check_open(group)
        _check_roles(
            group,
            actor,
            {CaseRole.REGULATOR, CaseRole.ADMIN},
            _("Only the office manages a group."),
        )
        cases = lock_cases(ids)
        if len(cases) != len(ids):
            raise DomainError(
                _("Choose among the listed cases."),
                fields={"cases": [_("Choose among the listed cases.")]},
            )
        for case in cases.values():
            if not case_roles(case, actor) & {CaseRole.REGULATOR, CaseRole.ADMIN}:
                raise NotAllowed(
                    _("Case %(ref)s is not one of your office's.") % {"ref": case.reference},
                    code="not_your_case",
                )
        return _add(
            group, list(cases.values()), GroupMembership.How.LINKED, actor, "group.member_added"
        )


def group_join(*, group: CaseGroup, case: Case, actor) -> GroupMembership:
    """The consumer joins an open group with the complaint they have just filed (their
    choice, offered on the wizard's review step)."""
    with transaction.atomic():
        group = _lock_group(group)
        _check_open(group)
        locked = lock_cases([case.pk])[case.pk]
        if CaseRole.CONSUMER not in case_roles(locked, actor):
            raise NotAllowed(_("Only the consumer who filed a complaint joins it to a group."))
        (membership,) = _add(
            group, [locked], GroupMembership.How.JOINED, actor, "group.member_joined"
        )
    return membership


def _end_membership(membership: GroupMembership, *, now, objected: bool, reason: str) -> None:
    membership.left_at = now
    membership.objected = objected
    membership.left_reason = reason
    membership.is_representative = False
    membership.save(update_fields=["left_at", "objected", "left_reason", "is_representative"])
    GroupNomination.objects.filter(nominator=membership).delete()
    GroupNomination.objects.filter(nominee=membership).delete()
    # The terms not yet applied to the case no longer concern it.
    shares = AgreementShare.objects.select_for_update().filter(
        membership=membership,
        status__in=[AgreementShare.Status.PENDING, AgreementShare.Status.ACCEPTED],
    )
    shares.update(
        status=AgreementShare.Status.OBJECTED if objected else AgreementShare.Status.SKIPPED,
        answered_at=now,
    )


def group_leave(*, group: CaseGroup, actor, reason: str = "") -> GroupMembership:
    """A member objects and leaves: their case goes on alone, as it stands (its clocks,
    its mediator), and is in no group agreement."""
    reason = _text(reason, field="reason", required=False, limit=MAX_REASON)
    with transaction.atomic():
        group = _lock_group(group)
        membership = membership_of(group, actor)
        if membership is None:
            raise NotAllowed(_("Only a member leaves a group."), code="not_a_member")
        cases = lock_cases([membership.case_id])
        membership = GroupMembership.objects.get(pk=membership.pk)
        if membership.shares.filter(status=AgreementShare.Status.APPLIED).exists():
            raise Conflict(
                _("The group's agreement has been reached on your case already."),
                code="agreement_applied",
            )
        _end_membership(membership, now=timezone.now(), objected=True, reason=reason)
        log_on_members(
            memberships=[membership],
            kind="group.member_left",
            actor=actor,
            payload={"group": group.reference, "reason": reason},
            cases=cases,
        )
    return membership


def group_member_remove(
    *, group: CaseGroup, actor, number: int, reason: str = ""
) -> GroupMembership:
    """The office takes a case out of the group (it goes on alone)."""
    reason = _text(reason, field="reason", required=False, limit=MAX_REASON)
    with transaction.atomic():
        group = _lock_group(group)
        _check_roles(
            group,
            actor,
            {CaseRole.REGULATOR, CaseRole.ADMIN},
            _("Only the office manages a group."),
        )
        membership = group.memberships.filter(number=number, left_at__isnull=True).first()
        if membership is None:
            raise DomainError(_("There is no such member in this group."), code="unknown_member")
        cases = lock_cases([membership.case_id])
        if membership.shares.filter(status=AgreementShare.Status.APPLIED).exists():
            raise Conflict(
                _("The group's agreement has been reached on this case already."),
                code="agreement_applied",
            )
        _end_membership(membership, now=timezone.now(), objected=False, reason=reason)
        log_on_members(
            memberships=[membership],
            kind="group.member_removed",
            actor=actor,
            payload={"group": group.reference, "reason": reason},
            cases=cases,
        )
    return membership


def group_nominate(*, group: CaseGroup, actor, nominee_number: int) -> GroupNomination:
    """A member nominates a representative: themselves or another member. One nomination
    each; a new one replaces the old."""
    with transaction.atomic():
        group = _lock_group(group)
        _check_open(group)
        mine = membership_of(group, actor)
        if mine is None:
            raise NotAllowed(_("Only a member nominates a representative."), code="not_a_member")
        nominee = group.memberships.filter(number=nominee_number, left_at__isnull=True).first()
        if nominee is None:
            message = _("Choose a member of the group.")
            raise DomainError(message, code="unknown_member", fields={"nominee": [message]})
        nomination, _created = GroupNomination.objects.update_or_create(
            nominator=mine,
            defaults={"group": group, "nominee": nominee, "created_at": timezone.now()},
        )
        log_on_members(
            memberships=[mine],
            kind="group.nominated",
            actor=actor,
            payload={"group": group.reference, "nominee": nominee.number},
        )
    return nomination


def group_representatives_confirm(*, group: CaseGroup, actor, numbers: list[int]) -> list[int]:
    """The office confirms the representatives among the members nominated by the
    members, at most the group's number. Every member's log says who (by member number)."""
    from groups.selectors import nomination_counts

    chosen = sorted({int(n) for n in numbers})
    with transaction.atomic():
        group = _lock_group(group)
        _check_open(group)
        _check_roles(
            group,
            actor,
            {CaseRole.REGULATOR, CaseRole.ADMIN},
            _("Only the office confirms representatives."),
        )
        if not 1 <= len(chosen) <= group.max_representatives:
            message = _("Choose from 1 to %(n)d representatives.") % {
                "n": group.max_representatives
            }
            raise DomainError(
                message, code="representatives_count", fields={"representatives": [message]}
            )
        members = {m.number: m for m in group.memberships.filter(left_at__isnull=True)}
        counts = nomination_counts(group=group)
        for number in chosen:
            member = members.get(number)
            if member is None or not counts.get(member.pk):
                message = _("Member %(n)d was not nominated by the members.") % {"n": number}
                raise DomainError(
                    message, code="not_nominated", fields={"representatives": [message]}
                )
        group.memberships.filter(left_at__isnull=True).update(is_representative=False)
        group.memberships.filter(left_at__isnull=True, number__in=chosen).update(
            is_representative=True
        )
        log_on_members(
            memberships=list(members.values()),
            kind="group.representatives_confirmed",
            actor=actor,
            payload={"group": group.reference, "representatives": chosen},
        )
    return chosen


def group_close(*, group: CaseGroup, actor) -> CaseGroup:
    """The office closes the group: its cases go on alone (an agreement not yet recorded
    is withdrawn), and no one joins it any more."""
    with transaction.atomic():
        group = _lock_group(group)
        _check_open(group)
        _check_roles(
            group, actor, {CaseRole.REGULATOR, CaseRole.ADMIN}, _("Only the office closes a group.")
        )
        now = timezone.now()
        members = list(group.memberships.filter(left_at__isnull=True))
        cases = lock_cases([m.case_id for m in members])
        group.agreements.filter(status=GroupAgreement.Status.PROPOSED).update(
            status=GroupAgreement.Status.WITHDRAWN
        )
        log_on_members(
            memberships=members,
            kind="group.closed",
            actor=actor,
            payload={"group": group.reference},
            cases=cases,
        )
        for m in members:
            _end_membership(m, now=now, objected=False, reason="group closed")
        group.status = CaseGroup.Status.CLOSED
        group.closed_at = now
        group.save(update_fields=["status", "closed_at"])
    return group
