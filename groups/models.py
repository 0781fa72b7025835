"""Group complaints (群体投诉): many consumers' cases against one merchant on one matter,
coordinated by the office as one group.

Every member's case stays a whole ``cases.Case`` (its own reference, consumer, clocks, log,
documents and credit records); the group holds only what is shared: the merchant's one
answer, the mediation room of the representatives, the shared evidence and the group's
terms, applied to each member case through the cases services (docs/adr/0011).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Merchant
from cases.categories import CATEGORY_CHOICES
from cases.models import Case, CaseEvent

MAX_REPRESENTATIVES = 3


class GroupSequence(models.Model):
    """The last group reference given out per year (row-locked to increment)."""

    year = models.PositiveSmallIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"QT-{self.year}: {self.last}"


class CaseGroup(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    reference = models.CharField(_("reference"), max_length=24, unique=True)
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="case_groups")
    title = models.CharField(_("matter"), max_length=200)
    category = models.CharField(_("category"), max_length=40, choices=CATEGORY_CHOICES)
    # The office that handles the group: its regulators manage it.
    division_code = models.CharField(_("handling office"), max_length=6, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    max_representatives = models.PositiveSmallIntegerField(default=2)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    # The one mediator of the group's mediation, set when its cases are accepted.
    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mediated_groups",
    )
    # The merchant's one answer to the group.
    answer = models.TextField(_("the merchant's answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("group complaint")
        verbose_name_plural = _("group complaints")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["merchant", "status"])]

    def __str__(self) -> str:
        return self.reference


class GroupMembership(models.Model):
    """A case in a group. A case is in at most one group at a time (while active); one that
    left keeps its row, with when and why."""

    class How(models.TextChoices):
        LINKED = "linked", _("linked by the office")
        JOINED = "joined", _("joined by the consumer at filing")

    group = models.ForeignKey(CaseGroup, on_delete=models.CASCADE, related_name="memberships")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="group_memberships")
    # The member's number in the group: what other members see instead of their name.
    number = models.PositiveIntegerField()
    how = models.CharField(max_length=10, choices=How.choices)
    joined_at = models.DateTimeField()
    is_representative = models.BooleanField(default=False)
    left_at = models.DateTimeField(null=True, blank=True)
    objected = models.BooleanField(default=False)  # left by the consumer's own objection
    left_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["group", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(left_at__isnull=True), name="one_active_group_per_case"
            ),
            models.UniqueConstraint(fields=["group", "number"], name="group_member_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.group_id}#{self.number}"

    @property
    def active(self) -> bool:
        return self.left_at is None


class GroupNomination(models.Model):
    """A member's nomination of a representative (themselves or another member): one each,
    changeable; the office confirms up to the group's number of representatives among the
    nominated."""

    group = models.ForeignKey(CaseGroup, on_delete=models.CASCADE, related_name="nominations")
    nominator = models.ForeignKey(GroupMembership, on_delete=models.CASCADE, related_name="+")
    nominee = models.ForeignKey(
        GroupMembership, on_delete=models.CASCADE, related_name="nominations_received"
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["nominator"], name="one_nomination_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.nominator_id} -> {self.nominee_id}"


class GroupMessage(models.Model):
    """The group's mediation room: the representatives, the merchant, the mediator and the
    office speak; every member reads."""

    group = models.ForeignKey(CaseGroup, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # consumer (a representative, by member number), merchant, mediator, regulator.
    author_role = models.CharField(max_length=20)
    member_number = models.PositiveIntegerField(null=True, blank=True)
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["group", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["group", "seq"], name="group_message_seq_unique")
        ]

    def __str__(self) -> str:
        return f"{self.group_id}#{self.seq}"


def group_evidence_upload_to(instance: "GroupEvidence", filename: str) -> str:
    # The cases' content-addressed layout: a file already held is the same path.
    return f"evidence/{instance.sha256[:2]}/{instance.sha256}{instance.extension}"


class GroupEvidence(models.Model):
    """Evidence given to the group: one file, shown on every member's case."""

    group = models.ForeignKey(CaseGroup, on_delete=models.CASCADE, related_name="evidence")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploader_role = models.CharField(max_length=20)
    file = models.FileField(upload_to=group_evidence_upload_to, max_length=200)
    kind = models.CharField(max_length=8)
    original_name = models.CharField(_("original file name"), max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    description = models.CharField(_("description"), max_length=300, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.sha256[:12]})"

    @property
    def extension(self) -> str:
        return {"jpeg": ".jpg", "png": ".png", "pdf": ".pdf", "mp4": ".mp4"}[self.kind]


class GroupAgreement(models.Model):
    """The group's terms: one text, each member's own amount. Proposed by the mediator,
    accepted (or objected to) by each member, then recorded: each accepting member's case
    reaches its own mediation agreement."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed to the members")
        RECORDED = "recorded", _("recorded")
        WITHDRAWN = "withdrawn", _("withdrawn")

    group = models.ForeignKey(CaseGroup, on_delete=models.CASCADE, related_name="agreements")
    description = models.TextField(_("terms"))
    performance_due_on = models.DateField(_("perform by"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["group", "proposed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["group"], condition=Q(status="proposed"), name="one_proposed_agreement"
            )
        ]

    def __str__(self) -> str:
        return f"{self.group_id} terms {self.status}"


class AgreementShare(models.Model):
    """One member's part of the group's terms: their amount, their answer, and the event of
    their case's agreement once applied (unique: applied exactly once)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for the member")
        ACCEPTED = "accepted", _("accepted by the member")
        OBJECTED = "objected", _("objected to: left the group")
        APPLIED = "applied", _("agreement reached on the member's case")
        SKIPPED = "skipped", _("not applied")

    agreement = models.ForeignKey(GroupAgreement, on_delete=models.CASCADE, related_name="shares")
    membership = models.ForeignKey(GroupMembership, on_delete=models.PROTECT, related_name="shares")
    amount = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    answered_at = models.DateTimeField(null=True, blank=True)
    applied_event = models.OneToOneField(
        CaseEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    skipped_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["agreement", "membership__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "membership"], name="one_share_per_member_and_agreement"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id}/{self.membership_id} {self.status}"
