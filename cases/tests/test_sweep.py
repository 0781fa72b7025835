"""The sweep acts only on dates that can no longer move, and every act is judged by its clock.

Provisional deadlines (counted on a year whose State Council notice is not entered) may
still move; the sweep escalates, expires and writes credit records on them only once the
latest date they could move to has passed (docs/adr/0006). Acts that end a clock are met or
late by its due time; the mediation limit hands the case to the regulator when it passes.
"""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.tests import factories as af
from cases.models import Case, CaseEvent, Deadline
from cases.models import State as S
from cases.services.actions import case_act
from cases.services.clocks import deadlines_sweep
from cases.services.transitions import case_transition, field_choices, transitions_available
from cases.tests import factories as cf
from credit.models import CreditRecord
from notifications.models import Notification
from odr.calendar import seed_from_package
from odr.errors import Conflict, DomainError, NotAllowed
from supervision.selectors.clocks import clocks_met
from supervision.selectors.dashboard import overdue_by_clock
from supervision.selectors.scope import Scope

pytestmark = pytest.mark.django_db

T0 = cf.at(2026, 9, 28)


@pytest.fixture(autouse=True)
def _calendar_seeded():
    seed_from_package(range(2025, 2027))


def _deadline(case, clock) -> Deadline:
    return Deadline.objects.get(case=case, clock=clock)


def _sweep(when):
    with cf.frozen(when):
        return deadlines_sweep(now=when)


def _negotiating() -> Case:
    with cf.frozen(T0):
        return cf.submit(merchant=cf.enrolled_merchant(), now=T0)


def _provisional(case, clock, *, margin_days: int) -> Deadline:
    """The clock as if its year's notice were not entered: it may move by `margin_days`."""
    deadline = _deadline(case, clock)
    Deadline.objects.filter(pk=deadline.pk).update(
        provisional=True, latest_at=deadline.due_at + dt.timedelta(days=margin_days)
    )
    deadline.refresh_from_db()
    return deadline


# --- No irreversible act on a date that may still move -------------------------------------


def test_a_provisional_negotiation_deadline_is_not_escalated_before_its_latest_date():
    case = _negotiating()
    deadline = _provisional(case, "negotiation_answer", margin_days=4)
    past_due = deadline.due_at + dt.timedelta(hours=1)
    report = _sweep(past_due)
    assert report.escalated == [] and report.waiting == [case.reference]
    assert Case.objects.get(pk=case.pk).state == S.NEGOTIATION
    assert _deadline(case, "negotiation_answer").status == "running"
    assert not CreditRecord.objects.filter(case=case, kind="answer_missed").exists()
    assert not CaseEvent.objects.filter(case=case, kind="deadline.expired").exists()
    # The merchant can still answer, and it is judged against the due date (late here).
    after_latest = deadline.latest_at + dt.timedelta(minutes=1)
    report = _sweep(after_latest)
    assert report.escalated == [case.reference]
    assert Case.objects.get(pk=case.pk).state == S.REVIEW
    assert _deadline(case, "negotiation_answer").status == "expired"
    assert CreditRecord.objects.filter(case=case, kind="answer_missed").count() == 1


def test_a_confirmed_deadline_is_acted_on_as_soon_as_it_passes():
    case = _negotiating()
    deadline = _deadline(case, "negotiation_answer")
    assert deadline.provisional is False and deadline.latest_at == deadline.due_at
    report = _sweep(deadline.due_at + dt.timedelta(minutes=1))
    assert report.escalated == [case.reference]


def test_a_provisional_decision_clock_is_not_flagged_before_its_latest_date():
    with cf.frozen(T0):
        case = cf.submit(merchant=af.MerchantFactory(), now=T0)
    deadline = _provisional(case, "acceptance_decision", margin_days=3)
    assert _sweep(deadline.due_at + dt.timedelta(hours=2)).flagged == []
    assert _deadline(case, "acceptance_decision").flagged_at is None
    assert _sweep(deadline.latest_at + dt.timedelta(hours=2)).flagged == [case.reference]


# --- Acts judged by their clocks -------------------------------------------------------------


def test_a_late_acceptance_decision_is_late_on_the_dashboard_and_in_reports():
    c = cf.cast()
    case = cf.case_in(S.REVIEW, c)
    deadline = _deadline(case, "acceptance_decision")
    late = deadline.due_at + dt.timedelta(days=3)
    with cf.frozen(late):
        case_transition(
            case=case,
            name="accept",
            actor=c.actor("regulator"),
            data=cf.transition_data(c, "accept"),
        )
    ended = _deadline(case, "acceptance_decision")
    assert (ended.status, ended.ended_at) == ("late", late)
    cases = Case.objects.filter(pk=case.pk)
    assert overdue_by_clock(cases=cases, now=late) == {"acceptance_decision": 1}
    day = timezone.localdate(deadline.due_at)
    met_passed = clocks_met(scope=Scope(jurisdictions=("371300",)), start=day, end=day)
    assert met_passed["acceptance_decision"] == (0, 1)


def test_an_acceptance_decision_in_time_is_met():
    c = cf.cast()
    case = cf.case_in(S.REVIEW, c)
    case_transition(
        case=case, name="accept", actor=c.actor("regulator"), data=cf.transition_data(c, "accept")
    )
    assert _deadline(case, "acceptance_decision").status == "met"
    assert overdue_by_clock(cases=Case.objects.filter(pk=case.pk), now=timezone.now()) == {}


def test_an_arbitration_answer_after_five_days_is_late():
    c = cf.cast()
    case = cf.case_in(S.REFERRED, c)
    deadline = _deadline(case, "arbitration_acceptance")
    with cf.frozen(deadline.due_at + dt.timedelta(days=1)):
        case_transition(case=case, name="arbitration_accept", actor=c.actor("arbitration_staff"))
    assert _deadline(case, "arbitration_acceptance").status == "late"


# --- The mediation limit and the termination notice -----------------------------------------


def _past_the_mediation_limit(c):
    case = cf.case_in(S.MEDIATION, c)
    deadline = _deadline(case, "mediation_limit")
    # Past the latest date it could move to (it may run into a year without its notice).
    after = deadline.latest_at + dt.timedelta(minutes=5)
    return case, deadline, after


def test_the_time_limit_ground_is_offered_only_once_the_limit_has_passed():
    c = cf.cast()
    case, _deadline_row, after = _past_the_mediation_limit(c)
    terminate = next(
        s
        for s in transitions_available(case=case, actor=c.actor("mediator"))
        if s.name == "terminate"
    )
    ground = next(f for f in terminate.fields if f.name == "ground")
    assert "time_limit" not in dict(field_choices(case, ground))
    with pytest.raises(DomainError):
        case_transition(
            case=case,
            name="terminate",
            actor=c.actor("mediator"),
            data={"ground": "time_limit", "reason": "期限届满"},
        )
    # The regulator has no termination to offer before the limit.
    assert "terminate" not in [
        s.name for s in transitions_available(case=case, actor=c.actor("regulator"))
    ]
    # The limit passes: the sweep ends the clock as passed and tells mediator and regulator.
    report = _sweep(after)
    # Twice: the mediation limit, and the window to ask for recusal (3 days) long closed.
    assert report.expired == [case.reference, case.reference]
    assert _deadline(case, "mediation_limit").status == "expired"
    expired = CaseEvent.objects.get(
        case=case, kind="deadline.expired", payload__clock="mediation_limit"
    )
    told = {n.audience for n in Notification.objects.filter(event=expired)}
    assert told == {"mediator", "regulator"}
    regulator_notice = Notification.objects.filter(event=expired, audience="regulator").first()
    assert "终止调解" in regulator_notice.body
    with cf.frozen(after):
        assert "time_limit" in dict(field_choices(case, ground))
        assert "terminate" in [
            s.name for s in transitions_available(case=case, actor=c.actor("regulator"))
        ]
        # The regulator may end it on that ground only.
        with pytest.raises(NotAllowed):
            case_transition(
                case=case,
                name="terminate",
                actor=c.actor("regulator"),
                data={"ground": "agreement_impossible", "reason": "无法达成"},
            )
        case_transition(
            case=case,
            name="terminate",
            actor=c.actor("regulator"),
            data={"ground": "time_limit", "reason": "调解期限届满未达成协议"},
        )
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.state, fresh.ground) == (S.MEDIATION_FAILED, "time_limit")
    # The termination-notice clock started at the decision.
    notice = _deadline(case, "termination_notice")
    assert notice.status == "running"
    assert timezone.localdate(notice.started_at) == timezone.localdate(after)


def test_a_regulator_cannot_end_a_mediation_whose_limit_has_not_passed():
    c = cf.cast()
    case = cf.case_in(S.MEDIATION, c)
    with pytest.raises((NotAllowed, DomainError)):
        case_transition(
            case=case,
            name="terminate",
            actor=c.actor("regulator"),
            data={"ground": "time_limit", "reason": "x"},
        )
    assert Case.objects.get(pk=case.pk).state == S.MEDIATION


def test_the_termination_notice_clock_ends_when_the_notice_is_delivered():
    c = cf.cast()
    case = cf.case_in(S.MEDIATION_FAILED, c)
    notice = _deadline(case, "termination_notice")
    assert notice.status == "running"
    event = case_act(case=case, name="termination_notice_delivered", actor=c.actor("system"))
    assert event.kind == "case.termination_notice_delivered"
    assert event.payload["clocks"] == {"termination_notice": "met"}
    assert (event.from_state, event.to_state) == ("", "")
    assert _deadline(case, "termination_notice").status == "met"
    assert Case.objects.get(pk=case.pk).state == S.MEDIATION_FAILED


def test_an_action_checks_the_state_and_the_role():
    c = cf.cast()
    case = cf.case_in(S.MEDIATION_FAILED, c)
    with pytest.raises(NotAllowed):
        case_act(case=case, name="termination_notice_delivered", actor=c.actor("consumer"))
    negotiating = cf.case_in(S.NEGOTIATION, c)
    with pytest.raises(Conflict):
        case_act(case=negotiating, name="termination_notice_delivered", actor=c.actor("system"))
    with pytest.raises(DomainError):
        case_act(case=case, name="no_such_action", actor=c.actor("system"))
    assert _deadline(case, "termination_notice").status == "running"


def test_mediator_and_regulator_are_warned_before_the_mediation_limit_passes():
    c = cf.cast()
    case = cf.case_in(S.MEDIATION, c)
    deadline = _deadline(case, "mediation_limit")
    report = _sweep(deadline.due_at - dt.timedelta(days=1))
    assert report.reminded == [case.reference]
    reminder = CaseEvent.objects.get(case=case, kind="deadline.reminder")
    assert reminder.payload["clock"] == "mediation_limit"
    told = {n.audience for n in Notification.objects.filter(event=reminder)}
    assert told == {"mediator", "regulator"}
    assert _sweep(deadline.due_at - dt.timedelta(hours=20)).reminded == []  # once


def test_performance_confirmed_after_the_agreed_date_is_late():
    c = cf.cast()
    case = cf.case_in(S.SETTLED, c)
    deadline = _deadline(case, "performance")
    with cf.frozen(deadline.due_at + dt.timedelta(days=2)):
        case_transition(case=case, name="confirm_performance", actor=c.actor("consumer"))
    assert _deadline(case, "performance").status == "late"
    assert CreditRecord.objects.filter(case=case, kind="performed_late").count() == 1
