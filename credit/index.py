"""The complaint-handling index: the formula, in one place (documented in docs/credit.md).

It is a transparent index of how a merchant handles complaints, computed from its credit
records; it is not an official credit rating. It starts at 100 and loses points in four
components, each capped:

- resolution: 30 x (1 - smoothed resolution rate), the rate being
  (resolved + 2) / (resolved + unresolved + 2): two resolved complaints are assumed, so one
  unresolved complaint does not sink a small merchant;
- refusals and absences: 8 per refusal of or absence from mediation, 4 per negotiation
  deadline missed, 2 per late answer; at most 25;
- late performance and breaches: 10 per breach, 4 per late performance; at most 30;
- adverse awards: 6 each; at most 15.

Every count is a sum of record weights: a record's weight halves every 12 months
(0.5 ** (age in days / 365.25)), and a repaired record weighs nothing. Grades: A from 90,
B from 75, C from 60, D below. Pure Python: the same function scores one merchant on its
page and 100,000 in the nightly recomputation, fed by ``decay_sums`` (SQL over the
per-day rollup) or ``sums_from_records`` (Python).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, FloatField, Q, Sum, Value
from django.db.models.functions import Cast, Greatest, Power
from django.utils.translation import gettext_lazy as _

from credit.models import RecordKind

FORMULA_VERSION = "2026.1"
START = 100.0
HALF_LIFE_DAYS = 365.25
PRIOR_RESOLVED = 2.0
GRADES = ((90.0, "A"), (75.0, "B"), (60.0, "C"), (0.0, "D"))


@dataclass(frozen=True)
class Component:
    key: str
    label: object
    cap: float
    points: dict[str, float]  # points per (fully weighted) record of each kind
    explanation: object


RESOLUTION = Component(
    key="resolution",
    label=_("Resolution rate"),
    cap=30.0,
    points={},
    explanation=_(
        "30 × (1 − smoothed resolution rate); the rate is (resolved + 2) / (resolved + "
        "not resolved + 2)."
    ),
)
COMPONENTS = (
    RESOLUTION,
    Component(
        key="refusals_absences",
        label=_("Refusals and absences"),
        cap=25.0,
        points={
            RecordKind.REFUSAL_OR_ABSENCE: 8.0,
            RecordKind.ANSWER_MISSED: 4.0,
            RecordKind.ANSWERED_LATE: 2.0,
        },
        explanation=_(
            "8 per refusal of or absence from mediation, 4 per negotiation deadline missed, "
            "2 per late answer; at most 25."
        ),
    ),
    Component(
        key="performance",
        label=_("Late performance and breaches"),
        cap=30.0,
        points={RecordKind.BREACH: 10.0, RecordKind.PERFORMED_LATE: 4.0},
        explanation=_("10 per breach, 4 per late performance; at most 30."),
    ),
    Component(
        key="awards",
        label=_("Adverse arbitral awards"),
        cap=15.0,
        points={RecordKind.ADVERSE_AWARD: 6.0},
        explanation=_("6 per award against the merchant; at most 15."),
    ),
)
# The kinds the index reads, and those a repair can take out of it.
INDEX_KINDS = (
    RecordKind.RESOLVED,
    RecordKind.UNRESOLVED,
    *(kind for c in COMPONENTS for kind in c.points),
)
REPAIRABLE_KINDS = frozenset(
    {RecordKind.BREACH, RecordKind.PERFORMED_LATE, RecordKind.ADVERSE_AWARD}
)
NEGATIVE_KINDS = frozenset(kind for c in COMPONENTS for kind in c.points) | {RecordKind.UNRESOLVED}


def decay(age_days: float) -> float:
    """The weight of a record ``age_days`` old: 1 today, 0.5 after a year, 0.25 after two."""
    return 0.5 ** (max(age_days, 0.0) / HALF_LIFE_DAYS)


def grade_for(score: float) -> str:
    for threshold, grade in GRADES:
        if score >= threshold:
            return grade
    return "D"


@dataclass(frozen=True)
class ComponentResult:
    key: str
    label: object  # lazy: translated only when shown (100,000 merchants are scored nightly)
    points: float  # deducted
    cap: float
    weighted: dict[str, float]  # the decayed sum of each kind that fed it
    explanation: object
    rate: float | None = None  # the smoothed resolution rate, for that component

    def as_dict(self) -> dict:
        body = {
            "key": self.key,
            "label": str(self.label),
            "points_deducted": round(self.points, 2),
            "cap": self.cap,
            "weighted_records": {k: round(v, 3) for k, v in self.weighted.items()},
            "how": str(self.explanation),
        }
        if self.rate is not None:
            body["smoothed_resolution_rate"] = round(self.rate, 4)
        return body


@dataclass(frozen=True)
class IndexResult:
    score: float
    grade: str
    components: tuple[ComponentResult, ...]
    as_of: dt.date

    def as_dict(self) -> dict:
        return {
            "name": str(_("complaint-handling index")),
            "not_a_credit_rating": True,
            "formula_version": FORMULA_VERSION,
            "score": self.score,
            "grade": self.grade,
            "start": START,
            "half_life_days": HALF_LIFE_DAYS,
            "as_of": self.as_of.isoformat(),
            "components": [c.as_dict() for c in self.components],
        }


def index_compute(sums: dict[str, float], *, as_of: dt.date) -> IndexResult:
    """Score from the decayed, unrepaired sums per record kind (missing kinds are 0)."""
    resolved = float(sums.get(RecordKind.RESOLVED) or 0.0)
    unresolved = float(sums.get(RecordKind.UNRESOLVED) or 0.0)
    rate = (resolved + PRIOR_RESOLVED) / (resolved + unresolved + PRIOR_RESOLVED)
    results = [
        ComponentResult(
            key=RESOLUTION.key,
            label=RESOLUTION.label,
            points=min(RESOLUTION.cap, RESOLUTION.cap * (1.0 - rate)),
            cap=RESOLUTION.cap,
            weighted={RecordKind.RESOLVED: resolved, RecordKind.UNRESOLVED: unresolved},
            explanation=RESOLUTION.explanation,
            rate=rate,
        )
    ]
    for component in COMPONENTS[1:]:
        weighted = {kind: float(sums.get(kind) or 0.0) for kind in component.points}
        raw = sum(component.points[kind] * weighted[kind] for kind in component.points)
        results.append(
            ComponentResult(
                key=component.key,
                label=component.label,
                points=min(component.cap, raw),
                cap=component.cap,
                weighted=weighted,
                explanation=component.explanation,
            )
        )
    score = round(max(0.0, START - sum(r.points for r in results)), 1)
    return IndexResult(score=score, grade=grade_for(score), components=tuple(results), as_of=as_of)


def sums_from_records(
    records: Iterable[tuple[str, dt.date, bool]], *, as_of: dt.date
) -> dict[str, float]:
    """Decayed sums from (kind, local date, repaired) triples: the formula in plain Python."""
    sums: dict[str, float] = {}
    for kind, day, repaired in records:
        if repaired or kind not in INDEX_KINDS:
            continue
        sums[kind] = sums.get(kind, 0.0) + decay((as_of - day).days)
    return sums


def decay_expression(as_of: dt.date, day_field: str = "day"):
    """SQL for the weight on ``as_of`` of a day number: POWER(0.5, MAX(age, 0) / 365.25)."""
    age = Greatest(Value(as_of.toordinal()) - F(day_field), Value(0))
    return Power(Value(0.5), Cast(age, FloatField()) / Value(HALF_LIFE_DAYS))


def decay_sums(as_of: dt.date) -> dict[str, Sum]:
    """Aggregates ``s_<kind>`` over rollup rows (``CreditDaily``): the decayed sums of the
    unrepaired records, each day's count weighted once."""
    weight = (F("n") - F("repaired")) * decay_expression(as_of)
    return {f"s_{kind}": Sum(weight, filter=Q(kind=kind)) for kind in INDEX_KINDS}


def sums_from_row(row: dict) -> dict[str, float]:
    return {kind: float(row.get(f"s_{kind}") or 0.0) for kind in INDEX_KINDS}
