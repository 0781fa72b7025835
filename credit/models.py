"""Merchants' credit files: resolution records, replies, repair, the negative list, the index.

``CreditRecord`` is the fact: one row per (case event, kind), written in the transaction
of the event that causes it, never changed afterwards except for the mark that a
regulator's approved repair, or a reversal, puts on it (``repaired_at``), and whether the
consumer lets the public see it (``published``, the consumer's answer). Everything else
on a merchant's file (the figures, the complaint-handling index) is computed from these
rows; the one stored summary, ``MerchantCreditIndex``, is a snapshot for lists and is
recomputed from records.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Merchant
from cases.models import Case, CaseEvent


class CurrentTransactionId(models.Func):
    """The writing transaction's id on PostgreSQL (0 elsewhere): what the export feed's
    cursor orders by, so that a record committed late is never skipped (docs/credit.md)."""

    output_field = models.BigIntegerField()
    template = "txid_current()"

    def as_sqlite(self, compiler, connection, **extra_context):
        return "0", []


class RecordKind(models.TextChoices):
    COMPLAINT = "complaint", _("complaint counted")
    ACCEPTED = "accepted", _("complaint accepted by the regulator")
    ANSWERED = "answered", _("merchant answered in time")
    ANSWERED_LATE = "answered_late", _("merchant answered after the deadline")
    ANSWER_MISSED = "answer_missed", _("merchant did not answer in time")
    RESOLVED = "resolved", _("resolved by agreement")
    UNRESOLVED = "unresolved", _("not resolved")
    REFUSAL_OR_ABSENCE = "refusal_or_absence", _("merchant refused or stayed away from mediation")
    PERFORMED_ON_TIME = "performed_on_time", _("agreement or award carried out on time")
    PERFORMED_LATE = "performed_late", _("agreement or award carried out late")
    BREACH = "breach", _("agreement or award not carried out")
    ADVERSE_AWARD = "adverse_award", _("arbitral award against the merchant")
    REPAIR = "repair", _("credit repair approved")
    # The deadline a record rested on moved (a holiday notice entered later): the record is
    # marked and no longer counts; this points at it (``repairs``), and the record the new
    # date gives follows (``corrects``). A reversal may itself be reversed, when a later
    # move gives back the judgement the first one took away.
    REVERSAL = "reversal", _("record reversed: the deadline it rested on moved")
    # The office found a violation after opening a case on a report (举报, the reports
    # app): the only way a report reaches the file. It names the report's reference and
    # the kind of violation, never the reporter; it has no case and no case event.
    VIOLATION_FOUND = "violation_found", _("violation found by the office after a report")


class CreditRecord(models.Model):
    """One fact on a merchant's credit file. Append-only (and guarded so on PostgreSQL)."""

    Kind = RecordKind

    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="credit_records")
    # Empty only for a violation found on a report, which no complaint case carries.
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The event that caused it; empty only for a repair, which a regulator's decision causes.
    source_event = models.ForeignKey(
        CaseEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # What a repair or a reversal points at: the record it takes out of the counts.
    repairs = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="repair_records"
    )
    # A record written in place of a reversed one (the deadline it rested on moved): the
    # record it replaces. It may repeat its kind on the case, once per record replaced.
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=RecordKind.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    # The local (Beijing) date as a day number (date.toordinal()): decay is per day, and
    # integer arithmetic on it is the same in SQL on every database.
    occurred_day = models.IntegerField()
    recorded_at = models.DateTimeField(default=timezone.now)
    # De-identified facts copied from the case, so nothing public ever reads the case.
    case_reference = models.CharField(max_length=24)
    category = models.CharField(max_length=40)
    consumer = models.CharField(_("consumer (de-identified)"), max_length=8)
    division_code = models.CharField(max_length=6)
    details = models.JSONField(default=dict)
    response_seconds = models.PositiveIntegerField(null=True, blank=True)
    repaired_at = models.DateTimeField(_("repaired at"), null=True, blank=True)
    # Whether the public may see this record as an entry of its own: the consumer's answer
    # to the registration's publication question (``Case.agrees_to_publication``), copied
    # when the record is written and kept in step by the ``case.consent_changed`` handler.
    # Aggregates count every record whatever it says (docs/credit.md, "Publication").
    published = models.BooleanField(_("published"), default=False)
    txid = models.BigIntegerField(db_default=CurrentTransactionId(), editable=False)

    class Meta:
        verbose_name = _("credit record")
        verbose_name_plural = _("credit records")
        ordering = ["-occurred_at", "-id"]
        permissions = [("export_creditrecord", "Can read the credit record export feed")]
        constraints = [
            models.UniqueConstraint(
                fields=["source_event", "kind"], name="credit_record_once_per_event"
            ),
            models.UniqueConstraint(
                fields=["case", "kind"],
                condition=~Q(kind__in=["repair", "reversal"]) & Q(corrects__isnull=True),
                name="credit_record_once_per_case",
            ),
            models.UniqueConstraint(
                fields=["repairs"], condition=Q(kind="repair"), name="credit_repair_once"
            ),
            models.UniqueConstraint(
                fields=["repairs"], condition=Q(kind="reversal"), name="credit_reversal_once"
            ),
            models.UniqueConstraint(
                fields=["corrects"],
                condition=Q(corrects__isnull=False),
                name="credit_correction_once",
            ),
            models.CheckConstraint(
                name="credit_record_has_a_cause",
                condition=(
                    Q(kind="repair", repairs__isnull=False, source_event__isnull=True)
                    | Q(kind="reversal", repairs__isnull=False, source_event__isnull=False)
                    | Q(kind="violation_found", repairs__isnull=True, source_event__isnull=True)
                    | (
                        ~Q(kind__in=["repair", "reversal", "violation_found"])
                        & Q(repairs__isnull=True, source_event__isnull=False, case__isnull=False)
                    )
                ),
            ),
            # A report's finding is written once: keyed by the report's reference.
            models.UniqueConstraint(
                fields=["case_reference", "kind"],
                condition=Q(kind="violation_found"),
                name="credit_violation_once_per_report",
            ),
            # Only a record of the file's own kinds replaces another; never a repair or a
            # reversal.
            models.CheckConstraint(
                name="credit_correction_is_a_record",
                condition=Q(corrects__isnull=True) | ~Q(kind__in=["repair", "reversal"]),
            ),
        ]
        indexes = [
            # Everything a merchant's figures and index read: an index-only scan.
            models.Index(
                fields=["merchant", "occurred_at"],
                include=["id", "kind", "occurred_day", "repaired_at", "response_seconds"],
                name="credit_rec_merchant_cover",
            ),
            # The merchant's answer times, for the median: only the rows it reads.
            models.Index(
                fields=["merchant", "occurred_at"],
                include=["response_seconds"],
                condition=Q(kind__in=["answered", "answered_late"]),
                name="credit_rec_answers",
            ),
            # A merchant's public timeline (published records, newest first) and the count
            # of the others that its staff and regulators are told about.
            models.Index(
                fields=["merchant", "published", "occurred_at", "id"], name="credit_rec_public"
            ),
            models.Index(fields=["txid", "id"], name="credit_rec_feed"),
            models.Index(fields=["occurred_at"], name="credit_rec_time"),
        ]

    def __str__(self) -> str:
        return f"{self.case_reference} {self.kind}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("Credit records are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Credit records are append-only.")


class CreditDaily(models.Model):
    """How many records of a kind a merchant got on a day, and how many are repaired.

    Kept in step with the records in the same transaction (``credit.services.rollup``):
    each new record adds one, an approved repair adds one to ``repaired``, both as
    ``INSERT ... ON CONFLICT DO UPDATE SET n = n + ...`` (an atomic increment under the
    row's lock, never read-modify-write). A merchant's figures and index read at most a
    row per kind and day instead of every record: the same numbers, for the largest
    merchants in a few milliseconds. ``credit_rollup_rebuild`` recomputes it from records.
    """

    # Indexed by the unique constraint, which starts with it.
    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.IntegerField()  # date.toordinal() of the Beijing date, as on the record
    kind = models.CharField(max_length=24, choices=RecordKind.choices)
    n = models.PositiveIntegerField(default=0)
    repaired = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("credit records per day")
        verbose_name_plural = _("credit records per day")
        constraints = [
            models.UniqueConstraint(fields=["merchant", "day", "kind"], name="credit_daily_unique"),
            models.CheckConstraint(
                condition=Q(repaired__lte=F("n")), name="credit_daily_repaired_le_n"
            ),
        ]
        # A merchant's rows with their counts: an index-only scan on PostgreSQL.
        indexes = [
            models.Index(
                fields=["merchant", "day"],
                include=["kind", "n", "repaired"],
                name="credit_daily_cover",
            )
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id} {self.day} {self.kind}: {self.n}"


class CreditReply(models.Model):
    """The merchant's public reply to one record (right of reply); one per record."""

    record = models.OneToOneField(CreditRecord, on_delete=models.PROTECT, related_name="reply")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("reply"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("merchant's reply")
        verbose_name_plural = _("merchants' replies")

    def __str__(self) -> str:
        return f"reply to {self.record_id}"


class RepairApplication(models.Model):
    """A merchant's request that a negative record stop counting, and the regulator's answer."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for a decision")
        APPROVED = "approved", _("approved")
        REFUSED = "refused", _("refused")

    record = models.ForeignKey(
        CreditRecord, on_delete=models.PROTECT, related_name="repair_applications"
    )
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="+")
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    statement = models.TextField(_("how the breach was made good"))
    applied_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("credit repair application")
        verbose_name_plural = _("credit repair applications")
        ordering = ["applied_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["record"],
                condition=Q(status__in=["pending", "approved"]),
                name="credit_repair_one_open_per_record",
            )
        ]

    def __str__(self) -> str:
        return f"repair of {self.record_id} ({self.status})"


class NegativeListEntry(models.Model):
    """A merchant put on the negative list by a regulator's confirmation, until removed."""

    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, related_name="negative_list_entries"
    )
    reason = models.TextField(_("reason"))
    # What made the merchant eligible when it was confirmed (grade, score, breaches).
    basis = models.JSONField(default=dict)
    review_on = models.DateField(_("review date"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    removal_reason = models.TextField(_("reason for removal"), blank=True)

    class Meta:
        verbose_name = _("negative list entry")
        verbose_name_plural = _("negative list entries")
        ordering = ["-confirmed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant"],
                condition=Q(removed_at__isnull=True),
                name="credit_negative_list_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id} on the negative list since {self.confirmed_at:%Y-%m-%d}"


class MerchantCreditIndex(models.Model):
    """A snapshot of one merchant's index and 12-month figures, recomputed from records.

    For lists (the regulator's negative-list candidates); a merchant's own page computes
    its figures live.
    """

    merchant = models.OneToOneField(
        Merchant, primary_key=True, on_delete=models.CASCADE, related_name="credit_index"
    )
    score = models.DecimalField(max_digits=4, decimal_places=1)
    grade = models.CharField(max_length=1, db_index=True)
    components = models.JSONField(default=dict)
    complaints_12m = models.PositiveIntegerField(default=0)
    resolved_12m = models.PositiveIntegerField(default=0)
    concluded_12m = models.PositiveIntegerField(default=0)
    breaches_12m = models.PositiveIntegerField(default=0)
    as_of = models.DateField()
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("complaint-handling index")
        verbose_name_plural = _("complaint-handling indexes")

    def __str__(self) -> str:
        return f"{self.merchant_id}: {self.score} ({self.grade})"


class CreditOutbox(models.Model):
    """A record waiting to be pushed to the configured endpoint; written with the record."""

    record = models.OneToOneField(CreditRecord, on_delete=models.PROTECT, related_name="outbox")
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    gave_up_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("credit export outbox entry")
        verbose_name_plural = _("credit export outbox")

    def __str__(self) -> str:
        return f"push of {self.record_id}"
