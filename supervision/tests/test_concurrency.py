"""Detection runs at the same moment in several workers: still one alert per spike."""

import datetime as dt
import threading

import pytest
from django.db import connection

from accounts.tests import factories as af
from supervision.models import Alert, AlertNotice, AlertRule
from supervision.services.detection import alerts_detect
from supervision.tests.factories import CHINA, make_case

pytestmark = pytest.mark.django_db(transaction=True)

NOW = dt.datetime(2026, 11, 25, 12, tzinfo=CHINA)


def test_concurrent_detection_raises_one_alert(on_postgres):
    AlertRule.objects.exclude(kind="merchant_spike").update(enabled=False)
    merchant = af.MerchantFactory(division_code="371302")
    af.regulator("371300")
    consumer = af.consumer()
    for week in range(1, 9):
        make_case(
            path=[("submitted", NOW - dt.timedelta(days=7 * week))],
            merchant=merchant,
            consumer=consumer,
        )
    for hour in range(6):
        make_case(
            path=[("submitted", NOW - dt.timedelta(hours=hour + 1))],
            merchant=merchant,
            consumer=consumer,
        )
    barrier = threading.Barrier(4)
    results: list = []

    def run() -> None:
        try:
            barrier.wait(timeout=20)
            results.append(len(alerts_detect(now=NOW)))
        except Exception as exc:  # handed back to the test
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(results) == [0, 0, 0, 1]
    assert Alert.objects.count() == 1
    assert AlertNotice.objects.count() == 1


def test_dashboard_medians_read_on_another_connection(on_postgres):
    """Outside a transaction the medians are read by a second thread and connection: the
    same hand-counted figures (test_dashboard.py) come back."""
    from django.db import connection as main

    from supervision.selectors.dashboard import Filters, dashboard_figures
    from supervision.selectors.scope import Scope
    from supervision.tests.factories import NOW as FIXTURE_NOW
    from supervision.tests.factories import Fixture

    Fixture()
    assert not main.in_atomic_block
    figures = dashboard_figures(
        scope=Scope(("371300",)),
        filters=Filters(start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30)),
        now=FIXTURE_NOW,
    )
    assert figures.total.cases == 6
    assert figures.median_hours_by_state["negotiation"] == 29.0
    assert figures.median_hours_by_state["settled"] == 96.0
    assert figures.median_hours_by_state["review"] == 36.0
