"""Proof of identity: the office asks the complainant to prove who they are by a date, and
the complainant uploads the proof (SAMR Order 121 form 4, 限期提供身份证明材料通知书).

The time limit is the rule set's clock "identity_proof" (cases/rulesets.py), started by the
action "identity_request" and ended by "identity_provide" (cases/services/actions.py); the
sweep flags it when it passes and tells the office. The consequence — refusing the complaint
on art. 16(6), or, once accepted, ending mediation on art. 23(1)(6) — is the office's decision,
offered on the case page (``identity_consequence``), never taken by the service.

The proof is checked as evidence is (cases/services/evidence.py), stored apart from it and
shown to staff only: never to the merchant, never in a document.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.files.base import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, Deadline, IdentityProof, IdentityRequest, State
from cases.rulesets import ruleset_by_key
from cases.services import clocks
from cases.services.actions import case_act, case_locked, check_action, check_text
from cases.services.evidence import check_evidence_file
from odr.errors import Conflict, DomainError

CLOCK = "identity_proof"
GROUND = "identity"
MAX_MATERIALS = 1000
MAX_PROOFS = 5


def identity_request(*, case: Case, actor, materials: str) -> IdentityRequest:
    """Ask the complainant for proof of identity, due as the rule set's clock counts.

    One request is open at a time; a rule set without the clock (Order 20 has no such
    refusal ground) refuses it (409).
    """
    with transaction.atomic():
        case = case_locked(case)
        check_action(case=case, name="identity_request", actor=actor)
        if CLOCK not in ruleset_by_key(case.ruleset).clocks:
            raise Conflict(
                _("The rules this case is handled under provide no request for proof of identity."),
                code="not_in_ruleset",
            )
        materials = check_text(materials, field="materials", limit=MAX_MATERIALS)
        if IdentityRequest.objects.filter(case=case, status=IdentityRequest.Status.OPEN).exists():
            raise Conflict(
                _("Proof of identity has already been asked for on this case."),
                code="identity_request_open",
            )
        now = timezone.now()
        due = clocks.due_date(case=case, clock_key=CLOCK, start=now)
        request = IdentityRequest.objects.create(
            case=case, requested_by=actor, materials=materials, due_on=due.date, created_at=now
        )
        case_act(
            case=case,
            name="identity_request",
            actor=actor,
            payload={
                "request": request.pk,
                "materials": materials,
                "due_on": due.date.isoformat(),
                "state": case.state,
            },
            locked=True,
            at=now,
        )
    return request


def identity_provide(*, case: Case, actor, uploads: list[UploadedFile]) -> IdentityRequest:
    """The complainant uploads proof for the latest request: the first upload ends its
    clock (met by the due time, late after it); more files may follow while the case is
    still with the office."""
    with transaction.atomic():
        case = case_locked(case)
        check_action(case=case, name="identity_provide", actor=actor)
        request = (
            IdentityRequest.objects.select_for_update()
            .filter(case=case)
            .exclude(status=IdentityRequest.Status.CANCELLED)
            .order_by("-created_at", "-id")
            .first()
        )
        if request is None:
            raise Conflict(
                _("No proof of identity has been asked for on this case."),
                code="no_identity_request",
            )
        if not uploads:
            raise DomainError(
                _("Choose a file to upload."), fields={"file": [_("Choose a file to upload.")]}
            )
        already = request.proofs.count()
        if already + len(uploads) > MAX_PROOFS:
            message = _("At most %(n)d files of proof.") % {"n": MAX_PROOFS}
            raise DomainError(message, code="too_many_files", fields={"file": [message]})
        proofs = []
        for upload in uploads:
            kind, sha = check_evidence_file(upload, already=0)
            proof = IdentityProof(
                request=request,
                uploaded_by=actor,
                kind=kind,
                original_name=(upload.name or "")[:255],
                size=upload.size or 0,
                sha256=sha,
            )
            proof.file.save("upload", File(upload), save=False)
            proof.save()
            proofs.append(proof.pk)
        now = timezone.now()
        if request.status == IdentityRequest.Status.OPEN:
            request.status = IdentityRequest.Status.PROVIDED
            request.provided_at = now
            request.save(update_fields=["status", "provided_at"])
        case_act(
            case=case,
            name="identity_provide",
            actor=actor,
            payload={"request": request.pk, "proofs": proofs},
            locked=True,
            at=now,
        )
    return request


def identity_requests(*, case: Case) -> list[IdentityRequest]:
    return list(
        IdentityRequest.objects.filter(case=case)
        .prefetch_related("proofs")
        .order_by("created_at", "id")
    )


def identity_open_request(*, case: Case) -> IdentityRequest | None:
    """The request the complainant has still to answer, while the office has the case."""
    if case.state not in (State.REVIEW, State.MEDIATION):
        return None
    return (
        IdentityRequest.objects.filter(case=case, status=IdentityRequest.Status.OPEN)
        .order_by("-created_at")
        .first()
    )


@dataclass(frozen=True)
class Consequence:
    """What the office may decide now that proof of identity did not come in time."""

    request: IdentityRequest
    due_on: dt.date
    transition: str  # reject (under review) or terminate (in mediation, by the mediator)
    ground: str  # the ground code the decision cites


def identity_consequence(*, case: Case, now: dt.datetime | None = None) -> Consequence | None:
    """The decision offered once the time limit has passed without proof, on a date that can
    no longer move: refusal on art. 16(6) under review, the end of mediation on art. 23(1)(6)
    (a refusal ground found after acceptance) in mediation. None otherwise."""
    request = identity_open_request(case=case)
    if request is None:
        return None
    now = now or timezone.now()
    deadline = (
        Deadline.objects.filter(case=case, clock=CLOCK, status=Deadline.Status.RUNNING)
        .order_by("-started_at")
        .first()
    )
    if deadline is None or not clocks.may_act_on(deadline, now):
        return None
    if case.state == State.REVIEW:
        return Consequence(request, deadline.due_on, "reject", GROUND)
    return Consequence(request, deadline.due_on, "terminate", "refusal_ground_found")
