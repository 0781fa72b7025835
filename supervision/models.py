"""The regulator's workspace: alert rules and alerts, ratings, follow-up visits, reports.

Nothing here changes a case. Alert rules are data (a regulator tunes them); an alert is
unique per (rule, subject, window), so detection can run as often as it likes and raises
one alert per spike. Ratings and visits are facts about closed cases; monthly reports are
signed PDFs stored with their SHA-256.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RuleKind(models.TextChoices):
    MERCHANT_SPIKE = "merchant_spike", _("merchant's weekly complaints spike")
    CATEGORY_SPIKE = "category_spike", _("category spike in a district")
    PLATFORM_SPIKE = "platform_spike", _("platform spike in a district")
    REPEATED_BREACHES = "repeated_breaches", _("repeated breaches by a merchant")
    SAME_PRODUCT = "same_product", _("many complaints naming the same product")
    # Reports of suspected violations (举报, the reports app) against one merchant.
    REPORT_SURGE = "report_surge", _("surge of reports against a merchant")


class Severity(models.TextChoices):
    LOW = "low", pgettext_lazy("severity", "low")
    MEDIUM = "medium", pgettext_lazy("severity", "medium")
    HIGH = "high", pgettext_lazy("severity", "high")


class AlertRule(models.Model):
    """One tunable rule for one jurisdiction ('' is the national default).

    A rule for a jurisdiction replaces, inside that jurisdiction, any broader rule of the
    same kind: the national default runs only where no regulator set their own.
    """

    kind = models.CharField(_("rule"), max_length=24, choices=RuleKind.choices)
    jurisdiction = models.CharField(
        _("jurisdiction (division code)"), max_length=6, blank=True, default=""
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    severity = models.CharField(
        _("severity"), max_length=8, choices=Severity.choices, default=Severity.MEDIUM
    )
    # Spike rules: weeks of history, standard deviations, minimum count.
    # Breaches: days looked back and how many breaches. Same product: days and count.
    weeks = models.PositiveSmallIntegerField(
        _("weeks of history"), default=8, validators=[MinValueValidator(2), MaxValueValidator(52)]
    )
    sigmas = models.DecimalField(
        _("standard deviations above the mean"),
        max_digits=4,
        decimal_places=1,
        default=3,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    min_count = models.PositiveIntegerField(
        _("at least this many"), default=5, validators=[MinValueValidator(1)]
    )
    days = models.PositiveSmallIntegerField(
        _("days looked back"), default=90, validators=[MinValueValidator(1), MaxValueValidator(366)]
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        ordering = ["kind", "jurisdiction"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "jurisdiction"], name="alert_rule_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.jurisdiction or '*'})"


class Alert(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("alert status", "open")
        ACKNOWLEDGED = "acknowledged", pgettext_lazy("alert status", "acknowledged")
        ASSIGNED = "assigned", pgettext_lazy("alert status", "assigned")
        ACTING = "acting", pgettext_lazy("alert status", "action taken")
        CLOSED = "closed", pgettext_lazy("alert status", "closed")

    rule = models.ForeignKey(AlertRule, on_delete=models.PROTECT, related_name="alerts")
    kind = models.CharField(_("rule"), max_length=24, choices=RuleKind.choices)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    # Where it happened: who sees it and who is told.
    division_code = models.CharField(_("division code"), max_length=6, db_index=True)
    # What spiked ("merchant:12", "category:371302:goods.food") and when (a week's
    # Monday, or the breach record that completed the count): the idempotency key.
    subject = models.CharField(max_length=200)
    window = models.CharField(max_length=40)
    # What the subject is called (a merchant's name, a category code, a product address).
    subject_label = models.CharField(pgettext_lazy("alert", "subject"), max_length=300)
    # The numbers and the cases: {"count": 9, "mean": 1.5, "sd": 0.5, "threshold": 5,
    # "history": [...], "cases": ["LY-2026-000001", ...]}
    evidence = models.JSONField(default=dict)
    status = models.CharField(
        _("status"), max_length=14, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    close_note = models.TextField(_("closing note"), blank=True)
    created_at = models.DateTimeField(_("raised at"), db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "subject", "window"], name="alert_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject_label}"

    @property
    def subject_display(self) -> str:
        """The subject as people read it: a category by its name, in the current language."""
        if self.kind == RuleKind.CATEGORY_SPIKE:
            from cases.categories import CATEGORY_CHOICES

            return str(dict(CATEGORY_CHOICES).get(self.subject_label, self.subject_label))
        return self.subject_label


class AlertAction(models.Model):
    """One step of an alert's handling, append-only: who did what, with which note."""

    class Kind(models.TextChoices):
        ACKNOWLEDGE = "acknowledge", _("acknowledged")
        ASSIGN = "assign", _("assigned")
        ACT = "act", _("action recorded")
        CLOSE = "close", pgettext_lazy("alert action", "closed")

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="actions")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    note = models.TextField(blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.kind}"


class AlertNotice(models.Model):
    """An alert told to one regulator of its jurisdiction: in the workspace (always) and by
    email when they have an address. Unique per (alert, recipient, channel)."""

    class Channel(models.TextChoices):
        INAPP = "inapp", _("in-app")
        EMAIL = "email", _("email")

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notices")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "recipient", "channel"], name="alert_notice_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.alert_id} → {self.recipient_id} ({self.channel})"


class Rating(models.Model):
    """The consumer's rating of how their complaint was handled, once, after closure."""

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="rating")
    consumer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    score = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True, max_length=1000)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5), name="rating_score_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.score}"


class FollowUpVisit(models.Model):
    """A regulator's follow-up visit (回访) with the consumer about a case."""

    class Method(models.TextChoices):
        PHONE = "phone", _("by phone")
        SMS = "sms", pgettext_lazy("visit method", "by SMS")
        ONSITE = "onsite", _("in person")

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    regulator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    visited_on = models.DateField(_("date of the visit"))
    method = models.CharField(_("how"), max_length=8, choices=Method.choices)
    reached = models.BooleanField(_("the consumer was reached"), default=True)
    score = models.PositiveSmallIntegerField(
        _("consumer's satisfaction (1 to 5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    note = models.TextField(_("note"), max_length=2000)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("follow-up visit")
        verbose_name_plural = _("follow-up visits")
        ordering = ["-visited_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5),
                name="visit_score_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.visited_on}"


class MonthlyReport(models.Model):
    """One jurisdiction's report for one month, a signed PDF. Rebuilding makes a new version."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        BUILDING = "building", _("being built")
        READY = "ready", _("ready")
        FAILED = "failed", pgettext_lazy("report status", "failed")

    jurisdiction = models.CharField(_("jurisdiction (division code)"), max_length=6)
    month = models.DateField(_("month"))  # the first day of the month
    version = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    step = models.CharField(max_length=100, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.FileField(max_length=200, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    signer_subject = models.CharField(max_length=300, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        ordering = ["-month", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "month", "version"], name="monthly_report_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.jurisdiction} {self.month:%Y-%m} v{self.version}"
