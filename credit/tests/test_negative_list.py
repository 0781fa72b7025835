"""The negative list: only by a regulator's confirmation, with a reason and a review date."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.tests import factories as af
from cases.tests import factories as cf
from credit.models import NegativeListEntry
from credit.services.negative_list import (
    negative_list_confirm,
    negative_list_eligibility,
    negative_list_remove,
)
from credit.services.recompute import credit_index_recompute
from credit.tests import factories as f
from odr.errors import Conflict, DomainError, NotAllowed

pytestmark = pytest.mark.django_db


@pytest.fixture
def c(settings) -> cf.Cast:
    settings.CREDIT_NEGATIVE_LIST_BREACHES = 2
    return cf.cast()


def _review_on(days: int = 90) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def _two_breaches(merchant):
    f.make_record(merchant, "breach", days_ago=5)
    f.make_record(merchant, "breach", days_ago=40)
    credit_index_recompute(merchant_id=merchant.pk)


def _grade_d(merchant):
    for _ in range(3):
        f.make_record(merchant, "breach", days_ago=1)
        f.make_record(merchant, "adverse_award", days_ago=1)
        f.make_record(merchant, "refusal_or_absence", days_ago=1)
    credit_index_recompute(merchant_id=merchant.pk)


def test_repeated_breaches_make_a_candidate_a_regulator_confirms(client, c):
    _two_breaches(c.merchant)
    eligibility = negative_list_eligibility(merchant=c.merchant)
    assert eligibility.eligible and eligibility.grade == "B" and eligibility.breaches == 2
    af.login(client, c.regulator)
    page = client.get("/credit/negative-list/")
    assert f'data-merchant="{c.merchant.uscc}"' in page.text
    assert not NegativeListEntry.objects.exists()  # nothing is listed automatically
    response = client.post(
        f"/credit/negative-list/merchants/{c.merchant.uscc}/confirm/",
        {"reason": "12个月内两次不履行和解协议", "review_on": _review_on()},
    )
    assert response.status_code == 302
    entry = NegativeListEntry.objects.get()
    assert (entry.merchant, entry.confirmed_by, entry.reason) == (
        c.merchant,
        c.regulator,
        "12个月内两次不履行和解协议",
    )
    assert entry.basis == {"grade": "B", "score": 80.8, "breaches_12m": 2}  # decayed 5 and 40 days
    client.logout()
    assert "12个月内两次不履行和解协议" in client.get(f"/credit/merchants/{c.merchant.uscc}/").text
    assert "data-negative-list" in client.get(f"/credit/merchants/{c.merchant.uscc}/").text
    api = client.get(f"/api/v1/credit/merchants/{c.merchant.uscc}/").json()
    assert api["negative_list"]["review_on"] == _review_on()
    assert c.merchant.name in client.get("/disclosure/").text


def test_grade_d_makes_a_candidate(c):
    _grade_d(c.merchant)
    eligibility = negative_list_eligibility(merchant=c.merchant)
    assert eligibility.grade == "D" and eligibility.eligible
    entry = negative_list_confirm(
        merchant=c.merchant,
        actor=c.actor("regulator"),
        reason="指数降至D级",
        review_on=timezone.localdate() + dt.timedelta(days=30),
    )
    assert entry.basis["grade"] == "D"


def test_a_merchant_that_is_neither_cannot_be_listed(client, c):
    f.make_record(c.merchant, "breach", days_ago=5)
    af.login(client, c.regulator)
    response = client.post(
        f"/credit/negative-list/merchants/{c.merchant.uscc}/confirm/",
        {"reason": "投诉多", "review_on": _review_on()},
    )
    assert response.status_code == 409
    assert not NegativeListEntry.objects.exists()


def test_a_repaired_breach_does_not_count_towards_the_list(c):
    f.make_record(c.merchant, "breach", days_ago=5)
    f.make_record(c.merchant, "breach", days_ago=200, repaired_at=timezone.now())
    assert not negative_list_eligibility(merchant=c.merchant).eligible


def test_a_regulator_of_another_jurisdiction_may_not_list(client, c):
    _two_breaches(c.merchant)
    af.login(client, c.other_regulator)
    assert f'data-merchant="{c.merchant.uscc}"' not in client.get("/credit/negative-list/").text
    response = client.post(
        f"/credit/negative-list/merchants/{c.merchant.uscc}/confirm/",
        {"reason": "理由", "review_on": _review_on()},
    )
    assert response.status_code == 403
    with pytest.raises(NotAllowed):
        negative_list_confirm(
            merchant=c.merchant,
            actor=c.actor("other_regulator"),
            reason="理由",
            review_on=timezone.localdate() + dt.timedelta(days=30),
        )
    assert not NegativeListEntry.objects.exists()


@pytest.mark.parametrize("who", ["merchant_staff", "consumer", "mediator", "admin"])
def test_a_non_regulator_may_not_list(client, c, who):
    _two_breaches(c.merchant)
    af.login(client, c.actor(who))
    assert client.get("/credit/negative-list/").status_code == 403
    response = client.post(
        f"/credit/negative-list/merchants/{c.merchant.uscc}/confirm/",
        {"reason": "理由", "review_on": _review_on()},
    )
    assert response.status_code == 403
    assert not NegativeListEntry.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"reason": "", "review_on": "+90"}, "reason"),
        ({"reason": "理由", "review_on": ""}, "review_on"),
        ({"reason": "理由", "review_on": "-1"}, "review_on"),
        ({"reason": "理由", "review_on": "+400"}, "review_on"),
        ({"reason": "理由", "review_on": "not a date"}, "review_on"),
    ],
)
def test_a_reason_and_a_review_date_are_required(client, c, data, field):
    _two_breaches(c.merchant)
    af.login(client, c.regulator)
    raw = data["review_on"]
    if raw.startswith(("+", "-")) and raw[1:].isdigit():
        data = {**data, "review_on": _review_on(int(raw))}
    response = client.post(f"/credit/negative-list/merchants/{c.merchant.uscc}/confirm/", data)
    assert response.status_code == 400
    assert f'id="confirm-{c.merchant.pk}-{field}-error"' in response.text
    assert not NegativeListEntry.objects.exists()


def test_listed_once_then_removed_with_a_reason(client, c):
    _two_breaches(c.merchant)
    entry = negative_list_confirm(
        merchant=c.merchant,
        actor=c.actor("regulator"),
        reason="两次违约",
        review_on=timezone.localdate() + dt.timedelta(days=30),
    )
    with pytest.raises(Conflict):
        negative_list_confirm(
            merchant=c.merchant,
            actor=c.actor("regulator"),
            reason="again",
            review_on=timezone.localdate() + dt.timedelta(days=30),
        )
    af.login(client, c.other_regulator)
    assert (
        client.post(
            f"/credit/negative-list/entries/{entry.pk}/remove/", {"removal_reason": "越权"}
        ).status_code
        == 403
    )
    af.login(client, c.regulator)
    assert (
        client.post(
            f"/credit/negative-list/entries/{entry.pk}/remove/", {"removal_reason": ""}
        ).status_code
        == 400
    )
    response = client.post(
        f"/credit/negative-list/entries/{entry.pk}/remove/", {"removal_reason": "复核后已整改"}
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.removed_at is not None and entry.removal_reason == "复核后已整改"
    with pytest.raises(Conflict):
        negative_list_remove(entry=entry, actor=c.actor("regulator"), reason="again")
    with pytest.raises(DomainError):
        negative_list_remove(entry=entry, actor=c.actor("regulator"), reason="")
    assert "data-negative-list" not in client.get(f"/credit/merchants/{c.merchant.uscc}/").text


def test_the_published_reason_never_names_a_consumer(client, c):
    """A regulator citing a case by its consumer, phone or order: none of it is published."""
    f.make_record(c.merchant, "breach", days_ago=5, case=f.bare_case(c.merchant))
    f.make_record(
        c.merchant, "breach", days_ago=40, case=f.bare_case(c.merchant, complainant_name="欧阳娜娜")
    )
    af.login(client, c.regulator)
    response = client.post(
        f"/credit/negative-list/merchants/{c.merchant.uscc}/confirm/",
        {
            "reason": (
                f"{c.merchant.uscc} 两次不履行：消费者张三（138 0000 0001，订单JD20260101123456）"
                "和欧阳娜娜（ouyang@example.cn）"
            ),
            "review_on": _review_on(),
        },
    )
    assert response.status_code == 302
    entry = NegativeListEntry.objects.get()
    assert entry.reason == (
        f"{c.merchant.uscc} 两次不履行：消费者张**（***，订单***）和欧**（***@***）"
    )
    client.logout()
    for page in (f"/credit/merchants/{c.merchant.uscc}/", "/disclosure/"):
        text = client.get(page).text
        assert "张**（***" in text
        for secret in ("张三", "欧阳娜娜", "138 0000 0001", "JD20260101123456", "ouyang@"):
            assert secret not in text
    af.login(client, c.regulator)
    response = client.post(
        f"/credit/negative-list/entries/{entry.pk}/remove/",
        {"removal_reason": "张三已撤回投诉，电话13800000001"},
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.removal_reason == "张**已撤回投诉，电话***"
