"""Celery tasks: push one record, re-queue what is due, recompute the index snapshot."""

import logging

from celery import shared_task

from credit.services.export import outbox_due, outbox_push
from credit.services.recompute import credit_index_recompute, credit_index_recompute_all

logger = logging.getLogger(__name__)


def enqueue(task, pk: int) -> None:
    """Queue ``task(pk)`` after a commit. Never raises: it runs after someone else's change
    committed (eagerly, inside their request), and a broker that is down must fail neither
    that request nor the after-commit handlers queued behind it. The outbox sweep
    (``credit.requeue_outbox``) and the nightly recomputation take up what was not queued.
    """
    try:
        task.delay(pk)
    except Exception:
        logger.exception(
            "credit: %s(%s) failed or was not queued; the sweep retries", task.name, pk
        )


@shared_task(
    name="credit.push_record",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    # Attempts are counted on the outbox row (CREDIT_EXPORT_PUSH_MAX_ATTEMPTS), not here.
    max_retries=None,
)
def push_record(self, outbox_id: int) -> str:
    outcome = outbox_push(outbox_id=outbox_id)
    # Eagerly (development, tests) a retry would run at once, inside the request: the row
    # keeps its next attempt time and the sweep takes it up.
    if outcome.retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.code


@shared_task(name="credit.requeue_outbox", ignore_result=True)
def requeue_outbox() -> int:
    due = outbox_due()
    for outbox_id in due:
        push_record.delay(outbox_id)
    return len(due)


@shared_task(name="credit.recompute_merchant", ignore_result=True, acks_late=True)
def recompute_merchant(merchant_id: int) -> str:
    return credit_index_recompute(merchant_id=merchant_id).grade


@shared_task(name="credit.recompute_all", ignore_result=True, acks_late=True)
def recompute_all() -> int:
    return credit_index_recompute_all()
