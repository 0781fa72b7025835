"""Live mediation: what the rooms of a case need besides their messages.

The messages themselves are ``cases.Message`` rows (room, per-room ``seq``, client id):
the database is the record, delivery is only a notification. Here are the parties'
standing in the joint room (muted, in caucus), read receipts, who is connected (with an
expiry: presence is what heartbeats keep alive, not what disconnect events say), the
sessions the mediator schedules, agreement terms and their acceptance, and files shared
into a room.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cases.models import Case, Evidence, Message, Offer


class Party(models.TextChoices):
    CONSUMER = "consumer", _("consumer")
    MERCHANT = "merchant", _("merchant")


class PartyStanding(models.Model):
    """A party's standing in the joint room: muted until a moment, or taken into caucus."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    party = models.CharField(max_length=10, choices=Party.choices)
    muted_until = models.DateTimeField(null=True, blank=True)
    in_caucus = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("party standing")
        verbose_name_plural = _("party standings")
        constraints = [
            models.UniqueConstraint(fields=["case", "party"], name="standing_one_per_party")
        ]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.party}"


class ReadMark(models.Model):
    """The last message a participant has read in a room (a read receipt); only grows."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    room = models.CharField(max_length=20)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_read_seq = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("read receipt")
        verbose_name_plural = _("read receipts")
        constraints = [
            models.UniqueConstraint(fields=["case", "room", "user"], name="readmark_unique")
        ]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.room} {self.user_id}@{self.last_read_seq}"


class Presence(models.Model):
    """One open socket of a participant, alive while its heartbeats keep ``expires_at`` ahead.

    A row, not a cache entry: every server process sees the same presence, it survives a
    Redis restart, and the console joins it with the mediator's cases in one query. A
    crashed process never says goodbye; its rows simply expire.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=20)
    channel_name = models.CharField(max_length=200, unique=True)
    connected_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("presence")
        verbose_name_plural = _("presence")
        indexes = [models.Index(fields=["case", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.role} until {self.expires_at:%H:%M:%S}"


class MediationSession(models.Model):
    """A live session the mediator schedules; the parties are reminded by notifications."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="mediation_sessions")
    starts_at = models.DateTimeField(_("starts at"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"),
        default=60,
        validators=[MinValueValidator(15), MaxValueValidator(480)],
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("mediation session")
        verbose_name_plural = _("mediation sessions")
        ordering = ["starts_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.starts_at:%Y-%m-%d %H:%M}"


class Proposal(models.Model):
    """Agreement terms the mediator proposes (structured like an offer); both parties accept."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        AGREED = "agreed", pgettext_lazy("proposal status", "agreed")
        SUPERSEDED = "superseded", _("replaced by newer terms")
        LAPSED = "lapsed", pgettext_lazy("proposal status", "lapsed")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="mediation_proposals")
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Offer.Kind.choices)
    amount = models.DecimalField(
        _("amount (CNY)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    description = models.TextField(_("terms"))
    performance_days = models.PositiveSmallIntegerField(
        _("days to perform after agreement"), default=7
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("proposed terms")
        verbose_name_plural = _("proposed terms")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="open"), name="proposal_one_open_per_case"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.description[:40]}"

    def terms(self) -> dict:
        return {
            "proposal": self.pk,
            "kind": self.kind,
            "amount": str(self.amount) if self.amount is not None else None,
            "description": self.description,
            "performance_days": self.performance_days,
        }


class ProposalAcceptance(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="acceptances")
    party = models.CharField(max_length=10, choices=Party.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    accepted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("acceptance of terms")
        verbose_name_plural = _("acceptances of terms")
        constraints = [
            models.UniqueConstraint(fields=["proposal", "party"], name="acceptance_one_per_party")
        ]

    def __str__(self) -> str:
        return f"{self.proposal_id} accepted by {self.party}"


def room_file_upload_to(instance: "RoomFile", filename: str) -> str:
    # Server-generated names only, as for evidence.
    return f"mediation/{instance.sha256[:2]}/{instance.sha256}{instance.extension}"


class RoomFile(models.Model):
    """A file shared into a room, referenced by its message.

    In the joint room the file becomes case evidence (``evidence``), which every party
    sees anyway. In a caucus it stays here, private to that caucus (``file``).
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    room = models.CharField(max_length=20)
    message = models.OneToOneField(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="room_file"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    evidence = models.ForeignKey(
        Evidence, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(upload_to=room_file_upload_to, max_length=200, blank=True)
    kind = models.CharField(max_length=8, choices=Evidence.Kind.choices)
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("shared file")
        verbose_name_plural = _("shared files")
        constraints = [
            models.CheckConstraint(
                name="roomfile_stored_once",
                condition=Q(evidence__isnull=False, file="") | Q(evidence__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.room}: {self.original_name}"

    @property
    def extension(self) -> str:
        return {"jpeg": ".jpg", "png": ".png", "pdf": ".pdf", "mp4": ".mp4"}[self.kind]


class SystemText(models.Model):
    """A message from the service itself (``author_role="system"``) in both languages.

    The message's own body holds the case's language, as the record always did; the room,
    its history and the transcript show each reader the text in their language. Messages
    posted before this was kept have their body only.
    """

    message = models.OneToOneField(
        Message, on_delete=models.CASCADE, primary_key=True, related_name="system_text"
    )
    text_zh = models.TextField(_("text in Chinese"))
    text_en = models.TextField(_("text in English"))

    class Meta:
        verbose_name = _("service message text")
        verbose_name_plural = _("service message texts")

    def __str__(self) -> str:
        return f"{self.message_id}"

    def text_in(self, language: str | None) -> str:
        return self.text_en if (language or "").startswith("en") else self.text_zh
