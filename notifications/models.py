"""What was said to whom, over which channel, and what became of it.

A ``Notification`` is one message to one person over one channel about one case event.
It is written in the same transaction as the event (so an event never exists without its
notices, and a rolled-back event leaves none), unique per (event, recipient, channel) so
that handling an event twice writes nothing new, and carries its text already rendered in
the recipient's language: the record shows exactly what was sent.

The inbox shows a notice in the reader's language of the moment, not in the one it was
written in: each row also keeps its template's placeholder values in every language
(``params``), and ``title`` / ``text`` render the template again in the active language.
Rows written before ``params`` existed show their stored text.

SMS and email rows are then delivered by a Celery task (services/delivery.py explains how
a row is sent once). In-app rows are the inbox: delivered by being written, read when the
recipient marks them.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from notifications import texts


class Notification(models.Model):
    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("email")
        INAPP = "inapp", _("in-app")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting to be sent")
        # An attempt started and its outcome is not known yet (or was lost with a worker):
        # the next attempt asks the provider before it sends again.
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")

    event = models.ForeignKey(
        "cases.CaseEvent", on_delete=models.PROTECT, related_name="notifications"
    )
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="notifications")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    # The template used: an event kind, qualified by the clock for deadline events.
    kind = models.CharField(_("kind"), max_length=60)
    audience = models.CharField(_("recipient's role"), max_length=20)
    language = models.CharField(_("language"), max_length=10)
    # The phone number or email address at the time of the event; blank in-app.
    address = models.CharField(_("address"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    # The template's placeholder values per language, {"zh-hans": {"ref": ...}, "en": {...}}:
    # what the inbox needs to show this notice in the reader's language. Empty on rows
    # written before it was kept.
    params = models.JSONField(_("placeholder values"), default=dict, blank=True)

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    # Not to be sent before this moment (SMS quiet hours).
    not_before = models.DateTimeField(_("not before"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # When the latest task queued for this row is due to run; the sweep re-queues rows
    # whose task is well overdue (services/delivery.py).
    queued_for = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(_("provider's message id"), max_length=100, blank=True)
    provider_status = models.CharField(_("provider's status"), max_length=20, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), db_index=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "recipient", "channel"], name="notification_once_per_channel"
            ),
        ]
        indexes = [
            # The inbox and its unread badge.
            models.Index(fields=["recipient", "channel", "read_at"], name="notification_inbox_idx"),
            # The sweep that re-queues SMS and email not done in time.
            models.Index(
                fields=["status", "not_before"],
                name="notification_due_idx",
                condition=Q(status__in=["pending", "sending"]),
            ),
            models.Index(fields=["provider_id"], name="notification_provider_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id} ({self.channel}, {self.status})"

    def rendered_in(self, language: str | None) -> texts.Rendered | None:
        """The notice's words in ``language``, from its template and stored values; None
        when the row cannot be rendered again (no values kept: an older row) or when the
        template now asks for a value that was not kept and the stored text is in this
        language anyway."""
        language = texts.language_of(language)
        values = (self.params or {}).get(language)
        if not isinstance(values, dict):
            return None
        if language == self.language and not texts.has_values(
            kind=self.kind, audience=self.audience, language=language, values=values
        ):
            return None
        return texts.render(
            kind=self.kind, audience=self.audience, language=language, values=values
        )

    @property
    def title(self) -> str:
        """The subject in the active language (the reader's)."""
        rendered = self.rendered_in(get_language())
        return rendered.subject if rendered else self.subject

    @property
    def text(self) -> str:
        """The full text as the inbox shows it, in the active language (the reader's). Only
        in-app rows: an SMS or an email is what was sent, as stored."""
        if self.channel != self.Channel.INAPP:
            return self.body
        rendered = self.rendered_in(get_language())
        return rendered.body if rendered else self.body


class NotificationPreference(models.Model):
    """The channels a person wants notices on, besides the inbox (which always gets them).

    Login codes are not notices: they always go by SMS, at any hour.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    sms = models.BooleanField(_("by SMS"), default=True)
    email = models.BooleanField(_("by email"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: sms={self.sms} email={self.email}"


class TwilioMessage(models.Model):
    """The status Twilio reports for one of our messages, stored against its SID.

    Written when a send returns and by every status callback, whichever comes first;
    covers login codes (no notification) as well as notices.
    """

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("accepted")
        SCHEDULED = "scheduled", _("scheduled")
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        DELIVERED = "delivered", _("delivered")
        UNDELIVERED = "undelivered", _("undelivered")
        FAILED = "failed", _("failed")
        READ = "read", _("read")
        CANCELED = "canceled", _("canceled")

    sid = models.CharField(_("Twilio SID"), max_length=64, unique=True)
    notification = models.ForeignKey(
        Notification,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="twilio_messages",
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    error_code = models.CharField(_("error code"), max_length=10, blank=True)
    # Every status as it arrived: [[status, ISO time], ...].
    history = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Twilio message")
        verbose_name_plural = _("Twilio messages")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.sid} {self.status}"
