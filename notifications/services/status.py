"""Message statuses reported by Twilio, stored against each message's SID.

Statuses arrive out of order and more than once (Twilio retries callbacks); a status only
ever moves forward (queued, sending, sent, then one final: delivered, undelivered, failed).
A notice whose SMS Twilio reports delivered becomes ``delivered``; undelivered or failed
becomes ``failed`` with Twilio's error code. A status may arrive before the send's own
answer was recorded, or instead of it (the worker died): the notice's id in the callback
URL attaches the SID to the notice then.
"""

from django.db import transaction
from django.utils import timezone

from notifications.models import Notification, TwilioMessage

_RANK = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "canceled": 4,
    "read": 5,
}
FINAL = frozenset({"delivered", "undelivered", "failed", "canceled", "read"})
KNOWN = frozenset(_RANK)
_FAILED = frozenset({"undelivered", "failed", "canceled"})


def _moves_forward(current: str, new: str) -> bool:
    if current in FINAL and new != "read":
        return False
    return _RANK.get(new, -1) > _RANK.get(current, -1)


def twilio_status_record(
    *, sid: str, status: str, error_code: str = "", notification_id: int | None = None
) -> TwilioMessage:
    """Record one status report (a callback, or the answer to a send) for a Twilio SID."""
    status = status.lower()
    now = timezone.now()
    with transaction.atomic():
        # Insert-or-nothing, then lock: two reports for a new SID cannot both create it.
        TwilioMessage.objects.bulk_create(
            [TwilioMessage(sid=sid, status=status)], ignore_conflicts=True
        )
        message = TwilioMessage.objects.select_for_update().get(sid=sid)
        message.history = [*message.history, [status, now.isoformat(), error_code]][-50:]
        if _moves_forward(message.status, status) or message.status == status:
            message.status = status
            if error_code:
                message.error_code = error_code[:10]
        notification = None
        target = message.notification_id or notification_id
        if target:
            notification = (
                Notification.objects.select_for_update()
                .filter(pk=target, channel=Notification.Channel.SMS)
                .first()
            )
        if (
            message.notification_id is None
            and notification is not None
            and notification.provider_id in ("", sid)
        ):
            message.notification = notification
        message.save(
            update_fields=["history", "status", "error_code", "notification", "updated_at"]
        )
        if message.notification_id and notification is not None:
            _apply_to_notification(message, notification, now)
    return message


def _apply_to_notification(message: TwilioMessage, notification: Notification, now) -> None:
    fields: list[str] = []
    if not notification.provider_id:
        notification.provider_id = message.sid
        fields.append("provider_id")
    if notification.provider_id != message.sid:
        return  # a second message for the same notice: recorded, but it decides nothing
    if notification.provider_status != message.status:
        notification.provider_status = message.status
        fields.append("provider_status")
    status = message.status
    if status in ("delivered", "read") and notification.status != Notification.Status.DELIVERED:
        notification.status = Notification.Status.DELIVERED
        notification.delivered_at = now
        notification.last_error = ""
        fields += ["status", "delivered_at", "last_error"]
    elif status in _FAILED and notification.status != Notification.Status.FAILED:
        notification.status = Notification.Status.FAILED
        notification.failed_at = now
        notification.last_error = f"Twilio reports {status}" + (
            f" (error {message.error_code})" if message.error_code else ""
        )
        fields += ["status", "failed_at", "last_error"]
    elif status not in FINAL and notification.status in (
        Notification.Status.PENDING,
        Notification.Status.SENDING,
    ):
        notification.status = Notification.Status.SENT
        notification.sent_at = now
        notification.last_error = ""
        notification.queued_for = None
        fields += ["status", "sent_at", "last_error", "queued_for"]
    if fields:
        notification.save(update_fields=sorted(set(fields)))
