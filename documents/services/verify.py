"""Verification: is this PDF, or the document with this number, one we issued, unchanged,
signed by a key we trust, and still in force?

Every input gets a verdict, never an exception: a file that is not a PDF, a damaged one,
an altered one, one signed by someone else. Signatures are checked with pyHanko against
the configured trust roots (DOCUMENTS_TRUST_ROOTS) and the file's SHA-256 against the
register. A document may carry more than one signature (a mediation agreement: the
mediator's, then the office's seal); each must be valid and trusted, and the last one
must cover the whole file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from documents.models import Document
from documents.services.issue import document_successor
from documents.services.masking import mask_organisation, mask_person
from documents.services.pki import certificate_fingerprint, platform_identity, trust_roots
from odr.errors import RateLimited

logger = logging.getLogger(__name__)


class Verdict:
    VALID = "valid"
    SUPERSEDED = "superseded"
    REVOKED = "revoked"
    ALTERED = "altered"
    UNTRUSTED = "untrusted"
    UNSIGNED = "unsigned"
    DRAFT = "draft"
    NOT_REGISTERED = "not_registered"
    PENDING = "pending"
    DAMAGED = "damaged"
    NOT_PDF = "not_pdf"
    NOT_FOUND = "not_found"


@dataclass
class SignatureCheck:
    present: bool = False
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    whole_file: bool = False
    signer_subject: str = ""
    signer_fingerprint: str = ""
    signing_time: dt.datetime | None = None
    timestamped: bool = False
    problem: str = ""
    # Where the last signature's signed byte range ends.
    signed_end: int = 0
    # Every signature, in signing order: subject, fingerprint, signing time.
    signatures: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.present and self.intact and self.valid and self.trusted and self.whole_file

    def as_dict(self) -> dict:
        return {
            "present": self.present,
            "intact": self.intact,
            "valid": self.valid,
            "trusted": self.trusted,
            "covers_whole_file": self.whole_file,
            "signer": self.signer_subject,
            "signer_fingerprint": self.signer_fingerprint,
            "signing_time": self.signing_time.isoformat() if self.signing_time else None,
            "timestamped": self.timestamped,
            "signatures": self.signatures,
        }


@dataclass
class Result:
    verdict: str
    message: str
    sha256: str = ""
    document: Document | None = None
    signature: SignatureCheck | None = None
    details: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.verdict == Verdict.VALID


def _validation_context(moment=None):
    from pyhanko_certvalidator import ValidationContext

    return ValidationContext(
        trust_roots=list(trust_roots()),
        allow_fetching=settings.DOCUMENTS_VERIFY_ALLOW_FETCHING,
        revocation_mode="soft-fail",
        moment=moment,
    )


def signature_check(data: bytes, *, moment=None) -> SignatureCheck | None:
    """The signatures of a PDF checked with pyHanko; None if it cannot be read as a PDF.

    ``moment``: the time the certificates are judged at. For a document in our register
    it is the time we signed it (the register is the proof of that time), so a document
    stays valid after the signing certificate has expired; for any other file, now.
    """
    # pyHanko takes most of a second to import: only processes that verify pay for it.
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception:  # any parse failure is a damaged file, never a server error
        logger.info("verify: unreadable PDF", exc_info=True)
        return None
    if not signatures:
        return SignatureCheck(present=False)
    check = SignatureCheck(present=True, intact=True, valid=True, trusted=True)
    last = len(signatures) - 1
    for index, signature in enumerate(signatures):
        try:
            status = validate_pdf_signature(signature, _validation_context(moment))
        except Exception as exc:
            logger.info("verify: signature could not be validated", exc_info=True)
            check.intact = check.valid = check.trusted = False
            check.problem = type(exc).__name__
            return check
        check.intact = check.intact and status.intact
        check.valid = check.valid and status.valid
        check.trusted = check.trusted and status.trusted
        # Only the last signature may cover the whole file; the last is fine if what came
        # after it is no more than validation data (PAdES LTA updates). An earlier one
        # (the mediator's, before the seal) may be followed by no more than further
        # signatures (form filling, in pyHanko's terms); all must hold.
        level = status.modification_level
        allowed = ModificationLevel.LTA_UPDATES if index == last else ModificationLevel.FORM_FILLING
        unchanged = level is None or level <= allowed
        covers = status.coverage == SignatureCoverageLevel.ENTIRE_FILE or (
            status.coverage == SignatureCoverageLevel.ENTIRE_REVISION and unchanged
        )
        check.whole_file = covers if index == 0 else check.whole_file and covers
        check.signer_subject = status.signing_cert.subject.human_friendly
        check.signer_fingerprint = certificate_fingerprint(status.signing_cert)
        check.signing_time = status.signer_reported_dt
        check.timestamped = bool(status.timestamp_validity and status.timestamp_validity.valid)
        check.signatures.append(
            {
                "signer": check.signer_subject,
                "signer_fingerprint": check.signer_fingerprint,
                "signing_time": check.signing_time.isoformat() if check.signing_time else None,
                "field": signature.field_name,
            }
        )
        try:
            byte_range = [int(n) for n in signature.sig_object["/ByteRange"]]
            check.signed_end = byte_range[2] + byte_range[3]
        except Exception:  # a malformed range is caught by the validation above
            check.signed_end = 0
    return check


def _names(row: dict, key: str) -> dict:
    return {
        "zh-hans": row.get(f"{key}_zh", ""),
        "en": row.get(f"{key}_en") or row.get(f"{key}_zh", ""),
    }


def _signers(document: Document, language: str) -> tuple[dict, list[dict]]:
    """The sealing office (or organisation, or the platform) and the signatures made, by
    name in both languages; a document signed before signers were kept was the platform's."""
    english = language.startswith("en")
    rows = list(document.signers or [])
    if not any(row.get("role") == "seal" for row in rows):
        rows.append(
            {
                "role": "seal",
                **platform_identity().as_dict(),
                "subject": document.signer_subject,
                "fingerprint": document.signer_fingerprint,
            }
        )
    seal = next(row for row in rows if row.get("role") == "seal")
    sealed_by = {
        "kind": seal.get("kind", ""),
        "code": seal.get("code", ""),
        "name": _names(seal, "name"),
    }
    signatures = []
    for row in rows:
        if not row.get("fingerprint"):
            continue  # planned, not signed yet
        name, organisation = _names(row, "name"), _names(row, "organisation")
        shown = name["en" if english else "zh-hans"]
        if organisation["zh-hans"]:
            where = organisation["en" if english else "zh-hans"]
            shown = f"{shown} ({where})" if english else f"{shown}（{where}）"
        signatures.append(
            {
                "role": row.get("role", ""),
                "kind": row.get("kind", ""),
                "name": name,
                "organisation": organisation,
                "display": shown,
                "subject": row.get("subject", ""),
                "fingerprint": row.get("fingerprint", ""),
                "signed_at": row.get("signed_at"),
            }
        )
    return sealed_by, signatures


def public_details(document: Document, *, language: str) -> dict:
    """What anyone may see about a document: no phone, no address, parties masked."""
    case = document.case
    successor = document_successor(document)
    english = language.startswith("en")
    sealed_by, signatures = _signers(document, language)
    return {
        "number": document.number,
        "kind": document.kind,
        "kind_label": str(document.get_kind_display()),
        "title": document.spec.title(language=language, ruleset=case.ruleset),
        "version": document.version,
        "dated": document.dated.isoformat(),
        # Whose seal it carries, in the reader's language; both names under sealed_by.
        "issuer": sealed_by["name"]["en" if english else "zh-hans"],
        "sealed_by": sealed_by,
        "signatures": signatures,
        "case_reference": case.reference,
        "parties": {
            "complainant": mask_person(case.complainant_name),
            "merchant": mask_organisation(case.merchant_name),
        },
        "status": document.status,
        "status_label": str(document.get_status_display()),
        "status_reason": document.status_reason if document.status == "revoked" else "",
        "supersedes": document.supersedes.number if document.supersedes_id else None,
        "superseded_by": successor.number if successor else None,
        "sha256": document.sha256 or None,
        "signed_at": document.signed_at.isoformat() if document.signed_at else None,
        "signer": document.signer_subject or None,
        "signer_fingerprint": document.signer_fingerprint or None,
        "timestamped": document.timestamped,
    }


def _register_verdict(document: Document) -> tuple[str, str]:
    if document.status == Document.Status.VALID:
        return Verdict.VALID, _(
            "Valid: this document was issued by us, is unchanged and is in force."
        )
    if document.status == Document.Status.SUPERSEDED:
        successor = document_successor(document)
        return Verdict.SUPERSEDED, _(
            "Superseded: this document was issued by us and is authentic, but a corrected "
            "version (%(number)s) replaces it."
        ) % {"number": successor.number if successor else "—"}
    if document.status == Document.Status.REVOKED:
        return Verdict.REVOKED, _(
            "Revoked: this document was issued by us but has been revoked and is no longer "
            "in force."
        )
    if document.status == Document.Status.AWAITING_CONFIRMATION:
        return Verdict.PENDING, _(
            "Not issued yet: this document awaits the parties' confirmation and has not been "
            "signed."
        )
    return Verdict.PENDING, _("Not issued yet: this document is being prepared.")


def _mismatch(check: SignatureCheck) -> tuple[str, str] | None:
    """The verdict for a signature that is not ours or not intact, else None."""
    if not check.present:
        return Verdict.UNSIGNED, _(
            "No signature: this PDF carries no electronic signature, so it is not a document "
            "we issued."
        )
    if not (check.intact and check.valid):
        return Verdict.ALTERED, _(
            "Altered: the file was changed after it was signed. It is not the document we issued."
        )
    if not check.whole_file:
        return Verdict.ALTERED, _(
            "Altered: content was added to the file after it was signed. It is not the "
            "document we issued."
        )
    if not check.trusted:
        return Verdict.UNTRUSTED, _(
            "Not ours: the file is signed, but not by a key we trust (signed by %(who)s)."
        ) % {"who": check.signer_subject or "?"}
    return None


# Other apps' registers of the PDFs they sign with the organisation's key (the regulators'
# monthly reports): each is a function of (sha256, language) that returns the public
# details of a file it issued, or None. Apps add theirs in AppConfig.ready(); documents
# imports none of them.
EXTERNAL_REGISTERS: list = []


def register_external(lookup):
    if lookup not in EXTERNAL_REGISTERS:
        EXTERNAL_REGISTERS.append(lookup)
    return lookup


def _external(sha: str, language: str) -> dict | None:
    for lookup in EXTERNAL_REGISTERS:
        try:
            found = lookup(sha, language)
        except Exception:  # another app's register must never make /verify/ fail
            logger.exception("verify: external register %r failed", lookup)
            continue
        if found:
            return found
    return None


# Trailing whitespace after a document's end (a mail system or a download may add a line
# break) is not a change to it: up to this many such bytes are tried off.
_TRAILING_TRIES = 64


def _registered(data: bytes) -> tuple[bytes, Document | None]:
    """The issued document with exactly this content, or with this content less trailing
    whitespace that was added after its end; and the bytes that matched."""
    issued = Document.objects.select_related("case").filter(sha256=hashlib.sha256(data).hexdigest())
    document = issued.first()
    if document is not None:
        return data, document
    stripped = len(data.rstrip(b" \t\r\n\x00\x0c"))
    for end in range(len(data) - 1, max(stripped, len(data) - _TRAILING_TRIES) - 1, -1):
        sha = hashlib.sha256(data[:end]).hexdigest()
        document = Document.objects.select_related("case").filter(sha256=sha).first()
        if document is not None:
            return data[:end], document
    return data, None


def verify_pdf(*, data: bytes, language: str = "zh-hans") -> Result:
    """The verdict on an uploaded file."""
    sha = hashlib.sha256(data).hexdigest()
    if b"%PDF-" not in data[:1024]:
        return Result(Verdict.NOT_PDF, _("This file is not a PDF."), sha)
    matched, issued = _registered(data)
    trailing = len(data) - len(matched)
    if issued is not None:
        data, sha = matched, issued.sha256
    check = signature_check(data, moment=issued.signed_at if issued else None)
    if check is None:
        return Result(
            Verdict.DAMAGED,
            _(
                "Damaged or altered: this file cannot be read as a PDF. It is not a document "
                "we issued."
            ),
            sha,
        )
    if not check.present:
        draft = (
            Document.objects.select_related("case")
            .filter(content_sha256=sha)
            .exclude(status=Document.Status.PREPARING)
            .first()
        )
        # Only agreements are shown to the parties unsigned; an unsigned copy of any
        # other kind is a signed document with its signature taken off.
        if draft is not None and draft.needs_confirmation:
            return Result(
                Verdict.DRAFT,
                _(
                    "Unsigned draft: this is the text of document %(number)s shown to the "
                    "parties for confirmation. Only the signed version is an issued document."
                )
                % {"number": draft.number},
                sha,
                draft,
                check,
                public_details(draft, language=language),
            )
    problem = _mismatch(check)
    if problem is not None:
        return Result(problem[0], problem[1], sha, None, check)
    if issued is None and 0 < check.signed_end < len(data):
        # Something that is not blank was added after the end of the signed file: if what
        # was signed is one of ours, the file is ours with content added.
        _signed, original = _registered(data[: check.signed_end])
        if original is not None:
            return Result(
                Verdict.ALTERED,
                _(
                    "Altered: content was added to the file after it was signed. It is not "
                    "the document we issued."
                ),
                sha,
                None,
                check,
            )
    external = _external(sha, language) if issued is None else None
    if external is not None:
        return Result(
            Verdict.VALID,
            _("Valid: this document was issued by us, is unchanged and is in force."),
            sha,
            None,
            check,
            external,
        )
    if issued is None:
        return Result(
            Verdict.NOT_REGISTERED,
            _(
                "Not in the register: the signature is valid and trusted, but we issued no "
                "document with exactly this content."
            ),
            sha,
            None,
            check,
        )
    verdict, message = _register_verdict(issued)
    details = public_details(issued, language=language)
    if trailing:
        details["trailing_bytes_ignored"] = trailing
        ignored = _("(Blank bytes added after the end of the file were ignored.)")
        message = f"{message} {ignored}"
    return Result(verdict, message, sha, issued, check, details)


def verify_number(*, number: str, language: str = "zh-hans") -> Result:
    """The verdict on a document number: the register, and the stored PDF checked again."""
    number = (number or "").strip().upper()
    document = Document.objects.select_related("case").filter(number=number).first()
    if document is None:
        return Result(Verdict.NOT_FOUND, _("We have no document with this number."))
    details = public_details(document, language=language)
    if not document.sha256:
        verdict, message = _register_verdict(document)
        if document.status == Document.Status.REVOKED:
            verdict = Verdict.REVOKED
        return Result(verdict, message, "", document, None, details)
    try:
        with document.file.open("rb") as handle:
            data = handle.read()
    except Exception:  # any storage failure (a file system, an S3 client): never a 5xx
        logger.error("verify: stored file of %s cannot be read", document.number, exc_info=True)
        verdict, message = _register_verdict(document)
        return Result(verdict, message, document.sha256, document, None, details)
    sha = hashlib.sha256(data).hexdigest()
    check = signature_check(data, moment=document.signed_at)
    if sha != document.sha256 or check is None:
        logger.error("verify: stored file of %s does not match the register", document.number)
        return Result(
            Verdict.ALTERED,
            _("Altered: our stored copy does not match the register. Please contact us."),
            sha,
            document,
            check,
            details,
        )
    problem = _mismatch(check)
    if problem is not None:
        return Result(problem[0], problem[1], sha, document, check, details)
    verdict, message = _register_verdict(document)
    return Result(verdict, message, sha, document, check, details)


def check_verify_rate(*, ip: str | None, weight: int = 1) -> None:
    """Verification costs CPU: at most DOCUMENTS_VERIFY_PER_MINUTE uploads per address
    and minute (a number lookup counts a third)."""
    limit = settings.DOCUMENTS_VERIFY_PER_MINUTE * 3
    if not ip or limit <= 0:
        return
    key = f"documents:verify:{ip}"
    cache.add(key, 0, timeout=60)
    try:
        used = cache.incr(key, weight)
    except ValueError:  # expired between add and incr
        cache.set(key, weight, timeout=60)
        used = weight
    if used > limit:
        raise RateLimited(
            _("Too many verifications from your network. Please wait a minute."), retry_after=60
        )
