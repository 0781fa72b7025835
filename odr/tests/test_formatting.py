"""The formatting layer: the same thing reads the same in pages, PDFs, SMS and the API."""

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from accounts.tests import factories as af
from odr import formatting

UTC_MOMENT = dt.datetime(2026, 12, 7, 2, 1, 31, tzinfo=dt.UTC)  # 10:01 in Beijing


def test_moments_are_in_beijing_time_whatever_their_zone():
    assert formatting.moment(UTC_MOMENT) == "2026-12-07 10:01"
    assert formatting.moment("2026-12-07T02:01:31.814133+00:00") == "2026-12-07 10:01"
    assert formatting.moment("2026-12-07T23:30:00+08:00") == "2026-12-07 23:30"
    assert formatting.moment("") == "" and formatting.moment("not a time") == ""


def test_dates_in_each_language():
    day = dt.date(2027, 1, 4)
    assert formatting.long_date(day, "zh-hans") == "2027年1月4日"
    assert formatting.long_date(day, "en") == "4 January 2027"
    assert formatting.long_date("2027-01-04", "en") == "4 January 2027"
    # A moment's date is its date in Beijing: 20:00 UTC on 3 January is 4 January there.
    assert formatting.long_date(dt.datetime(2027, 1, 3, 20, tzinfo=dt.UTC), "zh-hans") == (
        "2027年1月4日"
    )
    assert formatting.long_moment(UTC_MOMENT, "en") == "7 December 2026, 10:01"
    assert formatting.long_moment(UTC_MOMENT, "zh-hans") == "2026年12月7日 10:01"
    assert formatting.short_date(UTC_MOMENT) == "2026-12-07"
    assert formatting.long_date(None) == "" and formatting.long_date("2027-13-01") == ""


def test_amounts_and_time_left():
    assert formatting.amount(Decimal("1234.5"), "zh-hans") == "1,234.50 元"
    assert formatting.amount("1234.5", "zh-hans", formal=True) == "人民币1,234.50元"
    assert formatting.amount(300, "en") == "CNY 300.00"
    assert formatting.amount("abc", "en") == "abc" and formatting.amount(None) == ""
    assert formatting.time_left(1, "working_days", "en") == "1 working day left"
    assert formatting.time_left(60, "calendar_days", "en") == "60 days left"
    assert "工作日" in formatting.time_left(3, "working_days", "zh-hans")
    assert "周" not in formatting.time_left(60, "calendar_days", "zh-hans")


def test_the_active_language_is_the_default():
    with translation.override("en"):
        assert formatting.long_date(dt.date(2027, 2, 1)) == "1 February 2027"
    with translation.override("zh-hans"):
        assert formatting.long_date(dt.date(2027, 2, 1)) == "2027年2月1日"


def test_divisions_signers_and_people():
    assert formatting.division("371302") == "兰山区"
    assert formatting.division_full("371302") == "山东省临沂市兰山区"
    assert formatting.division("999999") == "999999"
    assert formatting.signer("Common Name: ODR 12315 dev") == "ODR 12315 dev"


@pytest.mark.django_db
def test_templates_have_the_filters_without_loading_them():
    user = af.consumer(display_name="张三")
    with translation.override("zh-hans"):
        html = Template(
            "{{ when|moment }}|{{ day|long_date }}|{{ money|amount }}|{{ code|division }}|{{ u|person }}"
        ).render(
            Context(
                {
                    "when": UTC_MOMENT,
                    "day": dt.date(2027, 1, 4),
                    "money": 5,
                    "code": "371302",
                    "u": user,
                }
            )
        )
    assert html == "2026-12-07 10:01|2027年1月4日|5.00 元|兰山区|张三"
