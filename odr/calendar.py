"""Statutory clocks counted on China's working-day calendar.

Every deadline of a case (the merchant's answer, the acceptance decision, the mediation
limit, the arbitration body's answer, the limitation period) is computed here, on the
calendar in the database (`odr.models`). The rules of counting come from the Civil Code:
the day a period starts is not counted (art. 201), a period that ends on a statutory day
off ends on the next working day (art. 203(1)), and its last day ends at midnight
(art. 203(2)). A day in a year whose schedule has not been entered counts by the weekend
rule alone, and any deadline that depended on such a day is marked provisional so that
it can be recomputed once the year is entered.

The clock definitions themselves (amount, unit, citation) are data in `cases.rulesets`;
this module accepts anything shaped like a clock, so that `odr` imports no other app.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import chinese_calendar
from django.db import transaction
from django.db.models import DateField, IntegerField, Value
from django.utils import timezone

from odr.models import CalendarDay, CalendarSource, CalendarYear

# Statutory time is Beijing time, whatever the server's TIME_ZONE.
CHINA_TZ = ZoneInfo("Asia/Shanghai")

WORKING_DAYS = "working_days"
CALENDAR_DAYS = "calendar_days"
YEARS = "years"

_ONE_DAY = dt.timedelta(days=1)
# How far past the nominal end a calendar read looks: longer than any run of days off
# (Spring Festival and National Day are at most 9 days), so one read nearly always
# suffices; a count that runs past the window reads the next stretch.
_MARGIN_DAYS = 30


@dataclass(frozen=True, slots=True)
class Deadline:
    """The last day of a period, and whether it rests on a year not yet entered.

    A provisional deadline was counted on weekends alone for at least one day, so it may
    move once the State Council schedule of that year is entered; callers store the flag
    and recompute provisional deadlines when a `CalendarYear` is added.
    """

    date: dt.date
    provisional: bool

    @property
    def ends_at(self) -> dt.datetime:
        """The last moment of the period: the end of its last day in Beijing (art. 203(2)).

        A step taken at or before this moment is in time; callers compare aware datetimes.
        """
        return dt.datetime.combine(self.date, dt.time.max, tzinfo=CHINA_TZ)


class ClockLike(Protocol):
    """What a clock needs for its deadline: `cases.rulesets.Clock` has this shape."""

    @property
    def amount(self) -> int: ...

    @property
    def unit(self) -> str: ...


class _Window:
    """The calendar for a stretch of days, read in one query and extended on demand.

    One query returns both the entered years and the schedule rows, so a deadline costs one
    round trip however many days it spans; counting goes forward only.
    """

    def __init__(self, first: dt.date, last: dt.date) -> None:
        self.first = first
        self.last = first - _ONE_DAY
        self._entered_years: set[int] = set()
        self._schedule: dict[dt.date, bool] = {}
        self._read_until(last)

    def _read_until(self, last: dt.date) -> None:
        first = self.last + _ONE_DAY
        years = (
            CalendarYear.objects.filter(year__range=(first.year, last.year))
            .annotate(day=Value(None, output_field=DateField()), working=Value(False))
            .values_list("year", "day", "working")
            .order_by()
        )
        days = (
            CalendarDay.objects.filter(date__range=(first, last))
            .annotate(no_year=Value(None, output_field=IntegerField()))
            .values_list("no_year", "date", "is_working")
            .order_by()
        )
        for year, day, working in years.union(days, all=True):
            if day is None:
                self._entered_years.add(year)
            else:
                self._schedule[day] = bool(working)
        self.last = last

    def day(self, day: dt.date) -> tuple[bool, bool]:
        """Whether `day` is a working day, and whether its year's schedule is entered."""
        if day < self.first:
            raise ValueError(f"{day} is before the calendar window starting {self.first}")
        if day > self.last:
            self._read_until(max(day, self.last + dt.timedelta(days=2 * _MARGIN_DAYS)))
        if day.year not in self._entered_years:
            return day.weekday() < 5, False
        return self._schedule.get(day, day.weekday() < 5), True


def _check_count(n: int) -> None:
    if n < 0:
        raise ValueError(f"a period counts forward: n must be 0 or more, not {n}")


def is_working_day(d: dt.date) -> bool:
    """Whether `d` is a working day; in a year not yet entered, whether it is a weekday.

    For a single check (is today a working day?); deadlines use the functions below, which
    also say whether the answer is provisional.
    """
    working, _entered = _Window(d, d).day(d)
    return working


def add_working_days(start: dt.date, n: int) -> Deadline:
    """The `n`-th working day after `start`: periods in working days (工作日) end there.

    The start day is not counted (Civil Code art. 201), so 7 working days after Monday
    2026-09-28 end on 2026-10-13, past the National Day holiday and counting the make-up
    Saturday 2026-10-10. The result is always a working day. `n` = 0 gives `start`.
    """
    _check_count(n)
    if n == 0:
        return Deadline(start, provisional=False)
    window = _Window(start + _ONE_DAY, start + dt.timedelta(days=n * 7 // 5 + _MARGIN_DAYS))
    day, counted, provisional = start, 0, False
    while counted < n:
        day += _ONE_DAY
        working, entered = window.day(day)
        provisional = provisional or not entered
        if working:
            counted += 1
    return Deadline(day, provisional=provisional)


def _ending_on_working_day(end: dt.date) -> Deadline:
    """A period in days, months or years that ends on a day off ends on the next working day.

    Civil Code art. 203(1): 期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日.
    Weekends are days off unless they are make-up working days.
    """
    window = _Window(end, end + dt.timedelta(days=_MARGIN_DAYS))
    day, provisional = end, False
    while True:
        working, entered = window.day(day)
        provisional = provisional or not entered
        if working:
            return Deadline(day, provisional=provisional)
        day += _ONE_DAY


def add_calendar_days(start: dt.date, n: int) -> Deadline:
    """The end of a period of `n` days (日) after `start`, moved past days off.

    Counting starts the day after `start` (Civil Code art. 201); if the `n`-th day is a
    day off the period ends on the next working day (art. 203(1)), so 60 days after
    2026-04-20 end on Monday 2026-06-22, after the Dragon Boat Festival. `n` = 0 gives
    `start`.
    """
    _check_count(n)
    if n == 0:
        return Deadline(start, provisional=False)
    return _ending_on_working_day(start + dt.timedelta(days=n))


def add_years(start: dt.date, n: int) -> Deadline:
    """The end of a period of `n` years after `start`, moved past days off.

    The period ends on the same month and day (Civil Code art. 202), on 28 February when
    that day is a 29 February that the end year lacks, and on the next working day if that
    is a day off (art. 203(1)). `n` = 0 gives `start`.
    """
    _check_count(n)
    if n == 0:
        return Deadline(start, provisional=False)
    try:
        end = start.replace(year=start.year + n)
    except ValueError:  # 29 February into a common year
        end = start.replace(year=start.year + n, day=28)
    return _ending_on_working_day(end)


def working_days_between(a: dt.date, b: dt.date) -> int:
    """How many working days fall after `a` up to and including `b`; negative if b < a.

    The inverse of `add_working_days`: working_days_between(s, add_working_days(s, n).date)
    is n, which is how the time used and left on a working-day clock are shown. Days in
    years not yet entered count by the weekend rule.
    """
    if b < a:
        return -working_days_between(b, a)
    if b == a:
        return 0
    window = _Window(a + _ONE_DAY, b)
    count, day = 0, a
    while day < b:
        day += _ONE_DAY
        if window.day(day)[0]:
            count += 1
    return count


def clock_deadline(clock: ClockLike, start: dt.datetime) -> Deadline:
    """The deadline of `clock` for a period triggered at the moment `start`.

    The period runs from the Beijing date of `start` (a complaint received at 01:00 on
    28 September Beijing time was received on the 28th, whatever the UTC date). The result
    is the last day; `Deadline.ends_at` gives the last moment (23:59:59.999999 Beijing
    time) for callers that compare moments, such as the task that flags overdue cases.
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("clock_deadline needs an aware datetime, not a naive one")
    day = start.astimezone(CHINA_TZ).date()
    if clock.unit == WORKING_DAYS:
        return add_working_days(day, clock.amount)
    if clock.unit == CALENDAR_DAYS:
        return add_calendar_days(day, clock.amount)
    if clock.unit == YEARS:
        return add_years(day, clock.amount)
    raise ValueError(
        f"unknown clock unit {clock.unit!r}; expected {WORKING_DAYS!r}, "
        f"{CALENDAR_DAYS!r} or {YEARS!r}"
    )


# --- Seeding from the chinesecalendar package -------------------------------------------

# The State Council's names of the holidays, by the package's Holiday member names; the
# package shortens some (清明, 端午, 中秋).
_HOLIDAY_NAMES = {
    "new_years_day": "元旦",
    "spring_festival": "春节",
    "tomb_sweeping_day": "清明节",
    "labour_day": "劳动节",
    "dragon_boat_festival": "端午节",
    "national_day": "国庆节",
    "mid_autumn_festival": "中秋节",
}


@dataclass(frozen=True, slots=True)
class SeedResult:
    """What a seed changed; all zeros when the database already matched the package."""

    years: tuple[int, ...]
    created: int
    updated: int
    deleted: int


def package_years() -> range:
    """The years the installed chinesecalendar package has schedules for (2004–2026 in 1.11)."""
    dates = chinese_calendar.holidays.keys()
    return range(min(dates).year, max(dates).year + 1)


def _holiday_name(value: str) -> str:
    holiday = chinese_calendar.Holiday(value)
    return _HOLIDAY_NAMES.get(holiday.name, holiday.chinese)


def _package_schedule(year: int) -> dict[dt.date, tuple[bool, str]]:
    schedule = {
        day: (False, _holiday_name(value))
        for day, value in chinese_calendar.holidays.items()
        if day.year == year
    }
    schedule.update(
        (day, (True, _holiday_name(value)))
        for day, value in chinese_calendar.workdays.items()
        if day.year == year
    )
    return schedule


def seed_from_package(
    years: Iterable[int], *, day_model: Any = CalendarDay, year_model: Any = CalendarYear
) -> SeedResult:
    """Bring the package's schedules for `years` into the database; safe to run again.

    Rows an administrator entered or edited (source 'admin') are left as they are: the
    admin corrects the package, not the other way round. Package rows the package no longer
    has are removed. The models are parameters so that the data migration can pass its
    historical models; keep this function working with the fields of migration 0001.
    """
    available = package_years()
    years = tuple(sorted(set(years)))
    missing = [year for year in years if year not in available]
    if missing:
        raise ValueError(
            f"chinesecalendar has no schedule for {', '.join(map(str, missing))}; it covers "
            f"{available.start}–{available.stop - 1}. Enter later years in the admin."
        )
    package = CalendarSource.CHINESECALENDAR.value
    created = updated = deleted = 0
    with transaction.atomic():
        for year in years:
            schedule = _package_schedule(year)
            existing = {row.date: row for row in day_model.objects.filter(date__year=year)}
            new_rows, changed_rows = [], []
            for day, (working, name) in sorted(schedule.items()):
                row = existing.get(day)
                if row is None:
                    new_rows.append(
                        day_model(date=day, is_working=working, name=name, source=package)
                    )
                elif row.source == package and (row.is_working, row.name) != (working, name):
                    row.is_working, row.name = working, name
                    changed_rows.append(row)
            stale = [
                day
                for day, row in existing.items()
                if row.source == package and day not in schedule
            ]
            day_model.objects.bulk_create(new_rows)
            day_model.objects.bulk_update(changed_rows, ["is_working", "name"])
            if stale:
                day_model.objects.filter(date__in=stale).delete()
            entry, entered = year_model.objects.get_or_create(
                year=year, defaults={"source": package, "loaded_at": timezone.now()}
            )
            changes = len(new_rows) + len(changed_rows) + len(stale)
            if not entered and entry.source == package and changes:
                entry.loaded_at = timezone.now()
                entry.save(update_fields=["loaded_at"])
            created += len(new_rows)
            updated += len(changed_rows)
            deleted += len(stale)
    return SeedResult(years=years, created=created, updated=updated, deleted=deleted)
