"""Celery tasks for accounts."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from accounts.models import OtpChallenge


@shared_task(name="accounts.purge_login_codes")
def purge_login_codes() -> int:
    """Delete login codes older than a day (expired long ago; kept a day for rate limits)."""
    deleted, _ = OtpChallenge.objects.filter(
        created_at__lt=timezone.now() - timedelta(days=1)
    ).delete()
    return deleted
