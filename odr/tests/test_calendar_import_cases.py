"""A State Council notice imported, as the cases app hears it: deadlines move and are told.

odr knows nothing of cases (STYLE.md); cases connects its receiver to
odr.calendar.calendar_changed. These tests hold the two together with the fictional notice
of odr/tests/data (not the real 2027 notice, which is not published yet).
"""

import datetime as dt

import pytest

from cases.models import CaseEvent, Deadline
from cases.services import clocks
from cases.tests import factories as cf
from notifications.models import Notification
from odr.calendar import calendar_import
from odr.models import CalendarDay, CalendarSource, CalendarYear
from odr.tests.conftest import FICTIONAL_NOTICE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("calendar_2027")]

D = dt.date
FILE = FICTIONAL_NOTICE


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
