"""Arbitration referrals: the parties' agreement, the referral and its frozen file, the
body's API tokens, its webhook deliveries and the award.

The case itself moves through ``cases`` (refer_to_arbitration, arbitration_accept,
arbitration_decline, record_award, settle); these rows record what the arbitration side
adds to it. The arbitration agreement is a document of the ``documents`` register
(kind ``arbitration_agreement``) that both parties confirm with an SMS code; the row here
names the body it chooses and the case event that proposed it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import ArbitrationBody


class BodyProfile(models.Model):
    """What the platform knows about an arbitration body beyond its name: which cases it
    takes and where to push notices."""

    body = models.OneToOneField(
        ArbitrationBody,
        on_delete=models.CASCADE,
        related_name="arbitration_profile",
        verbose_name=_("arbitration body"),
    )
    # Complaint categories it takes (cases.categories keys or their prefixes); empty: all.
    categories = models.JSONField(_("categories taken"), default=list, blank=True)
    # Division codes (or prefixes, as odr.divisions reads them) it serves; empty: its own.
    divisions = models.JSONField(_("divisions served"), default=list, blank=True)
    accepts_referrals = models.BooleanField(_("takes referrals"), default=True)
    webhook_url = models.URLField(_("webhook URL"), max_length=500, blank=True)
    # Shared with the body to sign notices and referral manifests (HMAC-SHA256).
    webhook_secret = models.CharField(_("webhook secret"), max_length=128, blank=True)

    class Meta:
        verbose_name = _("arbitration body profile")
        verbose_name_plural = _("arbitration body profiles")

    def __str__(self) -> str:
        return str(self.body)


class Agreement(models.Model):
    """A post-dispute arbitration agreement proposed for one case, naming one body.

    The text is the ``documents`` draft rendered for ``event``; it binds once both parties
    have confirmed exactly that draft.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("awaiting both signatures")
        USED = "used", _("used for a referral")
        WITHDRAWN = "withdrawn", _("withdrawn")

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="arbitration_agreements"
    )
    body = models.ForeignKey(ArbitrationBody, on_delete=models.PROTECT, related_name="+")
    event = models.OneToOneField("cases.CaseEvent", on_delete=models.PROTECT, related_name="+")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROPOSED)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("arbitration agreement")
        verbose_name_plural = _("arbitration agreements")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="proposed"), name="one_open_agreement"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.body}"


class Referral(models.Model):
    """One referral of a case to one body, made by the refer_to_arbitration event."""

    class Status(models.TextChoices):
        PREPARING = "preparing", _("file being prepared")
        DELIVERED = "delivered", _("delivered")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        SETTLED = "settled", _("settled in arbitration")
        AWARDED = "awarded", _("award recorded")
        WITHDRAWN = "withdrawn", _("withdrawn")

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="referrals")
    body = models.ForeignKey(ArbitrationBody, on_delete=models.PROTECT, related_name="referrals")
    agreement = models.ForeignKey(
        Agreement, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    event = models.OneToOneField("cases.CaseEvent", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=14, choices=Status.choices, default=Status.PREPARING
    )
    # The frozen referral file (ZIP); built once, never rewritten.
    file = models.FileField(max_length=200, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    manifest_sha256 = models.CharField(max_length=64, blank=True)
    build_attempts = models.PositiveSmallIntegerField(default=0)
    build_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)

    class Meta:
        verbose_name = _("arbitration referral")
        verbose_name_plural = _("arbitration referrals")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["body", "status"])]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.body_id}"

    @property
    def reference(self) -> str:
        return self.case.reference

    @property
    def is_open(self) -> bool:
        return self.status in (
            self.Status.DELIVERED,
            self.Status.ACKNOWLEDGED,
            self.Status.ACCEPTED,
        )


class Award(models.Model):
    """The award a body recorded: its PDF and the terms the platform tracks."""

    referral = models.OneToOneField(Referral, on_delete=models.PROTECT, related_name="award")
    file = models.FileField(max_length=200)
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.PositiveIntegerField()
    amount = models.DecimalField(
        _("amount (CNY)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    obligations = models.TextField(_("obligations"))
    due_on = models.DateField(_("perform by"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("arbitration award")
        verbose_name_plural = _("arbitration awards")

    def __str__(self) -> str:
        return f"award {self.referral_id}"


class ApiToken(models.Model):
    """A body's API token. Only its SHA-256 is stored; the token is shown once."""

    body = models.ForeignKey(ArbitrationBody, on_delete=models.CASCADE, related_name="api_tokens")
    # The staff account the body's calls act as (the event log names a person).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("arbitration API token")
        verbose_name_plural = _("arbitration API tokens")

    def __str__(self) -> str:
        return f"{self.body} · {self.name} ({self.prefix}…)"


class WebhookDelivery(models.Model):
    """One notice to one body, tried until it is delivered or the retry window ends."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="deliveries")
    body = models.ForeignKey(ArbitrationBody, on_delete=models.PROTECT, related_name="+")
    topic = models.CharField(max_length=40)
    # Sent as the Idempotency-Key header, the same on every attempt.
    key = models.UUIDField(unique=True)
    url = models.URLField(max_length=500)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["referral", "topic"], name="one_delivery_per_topic")
        ]

    def __str__(self) -> str:
        return f"{self.topic} → {self.url}"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveSmallIntegerField()
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="attempt_number_unique")
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.status_code or self.error}"
