"""Statutory clocks met and missed: deadlines that ended in a period, per clock."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone

from cases.models import Deadline
from supervision.selectors.scope import Scope


def clocks_met(*, scope: Scope, start: dt.date, end: dt.date) -> dict[str, tuple[int, int]]:
    """{clock: (met, passed)} for deadlines that were met or passed in the period.

    Passed counts every deadline not kept, on the day it fell due: the act came late, the
    clock ran out, or it is still running past due.
    """
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    now = timezone.now()
    deadlines = Deadline.objects.filter(scope.q("case__office_code"))
    met = Q(status=Deadline.Status.MET, ended_at__gte=since, ended_at__lt=until)
    passed = Q(
        status__in=(Deadline.Status.EXPIRED, Deadline.Status.LATE),
        due_at__gte=since,
        due_at__lt=until,
    ) | Q(status=Deadline.Status.RUNNING, due_at__gte=since, due_at__lt=min(until, now))
    rows = (
        deadlines.filter(met | passed)
        .order_by()
        .values("clock")
        .annotate(met=Count("pk", filter=met), passed=Count("pk", filter=passed))
    )
    return {r["clock"]: (r["met"], r["passed"]) for r in sorted(rows, key=lambda r: r["clock"])}
