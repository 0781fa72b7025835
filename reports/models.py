"""A report of a suspected violation (举报), the reporter's identity kept apart, its
evidence, its clocks and its hash-chained log.

A report is not a complaint: the reporter is no party to a dispute. The office checks the
lead and decides whether to open a case (立案). ``Report.state`` is a protected
django-fsm-2 field whose transitions are pure field changes; reports/services/ lock the
row, transition, save and append the event in one transaction.

The named reporter's name, phone and ID number live in ``ReporterIdentity``, a row of its
own that only the handling office's regulators read (reports/selectors.py): nothing that
serialises or prints a report touches it, and no event payload copies it.
"""

import hashlib
import json

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from accounts.models import Merchant, RegulatorOffice
from cases.models import Case, Deadline
from odr.sequences import NumberSequence
from reports.violations import VIOLATION_CHOICES


class State(models.TextChoices):
    RECEIVED = "received", pgettext_lazy("report state", "received")
    VERIFYING = "verifying", pgettext_lazy("report state", "being verified")
    OPENED = "opened", pgettext_lazy("report state", "case opened")
    NOT_OPENED = "not_opened", pgettext_lazy("report state", "no case opened")


DECIDED_STATES = (State.OPENED, State.NOT_OPENED)


class Finding(models.TextChoices):
    NONE = "", pgettext_lazy("report finding", "not yet")
    VIOLATION = "violation", pgettext_lazy("report finding", "violation found")
    NO_VIOLATION = "no_violation", pgettext_lazy("report finding", "no violation found")


class ReportSequence(NumberSequence):
    """The last report number given out per prefix and year (odr/sequences.py)."""

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="report_seq_unique")]


class Report(ConcurrentTransitionMixin, models.Model):
    reference = models.CharField(_("reference"), max_length=24, unique=True)
    state = FSMField(
        _("state"), default=State.RECEIVED, choices=State.choices, protected=True, db_index=True
    )
    ruleset = models.CharField(_("rule set"), max_length=40)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    # When the office received it: the day its clock runs from (the name is the cases'
    # so supervision's weekly counts read both the same way).
    submitted_at = models.DateTimeField(_("received at"), db_index=True)

    # The reporter's account, if they were signed in and gave their name; never set for an
    # anonymous report, so nothing links an anonymous report to anyone.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="violation_reports",
    )
    anonymous = models.BooleanField(_("anonymous"), default=False)
    wants_notice = models.BooleanField(_("wants to be told of the decision"), default=False)

    merchant = models.ForeignKey(
        Merchant, null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    merchant_name = models.CharField(_("merchant's name"), max_length=200)
    merchant_address = models.CharField(_("merchant's address"), max_length=300, blank=True)
    merchant_store_url = models.CharField(_("store or product address"), max_length=500, blank=True)
    division_code = models.CharField(_("division code"), max_length=6, db_index=True)
    office = models.ForeignKey(
        RegulatorOffice, null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    violation_kind = models.CharField(
        _("kind of violation"), max_length=30, choices=VIOLATION_CHOICES
    )
    facts = models.TextField(_("what happened"))
    # A complaint filed together with the report (one submission): linked both ways, the
    # case by this key and the case's log by a staff-only event naming the report.
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )

    extended_at = models.DateTimeField(_("extended at"), null=True, blank=True)
    extension_reason = models.TextField(_("reason for the extension"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reasons = models.TextField(_("reasons for the decision"), blank=True)
    finding = models.CharField(
        _("finding"), max_length=20, choices=Finding.choices, blank=True, default=""
    )
    finding_summary = models.TextField(_("what was found"), blank=True)
    finding_at = models.DateTimeField(_("found at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("report of a violation")
        verbose_name_plural = _("reports of violations")
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["merchant", "submitted_at"])]
        constraints = [
            models.CheckConstraint(
                name="report_anonymous_has_no_reporter",
                condition=Q(anonymous=False) | Q(reporter__isnull=True, wants_notice=False),
            )
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def decided(self) -> bool:
        return self.state in DECIDED_STATES

    @transition(field=state, source=State.RECEIVED, target=State.VERIFYING)
    def verify(self) -> None:
        pass

    @transition(field=state, source=[State.RECEIVED, State.VERIFYING], target=State.OPENED)
    def open(self, *, reasons: str) -> None:
        self.decision_reasons = reasons

    @transition(field=state, source=[State.RECEIVED, State.VERIFYING], target=State.NOT_OPENED)
    def not_open(self, *, reasons: str) -> None:
        self.decision_reasons = reasons


class ReporterIdentity(models.Model):
    """Who a named reporter is: read only by the handling office's regulators, never shown
    to the merchant, never copied into an event, a document, a notice to anyone else or a
    credit record."""

    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="identity")
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=20)
    id_number = models.CharField(_("ID number"), max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reporter's identity")
        verbose_name_plural = _("reporters' identities")

    def __str__(self) -> str:
        return f"{self.report_id}: {mask(self.name)}"


def mask(value: str, keep: int = 1) -> str:
    """A value with all but its first `keep` and last characters hidden: 张*三, 138****0001."""
    value = value or ""
    if len(value) <= keep:
        return "*" * len(value)
    if len(value) <= keep + 1:
        return value[:keep] + "*"
    tail = 4 if len(value) >= 11 else 1
    return value[:keep] + "*" * max(1, len(value) - keep - tail) + value[-tail:]


def report_evidence_upload_to(instance: "ReportEvidence", filename: str) -> str:
    # Server-generated names only, under the content's hash (cases' evidence does the same).
    return f"report-evidence/{instance.sha256[:2]}/{instance.sha256}{instance.extension}"


class ReportEvidence(models.Model):
    """A file given with a report: checked by content (cases/services/evidence.py), stored
    by hash, served only to the handling office."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to=report_evidence_upload_to, max_length=200)
    kind = models.CharField(max_length=8)
    original_name = models.CharField(_("original file name"), max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("report evidence")
        verbose_name_plural = _("report evidence")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.sha256[:12]})"

    @property
    def extension(self) -> str:
        return {"jpeg": ".jpg", "png": ".png", "pdf": ".pdf", "mp4": ".mp4"}.get(self.kind, "")


class ReportDeadline(models.Model):
    """A clock on a report: the same fields, statuses and meaning as a case's ``Deadline``
    (docs/adr/0009), driven by the report rule set's Clock declarations."""

    Status = Deadline.Status

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="deadlines")
    clock = models.CharField(max_length=40)
    started_at = models.DateTimeField()
    due_on = models.DateField()
    due_at = models.DateTimeField(db_index=True)
    provisional = models.BooleanField(default=False)
    latest_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=Deadline.Status.choices, default=Deadline.Status.RUNNING
    )
    reminded_at = models.DateTimeField(null=True, blank=True)
    flagged_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "clock"],
                condition=Q(status="running"),
                name="one_running_report_deadline_per_clock",
            )
        ]

    def __str__(self) -> str:
        return f"{self.clock} due {self.due_on}"


class ReportEvent(models.Model):
    """One append-only entry of a report's log, chained to the one before by SHA-256.

    Its payload never holds the reporter's name, phone or ID number."""

    class Visibility(models.TextChoices):
        REPORTER = "reporter", _("the reporter and the office")
        STAFF = "staff", _("staff only")

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_role = models.CharField(max_length=20)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    payload = models.JSONField(default=dict)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.REPORTER
    )
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    HASHED_FIELDS = (
        "report",
        "seq",
        "kind",
        "actor",
        "actor_role",
        "from_state",
        "to_state",
        "payload",
        "visibility",
        "created_at",
        "prev_hash",
    )

    class Meta:
        ordering = ["report", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["report", "seq"], name="report_event_seq_unique")
        ]

    def __str__(self) -> str:
        return f"{self.report_id}#{self.seq} {self.kind}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("Report events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Report events are append-only.")

    def canonical(self, *, reference: str) -> bytes:
        content = {
            "report": reference,
            "seq": self.seq,
            "kind": self.kind,
            "actor": self.actor_id,
            "actor_role": self.actor_role,
            "from_state": self.from_state,
            "to_state": self.to_state,
            "payload": self.payload,
            "visibility": self.visibility,
            "created_at": self.created_at.isoformat(),
            "prev_hash": self.prev_hash,
        }
        content = {name: content[name] for name in ReportEvent.HASHED_FIELDS}
        return json.dumps(
            content, sort_keys=True, ensure_ascii=False, separators=(",", ":")
        ).encode()

    def compute_hash(self, *, reference: str) -> str:
        return hashlib.sha256(self.canonical(reference=reference)).hexdigest()


class ReportNotice(models.Model):
    """What the reporter was told, over which channel, and what became of it: one row per
    (report, kind, channel), so telling twice sends nothing new."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting to be sent")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="notices")
    event = models.ForeignKey(ReportEvent, on_delete=models.PROTECT, related_name="notices")
    kind = models.CharField(max_length=40)
    channel = models.CharField(max_length=8, default="sms")
    language = models.CharField(max_length=10)
    address = models.CharField(max_length=254, blank=True)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    provider_id = models.CharField(max_length=100, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notice to a reporter")
        verbose_name_plural = _("notices to reporters")
        constraints = [
            models.UniqueConstraint(fields=["report", "kind", "channel"], name="report_notice_once")
        ]

    def __str__(self) -> str:
        return f"{self.report_id} {self.kind} {self.channel}"


GENESIS_HASH = "0" * 64
