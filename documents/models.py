"""The register of outcome documents, and the parties' SMS confirmations of agreements.

A ``Document`` row is one version of one document. Its PDF never changes once written: a
correction is a new version that supersedes it, and the old one stays verifiable as
superseded. A document the parties must agree to (settlement, mediation agreement) is
first rendered as an unsigned draft; each party confirms the SHA-256 of exactly that
draft with an SMS code; the organisation then signs it as an incremental update, so the
signed PDF begins with the very bytes the parties confirmed (``content_sha256`` /
``content_size``).
"""

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from documents.kinds import SPECS, Kind


def documents_storage():
    """The storage for documents: the ``documents`` alias of STORAGES if configured
    (S3-compatible storage, say), else the default storage."""
    alias = "documents" if "documents" in settings.STORAGES else "default"
    return storages[alias]


class Document(models.Model):
    class Status(models.TextChoices):
        PREPARING = "preparing", _("being prepared")
        AWAITING_CONFIRMATION = "awaiting_confirmation", _("awaiting the parties' confirmation")
        VALID = "valid", _("valid")
        SUPERSEDED = "superseded", _("superseded")
        REVOKED = "revoked", _("revoked")
        FAILED = "failed", _("could not be prepared")

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    number = models.CharField(_("document number"), max_length=40, unique=True)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    language = models.CharField(_("language"), max_length=10)
    # The date printed on the document: the day of the event it records (Beijing time).
    dated = models.DateField(_("date"))
    # The case event this document records (the same for every version) ...
    event = models.ForeignKey(
        "cases.CaseEvent", on_delete=models.PROTECT, related_name="+", verbose_name=_("event")
    )
    # ... and the event that asked for this version: the same event for version 1, the
    # correction request for later versions. One document per kind and source event.
    source_event = models.ForeignKey("cases.CaseEvent", on_delete=models.PROTECT, related_name="+")
    # A foreign key, not one-to-one: a correction that is itself revoked leaves the way
    # open for another correction of the same document.
    supersedes = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        verbose_name=_("supersedes"),
    )
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.PREPARING
    )
    status_reason = models.TextField(_("reason for the status"), blank=True)

    # The rendered document before the organisation's signature: what the parties see.
    content_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    content_size = models.PositiveIntegerField(null=True, blank=True)
    # Where the signature's appearance (the seal) goes: {"page": 0, "box": [x1, y1, x2, y2]}.
    seal_position = models.JSONField(null=True, blank=True)
    draft_file = models.FileField(storage=documents_storage, max_length=200, blank=True)
    # The issued, signed PDF.
    file = models.FileField(storage=documents_storage, max_length=200, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True, db_index=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    signer_fingerprint = models.CharField(
        _("signer certificate SHA-256 fingerprint"), max_length=64, blank=True
    )
    signer_subject = models.CharField(_("signer"), max_length=300, blank=True)
    # Who signs, in order (services/seals.py): the mediator in person where they sign, then
    # the seal of the office, organisation or platform; fixed when the document is
    # rendered, and completed with each certificate's subject and fingerprint when signed.
    signers = models.JSONField(_("signers"), default=list, blank=True)
    timestamped = models.BooleanField(_("time-stamped (PAdES B-T)"), default=False)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)

    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["case", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind", "source_event"], name="document_once_per_event"
            ),
            models.CheckConstraint(
                name="document_issued_has_file",
                condition=~Q(status__in=["valid", "superseded"]) | ~Q(sha256=""),
            ),
        ]
        indexes = [models.Index(fields=["status", "updated_at"])]

    def __str__(self) -> str:
        return self.number

    @property
    def spec(self):
        return SPECS[self.kind]

    @property
    def title(self) -> str:
        """The document's title in the reader's language (the active one): lists, the case
        page and the verify page name it so, whatever language its PDF is in."""
        language = get_language() or settings.LANGUAGE_CODE
        return self.spec.title(language=language, ruleset=self.case.ruleset)

    @property
    def issued_title(self) -> str:
        """The title printed on the PDF, in the language the document was issued in."""
        return self.spec.title(language=self.language, ruleset=self.case.ruleset)

    @property
    def is_signed(self) -> bool:
        return bool(self.sha256)

    @property
    def needs_confirmation(self) -> bool:
        return self.spec.needs_confirmation


class ConfirmationCode(models.Model):
    """An SMS code sent to one party to confirm one document draft; once used, the record
    of the confirmation (who, when, from where, which draft)."""

    class Party(models.TextChoices):
        CONSUMER = "consumer", _("consumer")
        MERCHANT = "merchant", _("merchant")

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="confirmations")
    party = models.CharField(max_length=10, choices=Party.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    phone = models.CharField(max_length=20)
    code_hash = models.CharField(max_length=64)
    # The draft the code was sent for: a code never confirms a different draft.
    content_sha256 = models.CharField(max_length=64)
    requested_ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    consumed_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_ip = models.GenericIPAddressField(null=True, blank=True)
    event = models.ForeignKey(
        "cases.CaseEvent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("confirmation code")
        verbose_name_plural = _("confirmation codes")
        ordering = ["document", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "party"],
                condition=Q(confirmed_at__isnull=False),
                name="one_confirmation_per_party",
            )
        ]

    def __str__(self) -> str:
        return f"{self.document_id}/{self.party} @ {self.created_at:%Y-%m-%d %H:%M}"
