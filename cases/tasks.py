"""Celery tasks for cases: the deadline sweep on the beat schedule."""

from celery import shared_task
from django.db import OperationalError

from cases.services.clocks import deadlines_recompute_provisional, deadlines_sweep


@shared_task(
    name="cases.sweep_deadlines",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def sweep_deadlines() -> dict:
    # A year's holidays entered since the last run make provisional deadlines final.
    recomputed = deadlines_recompute_provisional()
    report = deadlines_sweep()
    return {
        "recomputed": recomputed,
        "escalated": len(report.escalated),
        "expired": len(report.expired),
        "flagged": len(report.flagged),
        "reminded": len(report.reminded),
        "waiting": len(report.waiting),
    }
