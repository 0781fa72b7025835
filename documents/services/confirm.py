"""The parties' confirmation of an agreement with an SMS code.

Each party (the consumer; the merchant, by any of its staff) asks for a code for the
draft they are looking at, and confirms with it. The confirmation is recorded in the
case's event log: who, when, from which address, and the SHA-256 of the exact draft. When
both have confirmed, the organisation signs that draft (services/issue.py).

Codes are stored as keyed hashes bound to the document, the user and the draft's hash
(the pattern of accounts/services.py), so a code never confirms another text.
"""

from __future__ import annotations

import hmac
import secrets
import unicodedata
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from cases.models import Case, CaseEvent, CaseRole, case_roles
from cases.services.events import event_append
from documents.models import ConfirmationCode, Document
from odr.errors import Conflict, DomainError, NotAllowed, RateLimited
from odr.sms import send_sms

_HASH_SALT = "odr.documents.confirmation"
MAX_CODES_PER_HOUR = 5


def _code_hash(*, document: Document, user_id: int, content_sha256: str, code: str) -> str:
    value = f"{document.pk}:{user_id}:{content_sha256}:{code}"
    return salted_hmac(_HASH_SALT, value, algorithm="sha256").hexdigest()


def required_parties(case: Case) -> set[str]:
    """Who must confirm: the consumer and the merchant."""
    return {ConfirmationCode.Party.CONSUMER, ConfirmationCode.Party.MERCHANT}


def party_of(case: Case, user) -> str | None:
    roles = case_roles(case, user)
    if CaseRole.CONSUMER in roles:
        return ConfirmationCode.Party.CONSUMER
    if CaseRole.MERCHANT in roles:
        return ConfirmationCode.Party.MERCHANT
    return None


def confirmations(document: Document) -> list[ConfirmationCode]:
    """The parties' confirmations of the document's current draft."""
    return list(
        ConfirmationCode.objects.filter(
            document=document,
            confirmed_at__isnull=False,
            content_sha256=document.content_sha256,
        )
        .select_related("user", "event")
        .order_by("confirmed_at")
    )


def confirmations_complete(document: Document) -> list[ConfirmationCode] | None:
    """Every required party's confirmation, or None while one is missing."""
    done = confirmations(document)
    if {c.party for c in done} >= required_parties(document.case):
        return done
    return None


def _check_can_confirm(document: Document, case: Case, user) -> str:
    party = party_of(case, user)
    if party is None:
        raise NotAllowed(
            _("Only the consumer and the merchant confirm an agreement."), code="not_a_party"
        )
    if not document.needs_confirmation:
        raise Conflict(_("This document needs no confirmation."), code="no_confirmation")
    if document.status != Document.Status.AWAITING_CONFIRMATION:
        raise Conflict(
            _("This document is not awaiting confirmation (%(status)s).")
            % {"status": document.get_status_display()},
            code="not_awaiting_confirmation",
        )
    if ConfirmationCode.objects.filter(
        document=document, party=party, confirmed_at__isnull=False
    ).exists():
        raise Conflict(
            _("Your side has already confirmed this document."), code="already_confirmed"
        )
    return party


def confirmation_request(*, document: Document, user, ip: str | None) -> ConfirmationCode:
    """Send a code to the user's phone for the draft they see now."""
    now = timezone.now()
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=document.case_id)
        document = Document.objects.select_for_update().get(pk=document.pk)
        party = _check_can_confirm(document, case, user)
        phone = getattr(user, "phone", None)
        if not phone:
            raise DomainError(
                _("Your account has no mobile number to send a code to."), code="no_phone"
            )
        recent = ConfirmationCode.objects.filter(
            document=document, user=user, created_at__gte=now - timedelta(hours=1)
        )
        last = recent.order_by("-created_at").first()
        wait = settings.DOCUMENTS_CONFIRM_RESEND_SECONDS
        if last and (now - last.created_at).total_seconds() < wait:
            left = wait - int((now - last.created_at).total_seconds())
            raise RateLimited(
                _("A code was just sent. Please wait %(s)d seconds before asking again.")
                % {"s": left},
                retry_after=left,
            )
        if recent.count() >= MAX_CODES_PER_HOUR:
            raise RateLimited(
                _("Too many codes were requested. Please try again in an hour."), retry_after=3600
            )
        ConfirmationCode.objects.filter(
            document=document, user=user, consumed_at__isnull=True
        ).update(consumed_at=now)
        code = f"{secrets.randbelow(10**6):06d}"
        challenge = ConfirmationCode.objects.create(
            document=document,
            party=party,
            user=user,
            phone=phone,
            code_hash=_code_hash(
                document=document,
                user_id=user.pk,
                content_sha256=document.content_sha256,
                code=code,
            ),
            content_sha256=document.content_sha256,
            requested_ip=ip,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.DOCUMENTS_CONFIRM_CODE_TTL_SECONDS),
        )
        with translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE):
            body = _(
                # The code comes first, so that phones offering to fill it in pick it and
                # not a number in the document's number.
                "[ODR 12315] Code %(code)s confirms %(title)s, valid for %(m)d minutes. "
                "Confirming means you agree to it. Do not share the code. Document %(number)s."
            ) % {
                "title": document.spec.title(
                    language=translation.get_language() or "zh-hans", ruleset=case.ruleset
                ),
                "number": document.number,
                "code": code,
                "m": settings.DOCUMENTS_CONFIRM_CODE_TTL_SECONDS // 60,
            }
        transaction.on_commit(lambda: send_sms(to=phone, body=body, sensitive=True))
    return challenge


def document_confirm(
    *, document: Document, user, code: str, content_sha256: str, ip: str | None
) -> ConfirmationCode:
    """Record the user's side's confirmation of the draft whose hash they were shown."""
    # Full-width digits from a Chinese input method count as the digits they are.
    code = unicodedata.normalize("NFKC", code or "").strip()
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        raise DomainError(
            _("The code is the 6 digits in the SMS."),
            code="invalid_code",
            fields={"code": [_("The code is the 6 digits in the SMS.")]},
        )
    now = timezone.now()
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=document.case_id)
        document = Document.objects.select_for_update().get(pk=document.pk)
        party = _check_can_confirm(document, case, user)
        if (content_sha256 or "").strip().lower() != document.content_sha256:
            raise Conflict(
                _(
                    "The document has changed since you opened it. Please reload it and read it again."
                ),
                code="draft_changed",
            )
        challenge = (
            ConfirmationCode.objects.select_for_update()
            .filter(document=document, user=user, consumed_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if challenge is None:
            raise DomainError(_("Please request a code first."), code="no_code")
        if challenge.expires_at <= now:
            raise DomainError(
                _("This code has expired. Please request a new one."), code="code_expired"
            )
        if challenge.attempts >= settings.DOCUMENTS_CONFIRM_MAX_ATTEMPTS:
            raise DomainError(
                _("Too many wrong codes. Please request a new one."), code="too_many_attempts"
            )
        expected = _code_hash(
            document=document, user_id=user.pk, content_sha256=document.content_sha256, code=code
        )
        if challenge.content_sha256 != document.content_sha256 or not hmac.compare_digest(
            challenge.code_hash, expected
        ):
            # Count the failed try and commit it; the error is raised outside the transaction.
            ConfirmationCode.objects.filter(pk=challenge.pk).update(attempts=F("attempts") + 1)
            left = settings.DOCUMENTS_CONFIRM_MAX_ATTEMPTS - challenge.attempts - 1
            confirmed = None
        else:
            event = event_append(
                case=case,
                kind="document.confirmed",
                actor=user,
                actor_role=party,
                payload={
                    "document": document.number,
                    "kind": document.kind,
                    "party": party,
                    "sha256": document.content_sha256,
                    "ip": ip,
                    "confirmed_at": now.isoformat(),
                },
                # The address is personal data: the other party sees the confirmation on
                # the document itself, staff see the full record.
                visibility=CaseEvent.Visibility.STAFF,
            )
            challenge.consumed_at = now
            challenge.confirmed_at = now
            challenge.confirmed_ip = ip
            challenge.event = event
            challenge.save(update_fields=["consumed_at", "confirmed_at", "confirmed_ip", "event"])
            confirmed = challenge
            if confirmations_complete(document) is not None:
                transaction.on_commit(lambda: _enqueue_sign(document.pk))
    if confirmed is None:
        if left <= 0:
            raise DomainError(
                _("Wrong code, and no tries are left. Please request a new one."),
                code="wrong_code",
            )
        raise DomainError(_("Wrong code. %(n)d tries left.") % {"n": left}, code="wrong_code")
    return confirmed


def _enqueue_sign(document_id: int) -> None:
    from documents.tasks import enqueue_sign

    enqueue_sign(document_id)
