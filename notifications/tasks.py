"""Celery tasks: send one notice (queued after the event's commit), and the sweep.

The task takes the notification's id and runs one step of services/delivery.py; whether
to try again, and when, is decided there and recorded on the row. Late acknowledgement
and requeue on a lost worker are set per task as well as in the settings: this task's
correctness depends on them.
"""

from celery import shared_task

from notifications.services.delivery import notification_deliver, notifications_requeue_due


@shared_task(
    name="notifications.send",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    # The attempts are counted on the row (NOTIFY_MAX_ATTEMPTS), not by Celery.
    max_retries=None,
)
def send_notification(self, notification_id: int) -> str:
    outcome = notification_deliver(notification_id=notification_id)
    # Eagerly (development without Redis, tests) a retry would run at once, in the
    # request: the row stays as it is and the sweep takes it up.
    if outcome.retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.code


@shared_task(name="notifications.requeue_due", ignore_result=True)
def requeue_due() -> int:
    return notifications_requeue_due()
