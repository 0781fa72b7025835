"""Sending one SMS or email notice: once. Not zero times, and not twice.

The problem
-----------
A worker sends the request to Twilio and may die (SIGKILL, out of memory, a lost host) at
any instant: before the request leaves, while Twilio handles it, or after Twilio answered
and before the answer is written down. Celery runs with late acknowledgement and requeue
on a lost worker (settings: ``acks_late``, ``reject_on_worker_lost``), so the task message
comes back (at once if only the pool process died, after the broker's visibility timeout
if the whole worker did) and the task runs again: that gives "not zero". "Not twice" needs
the second run to know whether the first one's message went out, and our database cannot
know that: the worker may have died between Twilio's yes and our write. Only Twilio knows.

The protocol
------------
1. Claim, in one short transaction under the row lock, committed *before* the provider is
   called: a row already sent, delivered or failed is skipped (a task run twice sends
   once); otherwise it becomes ``sending``, with ``claimed_at`` and one more attempt. The
   claim is a compare-and-set on (status, attempts), so two runs cannot both claim it,
   even on SQLite, which has no row locks.
2. A row found already ``sending`` is an earlier attempt whose outcome nobody saw. If that
   claim is younger than ``NOTIFY_SEND_SETTLE_SECONDS`` the earlier attempt may still be
   running, or its request still be in flight: come back when it is older. Then ask the
   provider first (Twilio: the recipient's recent messages, for one with this text created
   since the first attempt). Found: record its SID, done, nothing sent. This look-up is
   what turns at-least-once into once.
3. Send. Two more guards ride along: an idempotency token derived from the row
   (``I-Twilio-Idempotency-Token``), and the status callback URL carries the row's id, so
   Twilio's first status report attaches the SID to the row even if the send's answer
   was lost.
4. Record the provider id and ``sent``. A crash between 3 and 4 leaves the row
   ``sending``: step 2 on the next run finds the message.

Errors: a 4xx (a bad number, a refused sender) cannot get better: ``failed`` at once. A
network error, a timeout, a 5xx or a 429 may or may not have produced a message: the row
stays ``sending`` (outcome unknown) and the task retries with exponential backoff, never
sooner than the settle time, so the retry asks before it sends. After
``NOTIFY_MAX_ATTEMPTS`` attempts the row is ``failed``: logged as an error, filterable in
the admin, with the last error on the row; a later status callback from Twilio still
corrects it if the message did go out.

Limits: a provider that cannot be asked (email over SMTP; the console, file and locmem
SMS backends) is sent to again after an unknown outcome (at least once); email carries a
stable Message-ID per notice so that mail systems can drop the copy. And a message Twilio
accepted but does not list for longer than the settle time would be sent again; the
idempotency token covers that case if Twilio honours it on message creation.

Quiet hours: an SMS whose turn comes between 22:00 and 08:00 (Asia/Shanghai) is put off to
08:00, at every attempt, not only when it was written.
"""

import datetime as dt
import logging
import random
import smtplib
from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from notifications.backends import ProviderError, Receipt
from notifications.models import Notification
from notifications.quiet_hours import sms_not_before
from odr.sms import SmsMessage, get_backend

logger = logging.getLogger(__name__)

Status = Notification.Status
Channel = Notification.Channel
DONE = (Status.SENT, Status.DELIVERED, Status.FAILED)
MAX_ERROR = 2000


@dataclass(frozen=True)
class Outcome:
    """What one run did: ``sent``, ``found`` (an earlier attempt's message), ``done``
    (nothing to do), ``deferred`` (quiet hours), ``busy`` (another attempt may be running),
    ``retry``, ``failed`` or ``missing``. ``retry_in``: run again in that many seconds."""

    code: str
    retry_in: float | None = None


def idempotency_token(notification_id: int) -> str:
    return f"odr-notification-{notification_id}"


def email_message_id(notification_id: int) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "odr12315.invalid"
    return f"<odr-notification-{notification_id}@{domain}>"


# --- Channels ------------------------------------------------------------------------


class _SmsChannel:
    """SMS through the configured ``odr.sms`` backend (Twilio in production)."""

    def send(self, notification: Notification) -> Receipt:
        message = SmsMessage(
            to=notification.address,
            body=notification.body,
            meta={
                "notification_id": notification.pk,
                "idempotency_token": idempotency_token(notification.pk),
            },
        )
        get_backend().send(message)
        return Receipt(
            provider_id=message.provider_id,
            status=message.meta.get("provider_status", "sent"),
            provider=message.meta.get("provider", ""),
        )

    def find(self, notification: Notification) -> Receipt | None:
        find_sent = getattr(get_backend(), "find_sent", None)
        if find_sent is None:  # a backend that cannot be asked: send again
            return None
        return find_sent(
            to=notification.address,
            body=notification.body,
            since=notification.first_attempt_at or notification.created_at,
        )


class _EmailChannel:
    """Email through Django's email backend (console in development, SMTP configured)."""

    def send(self, notification: Notification) -> Receipt:
        message_id = email_message_id(notification.pk)
        message = EmailMessage(
            subject=notification.subject,
            body=notification.body,
            to=[notification.address],
            headers={"Message-ID": message_id},
        )
        try:
            message.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise ProviderError(
                f"recipient refused: {codes}", retryable=any(c < 500 for c in codes)
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise ProviderError(
                f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", retryable=exc.smtp_code < 500
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ProviderError(f"SMTP: {type(exc).__name__}: {exc}", retryable=True) from exc
        return Receipt(provider_id=message_id, status="sent", provider="email")

    def find(self, notification: Notification) -> Receipt | None:
        return None  # SMTP cannot be asked


_CHANNELS = {Channel.SMS: _SmsChannel(), Channel.EMAIL: _EmailChannel()}


# --- The steps -----------------------------------------------------------------------


def _claim(notification_id: int, now: dt.datetime) -> tuple[Notification, bool] | Outcome:
    settle = settings.NOTIFY_SEND_SETTLE_SECONDS
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None:
            return Outcome("missing")
        if notification.channel not in _CHANNELS or notification.status in DONE:
            return Outcome("done")
        if notification.channel == Channel.SMS:
            quiet_until = sms_not_before(now)
            if quiet_until and (notification.not_before or now) < quiet_until:
                notification.not_before = quiet_until
                notification.queued_for = quiet_until
                notification.save(update_fields=["not_before", "queued_for"])
        if notification.not_before and notification.not_before > now:
            return Outcome("deferred", (notification.not_before - now).total_seconds())
        unknown = notification.status == Status.SENDING
        if unknown and notification.claimed_at:
            age = (now - notification.claimed_at).total_seconds()
            if age < settle:
                return Outcome("busy", settle - age)
        claimed = Notification.objects.filter(
            pk=notification.pk, status=notification.status, attempts=notification.attempts
        ).update(
            status=Status.SENDING,
            claimed_at=now,
            attempts=notification.attempts + 1,
            first_attempt_at=notification.first_attempt_at or now,
        )
        if not claimed:
            return Outcome("busy", settle)
    notification.status = Status.SENDING
    notification.claimed_at = now
    notification.attempts += 1
    notification.first_attempt_at = notification.first_attempt_at or now
    return notification, unknown


def _record_sent(notification: Notification, receipt: Receipt) -> None:
    if receipt.provider == "twilio":
        # One transaction for the SID's status and the notice, locked in the order a
        # status callback locks them (the Twilio row, then the notice).
        from notifications.services.status import twilio_status_record

        twilio_status_record(
            sid=receipt.provider_id, status=receipt.status, notification_id=notification.pk
        )
        return
    now = timezone.now()
    with transaction.atomic():
        row = Notification.objects.select_for_update().get(pk=notification.pk)
        fields = ["provider_status"]
        if not row.provider_id:
            row.provider_id = receipt.provider_id
            fields.append("provider_id")
        if row.status in (Status.PENDING, Status.SENDING):
            row.status = Status.SENT
            row.sent_at = now
            row.last_error = ""
            row.queued_for = None
            fields += ["status", "sent_at", "last_error", "queued_for"]
        row.provider_status = receipt.status
        row.save(update_fields=fields)


def _record_failed(notification: Notification, error: str) -> None:
    updated = Notification.objects.filter(
        pk=notification.pk, status__in=[Status.PENDING, Status.SENDING]
    ).update(
        status=Status.FAILED,
        failed_at=timezone.now(),
        last_error=error[:MAX_ERROR],
        queued_for=None,
    )
    if updated:
        logger.error(
            "notification %s (%s, %s) FAILED after %s attempt(s): %s",
            notification.pk,
            notification.channel,
            notification.kind,
            notification.attempts,
            error,
        )


def _retry_later(notification: Notification, error: str) -> Outcome:
    if notification.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
        _record_failed(
            notification, f"gave up after {notification.attempts} attempts; last: {error}"
        )
        return Outcome("failed")
    delay = min(
        settings.NOTIFY_RETRY_BACKOFF_SECONDS * 2 ** (notification.attempts - 1),
        settings.NOTIFY_RETRY_BACKOFF_MAX_SECONDS,
    )
    delay = max(delay, settings.NOTIFY_SEND_SETTLE_SECONDS) * random.uniform(1.0, 1.1)
    Notification.objects.filter(pk=notification.pk, status=Status.SENDING).update(
        last_error=error[:MAX_ERROR],
        queued_for=timezone.now() + dt.timedelta(seconds=delay),
    )
    logger.warning(
        "notification %s attempt %s failed, retrying in %.0f s: %s",
        notification.pk,
        notification.attempts,
        delay,
        error,
    )
    return Outcome("retry", delay)


def notification_deliver(*, notification_id: int) -> Outcome:
    """One run of the sending task for one notification (see the module docstring)."""
    claimed = _claim(notification_id, timezone.now())
    if isinstance(claimed, Outcome):
        return claimed
    notification, outcome_unknown = claimed
    channel = _CHANNELS[notification.channel]
    try:
        if outcome_unknown:
            found = channel.find(notification)
            if found is not None:
                logger.info(
                    "notification %s: the earlier attempt's message %s went out; not sending again",
                    notification.pk,
                    found.provider_id,
                )
                _record_sent(notification, found)
                return Outcome("found")
        receipt = channel.send(notification)
    except ProviderError as exc:
        if not exc.retryable:
            _record_failed(notification, str(exc))
            return Outcome("failed")
        return _retry_later(notification, str(exc))
    except Exception as exc:  # a bug, or a backend's own error: retried, then failed visibly
        logger.exception("notification %s: unexpected error while sending", notification.pk)
        return _retry_later(notification, f"{type(exc).__name__}: {exc}")
    _record_sent(notification, receipt)
    return Outcome("sent")


# --- Queueing ------------------------------------------------------------------------


def notifications_enqueue(*, rows: list[tuple[int, dt.datetime | None]]) -> int:
    """Queue the sending task for (id, not before) rows. Never raises: a row that could not
    be queued (broker down) is logged and left to the sweep."""
    from notifications.tasks import send_notification

    if not rows:
        return 0
    now = timezone.now()
    by_time: dict[dt.datetime, list[int]] = {}
    for pk, not_before in rows:
        by_time.setdefault(max(not_before or now, now), []).append(pk)
    for when, pks in by_time.items():
        Notification.objects.filter(pk__in=pks).update(queued_for=when)
    queued = 0
    for pk, not_before in rows:
        try:
            if not_before and not_before > now:
                send_notification.apply_async(args=[pk], eta=not_before)
            else:
                send_notification.delay(pk)
        except Exception:
            logger.exception("could not queue notification %s; the sweep will retry", pk)
        else:
            queued += 1
    return queued


def notifications_requeue_due(*, limit: int = 1000) -> int:
    """The beat sweep: queue again what is due and was not done well after it was queued
    (a message lost with a broker, a commit whose queueing failed). The task is idempotent,
    so queueing a row twice costs a look-up, never a second message."""
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.NOTIFY_REQUEUE_AFTER_SECONDS)
    due = (
        Notification.objects.filter(
            channel__in=[Channel.SMS, Channel.EMAIL],
            status__in=[Status.PENDING, Status.SENDING],
        )
        .filter(Q(queued_for__lt=stale) | Q(queued_for__isnull=True, created_at__lt=stale))
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return notifications_enqueue(rows=[(pk, None) for pk in due])


def notification_retry(*, notification: Notification) -> bool:
    """An officer's retry of a failed notice (admin). An earlier attempt may have gone out,
    so the retry asks the provider first, as after any unknown outcome."""
    settle = dt.timedelta(seconds=settings.NOTIFY_SEND_SETTLE_SECONDS)
    updated = Notification.objects.filter(pk=notification.pk, status=Status.FAILED).update(
        status=Status.SENDING if notification.first_attempt_at else Status.PENDING,
        claimed_at=timezone.now() - settle,
        attempts=0,
        failed_at=None,
    )
    if updated:
        notifications_enqueue(rows=[(notification.pk, None)])
    return bool(updated)
