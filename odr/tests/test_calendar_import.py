"""A State Council notice imported: checked, written in one transaction, told to receivers.

The file used is fictional (odr/tests/data/fictional-notice-2027.json): it adds 11–12
February and 6–7 October 2027 as days off and makes Saturdays 20 February and 9 October
working days. It is not the real 2027 notice, which is not published yet. How cases moves
its deadlines on the signal is tested in test_calendar_import_cases.py.
"""

import copy
import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import chinese_calendar
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import translation

from odr.calendar import (
    CalendarImportError,
    Deadline,
    add_working_days,
    calendar_changed,
    calendar_import,
    is_working_day,
    seed_from_package,
    statutory_days,
)
from odr.models import CalendarDay, CalendarSource, CalendarYear
from odr.tests.conftest import FICTIONAL_NOTICE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("calendar_2027")]

D = dt.date
FILE = FICTIONAL_NOTICE


def _rows(year: int = 2027) -> list[tuple]:
    return list(
        CalendarDay.objects.filter(date__year=year)
        .order_by("date")
        .values_list("date", "is_working", "name", "source")
    )


# --- Checking the file -------------------------------------------------------------------


def _errors(data) -> list[str]:
    """The errors in English (the messages are gettext; Chinese is checked below)."""
    with translation.override("en"), pytest.raises(CalendarImportError) as caught:
        calendar_import(data)
    return caught.value.errors


def test_the_errors_are_in_chinese_by_default(notice):
    data = copy.deepcopy(notice)
    data["days_off"].remove("2027-02-05")
    with pytest.raises(CalendarImportError) as caught:
        calendar_import(data)
    assert caught.value.errors == ["“days_off”缺少以下法定休假日：2027-02-05。"]


def test_a_file_that_is_not_an_object_or_has_other_keys_is_refused(notice):
    assert _errors([1, 2]) == ["The file must hold one JSON object."]
    broken = {**notice, "note": "x"}
    del broken["working_days"]
    assert _errors(broken)[:2] == ["Missing: working_days.", "Unknown keys: note."]


@pytest.mark.parametrize("year", [1999, 2101, "2027", None, True])
def test_the_year_must_be_a_year(notice, year):
    assert "“year” must be a year from 2000 to 2100." in _errors({**notice, "year": year})


def test_every_date_must_be_a_date_inside_the_year(notice):
    data = copy.deepcopy(notice)
    data["days_off"] += ["2028-01-01", "2027-13-01", 5, "2027-1-1"]
    errors = _errors(data)
    assert "2028-01-01 in “days_off” is not in 2027." in errors
    assert "“2027-13-01” in “days_off” is not a date like 2027-01-01." in errors
    assert "“5” in “days_off” is not a date like 2027-01-01." in errors
    assert "“2027-1-1” in “days_off” is not a date like 2027-01-01." in errors
    assert "“working_days” must be a list of dates like 2027-01-01." in _errors(
        {**notice, "working_days": "2027-02-20"}
    )


def test_every_statutory_day_off_must_be_listed(notice):
    data = copy.deepcopy(notice)
    data["days_off"].remove("2027-02-05")
    assert _errors(data) == ["Statutory days off missing from “days_off”: 2027-02-05."]


def test_make_up_working_days_only_on_weekends_and_never_also_off(notice):
    data = copy.deepcopy(notice)
    data["working_days"] += ["2027-02-11", "2027-03-03"]
    errors = _errors(data)
    assert "Both a day off and a working day: 2027-02-11." in errors
    assert (
        "Make-up working days are Saturdays or Sundays; these are not: "
        "2027-02-11, 2027-03-03." in errors
    )


def test_the_source_is_required_and_a_date_may_not_be_listed_twice(notice):
    data = copy.deepcopy(notice)
    data["source"] = "  "
    data["days_off"].append("2027-01-01")
    errors = _errors(data)
    assert "“source” must give the notice's title and number (at most 300 characters)." in errors
    assert "“days_off” lists a date twice." in errors


def test_a_compensatory_day_missing_leaves_the_notice_short_of_the_statute(notice):
    data = copy.deepcopy(notice)
    for day in ("2027-02-10", "2027-02-11", "2027-02-12"):
        data["days_off"].remove(day)
    assert _errors(data) == [
        "The notice gives 12 working days off (14 weekdays off less 2 make-up working "
        "days), fewer than the statute's 13, 6 of which are compensatory days (补假) for "
        "holidays on a weekend.",
        "The statute's compensatory days would usually be: 2027-02-10.",
    ]


def test_a_compensatory_day_may_lie_where_the_notice_puts_it():
    """The statute owes a working day for 初一 on Saturday 6 February, not which one: a
    (fictional) notice that gives 11 February instead of 9 February is accepted."""
    days_off = set(statutory_days(2027)) - {D(2027, 2, 9)} | {D(2027, 2, 11)}
    data = {
        "year": 2027,
        "source": "测试用虚构通知 FICTIONAL-TEST-2",
        "days_off": sorted(d.isoformat() for d in days_off),
        "working_days": [],
    }
    calendar_import(data)
    assert is_working_day(D(2027, 2, 9)) is True
    assert is_working_day(D(2027, 2, 11)) is False
    assert CalendarDay.objects.get(date=D(2027, 2, 11)).name == "春节（调休）"


def test_a_refused_file_writes_nothing(notice):
    before = _rows()
    data = copy.deepcopy(notice)
    data["working_days"].append("2027-03-03")
    _errors(data)
    assert _rows() == before
    assert CalendarYear.objects.get(year=2027).confirmed is False


# --- Importing ---------------------------------------------------------------------------


def test_the_import_replaces_the_statute_with_the_notice_and_confirms_the_year(notice):
    assert add_working_days(D(2027, 2, 1), 7).date == D(2027, 2, 16)
    result = calendar_import(notice)
    year = CalendarYear.objects.get(year=2027)
    assert (year.source, year.confirmed, year.notice) == (
        CalendarSource.NOTICE,
        True,
        notice["source"],
    )
    assert {row[3] for row in _rows()} == {CalendarSource.NOTICE}
    assert [c.date for c in result.changes] == [
        D(2027, 2, 11),
        D(2027, 2, 12),
        D(2027, 2, 20),
        D(2027, 10, 6),
        D(2027, 10, 7),
        D(2027, 10, 9),
    ]
    assert is_working_day(D(2027, 2, 20)) is True
    assert is_working_day(D(2027, 2, 11)) is False
    # 2–4 February, then off until the 12th; 15, 16, 17, and Saturday the 20th counts.
    moved = add_working_days(D(2027, 2, 1), 7)
    assert (moved.date, moved.provisional) == (D(2027, 2, 18), False)
    assert CalendarDay.objects.get(date=D(2027, 2, 5)).name == statutory_days(2027)[D(2027, 2, 5)]


def test_a_dry_run_writes_nothing_and_says_what_would_change(notice):
    before = _rows()
    result = calendar_import(notice, dry_run=True)
    assert result.dry_run and len(result.changes) == 6
    assert _rows() == before
    year = CalendarYear.objects.get(year=2027)
    assert (year.source, year.confirmed) == (CalendarSource.STATUTE, False)


def test_the_import_names_each_day_after_its_holiday(notice):
    calendar_import(notice)
    names = {d: n for d, _w, n, _s in _rows()}
    assert names[D(2027, 2, 5)] == "农历除夕"
    assert names[D(2027, 2, 9)] == "春节（补假）"
    assert names[D(2027, 2, 11)] == "春节（调休）"
    assert names[D(2027, 2, 20)] == "春节（调休上班）"
    assert names[D(2027, 10, 9)] == "国庆节（调休上班）"


MOVE = {
    "case": "LY-2026-000001",
    "clock": "negotiation_answer",
    "label": "商家答复",
    "from": "2027-02-19",
    "to": "2027-02-22",
    "status": "running",
}


@pytest.fixture
def receivers():
    """Connect test receivers to calendar_changed for one test; the calls they saw."""
    connected, calls = [], []

    def connect(receiver):
        uid = f"test-receiver-{len(connected)}"
        calendar_changed.connect(receiver, dispatch_uid=uid, weak=False)
        connected.append(uid)

    yield connect, calls
    for uid in connected:
        calendar_changed.disconnect(dispatch_uid=uid)


def test_the_signal_is_sent_inside_the_transaction_after_the_rows_are_written(notice, receivers):
    connect, calls = receivers

    def receiver(sender, **kwargs):
        calls.append(
            (
                sender,
                kwargs,
                transaction.get_connection().in_atomic_block,
                CalendarYear.objects.get(year=2027).confirmed,
                is_working_day(D(2027, 2, 20)),
            )
        )
        return [MOVE]

    connect(receiver)
    result = calendar_import(notice)
    assert calls == [
        (
            CalendarYear,
            {
                "signal": calendar_changed,
                "years": (2027,),
                "dry_run": False,
                "source": notice["source"],
            },
            True,
            True,  # the receiver reads the calendar as the import has made it
            True,
        )
    ]
    assert result.moves == (MOVE,)


def test_the_receivers_results_are_collected_in_one_list(notice, receivers):
    connect, _calls = receivers
    second = {**MOVE, "case": "LY-2026-000002", "clock": "acceptance_decision"}
    connect(lambda sender, **kwargs: [MOVE, second])
    connect(lambda sender, **kwargs: [])
    connect(lambda sender, **kwargs: None)
    connect(lambda sender, **kwargs: [{**MOVE, "case": "LY-2026-000003"}])
    result = calendar_import(notice, dry_run=True)
    assert [m["case"] for m in result.moves] == [
        "LY-2026-000001",
        "LY-2026-000002",
        "LY-2026-000003",
    ]


def test_a_dry_run_rolls_back_what_the_receivers_wrote_and_runs_no_on_commit(
    notice, receivers, django_capture_on_commit_callbacks
):
    connect, calls = receivers

    def receiver(sender, *, dry_run, **kwargs):
        CalendarDay.objects.create(date=D(2040, 3, 1), is_working=False, name="接收者")
        transaction.on_commit(lambda: calls.append(("committed", dry_run)))
        return [MOVE]

    connect(receiver)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = calendar_import(notice, dry_run=True)
    assert result.moves == (MOVE,)
    assert (callbacks, calls) == ([], [])
    assert not CalendarDay.objects.filter(date=D(2040, 3, 1)).exists()
    assert CalendarYear.objects.get(year=2027).confirmed is False

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        calendar_import(notice)
    assert (len(callbacks), calls) == (1, [("committed", False)])
    assert CalendarDay.objects.filter(date=D(2040, 3, 1)).exists()


def test_a_receiver_that_fails_leaves_nothing_written(notice, receivers):
    connect, _calls = receivers
    before = _rows()

    def receiver(sender, **kwargs):
        raise RuntimeError("the receiver failed")

    connect(receiver)
    with pytest.raises(RuntimeError, match="the receiver failed"):
        calendar_import(notice)
    assert _rows() == before
    year = CalendarYear.objects.get(year=2027)
    assert (year.source, year.confirmed, year.notice) == (CalendarSource.STATUTE, False, "")


def test_a_year_that_had_no_row_is_imported_too(notice):
    CalendarDay.objects.filter(date__year=2027).delete()
    CalendarYear.objects.filter(year=2027).delete()
    assert add_working_days(D(2027, 2, 1), 7).provisional is True
    calendar_import(notice)
    assert add_working_days(D(2027, 2, 1), 7) == Deadline(D(2027, 2, 18), provisional=False)


def test_a_seed_leaves_a_year_imported_from_its_notice_alone():
    """A 2026 file (chinesecalendar's days, less Sunday 15 February, a weekend day inside
    the Spring Festival): the seed must not bring the package's row back."""
    days_off = sorted(
        d.isoformat() for d in chinese_calendar.holidays if d.year == 2026 and d != D(2026, 2, 15)
    )
    working = sorted(d.isoformat() for d in chinese_calendar.workdays if d.year == 2026)
    data = {
        "year": 2026,
        "source": "测试用 2026 FICTIONAL-TEST-3",
        "days_off": days_off,
        "working_days": working,
    }
    calendar_import(data)
    before = _rows(2026)
    result = seed_from_package([2026])
    assert (result.created, result.updated, result.deleted) == (0, 0, 0)
    assert _rows(2026) == before
    assert CalendarYear.objects.get(year=2026).source == CalendarSource.NOTICE


# --- The commands and the admin ----------------------------------------------------------


def test_calendar_import_command_dry_run_and_import(notice, receivers):
    connect, _calls = receivers
    connect(lambda sender, **kwargs: [MOVE])
    out = io.StringIO()
    call_command("calendar_import", str(FILE), "--dry-run", stdout=out)
    text = out.getvalue()
    assert "6 days would change" in text
    assert "  2027-02-11 working day -> day off 春节（调休）" in text
    assert "1 deadlines would move:" in text
    assert "  LY-2026-000001 negotiation_answer: 2027-02-19 -> 2027-02-22 (running)" in text
    assert text.endswith("Dry run: nothing was written.\n")
    assert CalendarYear.objects.get(year=2027).confirmed is False
    out = io.StringIO()
    call_command("calendar_import", str(FILE), stdout=out)
    text = out.getvalue()
    assert "2027-02-20 day off -> working day 春节（调休上班）" in text
    assert "1 deadlines moved:" in text and "Dry run" not in text
    assert CalendarYear.objects.get(year=2027).confirmed is True


def test_calendar_import_command_refuses_bad_files(tmp_path, notice):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="is not JSON"):
        call_command("calendar_import", str(bad), stdout=io.StringIO())
    with pytest.raises(CommandError, match="cannot read"):
        call_command("calendar_import", str(tmp_path / "missing.json"), stdout=io.StringIO())
    bad.write_text(json.dumps({"year": 2027}), encoding="utf-8")
    with pytest.raises(CommandError, match="缺少：days_off, source, working_days"):
        call_command("calendar_import", str(bad), stdout=io.StringIO())
    data = copy.deepcopy(notice)
    data["working_days"].append("2027-03-03")
    bad.write_text(json.dumps(data), encoding="utf-8")
    with translation.override("en"), pytest.raises(CommandError) as caught:
        call_command("calendar_import", str(bad), stdout=io.StringIO())
    assert str(caught.value) == (
        "Make-up working days are Saturdays or Sundays; these are not: 2027-03-03."
    )
    assert CalendarYear.objects.get(year=2027).confirmed is False


def test_calendar_import_runs_from_the_command_line_and_fails_with_a_non_zero_code(tmp_path):
    """The exit code, through manage.py itself (CommandError exits 1)."""
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"year": 2027}), encoding="utf-8")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "odr.settings.test", "LANGUAGE": "en"}
    ran = subprocess.run(
        [sys.executable, "manage.py", "calendar_import", str(bad), "--dry-run"],
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 1
    assert "days_off, source, working_days" in ran.stderr


def test_calendar_show_prints_every_day_with_its_source(notice):
    def show(year: int) -> str:
        out = io.StringIO()
        call_command("calendar_show", str(year), stdout=out)
        return out.getvalue()

    text = show(2027)
    assert text.startswith(
        "2027: PROVISIONAL, no State Council notice entered: statute (全国年节及纪念日放假办法, "
        "computed by the holidays package)\n"
    )
    assert "  2027-02-05 星期五 day off             农历除夕         statute (放假办法)\n" in text
    assert text.endswith("19 days off, 0 make-up working days\n")

    calendar_import(notice)
    text = show(2027)
    assert text.startswith(f"2027: confirmed: State Council notice\n  notice: {notice['source']}\n")
    assert (
        f"  2027-02-20 星期六 make-up working day 春节（调休上班）     notice: {notice['source']}\n"
        in text
    )
    assert text.endswith("23 days off, 2 make-up working days\n")

    text = show(2026)
    assert text.startswith(
        "2026: confirmed: State Council notice, as transcribed by chinesecalendar\n"
    )
    assert (
        "  2026-10-10 星期六 make-up working day 国庆节          notice (chinesecalendar)\n" in text
    )

    assert show(2035).startswith("2035: PROVISIONAL, no State Council notice entered: statute")
    CalendarDay.objects.create(date=D(2036, 1, 2), is_working=False, name="草稿")
    text = show(2036)
    assert text.startswith(
        "2036: PROVISIONAL, no State Council notice entered: not stored, counted on the statute"
    )
    assert "(1 day rows entered as a draft are not counted" in text
    assert "草稿" not in text
    with pytest.raises(CommandError, match="from 2000 to 2100"):
        show(1999)


def _upload(notice: dict) -> SimpleUploadedFile:
    body = json.dumps(notice, ensure_ascii=False).encode()
    return SimpleUploadedFile("notice.json", body, content_type="application/json")


def test_the_admin_previews_then_imports_a_notice(admin_client, notice, receivers):
    connect, calls = receivers

    def receiver(sender, *, dry_run, **kwargs):
        calls.append(dry_run)
        return [MOVE]

    connect(receiver)
    page = admin_client.get("/admin/odr/calendaryear/")
    assert "/admin/odr/calendaryear/import/" in page.content.decode()
    form = admin_client.get("/admin/odr/calendaryear/import/")
    assert form.status_code == 200 and 'type="file"' in form.content.decode()

    preview = admin_client.post("/admin/odr/calendaryear/import/", {"file": _upload(notice)})
    text = preview.content.decode()
    assert preview.status_code == 200
    for day in ("2027-02-11", "2027-02-12", "2027-02-20", "2027-10-06", "2027-10-07"):
        assert f'data-date="{day}"' in text
    assert 'data-date="2027-02-05"' not in text  # off before and after: no change
    assert 'data-case="LY-2026-000001" data-clock="negotiation_answer"' in text
    assert "商家答复" in text and "2027-02-19" in text and "2027-02-22" in text
    assert calls == [True]
    year = CalendarYear.objects.get(year=2027)
    assert (year.source, year.confirmed) == (CalendarSource.STATUTE, False)  # nothing written

    data = preview.context["data_text"]
    done = admin_client.post("/admin/odr/calendaryear/import/", {"data": data, "confirm": "1"})
    assert done.status_code == 302 and done.url == "/admin/odr/calendaryear/"
    assert calls == [True, False]
    year = CalendarYear.objects.get(year=2027)
    assert (year.source, year.confirmed, year.notice) == (
        CalendarSource.NOTICE,
        True,
        notice["source"],
    )
    assert is_working_day(D(2027, 2, 20)) is True
    listing = admin_client.get(done.url)
    assert [str(m) for m in listing.context["messages"]] == [
        "已导入 2027 年：6 天发生变化，1 个期限已调整。"
    ]


def test_the_admin_import_is_for_those_who_may_change_calendar_years(client, notice):
    staff = get_user_model().objects.create_user(
        username="calendar-reader", password="x-test-password", is_staff=True
    )
    client.force_login(staff)
    page = client.post("/admin/odr/calendaryear/import/", {"file": _upload(notice)})
    assert page.status_code == 302
    assert CalendarYear.objects.get(year=2027).confirmed is False


def test_the_admin_shows_the_errors_of_a_bad_notice(admin_client, notice):
    data = copy.deepcopy(notice)
    data["days_off"].remove("2027-01-01")
    page = admin_client.post(
        "/admin/odr/calendaryear/import/", {"data": json.dumps(data), "confirm": "1"}
    )
    assert page.status_code == 200
    assert "2027-01-01" in page.content.decode() and "errornote" in page.content.decode()
    assert CalendarYear.objects.get(year=2027).confirmed is False
    empty = admin_client.post("/admin/odr/calendaryear/import/", {})
    assert empty.status_code == 200 and "errornote" in empty.content.decode()
