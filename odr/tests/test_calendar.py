"""The working-day calendar: statutory examples, holidays, provisional years, seeding, admin."""

import datetime as dt
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from django.core.management import CommandError, call_command

from odr import calendar as calendar_module
from odr.calendar import (
    CALENDAR_DAYS,
    WORKING_DAYS,
    YEARS,
    Deadline,
    add_calendar_days,
    add_working_days,
    add_years,
    clock_deadline,
    is_working_day,
    package_years,
    seed_from_package,
    statutory_days,
    store_statutory_years,
    working_days_between,
)
from odr.models import CalendarDay, CalendarSource, CalendarYear

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = dt.date


@pytest.fixture(autouse=True)
def _calendar_seeded():
    """The migration seeds the calendar; a flushed database (after a transactional test of
    another module) is seeded again, so these tests never depend on the run order."""
    seed_from_package(range(2023, 2027))


def _without_2027() -> None:
    """2027 with nothing entered (as after a flush): it is computed from the statute."""
    CalendarDay.objects.filter(date__year=2027).delete()
    CalendarYear.objects.filter(year=2027).delete()


class _Clock:
    def __init__(self, amount: int, unit: str) -> None:
        self.amount, self.unit = amount, unit


# --- The statutory examples (DESIGN.md) --------------------------------------------------


def test_seven_working_days_after_28_september_2026_end_on_13_october():
    assert add_working_days(D(2026, 9, 28), 7) == Deadline(D(2026, 10, 13), provisional=False)


def test_45_working_days_after_5_january_2026_end_on_13_march():
    assert add_working_days(D(2026, 1, 5), 45) == Deadline(D(2026, 3, 13), provisional=False)


# --- Holidays and make-up working days ---------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 2, 14), True),  # Saturday, Spring Festival make-up working day
        (D(2026, 2, 15), False),  # Sunday, first day of the Spring Festival holiday
        (D(2026, 2, 16), False),  # Monday, Spring Festival
        (D(2026, 2, 23), False),  # Monday, last day of the Spring Festival holiday
        (D(2026, 2, 24), True),  # Tuesday, back to work
        (D(2026, 2, 28), True),  # Saturday, Spring Festival make-up working day
        (D(2026, 3, 1), False),  # an ordinary Sunday
        (D(2026, 9, 20), True),  # Sunday, National Day make-up working day
        (D(2026, 10, 1), False),  # Thursday, National Day
        (D(2026, 10, 7), False),  # Wednesday, last day of the National Day holiday
        (D(2026, 10, 10), True),  # Saturday, National Day make-up working day
        (D(2026, 10, 11), False),  # an ordinary Sunday
        (D(2026, 10, 12), True),  # an ordinary Monday
    ],
)
def test_holidays_and_make_up_days_of_2026(day, working):
    assert is_working_day(day) is working
    assert chinese_calendar.is_workday(day) is working


def test_every_day_of_2025_and_2026_agrees_with_chinesecalendar():
    days = [D(2025, 1, 1) + dt.timedelta(days=i) for i in range(730)]
    assert days[-1] == D(2026, 12, 31)
    mismatches = [day for day in days if is_working_day(day) != chinese_calendar.is_workday(day)]
    assert mismatches == []


def test_working_days_in_2026_match_chinesecalendar_total():
    expected = len(chinese_calendar.get_workdays(D(2026, 1, 1), D(2026, 12, 31)))
    assert working_days_between(D(2025, 12, 31), D(2026, 12, 31)) == expected == 248


def test_the_seed_names_holidays_as_the_state_council_does():
    assert CalendarDay.objects.get(date=D(2026, 10, 1)).name == "国庆节"
    assert CalendarDay.objects.get(date=D(2026, 4, 5)).name == "清明节"
    make_up = CalendarDay.objects.get(date=D(2026, 2, 14))
    assert (make_up.is_working, make_up.name, make_up.source) == (True, "春节", "chinesecalendar")


def test_a_working_day_count_never_ends_on_a_day_off():
    # 1 working day after the last day before National Day lands after the holiday.
    assert add_working_days(D(2026, 9, 30), 1) == Deadline(D(2026, 10, 8), provisional=False)
    # ... and a make-up Saturday counts.
    assert add_working_days(D(2026, 10, 9), 1) == Deadline(D(2026, 10, 10), provisional=False)


def test_zero_and_negative_counts():
    assert add_working_days(D(2026, 10, 1), 0) == Deadline(D(2026, 10, 1), provisional=False)
    assert add_calendar_days(D(2026, 10, 1), 0) == Deadline(D(2026, 10, 1), provisional=False)
    with pytest.raises(ValueError, match="n must be 0 or more, not -1"):
        add_working_days(D(2026, 10, 1), -1)
    with pytest.raises(ValueError, match="n must be 0 or more, not -3"):
        add_calendar_days(D(2026, 10, 1), -3)


def test_working_days_between_is_the_inverse_of_add_working_days():
    assert working_days_between(D(2026, 9, 28), D(2026, 10, 13)) == 7
    assert working_days_between(D(2026, 1, 5), D(2026, 3, 13)) == 45
    assert working_days_between(D(2026, 10, 13), D(2026, 9, 28)) == -7
    assert working_days_between(D(2026, 10, 1), D(2026, 10, 1)) == 0
    assert working_days_between(D(2026, 10, 1), D(2026, 10, 7)) == 0


# --- Calendar days and years -------------------------------------------------------------


def test_calendar_days_ending_on_a_holiday_move_to_the_next_working_day():
    # 60 days after 2026-04-20 is Friday 2026-06-19, Dragon Boat Festival: Monday 22nd.
    assert add_calendar_days(D(2026, 4, 20), 60) == Deadline(D(2026, 6, 22), provisional=False)
    # 5 days after 2026-09-28 is Saturday 3 October, inside National Day: Thursday 8th.
    assert add_calendar_days(D(2026, 9, 28), 5) == Deadline(D(2026, 10, 8), provisional=False)


def test_calendar_days_ending_on_a_make_up_saturday_end_there():
    assert add_calendar_days(D(2026, 10, 5), 5) == Deadline(D(2026, 10, 10), provisional=False)


def test_calendar_days_ending_on_an_ordinary_weekday_end_there():
    assert add_calendar_days(D(2026, 3, 2), 3) == Deadline(D(2026, 3, 5), provisional=False)


def test_years_end_on_the_same_day_or_the_next_working_day():
    # 2026-03-15 is a Sunday.
    assert add_years(D(2023, 3, 15), 3) == Deadline(D(2026, 3, 16), provisional=False)
    # No 29 February in 2027: the 28th, a Sunday, in a year not entered.
    assert add_years(D(2024, 2, 29), 3) == Deadline(D(2027, 3, 1), provisional=True)


def test_calendar_and_working_day_clocks_differ():
    start = dt.datetime(2026, 4, 20, 9, 30, tzinfo=SHANGHAI)
    assert clock_deadline(_Clock(45, WORKING_DAYS), start) == Deadline(D(2026, 6, 25), False)
    assert clock_deadline(_Clock(60, CALENDAR_DAYS), start) == Deadline(D(2026, 6, 22), False)
    assert clock_deadline(_Clock(3, YEARS), start) == Deadline(D(2029, 4, 20), True)


def test_clock_deadline_counts_from_the_beijing_date():
    # 17:00 UTC on 27 September is 01:00 on 28 September in Beijing.
    start = dt.datetime(2026, 9, 27, 17, 0, tzinfo=dt.UTC)
    deadline = clock_deadline(_Clock(7, WORKING_DAYS), start)
    assert deadline == Deadline(D(2026, 10, 13), provisional=False)
    assert deadline.ends_at == dt.datetime(2026, 10, 13, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    assert deadline.ends_at.utcoffset() == dt.timedelta(hours=8)


def test_clock_deadline_refuses_naive_datetimes_and_unknown_units():
    with pytest.raises(ValueError, match="aware datetime"):
        clock_deadline(_Clock(7, WORKING_DAYS), dt.datetime(2026, 9, 28, 9, 0))
    with pytest.raises(ValueError, match="unknown clock unit 'months'"):
        clock_deadline(_Clock(1, "months"), dt.datetime(2026, 9, 28, 9, 0, tzinfo=SHANGHAI))


# --- Years without a notice: the statute, provisional --------------------------------------

BAR_DAYS_OFF_2027 = [
    D(2027, 1, 1),
    *(D(2027, 2, day) for day in range(5, 11)),
    D(2027, 4, 5),
    D(2027, 5, 3),
    D(2027, 5, 4),
    D(2027, 6, 9),
    D(2027, 9, 15),
    D(2027, 10, 1),
    D(2027, 10, 4),
    D(2027, 10, 5),
]


@pytest.mark.parametrize("stored", [True, False], ids=["stored", "computed"])
def test_2027_without_its_notice_has_the_statutory_days_off(stored):
    if not stored:
        _without_2027()
    for day in BAR_DAYS_OFF_2027:
        assert is_working_day(day) is False, day
    assert is_working_day(D(2027, 1, 4)) is True
    assert is_working_day(D(2027, 2, 11)) is True


@pytest.mark.parametrize("stored", [True, False], ids=["stored", "computed"])
def test_the_bar_deadlines_into_2027_are_right_and_provisional(stored):
    if not stored:
        _without_2027()
    # Fri 25, Mon 28 – Thu 31 December; 元旦 Fri 1 January is off: Mon 4, Tue 5.
    first = add_working_days(D(2026, 12, 24), 7)
    assert (first.date, first.provisional) == (D(2027, 1, 5), True)
    # Tue 2 – Thu 4 February, then 除夕 to 初三 and two days 补假 (5–10 February).
    second = add_working_days(D(2027, 2, 1), 7)
    assert (second.date, second.provisional) == (D(2027, 2, 16), True)
    # The 60th day is 除夕, 5 February: Civil Code art. 203 carries it past the days off.
    third = add_calendar_days(D(2026, 12, 7), 60)
    assert (third.date, third.provisional) == (D(2027, 2, 11), True)
    # How far each could still move if the notice adds days off (docs/adr/0006).
    assert (first.latest, second.latest, third.latest) == (
        D(2027, 1, 7),
        D(2027, 2, 22),
        D(2027, 2, 15),
    )


def test_a_deadline_in_2026_is_not_provisional_even_near_the_end_of_the_year():
    assert add_working_days(D(2026, 12, 1), 5) == Deadline(D(2026, 12, 8), provisional=False)
    assert add_working_days(D(2026, 12, 24), 5) == Deadline(D(2026, 12, 31), provisional=False)
    assert add_working_days(D(2026, 12, 24), 5).latest == D(2026, 12, 31)


def test_the_statute_years_are_stored_with_their_source_and_not_confirmed():
    year = CalendarYear.objects.get(year=2027)
    assert (year.source, year.confirmed, year.notice) == (CalendarSource.STATUTE, False, "")
    days = CalendarDay.objects.filter(date__year=2027)
    assert set(days.values_list("source", flat=True)) == {CalendarSource.STATUTE}
    assert days.get(date=D(2027, 2, 5)).name == "农历除夕"
    assert days.get(date=D(2027, 2, 9)).name == "春节（补假）"
    _without_2027()
    assert store_statutory_years([2027, 2026]) == (2027,)  # 2026 has its notice
    assert CalendarDay.objects.filter(date__year=2027).count() == len(statutory_days(2027))


def test_a_year_far_ahead_is_computed_from_the_statute():
    assert not CalendarYear.objects.filter(year=2040).exists()
    assert set(statutory_days(2040)) >= {D(2040, 1, 1), D(2040, 10, 1), D(2040, 5, 1)}
    assert is_working_day(D(2040, 10, 1)) is False
    assert add_working_days(D(2040, 9, 28), 1).provisional is True


def test_a_year_with_no_row_is_computed_once_per_process(monkeypatch):
    calls = []
    real = calendar_module.holidays.China

    def counting(*args, **kwargs):
        calls.append(kwargs["years"])
        return real(*args, **kwargs)

    monkeypatch.setattr(calendar_module.holidays, "China", counting)
    statutory_days.cache_clear()
    calendar_module._possibly_off.cache_clear()
    try:
        for _ in range(3):
            deadline = add_working_days(D(2040, 9, 28), 5)
        assert (deadline.date, deadline.provisional) == (D(2040, 10, 10), True)
        assert sorted(calls) == [2039, 2040, 2041]  # the margin looks at the years either side
    finally:
        statutory_days.cache_clear()
        calendar_module._possibly_off.cache_clear()


def test_latest_is_the_date_itself_unless_provisional():
    confirmed = add_working_days(D(2026, 9, 28), 7)
    assert (confirmed.latest, confirmed.latest_ends_at) == (confirmed.date, confirmed.ends_at)
    provisional = add_calendar_days(D(2026, 12, 7), 60)
    assert provisional.latest_ends_at == dt.datetime(
        2027, 2, 15, 23, 59, 59, 999999, tzinfo=SHANGHAI
    )
    assert Deadline(D(2027, 1, 5), provisional=True).latest == D(2027, 1, 5)


def test_latest_treats_every_weekday_near_a_statutory_day_as_possibly_off():
    # Around the Spring Festival of 2027 (statutory 5-10 February): 3-4 February (2 days
    # before) and 11-12 February (up to 4 days after 10 February) may still become days off.
    after = add_working_days(D(2027, 2, 2), 1)
    assert (after.date, after.provisional, after.latest) == (D(2027, 2, 3), True, D(2027, 2, 15))
    # 22 February is far from any statutory day: it stays a working day on either calendar.
    far = add_working_days(D(2027, 2, 19), 1)
    assert (far.date, far.latest) == (D(2027, 2, 22), D(2027, 2, 22))
    # Qingming (Monday 5 April 2027): 6-9 April may become off, Friday 2 April (3 days
    # before) may not. A period in days ending on the 6th could be carried to the 12th.
    assert add_calendar_days(D(2027, 3, 31), 2).latest == D(2027, 4, 2)
    qingming = add_calendar_days(D(2027, 3, 31), 6)
    assert (qingming.date, qingming.latest) == (D(2027, 4, 6), D(2027, 4, 12))


def test_the_margin_crosses_the_new_year():
    # 1 January 2028 is a Saturday, compensated on Monday 3 January. 30 and 31 December
    # 2027 lie within the margin before it and may become days off; so may 4-7 January.
    deadline = add_working_days(D(2027, 12, 28), 2)
    assert (deadline.date, deadline.provisional) == (D(2027, 12, 30), True)
    assert deadline.latest == D(2028, 1, 10)


def test_a_day_of_a_confirmed_year_counts_on_its_schedule_even_next_to_a_provisional_one():
    # 2026 is confirmed; its last days count on its notice although 2027's is not out
    # (docs/adr/0006 says why that is safe enough).
    deadline = add_working_days(D(2026, 12, 28), 3)
    assert deadline == Deadline(D(2026, 12, 31), provisional=False)
    assert deadline.latest == D(2026, 12, 31)


def test_a_year_entered_in_the_admin_makes_the_deadline_official_and_moves_it():
    before = add_working_days(D(2026, 12, 24), 10)
    _without_2027()
    # An administrator enters a (fictional) 2027 schedule: 1 and 4 January off.
    for day in (D(2027, 1, 1), D(2027, 1, 4)):
        CalendarDay.objects.create(date=day, is_working=False, name="元旦")
    CalendarYear.objects.create(year=2027)
    after = add_working_days(D(2026, 12, 24), 10)
    assert (before.date, before.provisional) == (D(2027, 1, 8), True)
    assert (after.date, after.provisional, after.latest) == (D(2027, 1, 11), False, D(2027, 1, 11))


def test_days_of_a_year_not_yet_switched_on_are_a_draft():
    _without_2027()
    CalendarDay.objects.create(date=D(2027, 1, 1), is_working=False, name="元旦")
    CalendarDay.objects.create(date=D(2027, 1, 4), is_working=False, name="测试")
    # The draft row of 4 January is ignored: 2027 counts on the statute until switched on.
    assert add_working_days(D(2026, 12, 24), 10).date == D(2027, 1, 8)
    CalendarYear.objects.create(year=2027)
    assert add_working_days(D(2026, 12, 24), 10) == Deadline(D(2027, 1, 11), provisional=False)


def test_a_make_up_working_saturday_entered_for_2027_counts():
    _without_2027()
    CalendarDay.objects.create(date=D(2027, 1, 1), is_working=False, name="元旦")
    CalendarDay.objects.create(date=D(2027, 1, 2), is_working=True, name="元旦")
    CalendarYear.objects.create(year=2027)
    assert add_working_days(D(2026, 12, 31), 1) == Deadline(D(2027, 1, 2), provisional=False)


# --- One query per call ------------------------------------------------------------------


def test_each_computation_reads_the_calendar_once(django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        assert add_working_days(D(2026, 1, 5), 45).date == D(2026, 3, 13)
    with django_assert_max_num_queries(1):
        assert add_working_days(D(2026, 12, 24), 10).date == D(2027, 1, 8)
    with django_assert_max_num_queries(1):
        assert add_calendar_days(D(2026, 4, 20), 60).date == D(2026, 6, 22)
    with django_assert_max_num_queries(1):
        assert working_days_between(D(2025, 12, 31), D(2026, 12, 31)) == 248
    with django_assert_max_num_queries(1):
        assert is_working_day(D(2026, 10, 10)) is True


def test_a_long_count_reads_more_of_the_calendar_only_when_it_runs_past_the_window(
    django_assert_num_queries,
):
    # 248 working days (all of 2026): the first read covers 377 days, enough for the count.
    with django_assert_num_queries(1):
        assert add_working_days(D(2025, 12, 31), 248) == Deadline(D(2026, 12, 31), False)


def test_a_count_past_the_window_stays_correct(django_assert_num_queries):
    # Seven weeks of invented days off outrun the first read (30 days); a second read follows.
    CalendarDay.objects.bulk_create(
        CalendarDay(date=D(2026, 7, 1) + dt.timedelta(days=i), is_working=False, name="测试")
        for i in range(49)
    )
    with django_assert_num_queries(2):
        assert add_working_days(D(2026, 6, 30), 1) == Deadline(D(2026, 8, 19), False)


# --- Seeding -----------------------------------------------------------------------------


def test_a_fresh_migrate_has_every_year_of_the_package_and_the_statute_after_it():
    assert package_years() == range(2004, 2027)
    years = CalendarYear.objects.filter(source=CalendarSource.CHINESECALENDAR)
    assert list(years.values_list("year", flat=True)) == list(range(2004, 2027))
    assert set(years.values_list("confirmed", flat=True)) == {True}
    statute = CalendarYear.objects.filter(source=CalendarSource.STATUTE, confirmed=False)
    assert list(statute.values_list("year", flat=True)) == list(range(2027, 2036))
    assert set(statute.values_list("notice", flat=True)) == {""}
    for year in (2027, 2031, 2035):
        days = CalendarDay.objects.filter(date__year=year)
        assert dict(days.values_list("date", "name")) == statutory_days(year), year
        assert set(days.values_list("source", "is_working")) == {(CalendarSource.STATUTE, False)}
    assert not CalendarYear.objects.filter(year=2036).exists()


def test_seed_calendar_is_idempotent():
    call_command("seed_calendar", stdout=_Sink())
    package = CalendarSource.CHINESECALENDAR
    counts = (
        CalendarDay.objects.filter(source=package).count(),
        CalendarYear.objects.filter(source=package).count(),
    )
    expected_days = len(
        {d for d in chinese_calendar.holidays if d.year >= 2004}
        | {d for d in chinese_calendar.workdays if d.year >= 2004}
    )
    assert counts == (expected_days, 23)
    out = _Sink()
    call_command("seed_calendar", "--years", "2004-2026", stdout=out)
    assert (
        CalendarDay.objects.filter(source=package).count(),
        CalendarYear.objects.filter(source=package).count(),
    ) == counts
    assert out.text == "Seeded 2004–2026: 0 days created, 0 updated, 0 removed.\n"


def test_seed_restores_package_rows_and_keeps_admin_rows():
    CalendarDay.objects.filter(date=D(2026, 10, 1)).delete()
    CalendarDay.objects.filter(date=D(2026, 10, 2)).update(is_working=True)
    CalendarDay.objects.create(date=D(2026, 3, 3), is_working=False, name="测试")  # stale
    CalendarDay.objects.filter(date=D(2026, 10, 10)).update(
        is_working=False, source=CalendarSource.ADMIN
    )
    result = seed_from_package([2026])
    assert (result.created, result.updated, result.deleted) == (1, 1, 0)
    assert CalendarDay.objects.get(date=D(2026, 10, 1)).is_working is False
    assert CalendarDay.objects.get(date=D(2026, 10, 2)).is_working is False
    # Admin rows are the admin's, even a row the package does not know.
    assert CalendarDay.objects.get(date=D(2026, 10, 10)).is_working is False
    assert CalendarDay.objects.filter(date=D(2026, 3, 3)).exists()


def test_seed_removes_package_rows_the_package_no_longer_has():
    CalendarDay.objects.create(
        date=D(2026, 3, 3), is_working=False, name="旧", source=CalendarSource.CHINESECALENDAR
    )
    result = seed_from_package([2026])
    assert (result.created, result.updated, result.deleted) == (0, 0, 1)
    assert not CalendarDay.objects.filter(date=D(2026, 3, 3)).exists()


def test_seed_calendar_refuses_years_the_package_lacks():
    with pytest.raises(CommandError, match="no schedule for 2027; it covers 2004–2026"):
        call_command("seed_calendar", "--years", "2026-2027", stdout=_Sink())
    assert not CalendarYear.objects.filter(year=2027, confirmed=True).exists()
    with pytest.raises(CommandError, match="--years takes a year or a range"):
        call_command("seed_calendar", "--years", "next", stdout=_Sink())


class _Sink:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


# --- The admin ---------------------------------------------------------------------------


def test_the_admin_lists_days_and_years(admin_client):
    days = admin_client.get("/admin/odr/calendarday/?date__year=2026")
    years = admin_client.get("/admin/odr/calendaryear/")
    assert (days.status_code, years.status_code) == (200, 200)
    assert "国庆节" in days.content.decode()


def test_a_day_saved_in_the_admin_is_the_admins(admin_client):
    _without_2027()
    response = admin_client.post(
        "/admin/odr/calendarday/add/",
        {"date": "2027-01-01", "is_working": "", "name": "元旦"},
    )
    assert response.status_code == 302
    day = CalendarDay.objects.get(date=D(2027, 1, 1))
    assert (day.is_working, day.name, day.source) == (False, "元旦", CalendarSource.ADMIN)
    response = admin_client.post("/admin/odr/calendaryear/add/", {"year": "2027"})
    assert response.status_code == 302
    assert CalendarYear.objects.get(year=2027).source == CalendarSource.ADMIN
    # Only 1 January entered off: the administrator's 2027 is weekends and that day.
    assert add_working_days(D(2026, 12, 24), 10) == Deadline(D(2027, 1, 8), provisional=False)
