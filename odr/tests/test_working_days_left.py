"""working_days_left counts as working_days_between does, for many ends in one read."""

import datetime as dt

import pytest

from odr.calendar import working_days_between, working_days_left

pytestmark = pytest.mark.django_db


def test_it_agrees_with_working_days_between(django_assert_num_queries):
    today = dt.date(2026, 9, 28)
    ends = [
        today - dt.timedelta(days=3),
        today,
        *(today + dt.timedelta(days=n) for n in (1, 5, 15, 40)),
    ]
    with django_assert_num_queries(1):
        left = working_days_left(today, ends)
    assert left == {end: max(0, working_days_between(today, end)) for end in ends}
    assert left[dt.date(2026, 10, 13)] == 7  # the design's check: over the National Day week


def test_no_end_ahead_reads_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert working_days_left(dt.date(2026, 1, 5), [dt.date(2026, 1, 5)]) == {
            dt.date(2026, 1, 5): 0
        }
