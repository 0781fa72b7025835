"""Races on real PostgreSQL: row locks make concurrent changes to one case take turns.

Each thread has its own database connection (Django's are per thread) and closes it; a
barrier starts them together. Exactly one of two conflicting changes wins; the loser gets
a 409 and the event chain stays intact.
"""

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from accounts.tests import factories as af
from cases.models import Case, CaseEvent, Message, Offer, State
from cases.rulesets import ruleset_by_key
from cases.services import negotiation
from cases.services.events import case_log_verify
from cases.services.transitions import case_transition
from cases.tests import factories as cf
from odr.errors import Conflict, DomainError

pytestmark = pytest.mark.django_db(transaction=True)


def together(*work: Callable[[], Any]) -> list[Any]:
    """Run the callables at the same moment, one thread each; results or exceptions, in order."""
    barrier = threading.Barrier(len(work))
    results: list[Any] = [None] * len(work)

    def run(index: int, fn: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=20)
            results[index] = fn()
        except Exception as exc:  # returned to the test, which asserts on it
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return results


def _outcome(result) -> tuple:
    if isinstance(result, DomainError):
        return (result.status, result.code)
    if isinstance(result, BaseException):
        raise result
    return ("ok",)


def test_two_transitions_at_once_one_wins_the_other_gets_409(on_postgres):
    c = cf.cast()
    case = cf.case_in(State.REVIEW, c)
    events = CaseEvent.objects.filter(case=case).count()
    consumer, regulator = c.actor("consumer"), c.actor("regulator")
    results = together(
        lambda: case_transition(case=case, name="withdraw", actor=consumer, data={}),
        lambda: case_transition(
            case=case,
            name="reject",
            actor=regulator,
            data={"ground": "outside_remit", "reason": "不属于本局职责"},
        ),
    )
    outcomes = [_outcome(r) for r in results]
    assert sorted(outcomes, key=str) == sorted([("ok",), (409, "illegal_transition")], key=str)
    winner = "withdraw" if outcomes[0] == ("ok",) else "reject"
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.state == {"withdraw": "withdrawn", "reject": "rejected"}[winner]
    assert list(
        CaseEvent.objects.filter(
            case=case, seq__gt=events, kind__startswith="transition."
        ).values_list("kind", flat=True)
    ) == [f"transition.{winner}"]
    assert case_log_verify(case=fresh).ok


def test_the_same_transition_twice_at_once_happens_once(on_postgres):
    c = cf.cast()
    case = cf.case_in(State.REVIEW, c)
    second_regulator = af.regulator("371300")
    data = {"mediator": str(c.mediator.pk)}
    results = together(
        lambda: case_transition(case=case, name="accept", actor=c.actor("regulator"), data=data),
        lambda: case_transition(case=case, name="accept", actor=second_regulator, data=data),
    )
    assert sorted((_outcome(r) for r in results), key=str) == sorted(
        [("ok",), (409, "illegal_transition")], key=str
    )
    assert CaseEvent.objects.filter(case=case, kind="transition.accept").count() == 1
    # Each clock the case's steps start, once (the rule set declares which step starts it).
    steps = [e.kind.removeprefix("transition.") for e in CaseEvent.objects.filter(case=case)]
    started = {
        k
        for k, clock in ruleset_by_key(case.ruleset).clocks.items()
        if set(clock.starts) & set(steps)
    }
    assert started == {
        "negotiation_answer",
        "acceptance_decision",
        "mediation_limit",
        "recusal_window",
    }
    assert CaseEvent.objects.filter(case=case, kind="deadline.started").count() == len(started)
    assert case_log_verify(case=case).ok


def test_two_api_calls_at_once_one_200_one_409(on_postgres):
    c = cf.cast()
    case = cf.case_in(State.REVIEW, c)
    url = f"/api/v1/cases/{case.reference}/transitions/"
    consumer_client, regulator_client = Client(), Client()
    af.login(consumer_client, c.consumer)
    af.login(regulator_client, c.regulator)
    results = together(
        lambda: consumer_client.post(url, {"name": "withdraw"}, content_type="application/json"),
        lambda: regulator_client.post(
            url,
            {"name": "reject", "ground": "other", "reason": "其他"},
            content_type="application/json",
        ),
    )
    for result in results:
        if isinstance(result, BaseException):
            raise result
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 409]
    loser = next(r for r in results if r.status_code == 409)
    assert loser.json()["error"]["code"] == "illegal_transition"
    assert (
        CaseEvent.objects.filter(
            case=case, kind__in=["transition.withdraw", "transition.reject"]
        ).count()
        == 1
    )
    assert case_log_verify(case=case).ok


def test_accepting_and_rejecting_one_offer_at_once(on_postgres):
    c = cf.cast()
    case = cf.case_in(State.NEGOTIATION, c)
    offer = cf.offer(case, c.actor("merchant_staff"))
    consumer = c.actor("consumer")
    results = together(
        lambda: negotiation.offer_accept(offer=offer, actor=consumer),
        lambda: negotiation.offer_reject(offer=offer, actor=consumer, reason="不要了"),
    )
    outcomes = [_outcome(r) for r in results]
    assert sorted(outcomes, key=str) == sorted([("ok",), (409, "offer_closed")], key=str)
    status = Offer.objects.get(pk=offer.pk).status
    state = Case.objects.get(pk=case.pk).state
    if outcomes[0] == ("ok",):
        assert (status, state) == ("accepted", "settled")
    else:
        assert (status, state) == ("rejected", "negotiation")
    assert case_log_verify(case=case).ok


def test_concurrent_messages_get_distinct_numbers(on_postgres):
    c = cf.cast()
    case = cf.case_in(State.NEGOTIATION, c)
    consumer, staff = c.actor("consumer"), c.actor("merchant_staff")
    results = together(
        *[
            (
                lambda n=n: negotiation.message_post(
                    case=case, actor=consumer if n % 2 else staff, body=f"第{n}条"
                )
            )
            for n in range(8)
        ]
    )
    for result in results:
        if isinstance(result, BaseException):
            raise result
    assert sorted(Message.objects.filter(case=case).values_list("seq", flat=True)) == list(
        range(1, 9)
    )
    assert case_log_verify(case=case).ok


def test_twenty_submissions_at_once_get_twenty_distinct_references(on_postgres):
    merchant = cf.enrolled_merchant()
    consumers = [af.consumer() for _ in range(20)]
    results = together(
        *[
            (lambda consumer=consumer: cf.submit(consumer=consumer, merchant=merchant))
            for consumer in consumers
        ]
    )
    for result in results:
        if isinstance(result, BaseException):
            raise result
    references = [case.reference for case in results]
    assert len(set(references)) == 20
    numbers = sorted(int(ref.rsplit("-", 1)[1]) for ref in references)
    assert numbers == list(range(numbers[0], numbers[0] + 20))
    assert Case.objects.filter(reference__in=references).count() == 20
    for case in results:
        assert case_log_verify(case=case).ok


def test_a_concurrent_change_is_reported_as_a_conflict_not_a_crash(on_postgres):
    """A stale instance is read again under the row lock: the late caller sees the new state."""
    c = cf.cast()
    case = cf.case_in(State.REVIEW, c)
    stale = Case.objects.get(pk=case.pk)
    case_transition(case=case, name="withdraw", actor=c.actor("consumer"))
    with pytest.raises(Conflict) as refused:
        case_transition(case=stale, name="reject", actor=c.actor("regulator"), data={})
    assert refused.value.code == "illegal_transition"
    assert Case.objects.get(pk=case.pk).state == "withdrawn"
