"""Celery tasks for group complaints: the fan-out of a group agreement, one task per
member. Each task takes a share's key and calls the service, which is idempotent (a
share applied is left alone), so a retried or duplicated task never reaches a second
agreement on a case. Only database lock timeouts are retried."""

from celery import shared_task
from django.db import OperationalError

_RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 5,
}


@shared_task(name="groups.apply_share", **_RETRY)
def apply_share(share_id: int) -> str:
    from groups.services.agreement import group_share_apply

    return group_share_apply(share_id=share_id).status


@shared_task(name="groups.apply_agreement", **_RETRY)
def apply_agreement(agreement_id: int) -> dict:
    """The sweep of one agreement: every share still to apply (a catch-up after lost
    tasks; harmless when all are done)."""
    from groups.services.agreement import group_agreement_apply

    return group_agreement_apply(agreement_id=agreement_id)


def enqueue_agreement(agreement_id: int) -> None:
    """After commit: one task per accepted share."""
    from groups.models import AgreementShare

    for share_id in AgreementShare.objects.filter(
        agreement_id=agreement_id, status=AgreementShare.Status.ACCEPTED
    ).values_list("pk", flat=True):
        apply_share.delay(share_id)
