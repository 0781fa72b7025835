"""The referral file: everything the Arbitration Law asks for, built once and frozen.

A ZIP holding the parties, the claims with facts and reasons and the evidence list
(``case.json``), the evidence files, the signed arbitration agreement, the mediation
transcript (joint room only, as documents renders it), the case event log
(``events.json``: the whole hash chain, with the events about a private caucus withheld
to their seq, time and hashes, so the body can check every link without learning what was
said there), the signed referral letter, and ``manifest.json`` listing every other
file with its SHA-256. The manifest is signed with the platform's document-signing key
(RSA, SHA-256; the certificate is in the ZIP as ``signer.pem``) and, when the body has a
shared secret, with HMAC-SHA256 under that secret (``manifest.sig.json``). The manifest's
own SHA-256 is written to the case's hash-chained event log when the file is delivered,
so a change to any byte of any file is detectable by the body and by the platform.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import zipfile
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from arbitration.models import Referral
from arbitration.services.consent import agreement_document
from cases import rooms
from cases.models import GENESIS_HASH, Case, CaseEvent, CaseRole
from cases.services.events import event_append

FORMAT = "odr12315-referral/1"
EVENTS_FORMAT = "odr12315-events/1"
# The fields CaseEvent.canonical() hashes, by the names it gives them.
CANONICAL_FIELDS = CaseEvent.HASHED_FIELDS
# No time: with the kind, actor and room guessable, the time was what kept a withheld
# event's content from being found by trying candidates against its hash.
WITHHELD_FIELDS = ("seq", "withheld", "reason", "prev_hash", "hash")
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig.json"
SIGNER = "signer.pem"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


class NotReady(Exception):
    """A part of the file does not exist yet (a document still being signed)."""


@dataclass
class _Files:
    entries: list[tuple[str, bytes, str]] = field(default_factory=list)

    def add(self, path: str, data: bytes, kind: str) -> None:
        self.entries.append((path, data, kind))


def _document_bytes(document) -> bytes:
    with document.file.open("rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != document.sha256:
        raise NotReady(f"{document.number}: the stored file does not match its register hash")
    return data


def _valid_document(queryset, what: str):
    from documents.models import Document

    document = (
        queryset.exclude(status__in=[Document.Status.SUPERSEDED, Document.Status.REVOKED])
        .order_by("-version")
        .first()
    )
    if document is None or document.status != Document.Status.VALID:
        raise NotReady(f"{what} is not issued yet")
    return document


def _case_json(case: Case, referral: Referral, evidence: list[dict]) -> dict:
    merchant = case.merchant
    return {
        "format": FORMAT,
        "case": {
            "reference": case.reference,
            "ruleset": case.ruleset,
            "submitted_at": case.submitted_at.isoformat(),
            "category": case.category,
            "division_code": case.division_code,
        },
        "parties": {
            "applicant": {
                "role": "consumer",
                "name": case.complainant_name,
                "phone": case.complainant_phone,
                "address": case.complainant_address,
            },
            "respondent": {
                "role": "merchant",
                "name": case.merchant_name,
                "uscc": merchant.uscc if merchant else "",
                "address": case.merchant_address,
                "store_url": case.merchant_store_url,
            },
        },
        "claims": {
            "request": case.request,
            "facts": case.facts,
            "amount": str(case.amount) if case.amount is not None else None,
            "purchase_date": case.purchase_date.isoformat() if case.purchase_date else None,
            "order_number": case.order_number,
            "platform": case.platform,
            "mediation_ended": {"ground": case.ground, "reason": case.reason},
        },
        "evidence": evidence,
        "arbitration_body": {"id": referral.body_id, "name": referral.body.name},
    }


def _withheld_reason(event: CaseEvent) -> str:
    """Why an event's content stays out of the file ("" if it does not).

    An event that names a room the arbitration body may not read (a private caucus,
    cases/rooms.py) is withheld whole: its kind, actor and payload would tell the body who
    spoke privately and when, and a payload may carry what was said. A room the body does
    not know is withheld as well: the safe default for a room added later.
    """
    payload = event.payload if isinstance(event.payload, dict) else {}
    if "room" not in payload:
        return ""
    room = payload["room"]
    if isinstance(room, str) and rooms.may_read({CaseRole.ARBITRATION}, room):
        return ""
    return (
        "private_caucus" if isinstance(room, str) and room.startswith("caucus") else "private_room"
    )


def _events_json(case: Case) -> dict:
    """Every event of the chain, in seq order, so the body can check each link.

    An event the body may read carries every field its hash covers (CaseEvent.canonical);
    a withheld one carries only what the chain needs: its place, time and hashes.
    """
    out = []
    for e in CaseEvent.objects.filter(case=case).order_by("seq"):
        reason = _withheld_reason(e)
        if reason:
            out.append(
                {
                    "seq": e.seq,
                    "withheld": True,
                    "reason": reason,
                    "prev_hash": e.prev_hash,
                    "hash": e.hash,
                }
            )
            continue
        out.append(
            {
                "case": case.reference,
                "seq": e.seq,
                "kind": e.kind,
                "actor": e.actor_id,
                "actor_role": e.actor_role,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "ground": e.ground,
                "payload": e.payload,
                "visibility": e.visibility,
                "created_at": e.created_at.isoformat(),
                "prev_hash": e.prev_hash,
                "hash": e.hash,
            }
        )
    return {
        "format": EVENTS_FORMAT,
        "case": case.reference,
        "genesis_hash": GENESIS_HASH,
        "events": out,
    }


def events_export_hash(entry: dict) -> str:
    """An exported event's hash as CaseEvent.compute_hash makes it, from the file alone."""
    content = {name: entry[name] for name in CANONICAL_FIELDS}
    return hashlib.sha256(
        json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    ).hexdigest()


def events_export_verify(data: object, *, anchor: dict | None = None) -> str | None:
    """Check an ``events.json`` as the arbitration body would; the first problem, or None.

    Every event the body may read must hash to its ``hash``; every entry, withheld or not,
    must link to the one before (the first to the genesis hash), with no seq missing.
    ``anchor`` (the manifest's ``referral_event``: seq and hash) must be in the chain.

    A withheld entry's own hash cannot be recomputed, so the chain alone cannot show that
    the events before the last withheld one are the platform's: someone rewriting one of
    them could also rewrite the withheld entry's ``prev_hash``. The manifest's signature
    (the platform's key) is what vouches for them; the chain proves the order and every
    event after the last withheld one.
    """
    if anchor is not None and not isinstance(anchor, dict):
        return "the manifest's referral_event is not an object"
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        return "not an event log: expected an object with an events list"
    if data.get("format") != EVENTS_FORMAT:
        return f"unknown format {data.get('format')!r}"
    if data.get("genesis_hash") != GENESIS_HASH:
        return "genesis_hash is not the platform's (64 zeros)"
    previous = GENESIS_HASH
    anchored = anchor is None
    for expected_seq, entry in enumerate(data["events"], start=1):
        seq = entry.get("seq") if isinstance(entry, dict) else None
        if type(seq) is not int or seq != expected_seq:
            return f"seq {expected_seq}: missing"
        withheld = entry.get("withheld") is True
        fields = WITHHELD_FIELDS if withheld else (*CANONICAL_FIELDS, "hash")
        absent = [name for name in fields if name not in entry]
        if absent:
            return f"seq {expected_seq}: missing field {absent[0]}"
        if entry["prev_hash"] != previous:
            return f"seq {expected_seq}: prev_hash does not match the hash before it"
        if not withheld:
            if entry["case"] != data.get("case"):
                return f"seq {expected_seq}: another case ({entry['case']!r})"
            if events_export_hash(entry) != entry["hash"]:
                return f"seq {expected_seq}: hash does not match its content"
        if anchor is not None and expected_seq == anchor.get("seq"):
            if entry["hash"] != anchor.get("hash"):
                return f"seq {expected_seq}: hash is not the one the manifest names"
            anchored = True
        previous = entry["hash"]
    if not anchored:
        return f"seq {anchor.get('seq')}: the event the manifest names is not in the log"
    return None


def _collect(referral: Referral) -> _Files:
    from documents.kinds import Kind
    from documents.models import Document

    case = referral.case
    files = _Files()
    if referral.agreement_id is None:
        raise NotReady("the referral has no arbitration agreement")
    agreement = agreement_document(referral.agreement)
    if agreement is None or agreement.status != Document.Status.VALID:
        raise NotReady("the arbitration agreement is not signed yet")
    letter = _valid_document(
        Document.objects.filter(
            case=case, kind=Kind.ARBITRATION_REFERRAL, event_id=referral.event_id
        ),
        "the referral letter",
    )
    transcripts = Document.objects.filter(case=case, kind=Kind.MEDIATION_TRANSCRIPT)
    transcript = _valid_document(transcripts, "the transcript") if transcripts.exists() else None

    evidence = []
    for item in case.evidence.select_related("uploaded_by").order_by("created_at", "id"):
        with item.file.open("rb") as handle:
            data = handle.read()
        if hashlib.sha256(data).hexdigest() != item.sha256:
            raise NotReady(f"evidence {item.pk}: the stored file does not match its hash")
        path = f"evidence/{item.pk:06d}-{item.sha256[:16]}{item.extension}"
        source = (
            "consumer"
            if item.uploaded_by_id == case.consumer_id
            else "merchant"
            if item.uploaded_by.roles.filter(merchant_id=case.merchant_id).exists()
            else "other"
        )
        evidence.append(
            {
                "path": path,
                "name": item.original_name,
                "description": item.description,
                "kind": item.kind,
                "size": item.size,
                "sha256": item.sha256,
                "source": source,
                "submitted_at": item.created_at.isoformat(),
            }
        )
        files.add(path, data, "evidence")
    files.add("case.json", _json(_case_json(case, referral, evidence)), "case")
    files.add("events.json", _json(_events_json(case)), "event_log")
    files.add(
        f"documents/arbitration-agreement-{agreement.number}.pdf",
        _document_bytes(agreement),
        "arbitration_agreement",
    )
    files.add(
        f"documents/referral-letter-{letter.number}.pdf", _document_bytes(letter), "referral_letter"
    )
    if transcript is not None:
        files.add(
            f"documents/mediation-transcript-{transcript.number}.pdf",
            _document_bytes(transcript),
            "mediation_transcript",
        )
    return files


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True).encode()


def manifest_hmac(manifest: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), manifest, hashlib.sha256).hexdigest()


def _sign(manifest: bytes, secret: str) -> tuple[dict, bytes | None]:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    from documents.services.pki import org_key, signing_configured

    signature: dict = {"manifest_sha256": hashlib.sha256(manifest).hexdigest()}
    pem = None
    if signing_configured():
        org = org_key()
        signature["rsa_pkcs1v15_sha256"] = base64.b64encode(
            org.private_key.sign(manifest, padding.PKCS1v15(), hashes.SHA256())
        ).decode()
        signature["signer_fingerprint"] = org.fingerprint
        from cryptography import x509

        pem = x509.load_der_x509_certificate(org.certificate.dump()).public_bytes(
            serialization.Encoding.PEM
        )
    if secret:
        signature["hmac_sha256"] = manifest_hmac(manifest, secret)
    return signature, pem


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in entries:
            info = zipfile.ZipInfo(path, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def body_secret(referral: Referral) -> str:
    profile = getattr(referral.body, "arbitration_profile", None)
    return profile.webhook_secret if profile else ""


def referral_file_build(*, referral_id: int) -> Referral:
    """Build and store the file once; deliver the referral. Raises NotReady while a part
    is missing (the task retries)."""
    referral = Referral.objects.select_related("case", "body", "agreement").get(pk=referral_id)
    if referral.status != Referral.Status.PREPARING or referral.file_sha256:
        return referral
    Referral.objects.filter(pk=referral.pk).update(build_attempts=F("build_attempts") + 1)
    try:
        files = _collect(referral)
    except NotReady as exc:
        Referral.objects.filter(pk=referral.pk).update(build_error=str(exc)[:2000])
        raise
    manifest = _json(
        {
            "format": FORMAT,
            "case": referral.case.reference,
            "arbitration_body": {"id": referral.body_id, "name": referral.body.name},
            "referral_event": {"seq": referral.event.seq, "hash": referral.event.hash},
            "files": [
                {
                    "path": path,
                    "kind": kind,
                    "size": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
                for path, data, kind in files.entries
            ],
        }
    )
    signature, pem = _sign(manifest, body_secret(referral))
    entries = [(path, data) for path, data, _kind in files.entries]
    entries += [(MANIFEST, manifest), (SIGNATURE, _json(signature))]
    if pem:
        entries.append((SIGNER, pem))
    archive = _zip(entries)
    digest = hashlib.sha256(archive).hexdigest()
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=referral.case_id)
        referral = Referral.objects.select_for_update().select_related("body").get(pk=referral.pk)
        if referral.status != Referral.Status.PREPARING or referral.file_sha256:
            return referral
        name = f"arbitration/referrals/{case.reference}/{referral.pk}-{digest[:16]}.zip"
        if default_storage.exists(name):
            default_storage.delete(name)
        referral.file.name = default_storage.save(name, ContentFile(archive))
        referral.file_sha256 = digest
        referral.file_size = len(archive)
        referral.manifest_sha256 = signature["manifest_sha256"]
        referral.status = Referral.Status.DELIVERED
        referral.delivered_at = timezone.now()
        referral.build_error = ""
        referral.save()
        event_append(
            case=case,
            kind="arbitration.referral_delivered",
            actor_role=CaseRole.SYSTEM,
            payload={
                "referral": referral.pk,
                "body": referral.body_id,
                "file_sha256": digest,
                "manifest_sha256": referral.manifest_sha256,
                "files": len(files.entries),
            },
        )
        _clock_from_delivery(case, referral)
        from arbitration.services.webhooks import delivery_create

        delivery_create(referral=referral, topic="referral.delivered")
    return referral


def _clock_from_delivery(case: Case, referral: Referral) -> None:
    """The body's 5-day acceptance clock runs from delivery (Arbitration Law art. 24): the
    refer event started it; if the file is delivered on a later day, it restarts."""
    from cases.models import Deadline, State
    from cases.services import clocks

    delivered_on = timezone.localdate(referral.delivered_at)
    if case.state != State.REFERRED or delivered_on == timezone.localdate(
        referral.event.created_at
    ):
        return
    if clocks.deadline_end(
        case=case, clock_key="arbitration_acceptance", status=Deadline.Status.CANCELLED
    ):
        clocks.deadline_start(
            case=case, clock_key="arbitration_acceptance", start=referral.delivered_at
        )


@dataclass(frozen=True)
class FileCheck:
    ok: bool
    problems: tuple[str, ...]


def referral_file_verify(data: bytes, *, secret: str = "", manifest_sha256: str = "") -> FileCheck:
    """Check a referral ZIP: every file against the manifest, the manifest against its
    signatures and (if given) the hash the event log recorded."""
    problems: list[str] = []
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        manifest = archive.read(MANIFEST)
        signature = json.loads(archive.read(SIGNATURE))
        listed = json.loads(manifest)["files"]
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        return FileCheck(False, (f"unreadable: {exc}",))
    digest = hashlib.sha256(manifest).hexdigest()
    if signature.get("manifest_sha256") != digest:
        problems.append("manifest.json does not match manifest.sig.json")
    if manifest_sha256 and manifest_sha256 != digest:
        problems.append("manifest.json does not match the case event log")
    if secret and not hmac.compare_digest(
        signature.get("hmac_sha256", ""), manifest_hmac(manifest, secret)
    ):
        problems.append("the manifest's HMAC does not verify")
    if "rsa_pkcs1v15_sha256" in signature:
        problems.extend(_check_rsa(archive, manifest, signature))
    for entry in listed:
        path = entry["path"]
        if path not in names:
            problems.append(f"{path}: missing")
            continue
        if hashlib.sha256(archive.read(path)).hexdigest() != entry["sha256"]:
            problems.append(f"{path}: SHA-256 does not match the manifest")
    extra = names - {e["path"] for e in listed} - {MANIFEST, SIGNATURE, SIGNER}
    problems.extend(f"{path}: not in the manifest" for path in sorted(extra))
    return FileCheck(not problems, tuple(problems))


def _check_rsa(archive: zipfile.ZipFile, manifest: bytes, signature: dict) -> list[str]:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    try:
        certificate = x509.load_pem_x509_certificate(archive.read(SIGNER))
        certificate.public_key().verify(
            base64.b64decode(signature["rsa_pkcs1v15_sha256"]),
            manifest,
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (KeyError, ValueError, InvalidSignature):
        return ["the manifest's signature does not verify"]
    return []
