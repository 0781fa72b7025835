"""The dashboard's figures for one scope and one set of filters, read from the cases.

Every figure on the page, in its CSV and in the API comes from ``dashboard_figures``; the
definitions are in docs/supervision.md. Cases count in the period by the day they were
submitted (Beijing date, both ends included).
"""

from __future__ import annotations

import datetime as dt
import statistics
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import connection, connections
from django.db.models import BooleanField, Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.db.models import Case as SqlCase
from django.db.models.functions import TruncDate
from django.utils import timezone

from cases import event_kinds
from cases.models import Case, CaseEvent, Deadline, State
from odr.divisions import division_prefix
from supervision.selectors.scope import Scope
from supervision.selectors.transfers import transfers_by_office

# Which stage each state belongs to, in the order of the workflow.
STAGES: dict[str, tuple[str, ...]] = {
    "intake": (State.SUBMITTED,),
    "negotiation": (State.NEGOTIATION,),
    "review": (State.REVIEW,),
    "mediation": (State.MEDIATION, State.MEDIATION_FAILED),
    "arbitration": (State.REFERRED, State.ARBITRATING),
    "performance": (State.SETTLED, State.AWARDED),
    "ended": (State.CLOSED, State.REJECTED, State.WITHDRAWN),
}
STAGE_OF = {state: stage for stage, states in STAGES.items() for state in states}
# States a case stays in for a while (time per stage is measured on these).
TIMED_STATES = (
    State.NEGOTIATION,
    State.REVIEW,
    State.MEDIATION,
    State.MEDIATION_FAILED,
    State.REFERRED,
    State.ARBITRATING,
    State.SETTLED,
    State.AWARDED,
)
# Handled to an end of its handling: what the settlement rate divides by.
HANDLED_STATES = (State.SETTLED, State.AWARDED, State.CLOSED)
AGREEMENT_EVENTS = ("transition.settle", "transition.reach_agreement")
MERCHANT_ROWS = 20
DEFAULT_DAYS = 30
MAX_DAYS = 731


@dataclass(frozen=True)
class Filters:
    start: dt.date
    end: dt.date
    district: str = ""
    category: str = ""
    merchant: int | None = None
    platform: str = ""

    @classmethod
    def default(cls, *, today: dt.date | None = None) -> Filters:
        today = today or timezone.localdate()
        return cls(start=today - dt.timedelta(days=DEFAULT_DAYS - 1), end=today)


@dataclass
class Row:
    """One line of a breakdown: how many cases, and their outcomes."""

    key: str
    label: str = ""
    cases: int = 0
    handled: int = 0
    agreed: int = 0
    performed: int = 0
    breached: int = 0

    @property
    def settlement_rate(self) -> float | None:
        return rate(self.agreed, self.handled)

    @property
    def performance_rate(self) -> float | None:
        return rate(self.performed, self.performed + self.breached)

    def add(self, *, n: int, handled: bool, agreed: bool, outcome: str) -> None:
        self.cases += n
        if handled:
            self.handled += n
            if agreed:
                self.agreed += n
        if outcome == "performed":
            self.performed += n
        elif outcome == "breached":
            self.breached += n


def rate(numerator: int, denominator: int) -> float | None:
    """A percentage with one decimal, or None when nothing was counted."""
    if not denominator:
        return None
    return round(100.0 * numerator / denominator, 1)


@dataclass
class Figures:
    filters: Filters
    total: Row
    by_state: dict[str, int]
    by_stage: dict[str, int]
    by_category: list[Row]
    by_district: list[Row]
    by_platform: list[Row]
    by_merchant: list[Row]
    overdue_by_clock: dict[str, int]
    median_hours_by_state: dict[str, float | None]
    per_day: list[tuple[dt.date, int]] = field(default_factory=list)
    # Transfers between offices per office (supervision/selectors/transfers.py).
    transfers: list = field(default_factory=list)


def filtered_cases(*, scope: Scope, filters: Filters) -> QuerySet[Case]:
    """The cases in scope that match the filters (the dashboard's population)."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(filters.start, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(filters.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    # Whose cases: the handling office's (ADR 0010); the district filter is the merchant's.
    cases = Case.objects.filter(
        scope.q("office_code"), submitted_at__gte=start, submitted_at__lt=end
    )
    if filters.district:
        cases = cases.filter(division_code__startswith=division_prefix(filters.district))
    if filters.category:
        cases = cases.filter(category=filters.category)
    if filters.merchant:
        cases = cases.filter(merchant_id=filters.merchant)
    if filters.platform:
        cases = cases.filter(platform=filters.platform)
    return cases


def case_divisions(*, scope: Scope) -> list[str]:
    """The division codes the cases in scope carry: a filter offers them, listed or not."""
    return list(
        Case.objects.filter(scope.q("office_code"))
        .order_by()
        .values_list("division_code", flat=True)
        .distinct()
    )


def _agreed_if_handled():
    """Whether a handled case reached an agreement (its log has settle or reach_agreement);
    looked up only for handled cases, the only ones the settlement rate reads."""
    return SqlCase(
        When(
            state__in=HANDLED_STATES,
            then=Exists(CaseEvent.objects.filter(case=OuterRef("pk"), kind__in=AGREEMENT_EVENTS)),
        ),
        default=Value(False),
        output_field=BooleanField(),
    )


def dashboard_figures(*, scope: Scope, filters: Filters, now: dt.datetime | None = None) -> Figures:
    """Every figure from one grouped pass over the cases, plus the deadlines and the stays.

    The pass groups by everything a figure breaks down by (state, category, district,
    platform, outcome, agreement, merchant, day): at most one row per case, usually far
    fewer, and each breakdown is summed from those rows.
    """
    now = now or timezone.now()
    cases = filtered_cases(scope=scope, filters=filters)
    medians = _in_parallel(lambda: median_hours_by_state(cases=cases))
    total = Row(key="total")
    by_state: Counter[str] = Counter()
    per_day: Counter[dt.date] = Counter()
    rows: dict[str, dict] = {"category": {}, "division_code": {}, "platform": {}, "merchant": {}}
    for (
        part,
        state,
        category,
        division,
        platform,
        outcome,
        agreed,
        merchant_id,
        name,
        day,
        n,
    ) in _grouped(cases):
        handled = state in HANDLED_STATES
        agreed = bool(agreed)
        if part == "d":
            per_day[_as_date(day)] += n
            continue
        if part == "m":
            row = rows["merchant"].get((merchant_id, name))
            if row is None:
                row = rows["merchant"][(merchant_id, name)] = Row(
                    key=str(merchant_id) if merchant_id else "", label=name
                )
            row.add(n=n, handled=handled, agreed=agreed, outcome=outcome)
            continue
        by_state[state] += n
        total.add(n=n, handled=handled, agreed=agreed, outcome=outcome)
        for kind, key in (
            ("category", category),
            ("division_code", division),
            ("platform", platform),
        ):
            row = rows[kind].get(key)
            if row is None:
                row = rows[kind][key] = Row(key=key)
            row.add(n=n, handled=handled, agreed=agreed, outcome=outcome)

    by_stage = {stage: sum(by_state[s] for s in states) for stage, states in STAGES.items()}
    days = (filters.end - filters.start).days + 1
    return Figures(
        filters=filters,
        total=total,
        by_state={state: by_state[state] for state in State.values},
        by_stage=by_stage,
        by_category=_sorted(rows["category"]),
        by_district=_sorted(rows["division_code"]),
        by_platform=_sorted(rows["platform"]),
        by_merchant=sorted(rows["merchant"].values(), key=lambda r: (-r.cases, r.label)),
        overdue_by_clock=overdue_by_clock(cases=cases, now=now),
        median_hours_by_state=medians(),
        per_day=[
            (day, per_day.get(day, 0))
            for day in (filters.start + dt.timedelta(days=i) for i in range(days))
        ],
        transfers=transfers_by_office(scope=scope, start=filters.start, end=filters.end),
    )


def _grouped(cases: QuerySet[Case]) -> list[tuple]:
    """One pass over the cases (read once, as a common table expression), three groupings:
    'c' by state, category, district, platform, outcome and agreement; 'm' the same for
    the merchants with most complaints; 'd' per day. A few hundred rows, not one per case.
    """
    base = (
        cases.annotate(
            agreed=_agreed_if_handled(),
            day=TruncDate("submitted_at", tzinfo=timezone.get_current_timezone()),
        )
        .order_by()
        .values(
            "state",
            "category",
            "division_code",
            "platform",
            "outcome",
            "agreed",
            "merchant_id",
            "merchant_name",
            "day",
        )
    )
    sql, params = base.query.sql_with_params()
    query = f"""
        WITH base AS ({sql}),
        top AS (
            SELECT merchant_id, merchant_name FROM base GROUP BY merchant_id, merchant_name
            ORDER BY count(*) DESC, merchant_name LIMIT {MERCHANT_ROWS:d}
        )
        SELECT 'c', state, category, division_code, platform, outcome, agreed,
               NULL, NULL, CAST(NULL AS DATE), count(*)
        FROM base GROUP BY state, category, division_code, platform, outcome, agreed
        UNION ALL
        SELECT 'm', b.state, NULL, NULL, NULL, b.outcome, b.agreed,
               b.merchant_id, b.merchant_name, CAST(NULL AS DATE), count(*)
        FROM base b JOIN top t ON b.merchant_name = t.merchant_name AND (
            b.merchant_id = t.merchant_id OR (b.merchant_id IS NULL AND t.merchant_id IS NULL))
        GROUP BY b.merchant_id, b.merchant_name, b.state, b.outcome, b.agreed
        UNION ALL
        SELECT 'd', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, day, count(*)
        FROM base GROUP BY day
    """  # noqa: S608 -- the inner query is Django's, with its parameters
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def _as_date(value) -> dt.date:
    """A day as the database gives it: a date (PostgreSQL) or its ISO text (SQLite)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _in_parallel(work):
    """Start ``work`` on another thread (and database connection) and return a function
    that waits for its result: on PostgreSQL the stays' medians, the slowest query, run
    while this thread reads the cases. Inside a transaction (a test) the other connection
    could not see its rows, so the work runs here instead."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        result = work()
        return lambda: result
    box: dict = {}

    def run() -> None:
        try:
            box["result"] = work()
        except BaseException as exc:  # handed back to the caller's thread
            box["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name="dashboard-medians", daemon=True)
    thread.start()

    def wait():
        thread.join()
        if "error" in box:
            raise box["error"]
        return box["result"]

    return wait


def _sorted(rows: dict[str, Row]) -> list[Row]:
    return sorted(rows.values(), key=lambda r: (-r.cases, r.key))


def overdue_by_clock(*, cases: QuerySet[Case], now: dt.datetime) -> dict[str, int]:
    """Cases with a clock not kept, per clock: still running past due, passed, or ended by
    an act that came after its due time (a late decision counts as late)."""
    overdue = (
        Deadline.objects.filter(case__in=cases.order_by().values("pk"))
        .filter(
            Q(status=Deadline.Status.RUNNING, due_at__lt=now)
            | Q(status__in=(Deadline.Status.EXPIRED, Deadline.Status.LATE))
        )
        .order_by()
        .values_list("clock")
        .annotate(n=Count("case", distinct=True))
    )
    return dict(sorted(overdue))


def median_hours_by_state(*, cases: QuerySet[Case]) -> dict[str, float | None]:
    """The median time a case stayed in each state before it left it, in hours.

    A stay runs from the event that entered the state to the next state change of the same
    case; stays not yet ended do not count.
    """
    sql, params = cases.order_by().values("pk").query.sql_with_params()
    # The events that moved a case to a state, as the log's kinds declare (an action that
    # changes no state appends an event too).
    changing = event_kinds.state_changing()
    kinds = ", ".join(["%s"] * len(changing))
    params = (*changing, *params)
    medians: dict[str, float | None] = dict.fromkeys(TIMED_STATES)
    if connection.vendor == "postgresql":
        query = f"""
            WITH stays AS (
                SELECT e.to_state AS state,
                       LEAD(e.created_at) OVER (PARTITION BY e.case_id ORDER BY e.seq)
                           - e.created_at AS stay
                FROM cases_caseevent e
                WHERE e.kind IN ({kinds}) AND e.case_id IN ({sql})
            )
            SELECT state,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM stay))
            FROM stays WHERE stay IS NOT NULL GROUP BY state
        """  # noqa: S608 -- the inner query is Django's, with its parameters
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            for state, seconds in cursor.fetchall():
                if state in medians:
                    medians[state] = round(float(seconds) / 3600, 1)
        return medians
    stays: dict[str, list[float]] = defaultdict(list)
    events = (
        CaseEvent.objects.filter(case__in=cases.order_by().values("pk"), kind__in=changing)
        .order_by("case_id", "seq")
        .values_list("case_id", "to_state", "created_at")
    )
    previous = None
    for case_id, state, created_at in events.iterator(chunk_size=5000):
        if previous is not None and previous[0] == case_id:
            stays[previous[1]].append((created_at - previous[2]).total_seconds())
        previous = (case_id, state, created_at)
    for state, values in stays.items():
        if state in medians:
            medians[state] = round(statistics.median(values) / 3600, 1)
    return medians
