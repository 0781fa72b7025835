"""The satisfaction index (docs/supervision.md): per merchant, platform, district, month.

Each case counts once, with the consumer's own rating if they gave one, else the score
of the latest follow-up visit that reached them and recorded one. The index of a group is
100 × (mean score − 1) / 4: 0 when everyone gave 1, 100 when everyone gave 5.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.utils import timezone

from cases.models import Case
from supervision.models import FollowUpVisit, Rating
from supervision.selectors.scope import Scope

DIMENSIONS = ("month", "district", "merchant", "platform")
# Fewer responses than this: the index is shown, flagged as not reliable.
FEW_RESPONSES = 5


@dataclass(frozen=True)
class Score:
    case_id: int
    score: int
    month: str  # YYYY-MM, when the score was given
    source: str  # "rating" or "visit"
    merchant: str
    platform: str
    district: str


@dataclass
class IndexRow:
    key: str
    responses: int = 0
    total: int = 0
    ratings: int = 0
    visits: int = 0

    @property
    def mean(self) -> float | None:
        return round(self.total / self.responses, 2) if self.responses else None

    @property
    def index(self) -> float | None:
        return satisfaction_index(self.total, self.responses)

    @property
    def reliable(self) -> bool:
        return self.responses >= FEW_RESPONSES


def satisfaction_index(total: int, responses: int) -> float | None:
    if not responses:
        return None
    return round(100.0 * (total / responses - 1) / 4, 1)


def scores_in(*, scope: Scope, start: dt.date, end: dt.date) -> list[Score]:
    """Every case's one score given from ``start`` to ``end`` (Beijing dates, inclusive)."""
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    cases = Case.objects.filter(scope.q("office_code")).order_by().values("pk")
    fields = ("case__merchant_name", "case__platform", "case__division_code")
    scores: dict[int, Score] = {}
    for case_id, score, created_at, merchant, platform, district in Rating.objects.filter(
        case__in=cases, created_at__gte=since, created_at__lt=until
    ).values_list("case_id", "score", "created_at", *fields):
        month = timezone.localtime(created_at, tz).strftime("%Y-%m")
        scores[case_id] = Score(case_id, score, month, "rating", merchant, platform, district)
    rated = Rating.objects.filter(case__in=cases).values("case_id")
    visits = (
        FollowUpVisit.objects.filter(
            case__in=cases,
            reached=True,
            score__isnull=False,
            visited_on__gte=start,
            visited_on__lte=end,
        )
        .exclude(case__in=rated)
        .order_by("case_id", "visited_on", "id")
        .values_list("case_id", "score", "visited_on", *fields)
    )
    for case_id, score, visited_on, merchant, platform, district in visits:
        # Ordered oldest first: the latest visit of a case is the one kept.
        scores[case_id] = Score(
            case_id, score, visited_on.strftime("%Y-%m"), "visit", merchant, platform, district
        )
    return sorted(scores.values(), key=lambda s: s.case_id)


def satisfaction_table(*, scores: list[Score], dimension: str) -> list[IndexRow]:
    rows: dict[str, IndexRow] = defaultdict(lambda: IndexRow(key=""))
    for s in scores:
        key = {
            "month": s.month,
            "district": s.district,
            "merchant": s.merchant,
            "platform": s.platform,
        }[dimension]
        row = rows[key]
        row.key = key
        row.responses += 1
        row.total += s.score
        if s.source == "rating":
            row.ratings += 1
        else:
            row.visits += 1
    ordered = (
        sorted(rows.values(), key=lambda r: r.key)
        if dimension == "month"
        else sorted(rows.values(), key=lambda r: (-r.responses, r.key))
    )
    return ordered


def overall(scores: list[Score]) -> IndexRow:
    row = IndexRow(key="")
    for s in scores:
        row.responses += 1
        row.total += s.score
        row.ratings += s.source == "rating"
        row.visits += s.source == "visit"
    return row


def visits_of(*, case: Case):
    return (
        FollowUpVisit.objects.filter(case=case)
        .select_related("regulator")
        .order_by("-visited_on", "-id")
    )
