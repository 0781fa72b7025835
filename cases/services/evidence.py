"""Evidence files: checked by their content, stored under their SHA-256, never by their name."""

import hashlib

from django.conf import settings
from django.core.files.base import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from cases.models import Case, CaseEvent, ComplaintDraft, Evidence
from cases.services.events import event_append
from odr.errors import Conflict, DomainError, TooLarge

MAX_FILES = 10
MAX_BYTES = 20 * 1024 * 1024
MP4_BRANDS = {
    b"isom",
    b"iso2",
    b"iso4",
    b"iso5",
    b"iso6",
    b"mp41",
    b"mp42",
    b"avc1",
    b"M4V ",
    b"dash",
    b"msnv",
    b"3gp4",
    b"3gp5",
    b"mmp4",
    b"qt  ",
}


def evidence_detect_kind(head: bytes) -> str | None:
    """What a file is by its first bytes: jpeg, png, pdf, mp4 or None (refused)."""
    if head.startswith(b"\xff\xd8\xff"):
        return Evidence.Kind.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Evidence.Kind.PNG
    if head.startswith(b"%PDF-"):
        return Evidence.Kind.PDF
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in MP4_BRANDS:
        return Evidence.Kind.MP4
    return None


def check_evidence_file(upload: UploadedFile, *, already: int) -> tuple[str, str]:
    """Refuse a file that is too many, too large or not one of the four kinds; else (kind, sha)."""
    limit = getattr(settings, "EVIDENCE_MAX_FILES", MAX_FILES)
    max_bytes = getattr(settings, "EVIDENCE_MAX_BYTES", MAX_BYTES)
    if already >= limit:
        raise DomainError(
            _("At most %(n)d evidence files per complaint; remove one to add another.")
            % {"n": limit},
            code="too_many_files",
            fields={"file": [_("At most %(n)d files.") % {"n": limit}]},
        )
    if upload.size is not None and upload.size > max_bytes:
        raise TooLarge(
            _("“%(name)s” is larger than %(mb)d MB.")
            % {"name": upload.name, "mb": max_bytes // (1024 * 1024)},
            fields={
                "file": [_("Files may be at most %(mb)d MB.") % {"mb": max_bytes // (1024 * 1024)}]
            },
        )
    upload.seek(0)
    head = upload.read(32)
    kind = evidence_detect_kind(head)
    if kind is None:
        raise DomainError(
            _("“%(name)s” is not a JPEG, PNG, PDF or MP4 file. Only these kinds are accepted.")
            % {"name": upload.name},
            code="unsupported_file",
            fields={"file": [_("Only JPEG, PNG, PDF and MP4 files are accepted.")]},
        )
    upload.seek(0)
    digest = hashlib.sha256()
    size = 0
    for chunk in upload.chunks():
        digest.update(chunk)
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge(
                _("“%(name)s” is larger than %(mb)d MB.")
                % {"name": upload.name, "mb": max_bytes // (1024 * 1024)},
                fields={
                    "file": [
                        _("Files may be at most %(mb)d MB.") % {"mb": max_bytes // (1024 * 1024)}
                    ]
                },
            )
    upload.seek(0)
    return kind, digest.hexdigest()


def evidence_add(
    *,
    uploaded_by,
    upload: UploadedFile,
    case: Case | None = None,
    draft: ComplaintDraft | None = None,
    description: str = "",
) -> Evidence:
    """Attach a file to a case (under the case lock, with an event) or to a draft."""
    assert (case is None) != (draft is None)
    with transaction.atomic():
        if case is not None:
            case = Case.objects.select_for_update().get(pk=case.pk)
            if case.is_terminal:
                raise Conflict(_("This case is closed: no more evidence can be added."))
            already = Evidence.objects.filter(case=case).count()
        else:
            draft = ComplaintDraft.objects.select_for_update().get(pk=draft.pk)
            already = Evidence.objects.filter(draft=draft).count()
        kind, sha = check_evidence_file(upload, already=already)
        evidence = Evidence(
            case=case,
            draft=draft,
            uploaded_by=uploaded_by,
            kind=kind,
            original_name=(upload.name or "")[:255],
            size=upload.size or 0,
            sha256=sha,
            description=description[:300],
        )
        evidence.file.save("upload", File(upload), save=False)
        evidence.save()
        if case is not None:
            event_append(
                case=case,
                kind="evidence.added",
                actor=uploaded_by,
                actor_role=_role(case, uploaded_by),
                payload={
                    "evidence": evidence.pk,
                    "sha256": sha,
                    "kind": kind,
                    "size": evidence.size,
                },
                visibility=CaseEvent.Visibility.PARTIES,
            )
    return evidence


def evidence_remove_from_draft(*, evidence: Evidence, actor) -> None:
    if evidence.draft_id is None or evidence.case_id is not None:
        raise DomainError(_("Only files of a draft can be removed."))
    evidence.file.delete(save=False)
    evidence.delete()


def _role(case: Case, user) -> str:
    from cases.services.transitions import _actor_role

    return _actor_role(case, user)
