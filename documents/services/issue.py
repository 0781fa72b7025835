"""Issuing documents: the register row, rendering, signing and storing; corrections and
revocations.

The flow of one document:

1. a case event that issues documents (kinds.TRIGGERS) commits; the after-commit handler
   calls :func:`document_prepare` (one row per case, kind and source event, whatever the
   retries) and queues the rendering task;
2. :func:`document_render` works out who signs it (services/seals.py: the office, the
   mediation organisation or the platform, and for a mediation agreement the mediator
   first), prints the issuer on it and renders the PDF. A notice is signed at once and
   becomes ``valid``. An agreement is stored unsigned as a draft and waits for both
   parties' SMS confirmations (services/confirm.py); then :func:`document_sign_final`
   signs that very draft, byte for byte, as incremental updates;
3. each step that changes the register appends a case event (``document.drafted``,
   ``document.issued``, ``document.correction_requested``, ``document.revoked``) inside
   a transaction that holds the case row lock, as every event append does.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import SYSTEM, Case, CaseEvent, CaseRole, case_roles
from cases.services.events import event_append
from documents.errors import DocumentIntegrityError, TransientSigningError
from documents.kinds import SPECS, Kind, document_language
from documents.models import ConfirmationCode, Document, documents_storage
from documents.services.seals import MEDIATOR, SEAL, SigningPlan, signing_plan
from odr.errors import Conflict, DomainError, NotAllowed

if TYPE_CHECKING:
    from documents.services.sign import Signed

logger = logging.getLogger(__name__)

NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def _new_number(case: Case, kind: str, version: int) -> str:
    """LY-2026-000123-MA1-7KQ2XD: case, kind, version, and a random part, so that numbers
    cannot be enumerated on the public verification page."""
    suffix = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(6))
    return f"{case.reference}-{SPECS[kind].code}{version}-{suffix}"


def document_prepare(
    *, event: CaseEvent, kind: str, supersedes: Document | None = None
) -> tuple[Document, bool]:
    """The register row for the document of `kind` that `event` asks for; made once."""
    case = event.case
    version = 1
    if supersedes is not None:
        # The next number in the document's line of versions (a revoked correction keeps
        # its number; the one after it gets the next).
        newest = Document.objects.filter(case=case, kind=kind, event=supersedes.event).aggregate(
            newest=Max("version")
        )["newest"]
        version = max(newest or 0, supersedes.version) + 1
    for _attempt in range(5):
        try:
            return Document.objects.get_or_create(
                case=case,
                kind=kind,
                source_event=event,
                defaults={
                    "number": _new_number(case, kind, version),
                    "version": version,
                    "language": supersedes.language if supersedes else document_language(case),
                    "dated": timezone.localdate(event.created_at),
                    "event": supersedes.event if supersedes else event,
                    "supersedes": supersedes,
                },
            )
        except IntegrityError:  # the random part of the number collided: draw again
            continue
    raise RuntimeError("could not find a free document number")


def document_successor(document: Document) -> Document | None:
    """The newest corrected version of ``document``: one still in force or under way if
    there is one, else the newest of those revoked or failed."""
    corrections = Document.objects.filter(supersedes=document).order_by("-version", "-id")
    dead = (Document.Status.REVOKED, Document.Status.FAILED)
    return corrections.exclude(status__in=dead).first() or corrections.first()


def _store(name: str, data: bytes) -> str:
    storage = documents_storage()
    # Only a run that holds the row in PREPARING writes here: a file already at this name
    # is left over from a run that failed after writing it.
    if storage.exists(name):
        storage.delete(name)
    return storage.save(name, ContentFile(data))


def _path(document: Document, suffix: str) -> str:
    return f"documents/{document.case.reference}/{document.number}{suffix}.pdf"


def _locked(document: Document) -> tuple[Case, Document]:
    case = Case.objects.select_for_update().get(pk=document.case_id)
    return case, Document.objects.select_for_update().select_related("case").get(pk=document.pk)


def _record_failure(document: Document, exc: BaseException) -> None:
    attempts = Document.objects.filter(pk=document.pk).values_list("attempts", flat=True).first()
    fields = {"last_error": f"{type(exc).__name__}: {exc}"[:2000]}
    if attempts is not None and attempts >= settings.DOCUMENTS_MAX_ATTEMPTS:
        fields["status"] = Document.Status.FAILED
        logger.error("documents: %s failed %d times, giving up", document.number, attempts)
    Document.objects.filter(pk=document.pk, status=document.status).update(**fields)


def _reason(document: Document, confirmations: list[ConfirmationCode] | None = None) -> str:
    english = document.language == "en"
    title = document.issued_title
    text = f"Issued: {title}" if english else f"签发：{title}"
    if confirmations:
        seqs = ", ".join(f"#{c.event.seq}" for c in confirmations if c.event_id)
        text += (
            f"; confirmed by both parties (case events {seqs})"
            if english
            else f"；双方当事人已确认（案件事件 {seqs}）"
        )
    return text


def _signature_row(role: str, signed: Signed) -> dict:
    return {
        "role": role,
        **signed.identity.as_dict(),
        "subject": signed.subject[:300],
        "fingerprint": signed.fingerprint,
        "signed_at": signed.signed_at.isoformat(),
    }


def _sign_in_order(
    pdf: bytes, *, document: Document, plan: SigningPlan, reason: str, positions: dict | None
) -> tuple[Signed, list[dict]]:
    """The mediator's own signature first where they sign (at their mark beside their
    name), then the seal: each an incremental update over the one before. Returns the
    sealed file and the register's rows of both signatures."""
    from documents.services.sign import PERSONAL_FIELD, SIGNATURE, pdf_sign

    positions = positions or {}
    rows = []
    if plan.signer is not None:
        english = document.language == "en"
        title = document.issued_title
        personal = pdf_sign(
            pdf,
            reason=f"Signed by the mediator: {title}" if english else f"调解员签名：{title}",
            seal=positions.get("mediator"),
            signer=plan.signer,
            field_name=PERSONAL_FIELD,
            appearance=SIGNATURE,
            label="Mediator's e-signature" if english else "调解员电子签名",
        )
        rows.append(_signature_row(MEDIATOR, personal))
        pdf = personal.pdf
    sealed = pdf_sign(
        pdf, reason=reason, seal=positions if "page" in positions else None, signer=plan.seal
    )
    rows.append(_signature_row(SEAL, sealed))
    return sealed, rows


def _issue(
    case: Case,
    document: Document,
    signed: Signed,
    *,
    signatures: list[dict],
    extra: dict | None = None,
) -> Document:
    """Record a signed document as issued; the caller holds both row locks."""
    document.signers = signatures
    document.file.name = _store(_path(document, ""), signed.pdf)
    document.sha256 = hashlib.sha256(signed.pdf).hexdigest()
    document.size = len(signed.pdf)
    document.signer_fingerprint = signed.fingerprint
    document.signer_subject = signed.subject[:300]
    document.timestamped = signed.timestamped
    document.signed_at = signed.signed_at
    document.status = Document.Status.VALID
    document.last_error = ""
    document.save()
    if document.supersedes_id:
        Document.objects.filter(pk=document.supersedes_id, status=Document.Status.VALID).update(
            status=Document.Status.SUPERSEDED,
            status_reason=f"superseded by {document.number}",
        )
    event_append(
        case=case,
        kind="document.issued",
        actor_role=CaseRole.SYSTEM,
        payload={
            "document": document.number,
            "kind": document.kind,
            "version": document.version,
            "sha256": document.sha256,
            "content_sha256": document.content_sha256,
            "signer_fingerprint": document.signer_fingerprint,
            "signers": [
                {k: row[k] for k in ("role", "kind", "code", "fingerprint")} for row in signatures
            ],
            "timestamped": document.timestamped,
            "supersedes": document.supersedes.number if document.supersedes_id else None,
            **(extra or {}),
        },
    )
    if document.kind == Kind.TERMINATION_NOTICE:
        _termination_notice_delivered(case, document)
    return document


def _termination_notice_delivered(case: Case, document: Document) -> None:
    """The signed termination notice is in both parties' case files and their notices go
    out with its issue: that is the telling the termination-notice clock waits for."""
    from cases.services.actions import ACTIONS, case_act

    if case.state not in ACTIONS["termination_notice_delivered"].states:
        return  # the case has moved on (closed): its clocks were cancelled with it
    case_act(
        case=case,
        name="termination_notice_delivered",
        actor=SYSTEM,
        payload={"document": document.number},
        locked=True,
        at=document.signed_at,
    )


def document_render(*, document_id: int) -> Document:
    """Render a prepared document; sign and issue it, or store the draft the parties
    confirm. Idempotent: a document past PREPARING is returned as it is."""
    # WeasyPrint and pyHanko take a second to import: only the processes that render do.
    from documents.services.render import render_pdf
    from documents.services.sign import signer_key_current

    document = Document.objects.select_related("case", "event", "source_event").get(pk=document_id)
    if document.status != Document.Status.PREPARING:
        return document
    if document.attempts >= settings.DOCUMENTS_MAX_ATTEMPTS:
        Document.objects.filter(pk=document.pk, status=Document.Status.PREPARING).update(
            status=Document.Status.FAILED
        )
        logger.error("documents: %s gave up after %d attempts", document.number, document.attempts)
        return document
    Document.objects.filter(pk=document.pk).update(attempts=F("attempts") + 1)
    try:
        plan = signing_plan(document)
        if not document.needs_confirmation:
            # A signer without a key: wait for it (SealKeyMissing) before rendering.
            for identity in plan.identities():
                signer_key_current(identity)
        document.signers = plan.as_list()  # the issuer printed on the document
        rendered = render_pdf(document)
        content_sha256 = hashlib.sha256(rendered.pdf).hexdigest()
        signed = signatures = None
        if not document.needs_confirmation:
            signed, signatures = _sign_in_order(
                rendered.pdf,
                document=document,
                plan=plan,
                reason=_reason(document),
                positions=rendered.seal_position(),
            )
    except TransientSigningError as exc:
        # The time-stamp authority was out of reach, or a signer's key is not configured
        # yet: not this document's fault, so the run does not count against
        # DOCUMENTS_MAX_ATTEMPTS; the task retries and the sweep re-queues documents still
        # in preparation.
        Document.objects.filter(pk=document.pk).update(
            attempts=F("attempts") - 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    except Exception as exc:
        _record_failure(document, exc)
        raise
    with transaction.atomic():
        case, document = _locked(document)
        if document.status != Document.Status.PREPARING:
            return document  # another run finished first
        document.content_sha256 = content_sha256
        document.content_size = len(rendered.pdf)
        document.seal_position = rendered.seal_position()
        if signed is not None:
            return _issue(case, document, signed, signatures=signatures)
        document.signers = plan.as_list()
        document.draft_file.name = _store(_path(document, ".draft"), rendered.pdf)
        document.status = Document.Status.AWAITING_CONFIRMATION
        document.last_error = ""
        document.save()
        event_append(
            case=case,
            kind="document.drafted",
            actor_role=CaseRole.SYSTEM,
            payload={
                "document": document.number,
                "kind": document.kind,
                "version": document.version,
                "content_sha256": content_sha256,
            },
        )
    return document


def document_sign_final(*, document_id: int) -> Document:
    """Sign an agreement both parties confirmed. The signature is appended to the stored
    draft, so the signed file begins with exactly the bytes they confirmed."""
    from documents.services.confirm import confirmations_complete

    document = Document.objects.select_related("case", "event").get(pk=document_id)
    if document.status != Document.Status.AWAITING_CONFIRMATION:
        return document
    confirmations = confirmations_complete(document)
    if confirmations is None:
        return document
    try:
        with document.draft_file.open("rb") as handle:
            draft = handle.read()
        if hashlib.sha256(draft).hexdigest() != document.content_sha256:
            raise DocumentIntegrityError(
                f"the stored draft of {document.number} does not match the confirmed hash"
            )
        signed, signatures = _sign_in_order(
            draft,
            document=document,
            plan=signing_plan(document),
            reason=_reason(document, confirmations),
            positions=document.seal_position,
        )
        if signed.pdf[: len(draft)] != draft:
            raise DocumentIntegrityError("the signed file does not begin with the draft")
    except TransientSigningError as exc:
        # Confirmed, waiting for a signer's key or the time-stamp authority: the task
        # retries and the sweep signs it later; never counted towards giving up.
        Document.objects.filter(pk=document.pk).update(
            last_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    except Exception as exc:
        _record_failure(document, exc)
        raise
    with transaction.atomic():
        case, document = _locked(document)
        if document.status != Document.Status.AWAITING_CONFIRMATION:
            return document
        return _issue(
            case,
            document,
            signed,
            signatures=signatures,
            extra={"confirmations": [c.event.seq for c in confirmations if c.event_id]},
        )


_STAFF = {CaseRole.ADMIN, CaseRole.REGULATOR, CaseRole.MEDIATOR}


def _staff_role(case: Case, actor) -> str:
    roles = case_roles(case, actor) & _STAFF
    if not roles:
        raise NotAllowed(
            _("Only the case's mediator, a regulator or an administrator may do this."),
            code="not_your_action",
        )
    return sorted(roles)[0]


def document_reissue(*, document: Document, actor, reason: str) -> Document:
    """A corrected version that supersedes `document` once it is issued. The correction
    renders from the same case event, with today's date and the reason printed."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            _("Say why the document is corrected."), fields={"reason": [_("Required.")]}
        )
    with transaction.atomic():
        case, document = _locked(document)
        role = _staff_role(case, actor)
        live = Document.objects.filter(supersedes=document).exclude(
            status__in=(Document.Status.REVOKED, Document.Status.FAILED)
        )
        if live.exists():
            raise Conflict(_("A correction of this document is already under way."))
        # A revoked document may be issued again as a new version (a revoked draft, or a
        # correction that was itself revoked, must not leave the case without its document).
        if document.status not in (
            Document.Status.VALID,
            Document.Status.AWAITING_CONFIRMATION,
            Document.Status.REVOKED,
        ):
            raise Conflict(
                _("Only a valid document or a draft awaiting confirmation can be corrected."),
                code="not_correctable",
            )
        event = event_append(
            case=case,
            kind="document.correction_requested",
            actor=actor,
            actor_role=role,
            payload={"document": document.number, "kind": document.kind, "reason": reason[:2000]},
        )
        if document.status == Document.Status.AWAITING_CONFIRMATION:
            # An unsigned draft was never issued: it is withdrawn, not superseded.
            document.status = Document.Status.REVOKED
            document.status_reason = reason[:2000]
            document.save(update_fields=["status", "status_reason", "updated_at"])
        corrected, _created = document_prepare(event=event, kind=document.kind, supersedes=document)
        transaction.on_commit(lambda: _enqueue_render(corrected.pk))
    return corrected


def document_revoke(*, document: Document, actor, reason: str) -> Document:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            _("Say why the document is revoked."), fields={"reason": [_("Required.")]}
        )
    with transaction.atomic():
        case, document = _locked(document)
        role = _staff_role(case, actor)
        if document.status in (Document.Status.REVOKED, Document.Status.SUPERSEDED):
            raise Conflict(_("This document is no longer in force."), code="not_in_force")
        document.status = Document.Status.REVOKED
        document.status_reason = reason[:2000]
        document.save(update_fields=["status", "status_reason", "updated_at"])
        event_append(
            case=case,
            kind="document.revoked",
            actor=actor,
            actor_role=role,
            payload={"document": document.number, "kind": document.kind, "reason": reason[:2000]},
        )
    return document


def document_retry(*, document: Document) -> Document:
    """Give a document that could not be prepared another round of attempts."""
    updated = Document.objects.filter(pk=document.pk, status=Document.Status.FAILED).update(
        status=Document.Status.PREPARING, attempts=0, last_error=""
    )
    if updated:
        transaction.on_commit(lambda: _enqueue_render(document.pk))
    document.refresh_from_db()
    return document


def _enqueue_render(document_id: int) -> None:
    from documents.tasks import enqueue_render

    enqueue_render(document_id)
