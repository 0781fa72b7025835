"""What an arbitration body does with a referral: acknowledge, accept, decline, ask for
information, record a settlement, record the award.

Each goes through ``case_transition`` where the case changes state, so the event log,
the clocks and the other apps' handlers see it as any transition; the referral row
follows in the in-transaction handler (arbitration/handlers.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from arbitration.models import Award, Referral
from cases.models import Case, CaseEvent, CaseRole, State
from cases.services.events import event_append
from cases.services.transitions import MAX_TEXT, case_transition
from odr.errors import Conflict, DomainError, TooLarge


def _locked(referral: Referral) -> tuple[Case, Referral]:
    case = Case.objects.select_for_update().get(pk=referral.case_id)
    referral = Referral.objects.select_for_update().select_related("body").get(pk=referral.pk)
    return case, referral


def _check_current(case: Case, referral: Referral) -> None:
    if referral.status == Referral.Status.PREPARING:
        raise Conflict(
            _("The referral file is still being prepared. Please try again shortly."),
            code="not_delivered",
        )
    if case.arbitration_body_id != referral.body_id or referral.status in (
        Referral.Status.DECLINED,
        Referral.Status.WITHDRAWN,
    ):
        raise Conflict(_("This referral is no longer open."), code="referral_closed")


def _text(value, field: str, *, required: bool = True) -> str:
    text = "" if value is None else str(value).strip()
    if "\x00" in text:
        raise DomainError(_("Remove the NUL character."), fields={field: [_("Invalid.")]})
    if required and not text:
        raise DomainError(
            _("This field is required."), fields={field: [_("This field is required.")]}
        )
    if len(text) > MAX_TEXT:
        message = _("At most %(n)d characters.") % {"n": MAX_TEXT}
        raise DomainError(message, fields={field: [message]})
    return text


def referral_acknowledge(*, referral: Referral, actor) -> Referral:
    """The body confirms it received the file. Repeating it changes nothing."""
    with transaction.atomic():
        case, referral = _locked(referral)
        _check_current(case, referral)
        if referral.status != Referral.Status.DELIVERED:
            return referral
        referral.status = Referral.Status.ACKNOWLEDGED
        referral.acknowledged_at = timezone.now()
        referral.save(update_fields=["status", "acknowledged_at"])
        event_append(
            case=case,
            kind="arbitration.acknowledged",
            actor=actor,
            actor_role=CaseRole.ARBITRATION,
            payload={"referral": referral.pk, "file_sha256": referral.file_sha256},
        )
    return referral


def _transition(referral: Referral, *, name: str, actor, data: dict | None = None) -> Referral:
    with transaction.atomic():
        case, referral = _locked(referral)
        _check_current(case, referral)
        case_transition(case=case, name=name, actor=actor, data=data or {}, locked=True)
    referral.refresh_from_db()
    return referral


def referral_accept(*, referral: Referral, actor) -> Referral:
    return _transition(referral, name="arbitration_accept", actor=actor)


def referral_decline(*, referral: Referral, actor, reason) -> Referral:
    reason = _text(reason, "reason")
    return _transition(referral, name="arbitration_decline", actor=actor, data={"reason": reason})


def referral_settle(
    *, referral: Referral, actor, description, amount=None, performance_due_on=None
) -> Referral:
    """A settlement the parties reached in arbitration."""
    data = {
        "description": description,
        "amount": amount,
        "performance_due_on": performance_due_on,
    }
    return _transition(referral, name="settle", actor=actor, data=data)


def referral_request_info(*, referral: Referral, actor, message) -> CaseEvent:
    """Ask the parties for more information: a message on the case's record."""
    text = _text(message, "message")
    with transaction.atomic():
        case, referral = _locked(referral)
        _check_current(case, referral)
        if case.state not in (State.REFERRED, State.ARBITRATING):
            raise Conflict(_("This referral is no longer open."), code="referral_closed")
        return event_append(
            case=case,
            kind="arbitration.info_requested",
            actor=actor,
            actor_role=CaseRole.ARBITRATION,
            payload={"referral": referral.pk, "body": referral.body.name, "message": text},
            visibility=CaseEvent.Visibility.PARTIES,
        )


PDF_MAGIC = b"%PDF-"


def award_record(
    *,
    referral: Referral,
    actor,
    pdf: bytes,
    obligations,
    due_on,
    amount=None,
) -> Award:
    """Record the award: its PDF, stored under its hash, and the terms the platform tracks.
    The case moves to ``awarded`` and the performance clock starts."""
    if len(pdf) > settings.ARBITRATION_AWARD_MAX_BYTES:
        raise TooLarge(
            _("The award PDF is larger than %(mb)d MB.")
            % {"mb": settings.ARBITRATION_AWARD_MAX_BYTES // (1024 * 1024)}
        )
    if not pdf.startswith(PDF_MAGIC):
        message = _("Upload the award as a PDF file.")
        raise DomainError(message, fields={"file": [message]})
    obligations = _text(obligations, "obligations")
    data = {"description": obligations, "amount": amount, "performance_due_on": due_on}
    digest = hashlib.sha256(pdf).hexdigest()
    with transaction.atomic():
        case, referral = _locked(referral)
        _check_current(case, referral)
        if referral.status != Referral.Status.ACCEPTED:
            raise Conflict(_("Accept the referral before recording an award."), code="not_accepted")
        case = case_transition(case=case, name="record_award", actor=actor, data=data, locked=True)
        terms = case.settlement_terms or {}
        name = f"arbitration/awards/{case.reference}/{digest}.pdf"
        if not default_storage.exists(name):
            name = default_storage.save(name, ContentFile(pdf))
        award = Award.objects.create(
            referral=referral,
            file=name,
            sha256=digest,
            size=len(pdf),
            amount=Decimal(terms["amount"]) if terms.get("amount") else None,
            obligations=terms.get("description", obligations),
            due_on=case.performance_due_on or dt.date.fromisoformat(str(due_on)),
            recorded_by=actor,
        )
        event_append(
            case=case,
            kind="arbitration.award_filed",
            actor=actor,
            actor_role=CaseRole.ARBITRATION,
            payload={"referral": referral.pk, "sha256": digest, "size": len(pdf)},
        )
    return award
