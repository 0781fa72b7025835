"""Statutory clocks on a case: started, ended and cancelled as the rule set declares, judged
met or late against their due time, recomputed when the calendar changes, and acted on by
the sweep only on dates that can no longer move.

What a clock is (its amount, unit, citation, name, the steps that start, end and cancel it,
what its expiry does, who is told) is declared once in cases/rulesets.py; this module reads
the declaration and nothing here names a clock. Working days come from the calendar in the
database (odr/calendar.py).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from cases.models import SYSTEM, TERMINAL_STATES, Case, CaseEvent, Deadline
from cases.rulesets import SETTLED_BY, Clock, ruleset_by_key
from cases.services.events import event_append
from odr import calendar
from odr.calendar import CHINA_TZ, working_days_between

logger = logging.getLogger(__name__)

# Kept for the code that names the clock whose date the parties set.
PERFORMANCE = "performance"
REMIND_WORKING_DAYS_BEFORE = 2
# Statuses a clock ends in: the act came in time, came late, never came, or is moot.
S = Deadline.Status
JUDGED = (S.MET, S.LATE)


def _end_of_day(day: dt.date) -> dt.datetime:
    """The last moment of a day in Beijing (Civil Code art. 203(2))."""
    return dt.datetime.combine(day, dt.time.max, tzinfo=CHINA_TZ)


def _clock(case: Case, key: str) -> Clock:
    return ruleset_by_key(case.ruleset).clock(key)


def due_date(*, case: Case, clock_key: str, start: dt.datetime) -> calendar.Deadline:
    """The deadline of a counted clock of the case's rule set, from the day after start."""
    clock = _clock(case, clock_key)
    if not clock.counted:
        raise ValueError(f"clock {clock_key} has the date its agreement sets; it is not counted")
    if clock.unit == "years":
        raise ValueError(f"clock {clock_key} is counted in years, not as a case deadline")
    return calendar.clock_deadline(clock, start)


def _latest(computed: calendar.Deadline) -> dt.date:
    return getattr(computed, "latest", None) or computed.date


def deadline_start(
    *, case: Case, clock_key: str, start: dt.datetime | None = None, due_on: dt.date | None = None
) -> Deadline:
    """Start a clock (idempotent: a clock already running is returned as it is).

    A counted clock's due date is computed; one whose date the agreement sets (unit
    "agreed") takes ``due_on`` or the case's performance date.
    """
    start = start or timezone.now()
    existing = Deadline.objects.filter(case=case, clock=clock_key, status=S.RUNNING).first()
    if existing:
        return existing
    clock = _clock(case, clock_key)
    provisional = False
    if due_on is None and not clock.counted:
        due_on = case.performance_due_on
    if due_on is None:
        computed = due_date(case=case, clock_key=clock_key, start=start)
        due_on, provisional, latest = computed.date, computed.provisional, _latest(computed)
    else:
        latest = due_on
    deadline = Deadline.objects.create(
        case=case,
        clock=clock_key,
        started_at=start,
        due_on=due_on,
        due_at=_end_of_day(due_on),
        provisional=provisional,
        latest_at=_end_of_day(latest),
    )
    event_append(
        case=case,
        kind="deadline.started",
        actor=SYSTEM,
        actor_role="system",
        payload={
            "clock": clock_key,
            "due_on": due_on.isoformat(),
            "provisional": provisional,
            "latest_on": latest.isoformat(),
        },
    )
    return deadline


def judge(deadline: Deadline, at: dt.datetime) -> str:
    """Met when the act came by the due time, late after it."""
    return S.MET if at <= deadline.due_at else S.LATE


def deadline_end(
    *, case: Case, clock_key: str, at: dt.datetime | None = None, status: str | None = None
) -> str:
    """End a running clock because its act happened at ``at`` (now if not given): met or
    late by its due time, or ``status`` if given (passed, no longer applies).

    Returns the status it ended in, or "" when the clock was not running.
    """
    at = at or timezone.now()
    deadline = Deadline.objects.filter(case=case, clock=clock_key, status=S.RUNNING).first()
    if deadline is None:
        return ""
    status = status or judge(deadline, at)
    Deadline.objects.filter(pk=deadline.pk).update(status=status, ended_at=at)
    return status


def deadlines_cancel_all(*, case: Case, at: dt.datetime | None = None) -> int:
    return Deadline.objects.filter(case=case, status=S.RUNNING).update(
        status=S.CANCELLED, ended_at=at or timezone.now()
    )


def clocks_move(*, case: Case, step: str, at: dt.datetime) -> dict[str, str]:
    """Move the clocks a step (a transition or an action) touches, as the rule set says.

    In this order: the clocks the step ends (met or late), fails (passed) or cancels; on a
    settlement every other running clock; on an end of the case every running clock; then
    the clocks it starts. Returns {clock: status} for every clock that ended or started.
    """
    moved: dict[str, str] = {}
    clocks = ruleset_by_key(case.ruleset).clocks
    for key, clock in clocks.items():
        if step in clock.ends:
            status = deadline_end(case=case, clock_key=key, at=at)
        elif step in clock.fails:
            status = deadline_end(case=case, clock_key=key, at=at, status=S.EXPIRED)
        elif step in clock.cancels:
            status = deadline_end(case=case, clock_key=key, at=at, status=S.CANCELLED)
        else:
            continue
        if status:
            moved[key] = status
    if step in SETTLED_BY or case.state in TERMINAL_STATES:
        for key in Deadline.objects.filter(case=case, status=S.RUNNING).values_list(
            "clock", flat=True
        ):
            moved[key] = S.CANCELLED
        deadlines_cancel_all(case=case, at=at)
    if case.state not in TERMINAL_STATES:
        for key, clock in clocks.items():
            if step in clock.starts:
                deadline_start(case=case, clock_key=key, start=at)
                moved[key] = "started"
    return moved


# --- Recomputing when the calendar changes --------------------------------------------


def _recompute_one(deadline: Deadline) -> dict | None:
    """Recount one deadline on today's calendar; update it, judge its act again and log it
    when its date or its standing changed. The caller holds the case row lock."""
    case = deadline.case
    computed = due_date(case=case, clock_key=deadline.clock, start=deadline.started_at)
    latest = _latest(computed)
    same_date = computed.date == deadline.due_on and computed.provisional == deadline.provisional
    if same_date and deadline.latest_at == _end_of_day(latest):
        return None
    old_due, old_status = deadline.due_on, deadline.status
    deadline.due_on = computed.date
    deadline.due_at = _end_of_day(computed.date)
    deadline.provisional = computed.provisional
    deadline.latest_at = _end_of_day(latest)
    if deadline.status in JUDGED and deadline.ended_at is not None:
        deadline.status = judge(deadline, deadline.ended_at)
    # Passed and acted on before the date it now has: what was done on it was wrong.
    expired_early = (
        deadline.status == S.EXPIRED
        and deadline.ended_at is not None
        and deadline.ended_at <= deadline.due_at
    )
    deadline.save(update_fields=["due_on", "due_at", "provisional", "latest_at", "status"])
    if same_date:
        return None  # only the margin narrowed: nothing a party needs to hear
    move = {
        "case": case.reference,
        "clock": deadline.clock,
        "from": old_due.isoformat(),
        "to": computed.date.isoformat(),
        "provisional": computed.provisional,
        "status": deadline.status,
        "status_before": old_status,
    }
    event_append(
        case=case,
        kind="deadline.moved",
        actor=SYSTEM,
        actor_role="system",
        payload={
            "clock": deadline.clock,
            "from": move["from"],
            "due_on": move["to"],
            "provisional": computed.provisional,
            "status": deadline.status,
            "status_before": old_status,
            "expired_early": expired_early,
        },
    )
    return move


def deadlines_recompute(*, years: tuple[int, ...] | None = None) -> list[dict]:
    """Recount every provisional deadline (running or ended, not cancelled) on the
    calendar as it now stands, or every deadline whose count may cross ``years``.

    A deadline that moves is updated, its act (if it came) judged again, and its case's log
    says so (``deadline.moved``, which tells the parties the new date). Returns the moves.
    """
    candidates = Deadline.objects.exclude(status=S.CANCELLED)
    if years:
        # Every deadline whose count may cross those years, confirmed or not: a notice
        # entered again (corrected) moves confirmed deadlines too.
        first = dt.datetime.combine(dt.date(min(years), 1, 1), dt.time.min, tzinfo=CHINA_TZ)
        after = dt.datetime.combine(dt.date(max(years) + 1, 1, 1), dt.time.min, tzinfo=CHINA_TZ)
        candidates = candidates.filter(latest_at__gte=first, started_at__lt=after)
    else:
        candidates = candidates.filter(provisional=True)
    moves: list[dict] = []
    for deadline_id, case_id in candidates.values_list("id", "case_id").order_by("due_at"):
        with transaction.atomic():
            Case.objects.select_for_update().filter(pk=case_id).first()
            deadline = Deadline.objects.select_related("case").filter(pk=deadline_id).first()
            if deadline is None or not _clock(deadline.case, deadline.clock).counted:
                continue
            move = _recompute_one(deadline)
            if move:
                moves.append(move)
    return moves


def deadlines_recompute_provisional() -> int:
    """After a year's days are entered, recompute the provisional deadlines (the sweep's
    safety net; calendar_import does it at once through odr.calendar.calendar_changed)."""
    return len(deadlines_recompute())


def on_calendar_changed(sender, *, years, dry_run, source="", **kwargs) -> list[dict]:
    """Receiver of odr.calendar.calendar_changed: move the deadlines the new days touch.

    Runs inside the import's transaction; a dry run rolls it all back, events included.
    """
    return deadlines_recompute(years=tuple(years))


# --- The sweep -----------------------------------------------------------------------


@dataclass
class SweepReport:
    escalated: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)
    reminded: list[str] = field(default_factory=list)
    # Past a provisional due date that may still move: nothing irreversible done yet.
    waiting: list[str] = field(default_factory=list)


def may_act_on(deadline: Deadline, now: dt.datetime) -> bool:
    """Whether the date of a passed deadline is final enough to act on (docs/adr/0006): it
    rests on confirmed years, or the latest date it could still move to has passed."""
    if deadline.due_at >= now:
        return False
    if not deadline.provisional:
        return True
    return deadline.latest_at is not None and deadline.latest_at < now


def _expire(case: Case, deadline: Deadline, clock: Clock, now: dt.datetime, report) -> None:
    from django_fsm import can_proceed

    from cases.services.transitions import case_transition

    Deadline.objects.filter(pk=deadline.pk).update(status=S.EXPIRED, ended_at=now)
    event_append(
        case=case,
        kind="deadline.expired",
        actor=SYSTEM,
        actor_role="system",
        payload={"clock": deadline.clock, "due_on": deadline.due_on.isoformat()},
    )
    if clock.on_expiry == "escalate" and can_proceed(getattr(case, clock.escalate_with)):
        case_transition(case=case, name=clock.escalate_with, actor=SYSTEM, data={}, locked=True)
        report.escalated.append(case.reference)
    else:
        report.expired.append(case.reference)


def deadlines_sweep(*, now: dt.datetime | None = None) -> SweepReport:
    """Act on clocks that have passed, as each declares, and send reminders.

    A passed clock is acted on only when its date can no longer move (``may_act_on``).
    Idempotent and safe to run twice at once: each deadline is handled under its case's row
    lock and only while it is still running and not yet handled.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    report = SweepReport()
    overdue = Deadline.objects.filter(status=S.RUNNING, due_at__lt=now)
    for deadline_id, case_id in overdue.values_list("id", "case_id"):
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=case_id)
            deadline = Deadline.objects.filter(pk=deadline_id, status=S.RUNNING).first()
            if deadline is None:
                continue
            if not may_act_on(deadline, now):
                report.waiting.append(case.reference)
                continue
            clock = ruleset_by_key(case.ruleset).clocks.get(deadline.clock)
            if clock is not None and clock.on_expiry in ("expire", "escalate"):
                _expire(case, deadline, clock, now, report)
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
    upcoming = Deadline.objects.filter(status=S.RUNNING, reminded_at__isnull=True, due_at__gte=now)
    for deadline_id, case_id, due_on, clock_key in upcoming.values_list(
        "id", "case_id", "due_on", "clock"
    ):
        if working_days_between(today, due_on) > REMIND_WORKING_DAYS_BEFORE:
            continue
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=case_id)
            updated = Deadline.objects.filter(
                pk=deadline_id, status=S.RUNNING, reminded_at__isnull=True
            ).update(reminded_at=now)
            if not updated:
                continue
            event_append(
                case=case,
                kind="deadline.reminder",
                actor=SYSTEM,
                actor_role="system",
                payload={"clock": clock_key, "due_on": due_on.isoformat()},
            )
            report.reminded.append(case.reference)
    return report
