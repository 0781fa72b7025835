"""A State Council notice imported: checked, written at once, and the deadlines it moves.

The file used is fictional (odr/tests/data/fictional-notice-2027.json): it adds 11–12
February and 6–7 October 2027 as days off and makes Saturdays 20 February and 9 October
working days. It is not the real 2027 notice, which is not published yet.
"""

import copy
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from cases.models import CaseEvent, Deadline
from cases.services import clocks
from cases.tests import factories as cf
from notifications.models import Notification
from odr.calendar import (
    CalendarImportError,
    add_working_days,
    calendar_changed,
    calendar_import,
    is_working_day,
    seed_from_package,
    statutory_days,
    store_statutory_years,
)
from odr.models import CalendarDay, CalendarSource, CalendarYear

pytestmark = pytest.mark.django_db

D = dt.date
FILE = Path(__file__).parent / "data" / "fictional-notice-2027.json"


@pytest.fixture(autouse=True)
def _calendar():
    seed_from_package([2025, 2026])
    store_statutory_years([2027])


@pytest.fixture
def notice() -> dict:
    return json.loads(FILE.read_text(encoding="utf-8"))


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


def test_the_receivers_results_are_collected_and_a_dry_run_rolls_them_back(notice):
    seen = []

    def receiver(sender, *, years, dry_run, source, **kwargs):
        seen.append((years, dry_run, source))
        CalendarDay.objects.filter(date=D(2027, 3, 1)).delete()  # inside the transaction
        return [{"case": "X", "clock": "c", "from": "a", "to": "b", "status": "running"}]

    calendar_changed.connect(receiver, dispatch_uid="test-receiver")
    try:
        result = calendar_import(notice, dry_run=True)
    finally:
        calendar_changed.disconnect(dispatch_uid="test-receiver")
    assert seen == [((2027,), True, notice["source"])]
    assert {"case": "X", "clock": "c", "from": "a", "to": "b", "status": "running"} in result.moves


# --- The deadlines it moves ---------------------------------------------------------------


def test_the_import_moves_the_deadlines_logs_it_and_tells_the_parties(notice):
    c = cf.cast()
    when = cf.at(2027, 2, 1)
    with cf.frozen(when):
        case = cf.submit(consumer=c.consumer, merchant=c.merchant, now=when)
    deadline = Deadline.objects.get(case=case, clock="negotiation_answer")
    # 10 working days after 1 February on the statute: 2–4, 11–12, 15–19.
    assert (deadline.due_on, deadline.provisional) == (D(2027, 2, 19), True)
    dry = calendar_import(notice, dry_run=True)
    assert [(m["case"], m["clock"], m["from"], m["to"]) for m in dry.moves] == [
        (case.reference, "negotiation_answer", "2027-02-19", "2027-02-22")
    ]
    assert Deadline.objects.get(pk=deadline.pk).due_on == D(2027, 2, 19)
    assert not CaseEvent.objects.filter(case=case, kind="deadline.moved").exists()

    result = calendar_import(notice)
    assert len(result.moves) == 1
    deadline.refresh_from_db()
    # 2–4, 15–19 and Saturday 20 (a make-up working day), then Monday 22.
    assert (deadline.due_on, deadline.provisional) == (D(2027, 2, 22), False)
    assert deadline.latest_at == deadline.due_at
    moved = CaseEvent.objects.get(case=case, kind="deadline.moved")
    assert moved.payload["from"] == "2027-02-19" and moved.payload["due_on"] == "2027-02-22"
    told = {n.audience for n in Notification.objects.filter(event=moved)}
    assert told == {"consumer", "merchant"}
    consumer_notice = Notification.objects.filter(event=moved, audience="consumer").first()
    assert "2027年2月22日" in consumer_notice.body and "2027年2月19日" in consumer_notice.body
    # Nothing moves twice.
    assert calendar_import(notice).moves == ()


def test_an_answer_judged_late_on_the_statute_is_judged_again(notice):
    c = cf.cast()
    when = cf.at(2027, 2, 1)
    with cf.frozen(when):
        case = cf.submit(consumer=c.consumer, merchant=c.merchant, now=when)
    # The merchant answers on Monday 22 February: late on the statute (due the 19th)...
    with cf.frozen(cf.at(2027, 2, 22, 9)):
        cf.offer(case, c.actor("merchant_staff"))
    assert Deadline.objects.get(case=case, clock="negotiation_answer").status == "late"
    # ...and in time on the notice (due the 22nd).
    calendar_import(notice)
    deadline = Deadline.objects.get(case=case, clock="negotiation_answer")
    assert (deadline.status, deadline.due_on) == ("met", D(2027, 2, 22))
    moved = CaseEvent.objects.get(case=case, kind="deadline.moved")
    assert (moved.payload["status_before"], moved.payload["status"]) == ("late", "met")


def test_the_sweep_s_recompute_keeps_provisional_deadlines_current():
    c = cf.cast()
    when = cf.at(2027, 2, 1)
    with cf.frozen(when):
        case = cf.submit(consumer=c.consumer, merchant=c.merchant, now=when)
    deadline = Deadline.objects.get(case=case, clock="negotiation_answer")
    # An administrator enters 2027 by hand (one more day off, 15 February), then the sweep.
    CalendarDay.objects.filter(date__year=2027).update(source=CalendarSource.ADMIN)
    CalendarDay.objects.create(date=D(2027, 2, 15), is_working=False, name="测试")
    CalendarYear.objects.filter(year=2027).update(source=CalendarSource.ADMIN, confirmed=True)
    assert clocks.deadlines_recompute_provisional() == 1
    deadline.refresh_from_db()
    assert (deadline.due_on, deadline.provisional) == (D(2027, 2, 22), False)
    assert clocks.deadlines_recompute_provisional() == 0


# --- The commands and the admin ----------------------------------------------------------


def test_calendar_import_command_dry_run_and_import(notice):
    out = io.StringIO()
    call_command("calendar_import", str(FILE), "--dry-run", stdout=out)
    assert "6 days would change" in out.getvalue()
    assert "Dry run: nothing was written." in out.getvalue()
    assert CalendarYear.objects.get(year=2027).confirmed is False
    out = io.StringIO()
    call_command("calendar_import", str(FILE), stdout=out)
    assert "2027-02-20 day off -> working day 调休上班" in out.getvalue()
    assert CalendarYear.objects.get(year=2027).confirmed is True


def test_calendar_import_command_refuses_bad_files(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="is not JSON"):
        call_command("calendar_import", str(bad), stdout=io.StringIO())
    with pytest.raises(CommandError, match="cannot read"):
        call_command("calendar_import", str(tmp_path / "missing.json"), stdout=io.StringIO())
    bad.write_text(json.dumps({"year": 2027}), encoding="utf-8")
    with pytest.raises(CommandError, match="缺少：days_off, source, working_days"):
        call_command("calendar_import", str(bad), stdout=io.StringIO())


def test_calendar_show_prints_every_day_with_its_source(notice):
    out = io.StringIO()
    call_command("calendar_show", "2027", stdout=out)
    text = out.getvalue()
    assert text.startswith("2027: statute (放假办法, holidays package): PROVISIONAL")
    assert "2027-02-05" in text and "农历除夕" in text
    assert "19 days off, 0 make-up working days" in text
    calendar_import(notice)
    out = io.StringIO()
    call_command("calendar_show", "2027", stdout=out)
    text = out.getvalue()
    assert text.startswith("2027: confirmed (notice)")
    assert f"notice: {notice['source']}" in text
    assert "2027-02-20" in text and "make-up working day" in text
    assert "23 days off, 2 make-up working days" in text
    out = io.StringIO()
    call_command("calendar_show", "2035", stdout=out)
    assert out.getvalue().startswith("2035: not entered; counted on the statute")


def test_the_admin_previews_then_imports_a_notice(admin_client, notice):
    page = admin_client.get("/admin/odr/calendaryear/")
    assert "/admin/odr/calendaryear/import/" in page.content.decode()
    with FILE.open("rb") as upload:
        preview = admin_client.post("/admin/odr/calendaryear/import/", {"file": upload})
    text = preview.content.decode()
    assert preview.status_code == 200
    assert 'data-date="2027-02-20"' in text
    assert CalendarYear.objects.get(year=2027).confirmed is False  # nothing written yet
    done = admin_client.post(
        "/admin/odr/calendaryear/import/",
        {"data": json.dumps(notice, ensure_ascii=False), "confirm": "1"},
    )
    assert done.status_code == 302
    assert CalendarYear.objects.get(year=2027).confirmed is True


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
