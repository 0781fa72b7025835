"""The tamper-evident event log: a hash chain that names the first event changed."""

import io
import itertools

import pytest
from django.core.management import CommandError, call_command
from django.db.models import ProtectedError

from cases.models import GENESIS_HASH, Case, CaseEvent, State
from cases.services import negotiation
from cases.services.events import case_log_verify
from cases.services.transitions import case_transition
from cases.tests import factories as cf

pytestmark = pytest.mark.django_db


@pytest.fixture
def flow() -> Case:
    """A case with a full history: submitted, messages, offers, settled, performed."""
    c = cf.cast()
    case = cf.case_in(State.NEGOTIATION, c)
    negotiation.message_post(case=case, actor=c.actor("consumer"), body="苹果坏了")
    negotiation.message_post(case=case, actor=c.actor("merchant_staff"), body="抱歉")
    first = cf.offer(case, c.actor("merchant_staff"))
    negotiation.offer_reject(offer=first, actor=c.actor("consumer"), reason="太少")
    second = cf.offer(case, c.actor("merchant_staff"), amount=199)
    negotiation.offer_accept(offer=second, actor=c.actor("consumer"))
    case_transition(case=case, name="confirm_performance", actor=c.actor("consumer"))
    return Case.objects.get(pk=case.pk)


def test_the_chain_of_a_whole_flow_is_intact(flow):
    events = list(CaseEvent.objects.filter(case=flow).order_by("seq"))
    assert [e.kind for e in events] == [
        "case.submitted",
        "transition.start_negotiation",
        "deadline.started",
        "message.posted",
        "message.posted",
        "negotiation.merchant_answered",
        "offer.made",
        "offer.rejected",
        "offer.made",
        "transition.settle",
        "deadline.started",
        "transition.confirm_performance",
    ]
    assert [e.seq for e in events] == list(range(1, 13))
    assert events[0].prev_hash == GENESIS_HASH
    for previous, event in itertools.pairwise(events):
        assert event.prev_hash == previous.hash
    for event in events:
        assert event.hash == event.compute_hash(reference=flow.reference)
        assert len(event.hash) == 64
    report = case_log_verify(case=flow)
    assert (report.reference, report.events, report.ok, report.broken_seq) == (
        flow.reference,
        12,
        True,
        None,
    )


def test_the_command_reports_an_intact_log(flow):
    out = io.StringIO()
    call_command("verify_case_log", flow.reference, stdout=out)
    assert out.getvalue() == f"{flow.reference}: OK (12 events)\n"


def test_the_command_checks_every_case_without_a_reference(flow):
    other = cf.submit()
    out = io.StringIO()
    call_command("verify_case_log", stdout=out)
    assert sorted(out.getvalue().splitlines()) == sorted(
        [f"{flow.reference}: OK (12 events)", f"{other.reference}: OK (3 events)"]
    )


def test_the_command_refuses_an_unknown_reference():
    with pytest.raises(CommandError, match="No case LY-2026-999999"):
        call_command("verify_case_log", "LY-2026-999999", stdout=io.StringIO())


@pytest.mark.parametrize(
    "change",
    [
        {"payload": {"offer": 1, "reason": "同意"}},
        {"actor_role": "regulator"},
        {"kind": "offer.accepted"},
        {"ground": "other"},
        {"visibility": "staff"},
    ],
)
def test_a_changed_event_is_detected_and_named(flow, change):
    target = CaseEvent.objects.get(case=flow, seq=7)
    CaseEvent.objects.filter(pk=target.pk).update(**change)
    report = case_log_verify(case=flow)
    assert (report.ok, report.broken_seq, report.problem) == (False, 7, "content changed")
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"1 case log\(s\) broken"):
        call_command("verify_case_log", flow.reference, stdout=out)
    assert out.getvalue() == f"{flow.reference}: BROKEN at event 7: content changed\n"


def test_rehashing_a_changed_event_breaks_the_next_link(flow):
    target = CaseEvent.objects.get(case=flow, seq=4)
    target.payload = {"room": "negotiation", "seq": 99}
    CaseEvent.objects.filter(pk=target.pk).update(
        payload=target.payload, hash=target.compute_hash(reference=flow.reference)
    )
    report = case_log_verify(case=flow)
    assert (report.ok, report.broken_seq, report.problem) == (False, 5, "link to previous broken")


def test_a_deleted_event_is_detected(flow):
    # Event 11 (the performance deadline starting) is one nothing else refers to: credit
    # records, notices and documents protect the events they were made from.
    CaseEvent.objects.filter(case=flow, seq=11).delete()
    report = case_log_verify(case=flow)
    assert (report.ok, report.broken_seq, report.problem) == (False, 11, "event missing")
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("verify_case_log", flow.reference, stdout=out)
    assert "BROKEN at event 11" in out.getvalue()


def test_only_the_tampered_case_is_reported(flow):
    other = cf.submit()
    CaseEvent.objects.filter(case=other, seq=2).update(actor_role="consumer")
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"1 case log\(s\) broken"):
        call_command("verify_case_log", stdout=out)
    assert f"{flow.reference}: OK (12 events)" in out.getvalue()
    assert f"{other.reference}: BROKEN at event 2: content changed" in out.getvalue()


def test_the_reference_is_part_of_the_hash(flow):
    """An event moved to another case (or a case renumbered) does not verify."""
    Case.objects.filter(pk=flow.pk).update(reference="LY-2026-999998")
    report = case_log_verify(case=Case.objects.get(pk=flow.pk))
    assert (report.ok, report.broken_seq) == (False, 1)


def test_events_cannot_be_saved_twice_or_deleted(flow):
    event = CaseEvent.objects.get(case=flow, seq=3)
    original = (event.payload, event.hash)
    event.payload = {"clock": "changed"}
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
    fresh = CaseEvent.objects.get(pk=event.pk)
    assert (fresh.payload, fresh.hash) == original
    assert CaseEvent.objects.filter(case=flow).count() == 12
    assert case_log_verify(case=flow).ok


def test_a_case_with_events_cannot_be_deleted(flow):
    with pytest.raises(ProtectedError):
        flow.delete()
    assert CaseEvent.objects.filter(case=flow).count() == 12
