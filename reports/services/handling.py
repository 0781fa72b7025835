"""The office handles a report: begins verifying it, extends the time to decide (once,
with the head's approval and a reason), decides whether to open a case (立案) with its
reasons, and, once a case is opened, records its finding.

Each step is one transaction: lock the report, check the actor and the state, transition,
save, append the event, move the clocks; a finding of a violation writes the merchant's
credit record in the same transaction. The reporter is told after the commit
(services/notices.py). Nothing a merchant reads is written here but that credit record,
which names the report's reference and the kind of violation, never the reporter.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from odr.errors import Conflict, DomainError, NotAllowed
from reports.models import Finding, Report, ReportDeadline, State
from reports.selectors import is_handling_regulator
from reports.services.clocks import report_clocks_move
from reports.services.events import report_event_append
from reports.services.filing import _clean

MAX_REASONS = 4000
DECISIONS = {"open": "report_open", "not_open": "report_not_open"}


def _locked(report: Report, actor) -> Report:
    locked = Report.objects.select_for_update().get(pk=report.pk)
    if not is_handling_regulator(user=actor, report=locked):
        raise NotAllowed(
            _("Only the office that handles this report may do this."), code="not_your_report"
        )
    return locked


def _reasons(value: str, field: str) -> str:
    text = _clean(value)
    if not text:
        raise DomainError(
            _("Please give the reasons."), code="reasons_required", fields={field: [_("Required.")]}
        )
    if len(text) > MAX_REASONS:
        raise DomainError(
            _("Please keep it under %(n)d characters.") % {"n": MAX_REASONS},
            code="too_long",
            fields={field: [_("Too long.")]},
        )
    return text


def report_verify(*, report: Report, actor, now: dt.datetime | None = None) -> Report:
    """Received → being verified: the office has taken the report up."""
    now = now or timezone.now()
    with transaction.atomic():
        report = _locked(report, actor)
        if not can_proceed(report.verify):
            raise Conflict(_("This report is already being verified or decided."))
        before = report.state
        report.verify()
        report.save()
        report_event_append(
            report=report,
            kind="report.verifying",
            actor=actor,
            actor_role="regulator",
            from_state=before,
            to_state=report.state,
        )
        report_clocks_move(report=report, step="report_verify", at=now)
    return report


def report_extend(*, report: Report, actor, reason: str, now: dt.datetime | None = None) -> Report:
    """Extend the time to decide, once, before it has run out (art. 18(1), cases/rulesets.py)."""
    now = now or timezone.now()
    reason = _reasons(reason, "reason")
    with transaction.atomic():
        report = _locked(report, actor)
        if report.decided:
            raise Conflict(_("This report has been decided: there is nothing to extend."))
        if report.extended_at is not None:
            raise Conflict(_("The time to decide can be extended only once."))
        first = ReportDeadline.objects.filter(
            report=report, clock="report_decision", status=ReportDeadline.Status.RUNNING
        ).first()
        if first is None or first.due_at < now:
            raise Conflict(
                _("The time to decide has already run out: it can no longer be extended.")
            )
        report.extended_at = now
        report.extension_reason = reason
        report.save(update_fields=["extended_at", "extension_reason", "updated_at"])
        moved = report_clocks_move(report=report, step="report_extend", at=now)
        report_event_append(
            report=report,
            kind="report.extended",
            actor=actor,
            actor_role="regulator",
            payload={"reason": reason, "clocks": moved},
        )
    return report


def report_decide(
    *, report: Report, actor, decision: str, reasons: str, now: dt.datetime | None = None
) -> Report:
    """Open a case (立案) or not, with the reasons; the decision clock ends met or late."""
    now = now or timezone.now()
    if decision not in DECISIONS:
        raise DomainError(
            _("Please choose whether to open a case."),
            code="invalid_decision",
            fields={"decision": [_("Choose one.")]},
        )
    reasons = _reasons(reasons, "reasons")
    with transaction.atomic():
        report = _locked(report, actor)
        method = report.open if decision == "open" else report.not_open
        if not can_proceed(method):
            raise Conflict(_("This report has already been decided."), code="already_decided")
        before = report.state
        method(reasons=reasons)
        report.decided_at = now
        report.save()
        step = DECISIONS[decision]
        moved = report_clocks_move(report=report, step=step, at=now)
        report_event_append(
            report=report,
            kind="report.opened" if decision == "open" else "report.not_opened",
            actor=actor,
            actor_role="regulator",
            from_state=before,
            to_state=report.state,
            payload={"clocks": moved},
        )
    return report


def report_record_finding(
    *, report: Report, actor, finding: str, summary: str, now: dt.datetime | None = None
) -> Report:
    """After a case was opened: whether a violation was found. Only a finding of a violation
    reaches the merchant's credit file, and only when the merchant is on the platform."""
    now = now or timezone.now()
    if finding not in (Finding.VIOLATION, Finding.NO_VIOLATION):
        raise DomainError(
            _("Please choose what was found."),
            code="invalid_finding",
            fields={"finding": [_("Choose one.")]},
        )
    summary = _reasons(summary, "summary")
    with transaction.atomic():
        report = _locked(report, actor)
        if report.state != State.OPENED:
            raise Conflict(_("A finding is recorded only after a case was opened."))
        if report.finding:
            raise Conflict(_("The finding has already been recorded."), code="already_found")
        report.finding = finding
        report.finding_summary = summary
        report.finding_at = now
        report.save(update_fields=["finding", "finding_summary", "finding_at", "updated_at"])
        event = report_event_append(
            report=report,
            kind="report.finding",
            actor=actor,
            actor_role="regulator",
            payload={"finding": finding},
        )
        if finding == Finding.VIOLATION and report.merchant_id is not None:
            from credit.services.findings import credit_record_violation

            credit_record_violation(
                merchant_id=report.merchant_id,
                reference=report.reference,
                violation_kind=report.violation_kind,
                division_code=report.division_code,
                occurred_at=event.created_at,
            )
    return report
