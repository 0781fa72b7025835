"""A report's clocks: started, ended and cancelled as its rule set declares
(cases/rulesets.py, ``ReportRuleSet``), counted on the same calendar as a case's, flagged
by the sweep only on dates that can no longer move (docs/adr/0006, docs/adr/0009).

Nothing here names a clock's length: the declaration says it. What is particular to a
report: the extended decision clock counts from the end of the first period, and the
clock for telling the reporter runs only for a named reporter who asked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from cases.rulesets import Clock, report_ruleset_by_key
from cases.services.clocks import judge, may_act_on
from odr import calendar
from odr.calendar import CHINA_TZ
from reports.models import Report, ReportDeadline
from reports.services.events import report_event_append

S = ReportDeadline.Status
EXTENDED = "report_decision_extended"
NOTICE = "reporter_notice"


def _end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.max, tzinfo=CHINA_TZ)


def _clock(report: Report, key: str) -> Clock:
    return report_ruleset_by_key(report.ruleset).clock(key)


def notice_owed(report: Report) -> bool:
    """Whether the reporter is to be told of the decision: named, and asked to be."""
    return not report.anonymous and report.wants_notice and hasattr(report, "identity")


def report_deadline_start(*, report: Report, clock_key: str, start: dt.datetime) -> ReportDeadline:
    """Start a clock (idempotent: a clock already running is returned as it is)."""
    existing = ReportDeadline.objects.filter(
        report=report, clock=clock_key, status=S.RUNNING
    ).first()
    if existing:
        return existing
    computed = calendar.clock_deadline(_clock(report, clock_key), start)
    latest = computed.latest or computed.date
    deadline = ReportDeadline.objects.create(
        report=report,
        clock=clock_key,
        started_at=start,
        due_on=computed.date,
        due_at=_end_of_day(computed.date),
        provisional=computed.provisional,
        latest_at=_end_of_day(latest),
    )
    report_event_append(
        report=report,
        kind="deadline.started",
        actor_role="system",
        payload={
            "clock": clock_key,
            "due_on": computed.date.isoformat(),
            "provisional": computed.provisional,
            "latest_on": latest.isoformat(),
        },
    )
    return deadline


def _end(report: Report, key: str, at: dt.datetime, status: str | None = None) -> str:
    deadline = ReportDeadline.objects.filter(report=report, clock=key, status=S.RUNNING).first()
    if deadline is None:
        return ""
    status = status or judge(deadline, at)
    ReportDeadline.objects.filter(pk=deadline.pk).update(status=status, ended_at=at)
    return status


def report_clocks_move(*, report: Report, step: str, at: dt.datetime) -> dict[str, str]:
    """Move the clocks a step touches, as the rule set declares: those it ends (met or
    late) or cancels, then those it starts. Returns {clock: status or "started"}."""
    moved: dict[str, str] = {}
    clocks = report_ruleset_by_key(report.ruleset).clocks
    extended_from = None
    for key, clock in clocks.items():
        if step in clock.ends:
            status = _end(report, key, at)
        elif step in clock.cancels:
            if key == "report_decision":
                running = ReportDeadline.objects.filter(
                    report=report, clock=key, status=S.RUNNING
                ).first()
                extended_from = running.due_at if running else None
            status = _end(report, key, at, S.CANCELLED)
        else:
            continue
        if status:
            moved[key] = status
    for key, clock in clocks.items():
        if step not in clock.starts:
            continue
        if key == NOTICE and not notice_owed(report):
            continue
        start = at
        if key == EXTENDED:
            # Counted on from the end of the first period (cases/rulesets.py, its note).
            start = extended_from or at
        report_deadline_start(report=report, clock_key=key, start=start)
        moved[key] = "started"
    return moved


def decision_deadline(report: Report) -> ReportDeadline | None:
    """The decision clock now in force: the extended one if any, else the first."""
    rows = {d.clock: d for d in report.deadlines.exclude(status=S.CANCELLED)}
    return rows.get(EXTENDED) or rows.get("report_decision")


# --- The sweep -----------------------------------------------------------------------


@dataclass
class ReportSweep:
    flagged: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)


def report_deadlines_sweep(*, now: dt.datetime | None = None) -> ReportSweep:
    """Flag the report clocks that have passed, once each, on dates that cannot move.

    Every report clock is declared ``flag``: the office still decides (or tells), late; a
    provisional date is acted on only after the latest day it could move to."""
    now = now or timezone.now()
    result = ReportSweep()
    overdue = ReportDeadline.objects.filter(
        status=S.RUNNING, due_at__lt=now, flagged_at__isnull=True
    )
    for deadline_id, report_id in overdue.values_list("id", "report_id"):
        with transaction.atomic():
            report = Report.objects.select_for_update().get(pk=report_id)
            deadline = ReportDeadline.objects.filter(
                pk=deadline_id, status=S.RUNNING, flagged_at__isnull=True
            ).first()
            if deadline is None:
                continue
            if not may_act_on(deadline, now):
                result.waiting.append(report.reference)
                continue
            ReportDeadline.objects.filter(pk=deadline.pk).update(flagged_at=now)
            report_event_append(
                report=report,
                kind="deadline.overdue",
                actor_role="system",
                payload={"clock": deadline.clock, "due_on": deadline.due_on.isoformat()},
            )
            result.flagged.append(report.reference)
    return result


# --- The calendar changed --------------------------------------------------------------


def report_deadlines_recompute(*, years: tuple[int, ...] | None = None) -> list[dict]:
    """Recount provisional report deadlines (or every one whose count may cross
    ``years``) on the calendar as it now stands; log each that moved."""
    candidates = ReportDeadline.objects.exclude(status=S.CANCELLED)
    if years:
        first = dt.datetime.combine(dt.date(min(years), 1, 1), dt.time.min, tzinfo=CHINA_TZ)
        after = dt.datetime.combine(dt.date(max(years) + 1, 1, 1), dt.time.min, tzinfo=CHINA_TZ)
        candidates = candidates.filter(latest_at__gte=first, started_at__lt=after)
    else:
        candidates = candidates.filter(provisional=True)
    moves = []
    for deadline_id, report_id in candidates.values_list("id", "report_id").order_by("due_at"):
        with transaction.atomic():
            report = Report.objects.select_for_update().get(pk=report_id)
            deadline = ReportDeadline.objects.get(pk=deadline_id)
            computed = calendar.clock_deadline(_clock(report, deadline.clock), deadline.started_at)
            latest = computed.latest or computed.date
            if (
                computed.date == deadline.due_on
                and computed.provisional == deadline.provisional
                and deadline.latest_at == _end_of_day(latest)
            ):
                continue
            old = deadline.due_on
            deadline.due_on = computed.date
            deadline.due_at = _end_of_day(computed.date)
            deadline.provisional = computed.provisional
            deadline.latest_at = _end_of_day(latest)
            if deadline.status in (S.MET, S.LATE) and deadline.ended_at is not None:
                deadline.status = judge(deadline, deadline.ended_at)
            deadline.save(update_fields=["due_on", "due_at", "provisional", "latest_at", "status"])
            if old == computed.date:
                continue
            report_event_append(
                report=report,
                kind="deadline.moved",
                actor_role="system",
                payload={
                    "clock": deadline.clock,
                    "from": old.isoformat(),
                    "due_on": computed.date.isoformat(),
                    "provisional": computed.provisional,
                },
            )
            moves.append({"report": report.reference, "clock": deadline.clock})
    return moves


def on_calendar_changed(sender, *, years, dry_run, source="", **kwargs) -> list[dict]:
    """Receiver of odr.calendar.calendar_changed (in the import's transaction)."""
    return report_deadlines_recompute(years=tuple(years))
