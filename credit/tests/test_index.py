"""The complaint-handling index: the formula, decay, caps, grades, repair; SQL = Python."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.tests import factories as af
from credit.index import (
    HALF_LIFE_DAYS,
    decay,
    grade_for,
    index_compute,
    sums_from_records,
)
from credit.models import CreditRecord
from credit.selectors import merchant_index
from credit.tests import factories as f

TODAY = dt.date(2026, 6, 1)


def _score(*records) -> tuple[float, str]:
    result = index_compute(sums_from_records(records, as_of=TODAY), as_of=TODAY)
    return result.score, result.grade


def _days(n: float) -> dt.date:
    return TODAY - dt.timedelta(days=n)


def _points(result, key: str) -> float:
    return next(c.points for c in result.components if c.key == key)


# --- Decay --------------------------------------------------------------------------------


def test_a_record_weighs_one_today_half_after_a_year_a_quarter_after_two():
    assert decay(0) == 1.0
    assert decay(HALF_LIFE_DAYS) == pytest.approx(0.5)
    assert decay(2 * HALF_LIFE_DAYS) == pytest.approx(0.25)
    assert decay(HALF_LIFE_DAYS / 2) == pytest.approx(2**-0.5)


def test_a_record_dated_in_the_future_weighs_one():
    assert decay(-30) == 1.0


def test_a_breach_loses_ten_points_today_five_after_a_year():
    assert _score(("breach", TODAY, False)) == (90.0, "A")
    assert _score(("breach", TODAY - dt.timedelta(days=365), False))[0] == pytest.approx(
        95.0, abs=0.1
    )
    assert _score(("breach", TODAY - dt.timedelta(days=730), False))[0] == pytest.approx(
        97.5, abs=0.1
    )


# --- Components ---------------------------------------------------------------------------


def test_a_merchant_without_records_is_at_100_grade_a():
    result = index_compute({}, as_of=TODAY)
    assert (result.score, result.grade) == (100.0, "A")
    assert [c.key for c in result.components] == [
        "resolution",
        "refusals_absences",
        "performance",
        "awards",
    ]
    assert all(c.points == 0 for c in result.components)


def test_the_resolution_rate_is_smoothed():
    # One unresolved complaint: (0 + 2) / (0 + 1 + 2) = 2/3; 30 x 1/3 = 10 points.
    result = index_compute(
        sums_from_records([("unresolved", TODAY, False)], as_of=TODAY), as_of=TODAY
    )
    assert _points(result, "resolution") == pytest.approx(10.0)
    assert result.components[0].rate == pytest.approx(2 / 3)
    # Ten resolved and one not: (10 + 2) / (11 + 2) -> 30 x 1/13.
    records = [("resolved", TODAY, False)] * 10 + [("unresolved", TODAY, False)]
    result = index_compute(sums_from_records(records, as_of=TODAY), as_of=TODAY)
    assert _points(result, "resolution") == pytest.approx(30 / 13)
    # Resolved complaints alone cost nothing.
    assert _score(*[("resolved", TODAY, False)] * 5) == (100.0, "A")


def test_the_resolution_component_never_exceeds_its_cap():
    records = [("unresolved", TODAY, False)] * 1000
    result = index_compute(sums_from_records(records, as_of=TODAY), as_of=TODAY)
    assert 29.9 < _points(result, "resolution") <= 30.0


def test_refusals_and_absences():
    result = index_compute(
        sums_from_records(
            [
                ("refusal_or_absence", TODAY, False),
                ("answer_missed", TODAY, False),
                ("answered_late", TODAY, False),
                ("answered", TODAY, False),  # in time: costs nothing
            ],
            as_of=TODAY,
        ),
        as_of=TODAY,
    )
    assert _points(result, "refusals_absences") == pytest.approx(8 + 4 + 2)
    assert result.score == 86.0 and result.grade == "B"


def test_each_component_is_capped():
    many = [("breach", TODAY, False)] * 10 + [("adverse_award", TODAY, False)] * 10
    many += [("refusal_or_absence", TODAY, False)] * 10
    result = index_compute(sums_from_records(many, as_of=TODAY), as_of=TODAY)
    assert _points(result, "performance") == 30.0
    assert _points(result, "awards") == 15.0
    assert _points(result, "refusals_absences") == 25.0
    assert result.score == 30.0 and result.grade == "D"


def test_the_score_never_goes_below_zero():
    many = [("unresolved", TODAY, False)] * 5000 + [("breach", TODAY, False)] * 10
    many += [("adverse_award", TODAY, False)] * 10 + [("refusal_or_absence", TODAY, False)] * 10
    score, grade = _score(*many)
    assert 0.0 <= score < 1.0 and grade == "D"


def test_late_performance_and_awards():
    assert _score(("performed_late", TODAY, False)) == (96.0, "A")
    assert _score(("adverse_award", TODAY, False)) == (94.0, "A")
    assert _score(("performed_on_time", TODAY, False)) == (100.0, "A")


@pytest.mark.parametrize(
    ("score", "grade"),
    [(100, "A"), (90, "A"), (89.9, "B"), (75, "B"), (74.9, "C"), (60, "C"), (59.9, "D"), (0, "D")],
)
def test_grades(score, grade):
    assert grade_for(score) == grade


def test_two_breaches_today_make_grade_b_and_decay_lifts_it_back():
    records = [("breach", TODAY, False), ("breach", TODAY, False)]
    assert _score(*records) == (80.0, "B")
    later = TODAY + dt.timedelta(days=365)
    result = index_compute(sums_from_records(records, as_of=later), as_of=later)
    assert result.score == pytest.approx(90.0, abs=0.1)


# --- Repair --------------------------------------------------------------------------------


def test_a_repaired_record_stops_counting():
    assert _score(("breach", TODAY, True)) == (100.0, "A")
    assert _score(("breach", TODAY, True), ("breach", TODAY, False)) == (90.0, "A")


# --- The same numbers from SQL ------------------------------------------------------------


@pytest.mark.django_db
def test_the_index_from_sql_equals_the_formula_in_python():
    merchant = af.MerchantFactory()
    spec = [
        ("breach", 10, False),
        ("breach", 400, True),
        ("performed_late", 200, False),
        ("adverse_award", 800, False),
        ("resolved", 3, False),
        ("resolved", 100, False),
        ("unresolved", 50, False),
        ("refusal_or_absence", 30, False),
        ("answer_missed", 700, False),
        ("answered_late", 1, False),
        ("complaint", 1, False),
        ("accepted", 1, False),
    ]
    now = timezone.now()
    for kind, days, repaired in spec:
        f.make_record(merchant, kind, days_ago=days, repaired_at=now if repaired else None)
    today = timezone.localdate()
    expected = index_compute(
        sums_from_records(
            [
                (r.kind, timezone.localdate(r.occurred_at), r.repaired_at is not None)
                for r in CreditRecord.objects.filter(merchant=merchant)
            ],
            as_of=today,
        ),
        as_of=today,
    )
    live = merchant_index(merchant=merchant, as_of=today)
    assert live.score == expected.score
    assert live.grade == expected.grade
    for a, b in zip(live.components, expected.components, strict=True):
        assert a.points == pytest.approx(b.points)
    assert live.as_dict()["not_a_credit_rating"] is True
