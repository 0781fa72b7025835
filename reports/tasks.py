"""Celery tasks of the reports app: take keys, load, call a service."""

from celery import shared_task

from reports.services.clocks import report_deadlines_sweep
from reports.services.notices import reporter_notify


@shared_task(name="reports.notify_reporter", ignore_result=True, acks_late=True)
def notify_reporter(event_id: int) -> None:
    reporter_notify(event_id=event_id)


@shared_task(name="reports.sweep_deadlines", ignore_result=True)
def sweep_deadlines() -> None:
    report_deadlines_sweep()
