"""Celery tasks: build a referral file, push a notice, and the sweeps that catch up.

Each takes primary keys and runs one step of a service; when to try again is decided
there. Eagerly (tests, development without Redis) nothing is retried in the request:
the row stays as it is and the sweep takes it up.
"""

from celery import shared_task
from django.conf import settings

from arbitration.models import Referral
from arbitration.services.referral_file import NotReady, referral_file_build
from arbitration.services.webhooks import deliveries_requeue_due, delivery_attempt


@shared_task(
    name="arbitration.build_referral",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    max_retries=None,
)
def build_referral(self, referral_id: int) -> str:
    try:
        referral_file_build(referral_id=referral_id)
    except NotReady:
        attempts = (
            Referral.objects.filter(pk=referral_id).values_list("build_attempts", flat=True).first()
        ) or 0
        if not self.request.is_eager and attempts < settings.ARBITRATION_BUILD_MAX_ATTEMPTS:
            raise self.retry(countdown=min(30 * 2 ** min(attempts, 8), 3600)) from None
        return "not_ready"
    return "built"


def enqueue_build(referral_id: int) -> None:
    build_referral.delay(referral_id)


@shared_task(
    name="arbitration.deliver_webhook",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    max_retries=None,
)
def deliver_webhook(self, delivery_id: int) -> str:
    outcome = delivery_attempt(delivery_id=delivery_id)
    if outcome.retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.code


@shared_task(name="arbitration.requeue_due", ignore_result=True)
def requeue_due() -> int:
    """Webhooks whose next attempt is due, and referral files still waiting for a part."""
    count = deliveries_requeue_due()
    for pk in Referral.objects.filter(
        status=Referral.Status.PREPARING,
        build_attempts__lt=settings.ARBITRATION_BUILD_MAX_ATTEMPTS,
    ).values_list("pk", flat=True)[:100]:
        enqueue_build(pk)
        count += 1
    return count
