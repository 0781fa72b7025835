"""Which case events write which credit records, exactly once, in the event's transaction."""

import datetime as dt

import pytest
from django.db import transaction

from cases.models import Case, CaseEvent, State
from cases.services import negotiation
from cases.services.clocks import deadlines_sweep
from cases.services.events import event_append
from cases.services.merchants import case_link_merchant
from cases.tests import factories as cf
from credit.models import CreditRecord
from credit.services.records import (
    absent_party,
    award_is_adverse,
    credit_records_for_event,
    records_for_event,
)
from credit.services.rollup import credit_rollup_differences
from credit.tests import factories as f
from odr import events as registry
from odr.errors import Conflict

pytestmark = pytest.mark.django_db


@pytest.fixture
def c() -> cf.Cast:
    return cf.cast()


@pytest.fixture(autouse=True)
def _rollup_in_step():
    """After every test here, the per-day rollup says exactly what the records say."""
    yield
    assert credit_rollup_differences() == []


# --- What counts -------------------------------------------------------------------------


def test_the_merchants_answer_in_time_is_recorded_with_its_speed(c):
    with cf.frozen(cf.at(2026, 6, 1, 9)):
        case = cf.submit(consumer=c.consumer, merchant=c.merchant)
    with cf.frozen(cf.at(2026, 6, 2, 15)):
        cf.offer(case, c.actor("merchant_staff"))
    record = CreditRecord.objects.get(case=case)
    assert record.kind == "answered"
    assert record.response_seconds == 30 * 3600
    assert record.details == {"within_deadline": True}
    assert record.merchant_id == c.merchant.pk


def test_an_answer_after_the_deadline_is_a_late_answer(c):
    with cf.frozen(cf.at(2026, 9, 28)):
        case = cf.submit(consumer=c.consumer, merchant=c.merchant)
    with cf.frozen(cf.at(2026, 10, 17, 0, 2)):
        negotiation.message_post(case=case, actor=c.actor("merchant_staff"), body="抱歉")
    assert f.kinds(case) == ["answered_late"]


def test_a_missed_negotiation_deadline_is_recorded_when_the_clock_escalates(c):
    with cf.frozen(cf.at(2026, 9, 28)):
        case = cf.submit(consumer=c.consumer, merchant=c.merchant)
    when = cf.at(2026, 10, 17, 0, 5)
    with cf.frozen(when):
        assert deadlines_sweep(now=when).escalated == [case.reference]
    assert f.kinds(case) == ["answer_missed"]


def test_the_consumer_asking_the_regulator_to_step_in_is_not_the_merchants_fault(c):
    case = cf.case_in(State.REVIEW, c)
    assert f.kinds(case) == []


def test_acceptance_counts_the_complaint(c):
    case = cf.case_in(State.MEDIATION, c)
    assert f.kinds(case) == ["accepted", "complaint"]


def test_a_refused_complaint_never_counts(c):
    case = cf.case_in(State.REJECTED, c)
    assert f.kinds(case) == []
    assert not CreditRecord.objects.exists()


@pytest.mark.parametrize("state", ["negotiation", "review", "mediation", "settled"])
def test_a_withdrawal_never_writes_a_record(c, state):
    case = cf.case_in(state, c)
    before = f.kinds(case)
    case = f.step(case, c, "withdraw", "consumer")
    assert case.state == State.WITHDRAWN
    assert f.kinds(case) == before


def test_settling_in_negotiation_counts_a_resolved_complaint(c):
    case = f.settled(c)
    assert f.kinds(case) == ["answered", "complaint", "resolved"]
    resolved = CreditRecord.objects.get(case=case, kind="resolved")
    assert resolved.details["by"] == "negotiation"


def test_performance_on_time(c):
    case = f.settled(c)
    f.step(case, c, "confirm_performance", "consumer")
    assert "performed_on_time" in f.kinds(case)


def test_performance_after_the_due_date_is_late(c):
    with cf.frozen(cf.at(2026, 6, 1, 10)):
        case = f.settled(c, performance_days=3)
    with cf.frozen(cf.at(2026, 6, 4, 23, 59)):  # the last day: still on time
        other = f.settled(c, performance_days=0)
    with cf.frozen(cf.at(2026, 6, 5, 0, 1)):
        f.step(case, c, "confirm_performance", "consumer")
        f.step(other, c, "confirm_performance", "consumer")
    assert "performed_late" in f.kinds(case)
    assert "performed_late" in f.kinds(other)  # due 06-04, confirmed 06-05


def test_performance_on_the_due_day_is_on_time(c):
    with cf.frozen(cf.at(2026, 6, 1, 10)):
        case = f.settled(c, performance_days=3)
    with cf.frozen(cf.at(2026, 6, 4, 23, 59)):
        f.step(case, c, "confirm_performance", "consumer")
    assert "performed_on_time" in f.kinds(case)


def test_a_breach_is_recorded(c):
    case = f.settled(c)
    f.step(case, c, "report_breach", "consumer")
    assert f.kinds(case) == ["answered", "breach", "complaint", "resolved"]


def test_a_mediation_agreement_resolves(c):
    case = f.in_mediation(c)
    f.step(case, c, "reach_agreement", "mediator")
    assert f.kinds(case) == ["accepted", "complaint", "resolved"]
    assert CreditRecord.objects.get(case=case, kind="resolved").details["by"] == "mediation"


MERCHANT_REFUSED = "被投诉人明确拒绝调解"
CONSUMER_ABSENT = "投诉人无正当理由两次未到场"


def test_the_merchant_refusing_mediation_counts_and_the_closure_is_unresolved(c):
    case = f.in_mediation(c)
    case = f.step(
        case, c, "terminate", "mediator", ground="absent_or_refused", reason=MERCHANT_REFUSED
    )
    assert "refusal_or_absence" in f.kinds(case)
    f.step(case, c, "close", "consumer")
    assert f.kinds(case) == ["accepted", "complaint", "refusal_or_absence", "unresolved"]


def test_the_consumer_staying_away_never_counts_against_the_merchant(c):
    case = f.in_mediation(c)
    case = f.step(
        case, c, "terminate", "mediator", ground="absent_or_refused", reason=CONSUMER_ABSENT
    )
    f.step(case, c, "close", "consumer")
    assert f.kinds(case) == ["accepted", "complaint"]


def test_an_absence_nobody_can_attribute_never_counts(c):
    case = f.in_mediation(c)
    case = f.step(case, c, "terminate", "mediator", ground="absent_or_refused", reason="未到场")
    f.step(case, c, "close", "consumer")
    assert f.kinds(case) == ["accepted", "complaint"]


@pytest.mark.parametrize(
    ("payload", "party"),
    [
        ({"reason": "被投诉人明确拒绝调解"}, "merchant"),
        ({"reason": "商家两次未到场"}, "merchant"),
        ({"reason": "The merchant refused to attend."}, "merchant"),
        ({"reason": "投诉人无正当理由不参加调解"}, "consumer"),
        ({"reason": "消费者拒绝调解"}, "consumer"),
        ({"reason": "The complainant did not come."}, "consumer"),
        ({"reason": "投诉人与商家均未到场"}, ""),
        ({"reason": "未到场"}, ""),
        ({"reason": "投诉人拒绝", "party": "merchant"}, "merchant"),
        ({"reason": "商家拒绝", "absent_party": "consumer"}, "consumer"),
    ],
)
def test_absent_party(payload, party):
    assert absent_party(payload) == party


def test_failed_mediation_for_other_grounds_closes_unresolved_without_a_refusal(c):
    case = f.in_mediation(c)
    case = f.step(case, c, "terminate", "mediator", ground="agreement_impossible")
    assert f.kinds(case) == ["accepted", "complaint"]
    f.step(case, c, "close", "consumer")
    assert f.kinds(case) == ["accepted", "complaint", "unresolved"]


@pytest.mark.parametrize("ground", ["withdrawn_or_settled", "refusal_ground_found", "party_ceased"])
def test_closing_after_a_neutral_termination_writes_nothing(c, ground):
    case = f.in_mediation(c)
    case = f.step(case, c, "terminate", "mediator", ground=ground)
    f.step(case, c, "close", "consumer")
    assert f.kinds(case) == ["accepted", "complaint"]


def test_an_adverse_award_counts_and_its_performance_is_tracked(c):
    case = cf.case_in(State.AWARDED, c)
    assert f.kinds(case) == ["accepted", "adverse_award", "complaint", "unresolved"]
    f.step(case, c, "report_breach", "consumer")
    assert "breach" in f.kinds(case)


def test_settling_in_arbitration_resolves(c):
    case = cf.case_in(State.ARBITRATING, c)
    f.step(case, c, "settle", "arbitration_staff")
    record = CreditRecord.objects.get(case=case, kind="resolved")
    assert record.details["by"] == "arbitration"


@pytest.mark.parametrize(
    ("payload", "adverse"),
    [
        ({"amount": "199.00"}, True),
        ({"amount": None, "description": "换货"}, True),
        ({"amount": "0"}, False),
        ({"amount": "0.00"}, False),
        ({"amount": "199", "in_favour_of": "merchant"}, False),
        ({"adverse": False}, False),
        ({"amount": "not a number"}, True),
    ],
)
def test_award_is_adverse(payload, adverse):
    assert award_is_adverse(payload) is adverse


def test_an_award_of_nothing_writes_nothing(c):
    case = cf.case_in(State.ARBITRATING, c)
    f.step(case, c, "record_award", "arbitration_staff", amount="0", description="驳回仲裁请求")
    assert f.kinds(case) == ["accepted", "complaint"]


def test_events_that_do_not_count_write_nothing(c):
    case = cf.case_in(State.NEGOTIATION, c)
    cf.offer(case, c.actor("consumer"))
    negotiation.message_post(case=case, actor=c.actor("consumer"), body="请尽快处理")
    assert f.kinds(case) == []


def test_records_are_de_identified(c):
    case = f.settled(c)
    for record in CreditRecord.objects.filter(case=case):
        assert record.consumer == "张**"
        text = str([getattr(record, field.attname) for field in CreditRecord._meta.concrete_fields])
        for secret in ("张三", "13800000001", "金雀山路", case.order_number or "JD"):
            assert secret not in text


# --- A merchant not on the platform -------------------------------------------------------


def test_a_merchant_not_on_the_platform_has_no_records_until_linked(c):
    case = cf.submit(consumer=c.consumer, merchant_name="某网店", merchant_division_code="371302")
    case = f.step(case, c, "accept", "regulator")
    assert not CreditRecord.objects.filter(case=case).exists()
    case_link_merchant(case=case, merchant=c.merchant, actor=c.actor("regulator"))
    assert f.kinds(case) == ["accepted", "complaint"]
    accept = CaseEvent.objects.get(case=case, kind="transition.accept")
    assert set(
        CreditRecord.objects.filter(case=case).values_list("source_event_id", flat=True)
    ) == {accept.pk}


# --- Exactly once -------------------------------------------------------------------------


def test_running_the_handler_again_for_an_event_writes_nothing_more(c):
    case = f.settled(c)
    settle = CaseEvent.objects.get(case=case, kind="transition.settle")
    count = CreditRecord.objects.count()
    with transaction.atomic():
        credit_records_for_event(CaseEvent.objects.select_related("case").get(pk=settle.pk))
        registry.dispatch(CaseEvent.objects.select_related("case").get(pk=settle.pk))
    assert CreditRecord.objects.count() == count


def test_a_retried_transition_is_refused_and_writes_nothing_more(c):
    case = f.settled(c)
    f.step(case, c, "report_breach", "consumer")
    count = CreditRecord.objects.count()
    with pytest.raises(Conflict):
        f.step(Case.objects.get(pk=case.pk), c, "report_breach", "consumer")
    assert CreditRecord.objects.count() == count


def test_a_rolled_back_transition_leaves_no_record(c):
    case = f.settled(c)
    before = f.kinds(case)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        f.step(case, c, "report_breach", "consumer")
        assert "breach" in f.kinds(case)  # written inside the transaction...
        raise Boom
    assert f.kinds(case) == before  # ...and gone with it
    assert Case.objects.get(pk=case.pk).state == State.SETTLED
    # Retried after the rollback, the transition writes its record once.
    f.step(Case.objects.get(pk=case.pk), c, "report_breach", "consumer")
    assert f.kinds(case).count("breach") == 1


def test_a_failing_handler_after_the_record_rolls_the_whole_transition_back(c, monkeypatch):
    case = f.settled(c)
    before = f.kinds(case)

    def explode(event):
        raise RuntimeError("a later handler failed")

    monkeypatch.setattr(
        registry,
        "_handlers",
        [*registry._handlers, registry.Handler(frozenset({"*"}), explode, "in_transaction", "x")],
    )
    with pytest.raises(RuntimeError):
        f.step(case, c, "report_breach", "consumer")
    assert f.kinds(case) == before
    assert Case.objects.get(pk=case.pk).state == State.SETTLED


def test_one_record_per_case_and_kind_even_from_another_event(c):
    case = f.settled(c)
    settle = CaseEvent.objects.get(case=case, kind="transition.settle")
    with transaction.atomic():
        again = event_append(
            case=Case.objects.select_for_update().get(pk=case.pk),
            kind="transition.settle",
            actor_role="consumer",
            payload={},
        )
    assert again.pk != settle.pk
    assert f.kinds(case).count("resolved") == 1
    assert f.kinds(case).count("complaint") == 1


# --- Append-only ----------------------------------------------------------------------------


def test_records_cannot_be_changed_or_deleted_through_the_model(c):
    record = CreditRecord.objects.filter(case=f.settled(c)).first()
    record.kind = "breach"
    with pytest.raises(ValueError):
        record.save()
    with pytest.raises(ValueError):
        record.delete()


def test_the_rule_is_a_pure_function_of_the_event():
    now = cf.at(2026, 6, 1)
    drafts = records_for_event(
        kind="transition.confirm_performance",
        actor_role="consumer",
        payload={},
        occurred_at=now,
        performance_due_at=now - dt.timedelta(seconds=1),
    )
    assert [d.kind for d in drafts] == ["performed_late"]
    assert (
        records_for_event(
            kind="transition.reject", actor_role="regulator", payload={}, occurred_at=now
        )
        == []
    )
    assert (
        records_for_event(
            kind="transition.withdraw", actor_role="consumer", payload={}, occurred_at=now
        )
        == []
    )
    assert (
        records_for_event(
            kind="transition.escalate", actor_role="consumer", payload={}, occurred_at=now
        )
        == []
    )
