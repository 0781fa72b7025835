"""Statutory clocks on a case: start, end, and the sweep that acts when they run out.

The values come from the case's rule set (cases/rulesets.py); working days from the
calendar in the database (odr/calendar.py).
"""

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from cases.models import SYSTEM, Case, CaseEvent, Deadline, State
from cases.rulesets import ruleset_by_key
from cases.services.events import event_append
from odr.calendar import add_calendar_days, add_working_days, working_days_between

logger = logging.getLogger(__name__)

# Clocks that are not statutory but tracked the same way.
PERFORMANCE = "performance"
REMIND_WORKING_DAYS_BEFORE = 2


def _end_of_day(day: dt.date) -> dt.datetime:
    tz = timezone.get_default_timezone()
    return dt.datetime.combine(day, dt.time(23, 59, 59, 999999), tzinfo=tz)


def due_date(*, case: Case, clock_key: str, start: dt.datetime):
    """The deadline of a clock of the case's rule set, counted from the day after start."""
    clock = ruleset_by_key(case.ruleset).clocks[clock_key]
    local = timezone.localdate(start)
    if clock.unit == "working_days":
        return add_working_days(local, clock.amount)
    if clock.unit == "calendar_days":
        return add_calendar_days(local, clock.amount)
    raise ValueError(f"clock {clock_key} is counted in {clock.unit}, not as a case deadline")


def deadline_start(
    *, case: Case, clock_key: str, start: dt.datetime | None = None, due_on: dt.date | None = None
) -> Deadline:
    """Start a clock (idempotent: a clock already running is returned as it is)."""
    start = start or timezone.now()
    running = Deadline.objects.filter(case=case, clock=clock_key, status=Deadline.Status.RUNNING)
    existing = running.first()
    if existing:
        return existing
    provisional = False
    if due_on is None:
        computed = due_date(case=case, clock_key=clock_key, start=start)
        due_on, provisional = computed.date, computed.provisional
    deadline = Deadline.objects.create(
        case=case,
        clock=clock_key,
        started_at=start,
        due_on=due_on,
        due_at=_end_of_day(due_on),
        provisional=provisional,
    )
    event_append(
        case=case,
        kind="deadline.started",
        actor=SYSTEM,
        actor_role="system",
        payload={"clock": clock_key, "due_on": due_on.isoformat(), "provisional": provisional},
    )
    return deadline


def deadline_end(*, case: Case, clock_key: str, status: str = Deadline.Status.MET) -> int:
    return Deadline.objects.filter(
        case=case, clock=clock_key, status=Deadline.Status.RUNNING
    ).update(status=status, ended_at=timezone.now())


def deadline_end_by(*, case: Case, clock_key: str, at: dt.datetime) -> str:
    """End a running clock because its duty was done at ``at``: met if in time, else expired.

    Returns the status given, or "" when the clock was not running.
    """
    deadline = Deadline.objects.filter(
        case=case, clock=clock_key, status=Deadline.Status.RUNNING
    ).first()
    if deadline is None:
        return ""
    status = Deadline.Status.MET if at <= deadline.due_at else Deadline.Status.EXPIRED
    Deadline.objects.filter(pk=deadline.pk).update(status=status, ended_at=at)
    return status


def deadlines_cancel_all(*, case: Case) -> int:
    return Deadline.objects.filter(case=case, status=Deadline.Status.RUNNING).update(
        status=Deadline.Status.CANCELLED, ended_at=timezone.now()
    )


def deadlines_recompute_provisional() -> int:
    """After a year's holidays are entered, recompute the provisional deadlines it touches."""
    changed = 0
    for deadline in Deadline.objects.filter(
        provisional=True, status=Deadline.Status.RUNNING
    ).select_related("case"):
        if deadline.clock == PERFORMANCE:
            continue
        computed = due_date(case=deadline.case, clock_key=deadline.clock, start=deadline.started_at)
        if computed.date != deadline.due_on or computed.provisional != deadline.provisional:
            Deadline.objects.filter(pk=deadline.pk).update(
                due_on=computed.date,
                due_at=_end_of_day(computed.date),
                provisional=computed.provisional,
            )
            changed += 1
    return changed


@dataclass
class SweepReport:
    escalated: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)
    reminded: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)


def deadlines_sweep(*, now: dt.datetime | None = None) -> SweepReport:
    """Act on clocks: escalate expired negotiations, flag overdue decisions, send reminders.

    Idempotent and safe to run twice at once: each deadline is handled under its case's row
    lock and only while it is still running and not yet handled.
    """
    from cases.services.transitions import case_transition

    now = now or timezone.now()
    today = timezone.localdate(now)
    report = SweepReport()
    overdue = Deadline.objects.filter(status=Deadline.Status.RUNNING, due_at__lt=now)
    for deadline_id, case_id in overdue.values_list("id", "case_id"):
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=case_id)
            deadline = Deadline.objects.filter(
                pk=deadline_id, status=Deadline.Status.RUNNING
            ).first()
            if deadline is None:
                continue
            if deadline.clock == "negotiation_answer" and case.state == State.NEGOTIATION:
                case_transition(case=case, name="escalate", actor=SYSTEM, data={}, locked=True)
                deadline.refresh_from_db()
                report.escalated.append(case.reference)
            elif deadline.flagged_at is None:
                Deadline.objects.filter(pk=deadline.pk).update(flagged_at=now)
                event_append(
                    case=case,
                    kind="deadline.overdue",
                    actor=SYSTEM,
                    actor_role="system",
                    payload={"clock": deadline.clock, "due_on": deadline.due_on.isoformat()},
                    visibility=CaseEvent.Visibility.PARTIES,
                )
                report.flagged.append(case.reference)
    upcoming = Deadline.objects.filter(
        status=Deadline.Status.RUNNING, reminded_at__isnull=True, due_at__gte=now
    )
    for deadline_id, case_id, due_on in upcoming.values_list("id", "case_id", "due_on"):
        if working_days_between(today, due_on) > REMIND_WORKING_DAYS_BEFORE:
            continue
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=case_id)
            updated = Deadline.objects.filter(
                pk=deadline_id, status=Deadline.Status.RUNNING, reminded_at__isnull=True
            ).update(reminded_at=now)
            if not updated:
                continue
            event_append(
                case=case,
                kind="deadline.reminder",
                actor=SYSTEM,
                actor_role="system",
                payload={
                    "clock": Deadline.objects.get(pk=deadline_id).clock,
                    "due_on": due_on.isoformat(),
                },
            )
            report.reminded.append(case.reference)
    return report
