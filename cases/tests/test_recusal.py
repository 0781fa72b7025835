"""Recusal of the mediator (SAMR form 7): a party asks within the window with a ground and
reasons; the office of the case decides; granting assigns another mediator with a new
window; every step is logged and told."""

from __future__ import annotations

import datetime as dt

import pytest

from cases.models import CaseEvent, Deadline, RecusalRequest, State
from cases.rulesets import ORDER_20, ORDER_121
from cases.services import recusal
from cases.services.clocks import deadlines_sweep
from cases.services.events import case_log_verify
from cases.tests import factories as cf
from notifications.models import Notification
from odr.errors import Conflict, DomainError, NotAllowed

pytestmark = pytest.mark.django_db


@pytest.fixture
def c():
    return cf.cast()


@pytest.fixture
def case(c):
    return cf.case_in(State.MEDIATION, c)


def _ask(c, case, who="consumer", ground="interest"):
    return recusal.recusal_request(
        case=case, actor=c.actor(who), ground=ground, reasons="调解员是商家老板的亲戚。"
    )


def _told(case, kind) -> set[int]:
    return set(
        Notification.objects.filter(case=case, kind=kind, channel="inapp").values_list(
            "recipient_id", flat=True
        )
    )


def test_the_rule_sets_declare_the_window_grounds_and_what_is_unconfirmed():
    for rules in (ORDER_20, ORDER_121):
        clock = rules.clock("recusal_window")
        assert (clock.amount, clock.unit) == (3, "calendar_days")
        assert clock.starts == ("accept", "mediator_assign")
        assert clock.cancels == ("recusal_grant", "terminate")
        assert "近亲属" in clock.citation_zh and "三日内" in clock.citation_zh
        assert "not a rule" in clock.note_en and "待与正式文本核对" in clock.note_zh
        assert [g.code for g in rules.recusal.grounds] == [
            "party_or_relative",
            "interest",
            "other_relationship",
        ]


def test_acceptance_opens_the_window_and_tells_the_parties(c, case):
    window = Deadline.objects.get(case=case, clock="recusal_window")
    assert window.status == Deadline.Status.RUNNING
    assert _told(case, "deadline.started:recusal_window") == {c.consumer.pk, c.merchant_staff.pk}


def test_a_party_asks_within_the_window_and_everyone_else_is_told(c, case):
    request = _ask(c, case)
    assert request.status == RecusalRequest.Status.PENDING
    assert (request.party, request.mediator_id) == ("consumer", c.mediator.pk)
    event = CaseEvent.objects.get(case=case, kind="recusal.requested")
    assert event.payload["ground"] == "interest"
    assert event.payload["mediator"] == c.mediator.pk
    assert _told(case, "recusal.requested") == {c.merchant_staff.pk, c.regulator.pk, c.mediator.pk}
    # One pending at a time; the same party once about this mediator.
    with pytest.raises(Conflict) as exc:
        _ask(c, case, who="merchant_staff")
    assert exc.value.code == "recusal_pending"


def test_not_after_the_window(c, case):
    window = Deadline.objects.get(case=case, clock="recusal_window")
    later = window.due_at + dt.timedelta(minutes=1)
    deadlines_sweep(now=later)
    assert Deadline.objects.get(pk=window.pk).status == Deadline.Status.EXPIRED
    with cf.frozen(later), pytest.raises(Conflict) as exc:
        _ask(c, case)
    assert exc.value.code == "recusal_window_closed"
    assert not RecusalRequest.objects.exists()


def test_who_may_ask_and_on_what(c, case):
    for kind in ("mediator", "regulator", "other_consumer", "other_merchant_staff"):
        with pytest.raises(NotAllowed):
            _ask(c, case, who=kind)
    with pytest.raises(DomainError) as exc:
        _ask(c, case, ground="dislike")
    assert "ground" in exc.value.fields
    with pytest.raises(DomainError) as exc:
        recusal.recusal_request(
            case=case, actor=c.actor("consumer"), ground="interest", reasons="  "
        )
    assert "reasons" in exc.value.fields
    with pytest.raises(Conflict):
        _ask(c, cf.case_in(State.REVIEW, c))


def test_granted_assigns_another_mediator_with_a_new_window(c, case):
    request = _ask(c, case)
    old_window = Deadline.objects.get(case=case, clock="recusal_window")
    choices = dict(recusal.mediator_choices(case=case))
    assert str(c.mediator.pk) not in choices and str(c.other_mediator.pk) in choices
    recusal.recusal_decide(
        case=case, actor=c.actor("regulator"), grant=True, new_mediator=str(c.other_mediator.pk)
    )
    case.refresh_from_db()
    request.refresh_from_db()
    assert case.mediator_id == c.other_mediator.pk
    assert case.mediation_organisation_id == c.other_organisation.pk
    assert (request.status, request.new_mediator_id) == ("granted", c.other_mediator.pk)
    kinds = cf.event_kinds(case)
    assert kinds[kinds.index("recusal.requested") + 1 :] == [
        "recusal.granted",
        "deadline.started",  # the new window
        "mediation.mediator_assigned",
    ]
    assert Deadline.objects.get(pk=old_window.pk).status == Deadline.Status.CANCELLED
    new_window = Deadline.objects.get(case=case, clock="recusal_window", status="running")
    assert new_window.pk != old_window.pk
    # The mediator asked about, and the parties, hear of the grant; the new one of the task.
    assert _told(case, "recusal.granted") == {c.consumer.pk, c.merchant_staff.pk, c.mediator.pk}
    assert _told(case, "mediation.mediator_assigned") == {c.other_mediator.pk}
    assert case_log_verify(case=case).ok
    # The consumer may ask about the new mediator, within the new window.
    assert recusal.recusal_may_ask(case=case, user=c.actor("consumer")) is not None


def test_refused_with_reasons_is_logged_and_told(c, case):
    _ask(c, case)
    with pytest.raises(DomainError):
        recusal.recusal_decide(case=case, actor=c.actor("regulator"), grant=False, reasons="")
    request = recusal.recusal_decide(
        case=case, actor=c.actor("regulator"), grant=False, reasons="所述亲属关系经核实不存在。"
    )
    assert request.status == "refused"
    event = CaseEvent.objects.get(case=case, kind="recusal.refused")
    assert event.payload["reason"] == "所述亲属关系经核实不存在。"
    case.refresh_from_db()
    assert case.mediator_id == c.mediator.pk
    assert _told(case, "recusal.refused") == {c.consumer.pk, c.merchant_staff.pk, c.mediator.pk}
    # The consumer asked once about this mediator; the merchant still may, in the window.
    assert recusal.recusal_may_ask(case=case, user=c.actor("consumer")) is None
    assert recusal.recusal_may_ask(case=case, user=c.actor("merchant_staff")) is not None


def test_who_may_decide(c, case):
    with pytest.raises(Conflict):
        recusal.recusal_decide(case=case, actor=c.actor("regulator"), grant=False, reasons="无")
    _ask(c, case)
    for kind in ("consumer", "merchant_staff", "mediator", "other_regulator", "other_mediator"):
        with pytest.raises(NotAllowed):
            recusal.recusal_decide(case=case, actor=c.actor(kind), grant=False, reasons="无")
    with pytest.raises(DomainError) as exc:
        recusal.recusal_decide(
            case=case, actor=c.actor("regulator"), grant=True, new_mediator=str(c.mediator.pk)
        )
    assert "new_mediator" in exc.value.fields
    assert RecusalRequest.objects.get().status == "pending"


def test_the_demo_has_an_open_identity_request_and_a_pending_recusal():
    import io

    from django.core.management import call_command

    from cases.demo import IDENTITY_ORDER, RECUSAL_ORDER
    from cases.models import IdentityRequest

    for _ in range(2):  # seeding twice adds nothing
        call_command("seed_demo", stdout=io.StringIO())
    asked = IdentityRequest.objects.get(case__order_number=IDENTITY_ORDER)
    assert asked.status == IdentityRequest.Status.OPEN
    pending = RecusalRequest.objects.get(case__order_number=RECUSAL_ORDER)
    assert pending.status == RecusalRequest.Status.PENDING
    assert pending.case.state == State.MEDIATION
