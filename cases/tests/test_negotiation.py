"""Direct negotiation: offers and counter-offers, settlement by acceptance, messages."""

import datetime as dt
from decimal import Decimal

import pytest

from accounts.tests import factories as af
from cases.models import Case, CaseEvent, Deadline, Message, Offer, State
from cases.services import negotiation
from cases.services.clocks import deadlines_sweep
from cases.services.transitions import case_transition
from cases.tests import factories as cf
from odr.errors import Conflict, DomainError, NotAllowed

pytestmark = pytest.mark.django_db

WHEN = cf.at(2026, 6, 1)  # a Monday


@pytest.fixture
def c() -> cf.Cast:
    return cf.cast()


@pytest.fixture
def case(c) -> Case:
    return cf.case_in(State.NEGOTIATION, c)


def _clock(case) -> Deadline:
    return Deadline.objects.get(case=case, clock="negotiation_answer")


# --- Offers ------------------------------------------------------------------------------


def test_merchant_offer_is_recorded_and_is_the_merchants_answer(c, case):
    assert _clock(case).status == "running"
    offer = cf.offer(case, c.actor("merchant_staff"))
    assert (offer.side, offer.status, offer.made_by_id, offer.counter_to_id) == (
        "merchant",
        "open",
        c.merchant_staff.pk,
        None,
    )
    made, answered = CaseEvent.objects.filter(case=case).order_by("-seq")[:2][::-1]
    assert (made.kind, made.actor_id, made.actor_role) == (
        "offer.made",
        c.merchant_staff.pk,
        "merchant",
    )
    # An action of the merchant's that changes no state (cases/services/actions.py).
    assert (answered.kind, answered.actor_id, answered.actor_role) == (
        "negotiation.merchant_answered",
        c.merchant_staff.pk,
        "merchant",
    )
    fresh = Case.objects.get(pk=case.pk)
    answered_at = fresh.merchant_answered_at.isoformat()
    assert answered.payload == {
        "action": "merchant_answer",
        "at": answered_at,
        "answered_at": answered_at,
        "clocks": {"negotiation_answer": "met"},
    }
    assert made.payload == {
        "offer": offer.pk,
        "kind": "refund",
        "amount": "150.00",
        "description": "退款150元",
        "performance_days": 7,
        "valid_until": (cf.today() + dt.timedelta(days=5)).isoformat(),
        "counter_to": None,
    }
    assert fresh.state == "negotiation"
    assert fresh.merchant_answered_at is not None
    clock = _clock(case)
    assert (clock.status, clock.ended_at is not None) == ("met", True)


def test_consumer_offer_does_not_stop_the_merchants_clock(c, case):
    offer = cf.offer(case, c.actor("consumer"), kind="replacement", amount=None)
    assert (offer.side, offer.kind, offer.amount) == ("consumer", "replacement", None)
    assert _clock(case).status == "running"
    assert Case.objects.get(pk=case.pk).merchant_answered_at is None


def test_counter_offer_closes_the_offer_it_answers(c, case):
    first = cf.offer(case, c.actor("merchant_staff"), amount=Decimal("100.00"))
    counter = cf.offer(case, c.actor("consumer"), amount=Decimal("180.00"), counter_to=first)
    first.refresh_from_db()
    assert (first.status, first.decided_by_id) == ("countered", c.consumer.pk)
    assert first.decided_at is not None
    assert (counter.counter_to_id, counter.side, counter.status) == (first.pk, "consumer", "open")
    assert CaseEvent.objects.filter(case=case, kind="offer.made").last().payload["counter_to"] == (
        first.pk
    )
    settled = negotiation.offer_accept(offer=counter, actor=c.actor("merchant_staff"))
    assert settled.state == "settled"
    assert Case.objects.get(pk=case.pk).settlement_terms["amount"] == "180.00"


def test_a_side_cannot_counter_its_own_offer_or_a_closed_one(c, case):
    first = cf.offer(case, c.actor("merchant_staff"))
    before = cf.snapshot(case)
    with pytest.raises(Conflict):
        cf.offer(case, c.actor("merchant_staff"), counter_to=first)
    assert cf.snapshot(case) == before
    negotiation.offer_reject(offer=first, actor=c.actor("consumer"))
    before = cf.snapshot(case)
    with pytest.raises(Conflict):
        cf.offer(case, c.actor("consumer"), counter_to=first)
    assert cf.snapshot(case) == before


def test_a_new_offer_replaces_the_sides_earlier_open_offer(c, case):
    first = cf.offer(case, c.actor("merchant_staff"), amount=Decimal("100.00"))
    theirs = cf.offer(case, c.actor("consumer"), amount=Decimal("190.00"))
    second = cf.offer(case, c.actor("merchant_staff"), amount=Decimal("120.00"))
    statuses = dict(Offer.objects.filter(case=case).values_list("pk", "status"))
    assert statuses == {first.pk: "withdrawn", theirs.pk: "open", second.pk: "open"}


def test_accepting_an_offer_settles_with_its_terms_and_a_performance_deadline(c):
    with cf.frozen(WHEN):
        case = cf.case_in(State.NEGOTIATION, c)
        offer = cf.offer(case, c.actor("merchant_staff"), performance_days=10)
        seq = CaseEvent.objects.filter(case=case).count()
        settled = negotiation.offer_accept(offer=offer, actor=c.actor("consumer"))
    assert settled.state == "settled"
    fresh = Case.objects.get(pk=case.pk)
    due = dt.date(2026, 6, 11)
    assert fresh.state == "settled"
    assert fresh.performance_due_on == due
    assert (
        fresh.settlement_terms
        == settled.settlement_terms
        == {
            "offer": offer.pk,
            "kind": "refund",
            "amount": "150.00",
            "description": "退款150元",
            "performance_days": 10,
            "performance_due_on": "2026-06-11",
        }
    )
    offer.refresh_from_db()
    assert (offer.status, offer.decided_by_id, offer.decided_at) == (
        "accepted",
        c.consumer.pk,
        WHEN,
    )
    running = list(
        Deadline.objects.filter(case=case, status="running").values_list("clock", "due_on")
    )
    assert running == [("performance", due)]
    assert _clock(case).status == "met"
    new = list(CaseEvent.objects.filter(case=case, seq__gt=seq).order_by("seq"))
    assert [e.kind for e in new] == ["transition.settle", "deadline.started"]
    settle = new[0]
    assert (settle.from_state, settle.to_state, settle.actor_id, settle.actor_role) == (
        "negotiation",
        "settled",
        c.consumer.pk,
        "consumer",
    )
    assert settle.payload == {
        "description": "退款150元",
        "amount": "150.00",
        "performance_due_on": "2026-06-11",
    }


def test_merchant_accepting_the_consumers_offer_is_its_answer(c, case):
    offer = cf.offer(case, c.actor("consumer"))
    settled = negotiation.offer_accept(offer=offer, actor=c.actor("merchant_staff"))
    assert settled.state == "settled"
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.merchant_answered_at is not None
    assert _clock(case).status == "met"
    settle = CaseEvent.objects.get(case=case, kind="transition.settle")
    assert settle.actor_role == "merchant"


def test_rejecting_keeps_the_case_in_negotiation(c, case):
    offer = cf.offer(case, c.actor("merchant_staff"))
    rejected = negotiation.offer_reject(offer=offer, actor=c.actor("consumer"), reason="太少了")
    assert (rejected.status, rejected.decided_by_id) == ("rejected", c.consumer.pk)
    assert Offer.objects.get(pk=offer.pk).status == "rejected"
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.state, fresh.settlement_terms, fresh.performance_due_on) == (
        "negotiation",
        None,
        None,
    )
    event = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert (event.kind, event.actor_role, event.payload) == (
        "offer.rejected",
        "consumer",
        {"offer": offer.pk, "reason": "太少了"},
    )
    assert not CaseEvent.objects.filter(case=case, kind__startswith="transition.settle").exists()
    # Talks go on: the merchant offers again.
    assert cf.offer(case, c.actor("merchant_staff"), amount=Decimal("190.00")).status == "open"


@pytest.mark.parametrize("decide", [negotiation.offer_accept, negotiation.offer_reject])
def test_own_offer_cannot_be_decided_by_its_own_side(c, case, decide):
    offer = cf.offer(case, c.actor("merchant_staff"))
    colleague = af.merchant_staff(c.merchant)
    before = cf.snapshot(case)
    for actor in (c.actor("merchant_staff"), colleague):
        with pytest.raises(Conflict) as refused:
            decide(offer=offer, actor=actor)
        assert (refused.value.status, refused.value.code) == (409, "own_offer")
    assert cf.snapshot(case) == before
    assert Offer.objects.get(pk=offer.pk).status == "open"


def test_an_offer_no_longer_open_cannot_be_accepted(c, case):
    offer = cf.offer(case, c.actor("merchant_staff"))
    negotiation.offer_reject(offer=offer, actor=c.actor("consumer"))
    before = cf.snapshot(case)
    with pytest.raises(Conflict) as refused:
        negotiation.offer_accept(offer=offer, actor=c.actor("consumer"))
    assert refused.value.code == "offer_closed"
    assert cf.snapshot(case) == before


def test_an_offer_can_be_accepted_on_its_last_day(c):
    with cf.frozen(WHEN):
        case = cf.case_in(State.NEGOTIATION, c)
        offer = cf.offer(case, c.actor("merchant_staff"), valid_until=WHEN.date())
    with cf.frozen(cf.at(2026, 6, 1, 23, 59)):
        assert negotiation.offer_accept(offer=offer, actor=c.actor("consumer")).state == "settled"


def test_an_expired_offer_cannot_be_accepted(c):
    with cf.frozen(WHEN):
        case = cf.case_in(State.NEGOTIATION, c)
        offer = cf.offer(case, c.actor("merchant_staff"), valid_until=WHEN.date())
        before = cf.snapshot(case)
    with cf.frozen(cf.at(2026, 6, 2, 0, 1)), pytest.raises(Conflict) as refused:
        negotiation.offer_accept(offer=offer, actor=c.actor("consumer"))
    assert (refused.value.status, refused.value.code) == (409, "offer_expired")
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.state, fresh.settlement_terms) == ("negotiation", None)
    assert not CaseEvent.objects.filter(case=case, kind="transition.settle").exists()
    assert cf.snapshot(case)[:10] == before[:10]


def test_an_expired_offer_is_marked_expired(c):
    with cf.frozen(WHEN):
        case = cf.case_in(State.NEGOTIATION, c)
        offer = cf.offer(case, c.actor("merchant_staff"), valid_until=WHEN.date())
    with cf.frozen(cf.at(2026, 6, 2, 0, 1)), pytest.raises(Conflict):
        negotiation.offer_accept(offer=offer, actor=c.actor("consumer"))
    assert Offer.objects.get(pk=offer.pk).status == "expired"


def test_offers_only_while_negotiating(c):
    case = cf.case_in(State.REVIEW, c)
    before = cf.snapshot(case)
    with pytest.raises(Conflict) as refused:
        cf.offer(case, c.actor("consumer"))
    assert refused.value.code == "not_negotiating"
    assert cf.snapshot(case) == before


def test_an_open_offer_cannot_be_accepted_after_escalation(c, case):
    offer = cf.offer(case, c.actor("merchant_staff"))
    case_transition(case=case, name="escalate", actor=c.actor("consumer"))
    before = cf.snapshot(case)
    with pytest.raises(Conflict) as refused:
        negotiation.offer_accept(offer=offer, actor=c.actor("consumer"))
    assert refused.value.code == "not_negotiating"
    assert cf.snapshot(case) == before


@pytest.mark.parametrize(
    "who", ["other_consumer", "other_merchant_staff", "regulator", "mediator", "admin"]
)
def test_only_the_parties_negotiate(c, case, who):
    offer = cf.offer(case, c.actor("merchant_staff"))
    before = cf.snapshot(case)
    actor = c.actor(who)
    with pytest.raises(NotAllowed) as refused:
        cf.offer(case, actor)
    assert (refused.value.status, refused.value.code) == (403, "not_a_party")
    for decide in (negotiation.offer_accept, negotiation.offer_reject):
        with pytest.raises(NotAllowed):
            decide(offer=offer, actor=actor)
    with pytest.raises(NotAllowed):
        negotiation.message_post(case=case, actor=actor, body="你好")
    assert cf.snapshot(case) == before
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "bribe"}, "kind"),
        ({"kind": "refund", "amount": None}, "amount"),
        ({"kind": "compensation", "amount": None}, "amount"),
        ({"amount": Decimal("-0.01")}, "amount"),
        ({"amount": Decimal("1e10")}, "amount"),
        ({"description": "   "}, "description"),
        ({"description": "x" * 4001}, "description"),
        ({"valid_until": dt.date(2020, 1, 1)}, "valid_until"),
        ({"performance_days": 91}, "performance_days"),
        ({"performance_days": -1}, "performance_days"),
    ],
)
def test_bad_offers_are_refused_naming_the_field(c, case, overrides, field):
    before = cf.snapshot(case)
    with pytest.raises(DomainError) as refused:
        cf.offer(case, c.actor("merchant_staff"), **overrides)
    assert refused.value.status == 400
    assert field in refused.value.fields
    assert cf.snapshot(case) == before
    assert _clock(case).status == "running"


# --- Messages ----------------------------------------------------------------------------


def test_messages_are_numbered_per_room_and_case(c, case):
    consumer, staff = c.actor("consumer"), c.actor("merchant_staff")
    posted = [
        negotiation.message_post(case=case, actor=consumer, body="你好"),
        negotiation.message_post(case=case, actor=staff, body="您好，请问有什么问题？"),
        negotiation.message_post(case=case, actor=consumer, body="  苹果坏了  "),
    ]
    assert [(m.seq, m.room, m.author_role, m.body) for m in posted] == [
        (1, "negotiation", "consumer", "你好"),
        (2, "negotiation", "merchant", "您好，请问有什么问题？"),
        (3, "negotiation", "consumer", "苹果坏了"),
    ]
    events = CaseEvent.objects.filter(case=case, kind="message.posted").order_by("seq")
    assert [e.payload for e in events] == [{"room": "negotiation", "seq": n} for n in (1, 2, 3)]
    other = cf.case_in(State.NEGOTIATION, c)
    assert negotiation.message_post(case=other, actor=consumer, body="另一件").seq == 1


def test_a_retried_client_id_returns_the_first_message(c, case):
    consumer, staff = c.actor("consumer"), c.actor("merchant_staff")
    first = negotiation.message_post(case=case, actor=consumer, body="你好", client_id="c-1")
    events = CaseEvent.objects.filter(case=case).count()
    again = negotiation.message_post(case=case, actor=consumer, body="你好", client_id="c-1")
    assert again.pk == first.pk
    assert Message.objects.filter(case=case).count() == 1
    assert CaseEvent.objects.filter(case=case).count() == events
    # The id is the author's own: another author may use the same one.
    theirs = negotiation.message_post(case=case, actor=staff, body="您好", client_id="c-1")
    assert (theirs.pk != first.pk, theirs.seq) == (True, 2)
    fresh = negotiation.message_post(case=case, actor=consumer, body="你好", client_id="c-2")
    assert fresh.seq == 3


def test_the_merchants_answer_is_recorded_once(c, case):
    staff = c.actor("merchant_staff")
    negotiation.message_post(case=case, actor=staff, body="在的")
    cf.offer(case, staff)
    negotiation.message_post(case=case, actor=staff, body="请考虑")
    answered = CaseEvent.objects.filter(case=case, kind="negotiation.merchant_answered")
    assert answered.count() == 1
    assert answered.get().payload["clocks"] == {"negotiation_answer": "met"}
    assert cf.event_kinds(case)[3:] == [
        "message.posted",
        "negotiation.merchant_answered",
        "offer.made",
        "message.posted",
    ]


def test_an_answer_after_the_deadline_is_not_within_it(c):
    when = cf.at(2026, 9, 28)
    with cf.frozen(when):
        case = cf.submit(consumer=c.consumer, merchant=c.merchant, now=when)
    assert _clock(case).due_on == dt.date(2026, 10, 16)
    with cf.frozen(cf.at(2026, 10, 17, 0, 2)):  # late, before the sweep ran
        negotiation.message_post(case=case, actor=c.actor("merchant_staff"), body="抱歉来晚了")
    answered = CaseEvent.objects.get(case=case, kind="negotiation.merchant_answered")
    assert answered.payload["clocks"] == {"negotiation_answer": "late"}
    clock = _clock(case)
    assert (clock.status, clock.ended_at) == ("late", cf.at(2026, 10, 17, 0, 2))
    # The sweep then has nothing left to escalate: the merchant did answer.
    assert _sweep_escalated(cf.at(2026, 10, 17, 0, 5)) == []
    assert Case.objects.get(pk=case.pk).state == "negotiation"


def _sweep_escalated(when) -> list[str]:
    with cf.frozen(when):
        return deadlines_sweep(now=when).escalated


def test_the_merchants_first_message_stops_the_answer_clock(c):
    with cf.frozen(WHEN):
        case = cf.case_in(State.NEGOTIATION, c)
        negotiation.message_post(case=case, actor=c.actor("consumer"), body="在吗？")
        assert _clock(case).status == "running"
        assert Case.objects.get(pk=case.pk).merchant_answered_at is None
    answered = cf.at(2026, 6, 2, 9)
    with cf.frozen(answered):
        negotiation.message_post(case=case, actor=c.actor("merchant_staff"), body="在的")
    assert Case.objects.get(pk=case.pk).merchant_answered_at == answered
    clock = _clock(case)
    assert (clock.status, clock.ended_at) == ("met", answered)
    with cf.frozen(cf.at(2026, 6, 3, 9)):
        negotiation.message_post(case=case, actor=c.actor("merchant_staff"), body="还在")
    assert Case.objects.get(pk=case.pk).merchant_answered_at == answered
    # Once answered, the expiry of the clock no longer escalates the case.
    report = deadlines_sweep(now=cf.at(2026, 7, 1))
    assert report.escalated == []
    assert Case.objects.get(pk=case.pk).state == "negotiation"


def test_a_message_is_at_most_4000_characters(c, case):
    consumer = c.actor("consumer")
    longest = negotiation.message_post(case=case, actor=consumer, body="字" * 4000)
    assert len(longest.body) == 4000
    padded = negotiation.message_post(case=case, actor=consumer, body="  " + "字" * 4000 + "\n")
    assert len(padded.body) == 4000
    before = cf.snapshot(case)
    with pytest.raises(DomainError) as refused:
        negotiation.message_post(case=case, actor=consumer, body="字" * 4001)
    assert refused.value.status == 400
    assert list(refused.value.fields) == ["body"]
    with pytest.raises(DomainError):
        negotiation.message_post(case=case, actor=consumer, body=" \n ")
    assert cf.snapshot(case) == before
    assert Message.objects.filter(case=case).count() == 2


def test_messages_close_with_negotiation(c):
    case = cf.case_in(State.SETTLED, c)
    before = cf.snapshot(case)
    with pytest.raises(Conflict) as refused:
        negotiation.message_post(case=case, actor=c.actor("consumer"), body="谢谢")
    assert refused.value.code == "room_closed"
    assert cf.snapshot(case) == before


def test_an_unknown_room_is_refused(c, case):
    with pytest.raises(DomainError) as refused:
        negotiation.message_post(case=case, actor=c.actor("consumer"), body="x", room="lobby")
    assert refused.value.code == "unknown_room"
    assert not Message.objects.exists()


def test_the_mediation_rooms_are_not_written_through_negotiation(c, case):
    for room in ("joint", "caucus:consumer"):
        with pytest.raises(DomainError) as refused:
            negotiation.message_post(case=case, actor=c.actor("consumer"), body="x", room=room)
        assert refused.value.code == "mediation_room"
    assert not Message.objects.exists()


# --- Through the API ----------------------------------------------------------------------


def _url(case, tail="offers/") -> str:
    return f"/api/v1/cases/{case.reference}/{tail}"


def _offer_body(**overrides) -> dict:
    body = {
        "kind": "refund",
        "amount": "150.00",
        "description": "退款150元",
        "valid_until": (cf.today() + dt.timedelta(days=3)).isoformat(),
    }
    body.update(overrides)
    return body


def test_api_offer_counter_and_accept(client, c, case):
    af.login(client, c.merchant_staff)
    made = client.post(_url(case), _offer_body(), content_type="application/json")
    assert made.status_code == 201, made.content
    offer = made.json()
    assert (offer["side"], offer["status"], offer["amount"], offer["performance_days"]) == (
        "merchant",
        "open",
        "150.00",
        7,
    )
    af.login(client, c.consumer)
    countered = client.post(
        _url(case),
        _offer_body(amount="190.00", counter_to=offer["id"]),
        content_type="application/json",
    )
    assert countered.status_code == 201
    assert countered.json()["counter_to"] == offer["id"]
    listed = client.get(_url(case)).json()
    assert [(o["id"], o["status"]) for o in listed] == [
        (offer["id"], "countered"),
        (countered.json()["id"], "open"),
    ]
    own = client.post(_url(case, f"offers/{countered.json()['id']}/accept/"))
    assert own.status_code == 409
    assert own.json()["error"]["code"] == "own_offer"
    af.login(client, c.merchant_staff)
    accepted = client.post(_url(case, f"offers/{countered.json()['id']}/accept/"))
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted"
    assert Case.objects.get(pk=case.pk).state == "settled"


def test_api_reject_an_offer(client, c, case):
    offer = cf.offer(case, c.actor("merchant_staff"))
    af.login(client, c.consumer)
    response = client.post(
        _url(case, f"offers/{offer.pk}/reject/"),
        {"reason": "太少"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert CaseEvent.objects.filter(case=case).last().payload == {
        "offer": offer.pk,
        "reason": "太少",
    }


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("other_merchant_staff", 403, "not_your_case"),
        ("other_consumer", 403, "not_your_case"),
        ("regulator", 403, "not_your_action"),
    ],
)
def test_api_strangers_and_staff_cannot_offer(client, c, case, who, status, code):
    before = cf.snapshot(case)
    af.login(client, getattr(c, who))
    response = client.post(_url(case), _offer_body(), content_type="application/json")
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert cf.snapshot(case) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_offer_body(valid_until="2020-01-01"), "valid_until"),
        (_offer_body(kind="bribe"), "kind"),
        (_offer_body(amount="-5"), "amount"),
        (_offer_body(description="x" * 4001), "description"),
        (_offer_body(performance_days=91), "performance_days"),
        (_offer_body(counter_to=99999999), "counter_to"),
        (_offer_body(amount=None), "amount"),
    ],
)
def test_api_bad_offers_are_400_naming_the_field(client, c, case, body, field):
    before = cf.snapshot(case)
    af.login(client, c.merchant_staff)
    response = client.post(_url(case), body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert cf.snapshot(case) == before


def test_api_deciding_an_unknown_offer_is_404(client, c, case):
    other_case = cf.case_in(State.NEGOTIATION, c)
    elsewhere = cf.offer(other_case, c.actor("merchant_staff"))
    af.login(client, c.consumer)
    for offer_id in (999999, elsewhere.pk):
        response = client.post(_url(case, f"offers/{offer_id}/accept/"))
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert Offer.objects.get(pk=elsewhere.pk).status == "open"


def test_api_messages_post_idempotent_and_limited(client, c, case):
    af.login(client, c.consumer)
    body = {"body": "你好", "client_id": "abc"}
    first = client.post(_url(case, "messages/"), body, content_type="application/json")
    again = client.post(_url(case, "messages/"), body, content_type="application/json")
    assert first.status_code == again.status_code == 201
    assert first.json()["seq"] == again.json()["seq"] == 1
    assert Message.objects.count() == 1
    too_long = client.post(
        _url(case, "messages/"), {"body": "字" * 4001}, content_type="application/json"
    )
    assert too_long.status_code == 400
    assert list(too_long.json()["error"]["fields"]) == ["body"]
    assert Message.objects.count() == 1


def test_a_replacement_without_an_amount_settles_without_one(c, case):
    offer = cf.offer(case, c.actor("merchant_staff"), kind="replacement", amount=None)
    negotiation.offer_accept(offer=offer, actor=c.actor("consumer"))
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.state == "settled"
    assert (fresh.settlement_terms["kind"], fresh.settlement_terms["amount"]) == (
        "replacement",
        None,
    )
    settle = CaseEvent.objects.get(case=case, kind="transition.settle")
    assert "amount" not in settle.payload
