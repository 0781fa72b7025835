"""The group's one mediation: the office accepts the members' cases with one mediator,
the merchant answers the group once, the representatives, the merchant and the mediator
talk in the group's room, and evidence given to the group is shown on every member case.

Each act is logged on the member cases (``event_append(`` through services/log.py).
"""

from __future__ import annotations

from django.core.files import File
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import CaseRole, State
from cases.services import negotiation
from cases.services.evidence import check_evidence_file
from cases.services.transitions import (
    case_transition,
    check_mediator,
    mediator_permitted,
    mediator_roles,
)
from groups.models import CaseGroup, GroupEvidence, GroupMessage
from groups.selectors import group_members, group_roles, membership_of
from groups.services.log import lock_cases, log_on_members
from groups.services.membership import _check_open, _check_roles, _lock_group, _text
from odr.errors import Conflict, DomainError, NotAllowed

MAX_ANSWER = 4000
MAX_MESSAGE = 2000
MAX_FILES = 50


def group_mediator_choices(*, group: CaseGroup) -> list[tuple[str, str]]:
    """The mediators who may mediate every member's case: serving each case's place, and
    of a consumer association only where every member agreed to delegated mediation."""
    members = group_members(group=group)
    choices: dict[str, str] | None = None
    for m in members:
        here = {
            str(r.user_id): f"{r.user} · {r.mediation_organisation}"
            for r in mediator_roles(m.case)
            if mediator_permitted(m.case, r.mediation_organisation)
        }
        choices = here if choices is None else {k: v for k, v in choices.items() if k in here}
    return sorted((choices or {}).items(), key=lambda kv: kv[1])


def group_mediation_start(*, group: CaseGroup, actor, mediator_id: str) -> list[str]:
    """Accept every member case under review, with the one mediator of the group.

    A consumer who did not agree to mediation by a consumer association is never put
    before one: the whole act is refused, naming the members (by number) it would force,
    and the office chooses a mediator of its own. Cases still in negotiation are left to
    it. Returns the references accepted.
    """
    with transaction.atomic():
        group = _lock_group(group)
        _check_open(group)
        _check_roles(
            group,
            actor,
            {CaseRole.REGULATOR, CaseRole.ADMIN},
            _("Only the office accepts the group's cases."),
        )
        members = group_members(group=group)
        cases = lock_cases([m.case_id for m in members])
        refused, unknown = [], []
        for m in members:
            case = cases[m.case_id]
            if case.state not in (State.REVIEW, State.MEDIATION):
                continue
            try:
                mediator, _organisation = check_mediator(case, mediator_id)
            except DomainError as exc:
                (refused if exc.code == "delegated_mediation_refused" else unknown).append(m.number)
                continue
            if case.state == State.MEDIATION and case.mediator_id != mediator.pk:
                message = _("Member %(n)d is in mediation with another mediator.") % {"n": m.number}
                raise Conflict(message, code="other_mediator", fields={"mediator": [message]})
        if refused:
            numbers = ", ".join(str(n) for n in refused)
            message = _(
                "Members %(numbers)s did not agree to mediation by a consumer association. "
                "Choose a mediator of the market regulation office for the group."
            ) % {"numbers": numbers}
            raise DomainError(
                message, code="delegated_mediation_refused", fields={"mediator": [message]}
            )
        if unknown:
            message = _("Choose one of the listed mediators.")
            raise DomainError(message, code="unknown_mediator", fields={"mediator": [message]})
        accepted = []
        for m in sorted(members, key=lambda m: m.case_id):
            case = cases[m.case_id]
            if case.state != State.REVIEW:
                continue
            case_transition(
                case=case,
                name="accept",
                actor=actor,
                data={"mediator": str(mediator_id)},
                locked=True,
            )
            accepted.append(case.reference)
        if not accepted and not any(cases[m.case_id].state == State.MEDIATION for m in members):
            raise Conflict(
                _("No member case is waiting for the office's decision."), code="none_in_review"
            )
        from accounts.models import User

        group.mediator = User.objects.get(pk=int(mediator_id))
        group.save(update_fields=["mediator"])
    return accepted


def group_answer(*, group: CaseGroup, actor, body: str) -> CaseGroup:
    """The merchant's one answer to the group, recorded on every member case: as its
    first answer in negotiation where the case is still there (its answer clock ends, as
    for any answer), and as the group's answer in the log of every member case."""
    body = _text(body, field="body", required=True, limit=MAX_ANSWER)
    with transaction.atomic():
        group = _lock_group(group)
        _check_open(group)
        _check_roles(group, actor, {CaseRole.MERCHANT}, _("Only the merchant answers the group."))
        if group.answered_at is not None:
            raise Conflict(
                _("The merchant has answered this group already."), code="already_answered"
            )
        members = group_members(group=group)
        cases = lock_cases([m.case_id for m in members])
        for m in sorted(members, key=lambda m: m.case_id):
            case = cases[m.case_id]
            if case.state in (State.SUBMITTED, State.NEGOTIATION):
                negotiation.message_post(
                    case=case, actor=actor, body=body, client_id=f"group-{group.pk}-answer"
                )
        now = timezone.now()
        group.answer = body
        group.answered_by = actor
        group.answered_at = now
        group.save(update_fields=["answer", "answered_by", "answered_at"])
        log_on_members(
            memberships=members,
            kind="group.merchant_answered",
            actor=actor,
            payload={"group": group.reference, "body": body},
            cases=cases,
        )
    return group


def _speaker(group: CaseGroup, actor) -> tuple[str, int | None]:
    roles = group_roles(group, actor)
    for role in (CaseRole.MEDIATOR, CaseRole.REGULATOR, CaseRole.MERCHANT):
        if role in roles:
            return role, None
    mine = membership_of(group, actor)
    if mine is not None and mine.is_representative:
        return CaseRole.CONSUMER, mine.number
    raise NotAllowed(
        _(
            "In the group's room the representatives speak for the members; you can read and object."
        ),
        code="not_a_representative",
    )


def group_message_post(*, group: CaseGroup, actor, body: str) -> GroupMessage:
    body = _text(body, field="body", required=True, limit=MAX_MESSAGE)
    with transaction.atomic():
        group = _lock_group(group)
        _check_open(group)
        role, number = _speaker(group, actor)
        last = group.messages.aggregate(m=Max("seq"))["m"] or 0
        return GroupMessage.objects.create(
            group=group,
            seq=last + 1,
            author=actor,
            author_role=role,
            member_number=number,
            body=body,
            created_at=timezone.now(),
        )


def group_evidence_add(*, group: CaseGroup, actor, upload, description: str = "") -> GroupEvidence:
    """A file given to the whole group: stored once, under its hash, and listed on every
    member's case (the group's access rules decide who may open it)."""
    description = _text(description, field="description", required=False, limit=300)
    with transaction.atomic():
        group = _lock_group(group)
        _check_open(group)
        role, _number = _speaker(group, actor)
        kind, sha = check_evidence_file(upload, already=group.evidence.count())
        evidence = GroupEvidence(
            group=group,
            uploaded_by=actor,
            uploader_role=role,
            kind=kind,
            original_name=(upload.name or "")[:255],
            size=upload.size or 0,
            sha256=sha,
            description=description,
            created_at=timezone.now(),
        )
        evidence.file.save("upload", File(upload), save=False)
        evidence.save()
        log_on_members(
            memberships=group_members(group=group),
            kind="group.evidence_added",
            actor=actor,
            payload={"group": group.reference, "evidence": evidence.pk, "sha256": sha},
        )
    return evidence
