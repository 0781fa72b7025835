"""Statutory clocks counted on China's working-day calendar.

Every deadline of a case (the merchant's answer, the acceptance decision, the mediation
limit, the arbitration body's answer, the limitation period) is computed here, on the
calendar in the database (`odr.models`). The rules of counting come from the Civil Code:
the day a period starts is not counted (art. 201), a period that ends on a statutory day
off ends on the next working day (art. 203(1)), and its last day ends at midnight
(art. 203(2)). A year whose State Council notice is not entered counts on the statute: the
days off of the 全国年节及纪念日放假办法 (as amended by State Council Decree 795, in force
2025-01-01) and their compensatory days (补假), computed by the `holidays` package. A
deadline that depended on such a day is provisional: it may still move when the notice
is imported, and `Deadline.latest` says how far it could (docs/adr/0006).

The clock definitions themselves (amount, unit, citation) are data in `cases.rulesets`;
this module accepts anything shaped like a clock, so that `odr` imports no other app.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import chinese_calendar
import holidays
from django.db import transaction
from django.db.models import DateField, IntegerField, Value
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from odr.models import CalendarDay, CalendarSource, CalendarYear

# Statutory time is Beijing time, whatever the server's TIME_ZONE.
CHINA_TZ = ZoneInfo("Asia/Shanghai")

WORKING_DAYS = "working_days"
CALENDAR_DAYS = "calendar_days"
YEARS = "years"

_ONE_DAY = dt.timedelta(days=1)
# How far past the nominal end a calendar read looks: longer than any run of days off
# (the longest, Spring Festival 2020, was 10 days), so one read nearly always
# suffices; a count that runs past the window reads the next stretch.
_MARGIN_DAYS = 30


# A notice adds days off only next to a statutory day off: from 2 days before to 4 days
# after it (the notices of 2004-2026 added 151 weekdays off, all within; only the one-off
# 2015 anniversary lay outside: docs/adr/0006). On a year not confirmed, every weekday in
# that window may still become a day off: `Deadline.latest` counts so.
MARGIN_BEFORE_DAYS = 2
MARGIN_AFTER_DAYS = 4


@dataclass(frozen=True, slots=True)
class Deadline:
    """The last day of a period, and whether it rests on a year not yet confirmed.

    A provisional deadline was counted on the statute for at least one day of a year whose
    State Council notice is not entered, so it may move once it is; `latest` is the latest
    day it could move to (the same day when it is not provisional), counted with every
    weekday within the margin of a statutory day of an unconfirmed year taken as off.
    Callers store both and recompute provisional deadlines when a notice is imported.
    Equality compares `date` and `provisional` only: `latest` follows from them and the
    margin.
    """

    date: dt.date
    provisional: bool
    latest: dt.date | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.latest is None:
            object.__setattr__(self, "latest", self.date)

    @property
    def ends_at(self) -> dt.datetime:
        """The last moment of the period: the end of its last day in Beijing (art. 203(2)).

        A step taken at or before this moment is in time; callers compare aware datetimes.
        """
        return dt.datetime.combine(self.date, dt.time.max, tzinfo=CHINA_TZ)

    @property
    def latest_ends_at(self) -> dt.datetime:
        """The last moment of the latest day this deadline could still move to."""
        return dt.datetime.combine(self.latest, dt.time.max, tzinfo=CHINA_TZ)


class ClockLike(Protocol):
    """What a clock needs for its deadline: `cases.rulesets.Clock` has this shape."""

    @property
    def amount(self) -> int: ...

    @property
    def unit(self) -> str: ...


# The days the 放假办法 itself gives (arts. 2 and 6), as the `holidays` package names them in
# Chinese. Anything else it names is a notice's (休息日（由 … 调休）, 春节延长假期) or a one-off
# decision (the 2015 anniversary of the victory), not the statute's. A day that is two
# holidays at once is named "中秋节; 国庆节"; a compensatory day ends in （补假）.
_STATUTE_NAMES = frozenset(
    {"元旦", "农历除夕", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"}
)
_COMPENSATORY = "（补假）"


def _statute_parts(name: str) -> list[str] | None:
    """The statutory holidays a `holidays` name stands for, or None if it is not the statute's."""
    parts = name.removesuffix(_COMPENSATORY).split("; ")
    return parts if all(part in _STATUTE_NAMES for part in parts) else None


@lru_cache(maxsize=128)
def statutory_days(year: int) -> dict[dt.date, str]:
    """The statutory days off of `year` and their compensatory days, by the statute alone.

    From the `holidays` package (China, in Chinese), in the version of the 放假办法 in force
    that year: 元旦, 春节 (除夕 to 初三 since 2025), 清明节, 劳动节, 端午节, 中秋节, 国庆节,
    and a statutory day falling on a weekend compensated on the next working day (补假,
    named "…（补假）"). The compensatory day's date is the package's rule; a notice may put
    it elsewhere (it did in 2012 and 2015), so an import checks the count of compensatory
    days, not their dates. Days the package knows from notices are left out.
    """
    found = holidays.China(years=year, language="zh_CN")
    return {
        day: name
        for day, name in sorted(found.items())
        if day.year == year and _statute_parts(name) is not None
    }


def statutory_holidays(year: int) -> dict[dt.date, str]:
    """The statutory holidays of `year` themselves, without their compensatory days."""
    return {
        day: name for day, name in statutory_days(year).items() if not name.endswith(_COMPENSATORY)
    }


def _near_statutory(year: int) -> dict[dt.date, str]:
    """The statutory days of `year` and of the years either side: 31 December lies next to
    the following year's 元旦."""
    return {
        day: name for y in (year - 1, year, year + 1) for day, name in statutory_days(y).items()
    }


@lru_cache(maxsize=128)
def _possibly_off(year: int) -> frozenset[dt.date]:
    """Weekdays of `year` that its notice might still make days off (docs/adr/0006): every
    weekday from MARGIN_BEFORE_DAYS before to MARGIN_AFTER_DAYS after a statutory day off."""
    days = set()
    for holiday in _near_statutory(year):
        for offset in range(-MARGIN_BEFORE_DAYS, MARGIN_AFTER_DAYS + 1):
            day = holiday + dt.timedelta(days=offset)
            if day.year == year and day.weekday() < 5:
                days.add(day)
    return frozenset(days)


# A make-up working day lies at most 10 days from a statutory day (2004-2026); a notice's
# day is named after the holiday it belongs to when one is this near.
_NAME_DISTANCE_DAYS = 14


def _notice_day_name(day: dt.date, *, working: bool) -> str:
    """What a notice's day is called: the statute's name, or the nearest holiday's."""
    near = _near_statutory(day.year)
    if not working and day in near:
        return near[day]
    distance, name = min(
        ((abs((day - holiday).days), name) for holiday, name in near.items()),
        default=(_NAME_DISTANCE_DAYS + 1, ""),
    )
    base = name.removesuffix(_COMPENSATORY).split("; ")[-1]
    if distance > _NAME_DISTANCE_DAYS:
        return "调休上班" if working else "休息日（调休）"
    return f"{base}（调休上班）" if working else f"{base}（调休）"


class _Window:
    """The calendar for a stretch of days, read in one query and extended on demand.

    One query returns both the entered years (with whether each is confirmed) and the
    schedule rows, so a deadline costs one round trip however many days it spans; counting
    goes forward only. A year with no row counts on the statute, computed.
    """

    def __init__(self, first: dt.date, last: dt.date) -> None:
        self.first = first
        self.last = first - _ONE_DAY
        self._years: dict[int, bool] = {}  # entered year -> confirmed
        self._schedule: dict[dt.date, bool] = {}
        self._read_until(last)

    def _read_until(self, last: dt.date) -> None:
        first = self.last + _ONE_DAY
        years = (
            CalendarYear.objects.filter(year__range=(first.year, last.year))
            .annotate(day=Value(None, output_field=DateField()))
            .values_list("year", "day", "confirmed")
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
                self._years[year] = bool(working)
            else:
                self._schedule[day] = bool(working)
        self.last = last

    def day(self, day: dt.date) -> tuple[bool, bool]:
        """Whether `day` is a working day, and whether its year is confirmed by a notice."""
        if day < self.first:
            raise ValueError(f"{day} is before the calendar window starting {self.first}")
        if day > self.last:
            self._read_until(max(day, self.last + dt.timedelta(days=2 * _MARGIN_DAYS)))
        weekday = day.weekday() < 5
        if day.year not in self._years:
            return weekday and day not in statutory_days(day.year), False
        return self._schedule.get(day, weekday), self._years[day.year]

    def latest_day(self, day: dt.date) -> bool:
        """Whether `day` is still a working day on the calendar a notice could make."""
        working, confirmed = self.day(day)
        return working and (confirmed or day not in _possibly_off(day.year))


def _check_count(n: int) -> None:
    if n < 0:
        raise ValueError(f"a period counts forward: n must be 0 or more, not {n}")


def is_working_day(d: dt.date) -> bool:
    """Whether `d` is a working day; in a year whose notice is not entered, by the statute.

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
        working, confirmed = window.day(day)
        provisional = provisional or not confirmed
        if working:
            counted += 1
    if not provisional:
        return Deadline(day, provisional=False)
    latest, counted = start, 0
    while counted < n:
        latest += _ONE_DAY
        if window.latest_day(latest):
            counted += 1
    return Deadline(day, provisional=True, latest=latest)


def _ending_on_working_day(end: dt.date) -> Deadline:
    """A period in days, months or years that ends on a day off ends on the next working day.

    Civil Code art. 203(1): 期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日.
    Weekends are days off unless they are make-up working days.
    """
    window = _Window(end, end + dt.timedelta(days=_MARGIN_DAYS))
    day, provisional = end, False
    while True:
        working, confirmed = window.day(day)
        provisional = provisional or not confirmed
        if working:
            break
        day += _ONE_DAY
    if not provisional:
        return Deadline(day, provisional=False)
    latest = end
    while not window.latest_day(latest):
        latest += _ONE_DAY
    return Deadline(day, provisional=True, latest=max(latest, day))


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
    is n, which is how the time used and left on a working-day clock are shown. Days of a
    year whose notice is not entered count on the statute, as `add_working_days` counts them.
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


def working_days_left(today: dt.date, ends: Iterable[dt.date]) -> dict[dt.date, int]:
    """``max(0, working_days_between(today, end))`` for each end, from one calendar read:
    what a list of cases shows for its clocks, in one query however long the list."""
    ends = set(ends)
    later = sorted(end for end in ends if end > today)
    left = dict.fromkeys(ends, 0)
    if not later:
        return left
    window = _Window(today + _ONE_DAY, later[-1])
    count, day = 0, today
    for end in later:
        while day < end:
            day += _ONE_DAY
            if window.day(day)[0]:
                count += 1
        left[end] = count
    return left


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
    admin corrects the package, not the other way round; a year imported from its notice
    (source 'notice') is left whole. Package rows the package no longer
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
            entered = year_model.objects.filter(year=year).first()
            if entered is not None and entered.source == CalendarSource.NOTICE.value:
                continue  # an imported notice is the original; the package transcribes it
            schedule = _package_schedule(year)
            # Statute rows give way to the notice the package carries.
            day_model.objects.filter(date__year=year, source=CalendarSource.STATUTE.value).delete()
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
                year=year,
                # Migration 0001's historical model has no `confirmed` (it defaults to True).
                defaults={"source": package, "loaded_at": timezone.now()},
            )
            changes = len(new_rows) + len(changed_rows) + len(stale)
            if not entered and entry.source == CalendarSource.STATUTE.value:
                # The package now has the notice of a year counted on the statute so far.
                entry.source, entry.confirmed, entry.loaded_at = package, True, timezone.now()
                entry.save(update_fields=["source", "confirmed", "loaded_at"])
            elif not entered and entry.source == package and changes:
                entry.loaded_at = timezone.now()
                entry.save(update_fields=["loaded_at"])
            created += len(new_rows)
            updated += len(changed_rows)
            deleted += len(stale)
    return SeedResult(years=years, created=created, updated=updated, deleted=deleted)


def store_statutory_years(
    years: Iterable[int], *, day_model: Any = CalendarDay, year_model: Any = CalendarYear
) -> tuple[int, ...]:
    """Store the statute's days off of `years` (source 'statute', year not confirmed), for
    the years that have no schedule yet; returns the years stored. A year already entered
    (by a notice, the package or the admin) is left alone. The models are parameters so
    that a data migration can pass its historical models.
    """
    statute = CalendarSource.STATUTE.value
    stored = []
    with transaction.atomic():
        for year in sorted(set(years)):
            if year_model.objects.filter(year=year).exists():
                continue
            day_model.objects.filter(date__year=year, source=statute).delete()
            taken = set(day_model.objects.filter(date__year=year).values_list("date", flat=True))
            day_model.objects.bulk_create(
                day_model(date=day, is_working=False, name=name, source=statute)
                for day, name in statutory_days(year).items()
                if day not in taken
            )
            year_model.objects.create(
                year=year, source=statute, confirmed=False, notice="", loaded_at=timezone.now()
            )
            stored.append(year)
    return tuple(stored)


# --- A State Council notice, imported ----------------------------------------------------

# The calendar of `years` has changed. Sent by `calendar_import` inside its transaction,
# after the year's rows are written, as
#     calendar_changed.send(sender=CalendarYear, years=(year,), dry_run=dry_run, source=title)
# so that `odr` moves what depends on the calendar without importing the apps that own it
# (cases recounts its deadlines). Each receiver returns a list of dicts, one per thing that
# moved, e.g. {"case": "LY-2026-000001", "clock": "negotiation_answer", "label": "…",
# "from": "2027-01-05", "to": "2027-01-06", "status": "running"}; `ImportResult.moves` is
# their concatenation. A receiver that raises aborts the import: nothing is written. With
# dry_run=True the receivers do the same work and the transaction is then rolled back, so
# nothing they write is kept and no on_commit callback they register runs.
calendar_changed = Signal()

NOTICE_KEYS = frozenset({"year", "source", "days_off", "working_days"})


class CalendarImportError(ValueError):
    """A notice file that cannot be imported; `errors` are for the person importing it."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class DayChange:
    """A day of the year that the import turns from working to off or back."""

    date: dt.date
    working_before: bool
    working_after: bool
    name: str


@dataclass(frozen=True)
class ImportResult:
    """What an import changed, or with `dry_run` would change: the days, and what the
    `calendar_changed` receivers moved (`moves`, their dicts in order)."""

    year: int
    source: str
    dry_run: bool
    days_off: tuple[dt.date, ...]
    working_days: tuple[dt.date, ...]
    changes: tuple[DayChange, ...]
    moves: tuple[dict, ...]


def _dates(value: Any, key: str, year: int, errors: list[str]) -> list[dt.date]:
    if not isinstance(value, list):
        errors.append(_("“%(key)s” must be a list of dates like 2027-01-01.") % {"key": key})
        return []
    days = []
    for item in value:
        try:
            day = dt.date.fromisoformat(item) if isinstance(item, str) else None
        except ValueError:
            day = None
        if day is None or not isinstance(item, str) or len(item) != 10:
            errors.append(
                _("“%(value)s” in “%(key)s” is not a date like 2027-01-01.")
                % {"value": str(item)[:40], "key": key}
            )
            continue
        if day.year != year:
            errors.append(
                _("%(day)s in “%(key)s” is not in %(year)d.")
                % {"day": day.isoformat(), "key": key, "year": year}
            )
            continue
        days.append(day)
    if len(set(days)) != len(days):
        errors.append(_("“%(key)s” lists a date twice.") % {"key": key})
    return days


def _check_compensation(year: int, days_off: list[dt.date], working: list[dt.date]) -> list[str]:
    """The statute owes a working day off (补假) for each statutory holiday on a Saturday or
    Sunday, and the notice chooses which (2015's put 中秋's on 6 October, not 28
    September), so what is checked is the count: the weekdays off, less the make-up working
    days that pay for bridge days, must be at least the statute's days. Two holidays on
    one weekday (中秋 on 1 October) count once: the statute's text owes nothing for that,
    though the 2020 notice gave a day. Every notice of 2004-2026 passes
    (odr/tests/test_calendar_notices.py).
    """
    holidays_of_year = statutory_holidays(year)
    required = len(holidays_of_year)
    owed = sum(1 for day in holidays_of_year if day.weekday() >= 5)
    off = sum(1 for day in set(days_off) if day.weekday() < 5)
    net = off - len(set(working))
    if net >= required:
        return []
    errors = [
        _(
            "The notice gives %(net)d working days off (%(off)d weekdays off less "
            "%(work)d make-up working days), fewer than the statute's %(required)d, "
            "%(owed)d of which are compensatory days (补假) for holidays on a weekend."
        )
        % {
            "net": net,
            "off": off,
            "work": len(set(working)),
            "required": required,
            "owed": owed,
        }
    ]
    usual = sorted(
        day
        for day, name in statutory_days(year).items()
        if name.endswith(_COMPENSATORY) and day not in days_off
    )
    if usual:
        errors.append(
            _("The statute's compensatory days would usually be: %(days)s.")
            % {"days": ", ".join(d.isoformat() for d in usual)}
        )
    return errors


def calendar_notice_check(data: Any) -> tuple[int, str, list[dt.date], list[dt.date]]:
    """The year, source, days off and make-up working days of a notice file, or every
    error found in it (CalendarImportError)."""
    if not isinstance(data, dict):
        raise CalendarImportError([_("The file must hold one JSON object.")])
    errors: list[str] = []
    keys = set(data)
    if keys != NOTICE_KEYS:
        missing, extra = sorted(NOTICE_KEYS - keys), sorted(keys - NOTICE_KEYS)
        if missing:
            errors.append(_("Missing: %(keys)s.") % {"keys": ", ".join(missing)})
        if extra:
            errors.append(_("Unknown keys: %(keys)s.") % {"keys": ", ".join(map(str, extra))})
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        errors.append(_("“year” must be a year from 2000 to 2100."))
        raise CalendarImportError(errors)
    source = data.get("source")
    if not isinstance(source, str) or not source.strip() or len(source) > 300:
        errors.append(
            _("“source” must give the notice's title and number (at most 300 characters).")
        )
        source = ""
    days_off = _dates(data.get("days_off", []), "days_off", year, errors)
    working = _dates(data.get("working_days", []), "working_days", year, errors)
    both = sorted(set(days_off) & set(working))
    if both:
        errors.append(
            _("Both a day off and a working day: %(days)s.")
            % {"days": ", ".join(d.isoformat() for d in both)}
        )
    missing = sorted(set(statutory_holidays(year)) - set(days_off))
    if missing:
        errors.append(
            _("Statutory days off missing from “days_off”: %(days)s.")
            % {"days": ", ".join(d.isoformat() for d in missing)}
        )
    errors.extend(_check_compensation(year, days_off, working))
    weekdays = sorted(d for d in working if d.weekday() < 5)
    if weekdays:
        errors.append(
            _("Make-up working days are Saturdays or Sundays; these are not: %(days)s.")
            % {"days": ", ".join(d.isoformat() for d in weekdays)}
        )
    if errors:
        raise CalendarImportError(errors)
    return year, source.strip(), sorted(days_off), sorted(working)


def _effective(year: int) -> dict[dt.date, bool]:
    """Every day of `year`: working or not, on the calendar as it stands now."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    window = _Window(first, last)
    return {
        first + dt.timedelta(days=i): window.day(first + dt.timedelta(days=i))[0]
        for i in range((last - first).days + 1)
    }


def calendar_import(data: Any, *, dry_run: bool = False) -> ImportResult:
    """Import one year's State Council notice: validate it, replace the year's schedule in
    one transaction, and let `calendar_changed` receivers move what depends on it.

    With `dry_run` nothing is kept: the same work runs and is rolled back, so the result
    shows exactly the days and deadlines that an import would change.
    """
    year, source, days_off, working = calendar_notice_check(data)
    names = {d: _notice_day_name(d, working=False) for d in days_off} | {
        d: _notice_day_name(d, working=True) for d in working
    }
    with transaction.atomic():
        before = _effective(year)
        CalendarDay.objects.filter(date__year=year).delete()
        notice = CalendarSource.NOTICE.value
        CalendarDay.objects.bulk_create(
            [
                *(
                    CalendarDay(date=d, is_working=False, name=names[d], source=notice)
                    for d in days_off
                ),
                *(
                    CalendarDay(date=d, is_working=True, name=names[d], source=notice)
                    for d in working
                ),
            ]
        )
        CalendarYear.objects.update_or_create(
            year=year,
            defaults={
                "source": notice,
                "confirmed": True,
                "notice": source,
                "loaded_at": timezone.now(),
            },
        )
        after = _effective(year)
        changes = tuple(
            DayChange(day, before[day], after[day], names.get(day, ""))
            for day in sorted(after)
            if before[day] != after[day]
        )
        moves: list[dict] = []
        for _receiver, response in calendar_changed.send(
            sender=CalendarYear, years=(year,), dry_run=dry_run, source=source
        ):
            moves.extend(response or [])
        if dry_run:
            transaction.set_rollback(True)
    return ImportResult(
        year=year,
        source=source,
        dry_run=dry_run,
        days_off=tuple(days_off),
        working_days=tuple(working),
        changes=changes,
        moves=tuple(moves),
    )


@dataclass(frozen=True)
class ShownDay:
    """A day off or make-up working day of a year, with where it came from."""

    date: dt.date
    working: bool
    name: str
    source: str  # a CalendarSource value


@dataclass(frozen=True)
class ShownYear:
    """A year as the calendar counts it, for an operator to hold against the notice.

    `source` is None for a year with no row, counted on the statute computed on the fly;
    `draft` counts the day rows of such a year, which are ignored until the year is
    switched on (a CalendarYear row added).
    """

    year: int
    source: str | None
    confirmed: bool
    notice: str
    days: tuple[ShownDay, ...]
    draft: int = 0


def calendar_year_show(year: int) -> ShownYear:
    """Every day off and every make-up working day of `year` that the counts use, with
    where each came from, and whether the year is confirmed."""
    entry = CalendarYear.objects.filter(year=year).first()
    rows = CalendarDay.objects.filter(date__year=year).order_by("date")
    if entry is None:
        days = tuple(
            ShownDay(d, False, name, CalendarSource.STATUTE.value)
            for d, name in statutory_days(year).items()
        )
        return ShownYear(year, None, False, "", days, draft=rows.count())
    days = tuple(ShownDay(r.date, r.is_working, r.name, r.source) for r in rows)
    return ShownYear(year, entry.source, entry.confirmed, entry.notice, days)
