"""Each alert rule fires on a crafted spike and not on normal data; one alert per spike."""

import datetime as dt

import pytest
from django.core import mail

from accounts.tests import factories as af
from cases.models import CaseEvent
from supervision.models import Alert, AlertNotice, AlertRule
from supervision.services.detection import alerts_detect, product_key, spike_threshold
from supervision.tests.factories import CHINA, make_case

pytestmark = pytest.mark.django_db

# Wednesday 25 November 2026: the current week starts on Monday the 23rd.
NOW = dt.datetime(2026, 11, 25, 12, tzinfo=CHINA)
THIS_WEEK = dt.date(2026, 11, 23)


def _on(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=CHINA)


def _cases(n: int, day: dt.date, consumer, **kwargs) -> list:
    return [
        make_case(path=[("submitted", _on(day, 9 + i % 8))], consumer=consumer, **kwargs)
        for i in range(n)
    ]


def _history(counts: list[int], consumer, **kwargs) -> None:
    """``counts`` complaints in each of the weeks before this one, oldest first."""
    for i, n in enumerate(counts):
        monday = THIS_WEEK - dt.timedelta(days=7 * (len(counts) - i))
        _cases(n, monday + dt.timedelta(days=2), consumer, **kwargs)


@pytest.fixture
def people(db):
    regulator = af.regulator("371300", email="li@example.cn")
    district = af.regulator("371302")
    fuzhou = af.regulator("350100", email="fz@example.cn")
    return {
        "regulator": regulator,
        "district": district,
        "fuzhou": fuzhou,
        "consumer": af.consumer(),
    }


def only(kind: str) -> None:
    AlertRule.objects.exclude(kind=kind).update(enabled=False)


def test_threshold_arithmetic():
    assert spike_threshold([1] * 8, 3.0) == (1.0, 0.0, 1.0)
    assert spike_threshold([4, 8, 4, 8, 4, 8, 4, 8], 3.0) == (6.0, 2.0, 12.0)


class TestMerchantSpike:
    def test_fires_on_a_spike(self, people, django_capture_on_commit_callbacks):
        only("merchant_spike")
        merchant = af.MerchantFactory(name="临沂优品", division_code="371302")
        _history([1] * 8, people["consumer"], merchant=merchant)
        spike = _cases(6, THIS_WEEK + dt.timedelta(days=1), people["consumer"], merchant=merchant)
        with django_capture_on_commit_callbacks(execute=True):
            raised = alerts_detect(now=NOW)
        assert len(raised) == 1
        alert = raised[0]
        assert (alert.kind, alert.subject, alert.window) == (
            "merchant_spike",
            f"merchant:{merchant.pk}",
            "2026-11-23",
        )
        assert alert.division_code == "371302"
        assert alert.evidence["count"] == 6
        assert alert.evidence["history"] == [1] * 8
        assert alert.evidence["threshold"] == 5
        assert alert.evidence["cases"] == [c.reference for c in spike]
        # The regulators of Linyi and of the district are told; Fuzhou's is not.
        notices = set(AlertNotice.objects.values_list("recipient_id", "channel"))
        assert notices == {
            (people["regulator"].pk, "inapp"),
            (people["regulator"].pk, "email"),
            (people["district"].pk, "inapp"),
        }
        assert [m.to for m in mail.outbox] == [["li@example.cn"]]

    def test_raised_once_however_often_detection_runs(
        self, people, django_capture_on_commit_callbacks
    ):
        only("merchant_spike")
        merchant = af.MerchantFactory(division_code="371302")
        _history([1] * 8, people["consumer"], merchant=merchant)
        _cases(6, THIS_WEEK, people["consumer"], merchant=merchant)
        with django_capture_on_commit_callbacks(execute=True):
            assert len(alerts_detect(now=NOW)) == 1
            assert alerts_detect(now=NOW) == []
            assert alerts_detect(now=NOW + dt.timedelta(hours=5)) == []
            # Next week the spike is last week's: the same window, nothing new.
            assert alerts_detect(now=NOW + dt.timedelta(days=7)) == []
        # Closed, and detection runs again in the same week: still the one alert.
        Alert.objects.update(status=Alert.Status.CLOSED)
        assert alerts_detect(now=NOW) == []
        assert Alert.objects.count() == 1
        assert len(mail.outbox) == 1

    def test_a_continuing_spike_raises_nothing_while_its_alert_is_handled(self, people):
        only("merchant_spike")
        merchant = af.MerchantFactory(division_code="371302")
        _history([0] * 7 + [6], people["consumer"], merchant=merchant)  # last week's spike
        assert len(alerts_detect(now=NOW)) == 1
        _cases(7, THIS_WEEK, people["consumer"], merchant=merchant)  # and it goes on
        assert alerts_detect(now=NOW) == []

    def test_quiet_on_normal_data(self, people):
        only("merchant_spike")
        steady = af.MerchantFactory(division_code="371302")
        busy = af.MerchantFactory(division_code="371302")
        small = af.MerchantFactory(division_code="371302")
        _history([1] * 8, people["consumer"], merchant=small)
        _cases(4, THIS_WEEK, people["consumer"], merchant=small)  # above the mean, but < 5
        _history([4, 8, 4, 8, 4, 8, 4, 8], people["consumer"], merchant=busy)
        _cases(9, THIS_WEEK, people["consumer"], merchant=busy)  # ≥ 5, within mean + 3 sd
        _history([2] * 8, people["consumer"], merchant=steady)
        _cases(2, THIS_WEEK, people["consumer"], merchant=steady)
        assert alerts_detect(now=NOW) == []

    def test_tuned_rule_of_the_jurisdiction_replaces_the_default(self, people):
        only("merchant_spike")
        merchant = af.MerchantFactory(division_code="371302")
        _history([1] * 8, people["consumer"], merchant=merchant)
        _cases(6, THIS_WEEK, people["consumer"], merchant=merchant)
        AlertRule.objects.create(kind="merchant_spike", jurisdiction="371300", min_count=10)
        assert alerts_detect(now=NOW) == []
        AlertRule.objects.filter(jurisdiction="371300").update(min_count=6)
        assert len(alerts_detect(now=NOW)) == 1


@pytest.mark.parametrize(
    ("kind", "field", "value"),
    [("category_spike", "category", "goods.drinks"), ("platform_spike", "platform", "拼多多")],
)
def test_district_spike_fires_on_a_spike_and_not_elsewhere(people, kind, field, value):
    only(kind)
    _history([1] * 8, people["consumer"], division="371302", **{field: value})
    _cases(5, THIS_WEEK, people["consumer"], division="371302", **{field: value})
    # The same number spread over two districts is no spike in either.
    _history([1] * 8, people["consumer"], division="371311", **{field: "x"})
    _cases(3, THIS_WEEK, people["consumer"], division="371311", **{field: "x"})
    _cases(3, THIS_WEEK, people["consumer"], division="371312", **{field: "x"})
    raised = alerts_detect(now=NOW)
    assert [(a.kind, a.subject, a.division_code, a.evidence["count"]) for a in raised] == [
        (kind, f"{field}:371302:{value}", "371302", 5)
    ]
    assert alerts_detect(now=NOW) == []


def _breach(case, when):
    from credit.models import CreditRecord

    event = CaseEvent.objects.get(case=case, seq=case.events.count())
    return CreditRecord.objects.create(
        merchant=case.merchant,
        case=case,
        source_event=event,
        kind="breach",
        occurred_at=when,
        occurred_day=when.date().toordinal(),
        case_reference=case.reference,
        category=case.category,
        consumer="张*",
        division_code=case.division_code,
    )


def _closed_case(merchant, consumer, day):
    return make_case(
        path=[
            ("submitted", _on(day - dt.timedelta(days=20))),
            ("settled", _on(day - dt.timedelta(days=10))),
            ("closed", _on(day)),
        ],
        merchant=merchant,
        consumer=consumer,
        outcome="breached",
    )


class TestRepeatedBreaches:
    def test_fires_on_the_second_breach_once(self, people):
        only("repeated_breaches")
        merchant = af.MerchantFactory(division_code="371302")
        first = _closed_case(merchant, people["consumer"], dt.date(2026, 10, 1))
        _breach(first, _on(dt.date(2026, 10, 1)))
        assert alerts_detect(now=NOW) == []  # one breach is not repeated
        second = _closed_case(merchant, people["consumer"], dt.date(2026, 11, 20))
        record = _breach(second, _on(dt.date(2026, 11, 20)))
        raised = alerts_detect(now=NOW)
        assert [(a.subject, a.window, a.evidence["count"]) for a in raised] == [
            (f"merchant:{merchant.pk}", f"breach:{record.pk}", 2)
        ]
        assert alerts_detect(now=NOW) == []
        assert alerts_detect(now=NOW + dt.timedelta(days=3)) == []

    def test_old_breaches_do_not_count(self, people):
        only("repeated_breaches")
        merchant = af.MerchantFactory(division_code="371302")
        old = _closed_case(merchant, people["consumer"], dt.date(2026, 3, 1))
        _breach(old, _on(dt.date(2026, 3, 1)))
        recent = _closed_case(merchant, people["consumer"], dt.date(2026, 11, 20))
        _breach(recent, _on(dt.date(2026, 11, 20)))
        assert alerts_detect(now=NOW) == []


class TestSameProduct:
    def test_fires_when_many_complaints_name_one_product(self, people):
        only("same_product")
        for i in range(10):
            url = f"https://www.item.jd.com/100012345.html?from={i}"
            make_case(
                path=[("submitted", _on(dt.date(2026, 11, 1 + i)))],
                consumer=people["consumer"],
                store_url=url,
            )
        raised = alerts_detect(now=NOW)
        assert [(a.subject, a.evidence["count"]) for a in raised] == [
            ("product:item.jd.com/100012345.html", 10)
        ]
        assert alerts_detect(now=NOW) == []

    def test_quiet_when_complaints_name_a_shop_or_different_products(self, people):
        only("same_product")
        for i in range(10):
            make_case(
                path=[("submitted", _on(dt.date(2026, 11, 1 + i)))],
                consumer=people["consumer"],
                store_url="https://shop.example.cn/",
            )
            make_case(
                path=[("submitted", _on(dt.date(2026, 11, 1 + i)))],
                consumer=people["consumer"],
                store_url=f"https://item.jd.com/{i}.html",
            )
        assert alerts_detect(now=NOW) == []


def test_product_key():
    assert product_key("HTTPS://www.Item.jd.com/1.html?x=1#a") == "item.jd.com/1.html"
    assert product_key("https://shop.example.cn/") == ""
    assert product_key("") == ""


def test_the_beat_task_runs_detection(people):
    from supervision.tasks import detect_alerts

    assert detect_alerts.delay().get() == 0
