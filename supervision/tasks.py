"""Celery tasks of the workspace: detection on the beat, alert emails, monthly reports."""

import datetime as dt

from celery import shared_task
from django.utils import timezone


@shared_task(name="supervision.detect_alerts")
def detect_alerts() -> int:
    from supervision.services.detection import alerts_detect

    return len(alerts_detect())


@shared_task(
    name="supervision.send_alert_emails",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def send_alert_emails(alert_id: int) -> int:
    from supervision.services.notices import alert_emails_send

    return alert_emails_send(alert_id=alert_id)


@shared_task(name="supervision.build_report")
def build_report(report_id: int) -> str:
    from supervision.services.reports import report_build

    return report_build(report_id=report_id).status


@shared_task(name="supervision.monthly_reports")
def monthly_reports() -> int:
    """On the first of a month: last month's report for every regulator's jurisdiction."""
    from supervision.services.reports import reports_schedule_month

    today = timezone.localdate()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return len(reports_schedule_month(month=last_month))
