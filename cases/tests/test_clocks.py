"""Statutory clocks: deadlines on the holiday calendar, and the sweep that acts on them."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from accounts.tests import factories as af
from cases.models import Case, CaseEvent, Deadline, State
from cases.services.clocks import deadlines_sweep
from cases.services.events import case_log_verify
from cases.services.transitions import case_transition
from cases.tests import factories as cf
from odr.calendar import add_working_days, seed_from_package

pytestmark = pytest.mark.django_db

D = dt.date
T0 = cf.at(2026, 9, 28)  # Monday before the National Day holiday


@pytest.fixture(autouse=True)
def _calendar_seeded():
    """The migration seeds the calendar; a database flushed by a transactional test is not."""
    seed_from_package(range(2025, 2027))


def _negotiating(merchant=None) -> Case:
    with cf.frozen(T0):
        return cf.submit(merchant=merchant or cf.enrolled_merchant(), now=T0)


def _under_review() -> Case:
    with cf.frozen(T0):
        return cf.submit(merchant=af.MerchantFactory(), now=T0)


def _deadline(case, clock) -> Deadline:
    return Deadline.objects.get(case=case, clock=clock)


def _sweep(when: dt.datetime):
    with cf.frozen(when):
        return deadlines_sweep(now=when)


def _kinds_after(case, seq) -> list[str]:
    return list(
        CaseEvent.objects.filter(case=case, seq__gt=seq)
        .order_by("seq")
        .values_list("kind", flat=True)
    )


# --- Deadlines across holidays ----------------------------------------------------------------


def test_acceptance_is_due_seven_working_days_after_receipt_across_national_day():
    case = _under_review()
    assert case.state == "review"
    deadline = _deadline(case, "acceptance_decision")
    assert (deadline.due_on, deadline.provisional, deadline.status) == (
        D(2026, 10, 13),
        False,
        "running",
    )
    assert deadline.started_at == T0
    assert deadline.due_at == dt.datetime(2026, 10, 13, 23, 59, 59, 999999, tzinfo=cf.CHINA)


def test_negotiation_answer_is_due_ten_working_days_after_receipt():
    case = _negotiating()
    assert _deadline(case, "negotiation_answer").due_on == D(2026, 10, 16)


def test_order_20_mediation_limit_is_45_working_days_from_acceptance():
    when = cf.at(2026, 1, 5)
    c = cf.cast()
    with cf.frozen(when):
        case = cf.submit(consumer=c.consumer, merchant=af.MerchantFactory(), now=when)
        assert case.ruleset == "samr-order-20"
        case_transition(
            case=case,
            name="accept",
            actor=c.actor("regulator"),
            data={"mediator": str(c.mediator.pk)},
        )
    assert _deadline(case, "mediation_limit").due_on == D(2026, 3, 13)


def test_order_121_mediation_limit_is_60_days_moved_past_days_off():
    when = cf.at(2026, 4, 20)
    c = cf.cast()
    with cf.frozen(when):
        case = cf.submit(consumer=c.consumer, merchant=af.MerchantFactory(), now=when)
        assert case.ruleset == "samr-order-121"
        case_transition(
            case=case,
            name="accept",
            actor=c.actor("regulator"),
            data={"mediator": str(c.mediator.pk)},
        )
    # 60 days after 20 April is Friday 19 June, the Dragon Boat Festival: the next working day.
    assert _deadline(case, "mediation_limit").due_on == D(2026, 6, 22)


def test_a_deadline_in_a_year_without_holiday_data_is_provisional():
    when = cf.at(2026, 12, 28)
    with cf.frozen(when):
        case = cf.submit(merchant=af.MerchantFactory(), now=when)
    deadline = _deadline(case, "acceptance_decision")
    # 2027 counts on the statute until its notice is entered: 元旦 is a day off.
    assert (deadline.due_on, deadline.provisional) == (D(2027, 1, 7), True)
    assert deadline.latest_at > deadline.due_at  # a notice may still add days off
    started = CaseEvent.objects.get(case=case, kind="deadline.started")
    assert started.payload == {
        "clock": "acceptance_decision",
        "due_on": "2027-01-07",
        "provisional": True,
        "latest_on": timezone.localdate(deadline.latest_at).isoformat(),
    }


# --- Expired negotiation: escalation ----------------------------------------------------------


def test_an_expired_negotiation_is_escalated_to_review():
    case = _negotiating()
    seq = CaseEvent.objects.filter(case=case).count()
    when = cf.at(2026, 10, 17, 0, 5)
    report = _sweep(when)
    assert (report.escalated, report.flagged, report.reminded) == ([case.reference], [], [])
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.state == "review"
    negotiation = _deadline(case, "negotiation_answer")
    assert (negotiation.status, negotiation.ended_at) == ("expired", when)
    acceptance = _deadline(case, "acceptance_decision")
    assert (acceptance.status, acceptance.started_at) == ("running", when)
    assert acceptance.due_on == add_working_days(D(2026, 10, 17), 7).date == D(2026, 10, 27)
    # The clock is marked passed first, then the case escalates on it (the clock declares it).
    assert _kinds_after(case, seq) == [
        "deadline.expired",
        "transition.escalate",
        "deadline.started",
    ]
    escalation = CaseEvent.objects.get(case=case, seq=seq + 2)
    assert (escalation.actor_id, escalation.actor_role) == (None, "system")
    assert (escalation.from_state, escalation.to_state) == ("negotiation", "review")
    assert case_log_verify(case=fresh).ok


def test_the_sweep_is_idempotent():
    case = _negotiating()
    when = cf.at(2026, 10, 17, 0, 5)
    _sweep(when)
    events = CaseEvent.objects.filter(case=case).count()
    again = _sweep(when)
    assert (again.escalated, again.flagged, again.reminded) == ([], [], [])
    assert CaseEvent.objects.filter(case=case).count() == events
    assert CaseEvent.objects.filter(case=case, kind="transition.escalate").count() == 1
    assert Deadline.objects.filter(case=case, clock="acceptance_decision").count() == 1


def test_nothing_happens_on_the_last_day():
    case = _negotiating()
    seq = CaseEvent.objects.filter(case=case).count()
    report = _sweep(cf.at(2026, 10, 16, 23, 59))
    assert report.escalated == []
    assert Case.objects.get(pk=case.pk).state == "negotiation"
    assert _kinds_after(case, seq) in ([], ["deadline.reminder"])


def test_an_answered_negotiation_is_not_escalated():
    c = cf.cast()
    with cf.frozen(T0):
        case = cf.submit(consumer=c.consumer, merchant=c.merchant, now=T0)
        cf.offer(case, c.actor("merchant_staff"))
    report = _sweep(cf.at(2026, 10, 20))
    assert report.escalated == []
    assert Case.objects.get(pk=case.pk).state == "negotiation"


# --- Overdue decisions are flagged once ------------------------------------------------------


def test_an_overdue_acceptance_decision_is_flagged_once():
    case = _under_review()
    seq = CaseEvent.objects.filter(case=case).count()
    when = cf.at(2026, 10, 14, 0, 1)
    report = _sweep(when)
    assert (report.escalated, report.flagged) == ([], [case.reference])
    deadline = _deadline(case, "acceptance_decision")
    assert (deadline.status, deadline.flagged_at) == ("running", when)
    assert _kinds_after(case, seq) == ["deadline.overdue"]
    overdue = CaseEvent.objects.get(case=case, kind="deadline.overdue")
    assert overdue.payload == {"clock": "acceptance_decision", "due_on": "2026-10-13"}
    assert (overdue.actor_id, overdue.actor_role) == (None, "system")
    assert Case.objects.get(pk=case.pk).state == "review"
    later = _sweep(cf.at(2026, 10, 20))
    assert later.flagged == []
    assert CaseEvent.objects.filter(case=case, kind="deadline.overdue").count() == 1
    assert _deadline(case, "acceptance_decision").flagged_at == when


def test_an_overdue_performance_is_flagged():
    c = cf.cast()
    with cf.frozen(T0):
        case = cf.case_in(State.SETTLED, c)
    due = Case.objects.get(pk=case.pk).performance_due_on
    report = _sweep(dt.datetime.combine(due + dt.timedelta(days=1), dt.time(8), tzinfo=cf.CHINA))
    assert report.flagged == [case.reference]
    assert CaseEvent.objects.get(case=case, kind="deadline.overdue").payload == {
        "clock": "performance",
        "due_on": due.isoformat(),
    }


# --- One reminder two working days before -----------------------------------------------------


def test_one_reminder_two_working_days_before_the_deadline():
    case = _under_review()  # acceptance due Tuesday 13 October
    # Friday 9 October: three working days left, counting the make-up Saturday.
    assert _sweep(cf.at(2026, 10, 9, 9)).reminded == []
    assert not CaseEvent.objects.filter(case=case, kind="deadline.reminder").exists()
    # Saturday 10 October is a working day: two working days left.
    when = cf.at(2026, 10, 10, 9)
    assert _sweep(when).reminded == [case.reference]
    reminder = CaseEvent.objects.get(case=case, kind="deadline.reminder")
    assert reminder.payload == {"clock": "acceptance_decision", "due_on": "2026-10-13"}
    assert _deadline(case, "acceptance_decision").reminded_at == when
    assert _sweep(cf.at(2026, 10, 12, 9)).reminded == []
    assert _sweep(cf.at(2026, 10, 13, 9)).reminded == []
    assert CaseEvent.objects.filter(case=case, kind="deadline.reminder").count() == 1


def test_no_reminder_during_the_holiday_week():
    case = _under_review()
    assert _sweep(cf.at(2026, 10, 5, 9)).reminded == []
    assert not CaseEvent.objects.filter(case=case, kind="deadline.reminder").exists()


# --- Two sweeps at once (PostgreSQL row locks) --------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_escalate_once(on_postgres):
    case = _negotiating()
    when = cf.at(2026, 10, 17, 0, 5)
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def sweep() -> None:
        try:
            barrier.wait(timeout=10)
            reports.append(deadlines_sweep(now=when))
        except Exception as exc:  # reported below, never swallowed
            errors.append(exc)
        finally:
            connection.close()

    with cf.frozen(when):
        threads = [threading.Thread(target=sweep) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert errors == []
    assert sorted(ref for r in reports for ref in r.escalated) == [case.reference]
    assert Case.objects.get(pk=case.pk).state == "review"
    assert CaseEvent.objects.filter(case=case, kind="transition.escalate").count() == 1
    assert Deadline.objects.filter(case=case, clock="acceptance_decision").count() == 1
    assert case_log_verify(case=case).ok
