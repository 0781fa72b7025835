"""Telling a named reporter who asked of the office's decision (Order 20 art. 31: within
5 working days of it; cases/rulesets.py, clock "reporter_notice").

After the decision commits, ``reporter_notice_for_event`` queues the task; the task writes
the notice once (unique per report, kind and channel), sends it by SMS to the phone the
reporter gave, and ends the clock when it went. An anonymous reporter, or one who did not
ask, is never sent anything (there is no one, or no wish, to tell). The merchant is told
nothing of a report by this app, ever.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cases.rulesets import report_ruleset_by_key
from notifications.services.recording import public_url
from odr.sms import send_sms
from reports import texts
from reports.models import Report, ReportEvent, ReportNotice
from reports.services.clocks import notice_owed, report_clocks_move
from reports.services.events import report_event_append

logger = logging.getLogger(__name__)


def reporter_notice_for_event(event: ReportEvent) -> None:
    """After-commit handler of a decision: queue the notice. Never raises."""
    from reports import tasks

    try:
        tasks.notify_reporter.delay(event.pk)
    except Exception:
        logger.exception("reports: the notice for event %s was not queued", event.pk)


def _citation(report: Report, language: str) -> str:
    rules = report_ruleset_by_key(report.ruleset)
    if language == "en":
        return rules.notice_citation_en
    return rules.notice_citation_zh


def reporter_notify(*, event_id: int) -> ReportNotice | None:
    """Write and send the notice of the decision ``event_id`` announced (idempotent)."""
    event = ReportEvent.objects.select_related("report").filter(pk=event_id).first()
    if event is None or event.kind not in texts.TEXTS:
        return None
    report = event.report
    if not notice_owed(report):
        return None
    identity = report.identity
    language = texts.language_of(report.language)
    reasons = report.decision_reasons
    if len(reasons) > texts.REASONS_IN_SMS:
        reasons = reasons[: texts.REASONS_IN_SMS - 1] + "…"
    _subject, body = texts.render(
        event.kind,
        language,
        ref=report.reference,
        citation=_citation(report, language),
        reasons=reasons,
        link=public_url(reverse("reports:detail", kwargs={"ref": report.reference})),
    )
    notice, _created = ReportNotice.objects.get_or_create(
        report=report,
        kind="decision",
        channel="sms",
        defaults={"event": event, "language": language, "address": identity.phone, "body": body},
    )
    if notice.status == ReportNotice.Status.SENT:
        return notice
    try:
        message = send_sms(to=notice.address, body=notice.body)
    except Exception as exc:  # the provider failed: the clock keeps running, the sweep flags it
        ReportNotice.objects.filter(pk=notice.pk).update(
            status=ReportNotice.Status.FAILED, last_error=str(exc)[:500]
        )
        logger.warning("reports: the notice of %s was not sent: %s", report.reference, exc)
        return notice
    now = timezone.now()
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        ReportNotice.objects.filter(pk=notice.pk).update(
            status=ReportNotice.Status.SENT, sent_at=now, provider_id=message.provider_id[:100]
        )
        moved = report_clocks_move(report=locked, step="reporter_notified", at=now)
        report_event_append(
            report=locked,
            kind="report.reporter_notified",
            actor_role="system",
            payload={"channel": "sms", "clocks": moved},
        )
    notice.refresh_from_db()
    return notice
