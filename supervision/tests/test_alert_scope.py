"""A spike can span districts: each regulator sees the alert's cases in their own
jurisdiction only; the others are counted, never named. And a report month must be a
real one (a year 0 once gave a 500)."""

import datetime as dt

import pytest

from accounts.tests import factories as af
from supervision.models import AlertRule
from supervision.services.detection import alerts_detect
from supervision.tests.factories import CHINA, make_case

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 25, 12, tzinfo=CHINA)
THIS_WEEK = dt.date(2026, 11, 23)


def _on(day, hour=10):
    return dt.datetime.combine(day, dt.time(hour), tzinfo=CHINA)


def test_alert_evidence_names_only_the_viewers_cases(client, django_capture_on_commit_callbacks):
    AlertRule.objects.exclude(kind="merchant_spike").update(enabled=False)
    linyi = af.regulator("371300")
    consumer = af.consumer()
    merchant = af.MerchantFactory(name="某商户", division_code="350102")
    for i in range(8):
        monday = THIS_WEEK - dt.timedelta(days=7 * (8 - i))
        make_case(
            path=[("submitted", _on(monday + dt.timedelta(days=2)))],
            consumer=consumer,
            merchant=merchant,
            division="371302",
        )
    linyi_refs = [
        make_case(
            path=[("submitted", _on(THIS_WEEK + dt.timedelta(days=1), 9 + i))],
            consumer=consumer,
            merchant=merchant,
            division="371302",
        ).reference
        for i in range(4)
    ]
    fuzhou_refs = [
        make_case(
            path=[("submitted", _on(THIS_WEEK + dt.timedelta(days=1), 14 + i))],
            consumer=consumer,
            merchant=merchant,
            division="350102",
        ).reference
        for i in range(3)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        [alert] = alerts_detect(now=NOW)
    assert set(fuzhou_refs) <= set(alert.evidence["cases"])  # the alert itself keeps all
    af.login(client, linyi)
    page = client.get(f"/supervision/alerts/{alert.pk}/").text
    assert all(ref in page for ref in linyi_refs)
    assert not any(ref in page for ref in fuzhou_refs)
    evidence = client.get("/api/v1/supervision/alerts/").json()["results"][0]["evidence"]
    assert set(evidence["cases"]) == set(linyi_refs)
    assert evidence["cases_elsewhere"] == 3


@pytest.mark.parametrize("month", ["0000-01", "1999-12", "2101-01", "9999-12"])
def test_a_report_month_out_of_range_is_a_form_error(client, month):
    af.login(client, af.regulator("371300"))
    response = client.post("/supervision/reports/", {"month": month, "jurisdiction": "371300"})
    assert response.status_code in (200, 400)
    assert "2000" in response.text
