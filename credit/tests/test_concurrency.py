"""On real PostgreSQL, with threads: a merchant's figures stay exact when many of its cases
close at once, and the feed never lets a late commit fall behind its cursor."""

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction

from accounts.tests import factories as af
from cases.models import State
from cases.tests import factories as cf
from credit.models import CreditRecord, MerchantCreditIndex
from credit.selectors import merchant_figures, merchant_index, records_feed
from credit.services.recompute import credit_index_recompute
from credit.services.rollup import credit_rollup_differences
from credit.tests import factories as f
from odr.errors import Conflict

pytestmark = pytest.mark.django_db(transaction=True)

N = 8


def together(*work: Callable[[], Any]) -> list[Any]:
    """Run the callables at the same moment, one thread (and connection) each."""
    barrier = threading.Barrier(len(work))
    results: list[Any] = [None] * len(work)

    def run(index: int, fn: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=20)
            results[index] = fn()
        except Exception as exc:  # handed back to the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return results


def test_many_cases_of_one_merchant_closing_at_once_leave_exact_figures(on_postgres):
    c = cf.cast()
    cases = [f.settled(c) for _ in range(N)]
    consumer = c.consumer

    def close(case, name):
        actor = type(consumer).objects.get(pk=consumer.pk)
        data = {"reason": "没有退款"} if name == "report_breach" else {}
        from cases.services.transitions import case_transition

        return case_transition(case=case, name=name, actor=actor, data=data)

    names = ["confirm_performance" if i % 2 else "report_breach" for i in range(N)]
    results = together(
        *[lambda case=case, n=n: close(case, n) for case, n in zip(cases, names, strict=True)]
    )
    assert all(getattr(r, "state", None) == State.CLOSED for r in results), results

    figures = merchant_figures(merchant_ids=[c.merchant.pk])[c.merchant.pk]
    assert figures.complaints == N
    assert figures.resolved == N and figures.resolution_rate == 1.0
    assert figures.performed_on_time == N // 2
    assert figures.breaches == N // 2
    assert CreditRecord.objects.filter(merchant=c.merchant).count() == N * 4
    assert credit_rollup_differences() == []  # every concurrent increment counted once
    # The snapshot each commit refreshed (after commit, in its own thread) ends exact too.
    snapshot = MerchantCreditIndex.objects.get(merchant=c.merchant)
    assert (snapshot.complaints_12m, snapshot.resolved_12m, snapshot.breaches_12m) == (
        N,
        N,
        N // 2,
    )
    assert float(snapshot.score) == merchant_index(merchant=c.merchant).score


def test_the_same_breach_reported_twice_at_once_is_one_record(on_postgres):
    c = cf.cast()
    case = f.settled(c)
    from cases.services.transitions import case_transition

    def breach():
        actor = type(c.consumer).objects.get(pk=c.consumer.pk)
        return case_transition(
            case=case, name="report_breach", actor=actor, data={"reason": "未退款"}
        )

    results = together(breach, breach, breach)
    assert sum(isinstance(r, Conflict) for r in results) == 2
    assert CreditRecord.objects.filter(case=case, kind="breach").count() == 1


def test_concurrent_recomputations_end_with_the_latest_reading(on_postgres):
    merchant = af.MerchantFactory()
    for _ in range(3):
        f.make_record(merchant, "breach", days_ago=1)
    results = together(*[lambda: credit_index_recompute(merchant_id=merchant.pk)] * 6)
    assert not [r for r in results if isinstance(r, Exception)]
    snapshot = MerchantCreditIndex.objects.get(merchant=merchant)
    assert snapshot.breaches_12m == 3
    assert float(snapshot.score) == merchant_index(merchant=merchant).score


def test_a_record_committed_late_never_falls_behind_the_feed_cursor(on_postgres):
    merchant = af.MerchantFactory()
    first = f.make_record(merchant, "complaint", days_ago=1)
    written = threading.Event()
    release = threading.Event()
    slow_id: list[int] = []

    def slow_writer():
        with transaction.atomic():
            slow_id.append(f.make_record(merchant, "resolved", days_ago=1).pk)
            written.set()
            release.wait(timeout=30)

    def fast_writer():
        written.wait(timeout=30)
        return f.make_record(merchant, "breach", days_ago=1).pk

    seen: list[int] = []
    cursor = ""

    def read():
        nonlocal cursor
        page, cursor = records_feed(cursor=cursor, limit=100)
        seen.extend(r.pk for r in page)

    thread = threading.Thread(target=lambda: (slow_writer(), connection.close()))
    thread.start()
    try:
        written.wait(timeout=30)
        fast = together(fast_writer)[0]
        assert isinstance(fast, int), fast
        # The slow transaction (which took the lower id) is still open: the feed serves
        # what is certain and stops before anything that could be overtaken.
        read()
        # The slow transaction (which took the lower id) is still open: the feed stops
        # before anything that could be overtaken. (Other transactions on a shared server
        # may hold it back further; it never runs ahead.)
        assert fast not in seen and slow_id[0] not in seen
        assert seen in ([], [first.pk])
    finally:
        release.set()
        thread.join(timeout=30)
    deadline = time.monotonic() + 60
    while len(seen) < 3 and time.monotonic() < deadline:
        read()
        time.sleep(0.1)
    assert seen == [first.pk, slow_id[0], fast]
