"""The three-year limitation is weighed by the office, from the dates the consumer gave."""

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from accounts.tests import factories as af
from cases.limitation import limitation_of
from cases.rulesets import ORDER_20, ORDER_121
from cases.tests import factories as cf

D = dt.date


@pytest.mark.parametrize(
    ("knew", "claimed", "on", "runs_from", "ends_on", "passed"),
    [
        (D(2023, 6, 1), None, D(2026, 6, 1), D(2023, 6, 1), D(2026, 6, 1), False),
        (D(2023, 5, 31), None, D(2026, 6, 1), D(2023, 5, 31), D(2026, 5, 31), True),
        # A claim within the three years counts them again from the claim.
        (D(2022, 3, 1), D(2024, 9, 1), D(2026, 6, 1), D(2024, 9, 1), D(2027, 9, 1), False),
        # On the last day is still within them.
        (D(2022, 3, 1), D(2025, 3, 1), D(2026, 6, 1), D(2025, 3, 1), D(2028, 3, 1), False),
        # After they had run out, a claim revives nothing.
        (D(2022, 3, 1), D(2025, 3, 2), D(2026, 6, 1), D(2022, 3, 1), D(2025, 3, 1), True),
        # A claim dated before the harm was known is no interruption.
        (D(2022, 3, 1), D(2022, 1, 1), D(2026, 6, 1), D(2022, 3, 1), D(2025, 3, 1), True),
        # 29 February: three years later is 28 February.
        (D(2024, 2, 29), None, D(2027, 3, 1), D(2024, 2, 29), D(2027, 2, 28), True),
    ],
)
def test_the_limit_from_the_consumers_dates(knew, claimed, on, runs_from, ends_on, passed):
    for ruleset in (ORDER_20, ORDER_121):
        limitation = limitation_of(ruleset=ruleset, knew_of_harm_on=knew, claimed_on=claimed, on=on)
        assert (limitation.runs_from, limitation.ends_on, limitation.passed) == (
            runs_from,
            ends_on,
            passed,
        )


def _old_case(**overrides):
    long_ago = cf.today() - dt.timedelta(days=4 * 366)
    return cf.submit(
        merchant=af.MerchantFactory(),
        knew_of_harm_on=long_ago,
        purchase_date=long_ago,
        **overrides,
    )


@pytest.mark.django_db
def test_the_review_queue_flags_a_passed_limit_for_the_office(client):
    old = _old_case()
    recent = cf.submit(merchant=af.MerchantFactory())
    af.login(client, af.regulator("371300"))
    page = client.get("/cases/review/")
    assert page.status_code == 200
    items = page.text.split('<li class="case-item"')
    flagged = {item.split('"', 2)[1] for item in items[1:] if 'data-flag="limitation"' in item}
    assert flagged == {old.reference}
    assert recent.reference in page.text


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["regulator", "consumer", "merchant_staff"])
def test_only_staff_see_the_limitation_weighed_on_the_case_page(client, who):
    c = cf.cast()
    long_ago = cf.today() - dt.timedelta(days=4 * 366)
    case = cf.submit(
        consumer=c.consumer, merchant=c.merchant, knew_of_harm_on=long_ago, purchase_date=long_ago
    )
    af.login(client, getattr(c, who))
    page = client.get(f"/cases/{case.reference}/")
    assert page.status_code == 200
    assert ('id="limitation"' in page.text) is (who == "regulator")


@pytest.mark.django_db
def test_the_case_api_gives_the_limit_as_of_filing(client):
    c = cf.cast()
    case = cf.submit(consumer=c.consumer, merchant=c.merchant)
    af.login(client, c.consumer)
    body = client.get(f"/api/v1/cases/{case.reference}/").json()
    knew = timezone.localdate(case.submitted_at) - dt.timedelta(days=3)
    assert body["limitation"] == {
        "knew_of_harm_on": knew.isoformat(),
        "claimed_on": None,
        "runs_from": knew.isoformat(),
        "ends_on": (knew + relativedelta(years=3)).isoformat(),
        "passed": False,
    }
