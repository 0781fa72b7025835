"""Cases at the arbitration stage, built through the real services.

Rendering and signing PDFs is the documents app's business and takes seconds, so by
default the documents a referral needs are registered here as issued documents with
small stand-in files (``issue_stand_in``); ``test_full_referral.py`` renders and signs the
real ones once.
"""

from __future__ import annotations

import hashlib
import io
import re

from django.core.files.base import ContentFile
from django.utils import timezone

from arbitration.models import Agreement, BodyProfile, Referral
from arbitration.services import consent
from arbitration.services.referral_file import referral_file_build
from cases.models import Case, CaseEvent, State
from cases.tests import factories as cf
from documents.kinds import Kind
from documents.models import ConfirmationCode, Document, documents_storage
from documents.services.confirm import confirmation_request, document_confirm

SECRET = "whsec_test_" + "k" * 32


def profile(body, **kwargs) -> BodyProfile:
    kwargs.setdefault("webhook_secret", SECRET)
    return BodyProfile.objects.update_or_create(body=body, defaults=kwargs)[0]


def failed_case(c: cf.Cast) -> Case:
    """A case whose mediation ended without agreement, no consent yet."""
    return cf.case_in(State.MEDIATION_FAILED, c, consented=False)


def pdf_bytes(label: str) -> bytes:
    return b"%PDF-1.7\n% stand-in for " + label.encode() + b"\n%%EOF\n"


def issue_stand_in(*, case: Case, kind: str, event: CaseEvent, draft: bool = False) -> Document:
    """Register a document as documents would after rendering (and signing) it."""
    data = pdf_bytes(f"{kind} {event.seq}")
    digest = hashlib.sha256(data).hexdigest()
    number = f"{case.reference}-XX1-{digest[:6].upper()}"
    storage = documents_storage()
    document, _created = Document.objects.get_or_create(
        case=case,
        kind=kind,
        source_event=event,
        defaults={
            "number": number,
            "language": "zh-hans",
            "dated": timezone.localdate(),
            "event": event,
            "content_sha256": digest,
            "content_size": len(data),
        },
    )
    name = storage.save(f"documents/{case.reference}/{number}.pdf", ContentFile(data))
    if draft:
        document.draft_file.name = name
        document.status = Document.Status.AWAITING_CONFIRMATION
    else:
        document.file.name = name
        document.sha256 = digest
        document.size = len(data)
        document.status = Document.Status.VALID
    document.save()
    return document


def propose(c: cf.Cast, case: Case, *, by: str = "consumer", body=None) -> Agreement:
    return consent.agreement_propose(case=case, actor=c.actor(by), body_id=(body or c.body).pk)


def sign_directly(agreement: Agreement, *parties: str, c: cf.Cast) -> Document:
    """Record the parties' confirmations as documents does, without the SMS round trip."""
    document = consent.agreement_document(agreement) or issue_stand_in(
        case=agreement.case,
        kind=Kind.ARBITRATION_AGREEMENT,
        event=agreement.event,
        draft=True,
    )
    now = timezone.now()
    for party in parties:
        user = c.consumer if party == "consumer" else c.merchant_staff
        ConfirmationCode.objects.create(
            document=document,
            party=party,
            user=user,
            phone=user.phone or "",
            code_hash="x",
            content_sha256=document.content_sha256,
            created_at=now,
            expires_at=now,
            consumed_at=now,
            confirmed_at=now,
        )
    if {"consumer", "merchant"} <= set(parties):
        # Both confirmed: documents signs the draft (stand-in: the same bytes, issued).
        document.file.name = document.draft_file.name
        document.sha256 = document.content_sha256
        document.size = document.content_size
        document.status = Document.Status.VALID
        document.save()
    return document


def sign_by_sms(document: Document, user, sms_outbox, capture) -> None:
    """A party confirms with the code the SMS carried (documents/services/confirm.py)."""
    with capture(execute=True):
        confirmation_request(document=document, user=user, ip="203.0.113.9")
    body = next(m.body for m in reversed(sms_outbox) if m.sensitive)
    code = re.search(r"(?<![\d-])(\d{6})(?!\d)", body).group(1)
    with capture(execute=True):
        document_confirm(
            document=document,
            user=user,
            code=code,
            content_sha256=document.content_sha256,
            ip="203.0.113.9",
        )


def referred(c: cf.Cast, capture, *, body=None) -> Referral:
    """A case referred with both signatures, its letter issued, its file built."""
    return refer_and_build(c, failed_case(c), capture, body=body, deliver=True)


def refer_and_build(
    c: cf.Cast, case: Case, capture, *, body=None, deliver: bool = False
) -> Referral:
    """Both parties sign, the consumer refers, the letter is issued and the file built
    (and, with ``deliver``, what follows the build after commit runs too)."""
    sign_directly(propose(c, case, body=body), "consumer", "merchant", c=c)
    with capture(execute=False):
        referral = consent.case_refer(case=case, actor=c.actor("consumer"))
    issue_stand_in(case=case, kind=Kind.ARBITRATION_REFERRAL, event=referral.event)
    with capture(execute=deliver):
        referral_file_build(referral_id=referral.pk)
    referral.refresh_from_db()
    return referral


def zip_entries(data: bytes) -> dict[str, bytes]:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}
