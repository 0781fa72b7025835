"""Odd input on every credit page: a clear 4xx (or the page itself), never a server error.

Runs on PostgreSQL in CI, where a NUL character or an out-of-range number reaching a
query would raise instead of matching nothing.
"""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.tests import factories as af
from cases.tests import factories as cf
from credit.models import CreditReply, NegativeListEntry, RepairApplication
from credit.tests import factories as f

pytestmark = pytest.mark.django_db

ODD_TEXT = ["\x00", "a\x00b", "\ufeff", "%", "'; drop table", "x" * 5000, "  ", "\u202e"]
HUGE = "9" * 30
ODD_USCC = [
    "A" * 17 + "\x00",
    "91371300MA3C8TXK2%00",
    "%E4%B8%AD" * 6,
    "x" * 300,
    "9137130" + "\x00" * 11,
]


@pytest.fixture
def c() -> cf.Cast:
    return cf.cast()


@pytest.fixture
def record(c):
    return f.make_record(c.merchant, "breach", days_ago=200)


def _nul_is_400(value: str, otherwise: int) -> int:
    """The project's middleware refuses a NUL character anywhere in a request with 400."""
    return 400 if "\x00" in value or "%00" in value else otherwise


def _ok(response) -> int:
    assert response.status_code < 500, response.content[:300]
    return response.status_code


def test_odd_searches_and_addresses_never_break_the_public_pages(client, c, record):
    for q in ODD_TEXT:
        assert _ok(client.get("/disclosure/", {"q": q})) == _nul_is_400(q, 200)
    for uscc in ODD_USCC:
        assert _ok(client.get(f"/credit/merchants/{uscc}/")) == _nul_is_400(uscc, 404)
        assert _ok(client.get(f"/api/v1/credit/merchants/{uscc}/")) == _nul_is_400(uscc, 404)
    for before in ["\x00", HUGE, "-1", "1e9", "abc"]:
        page = f"/credit/merchants/{c.merchant.uscc}/"
        assert _ok(client.get(page, {"before": before})) in (200, 400)
        assert _ok(client.get(f"/api/v1/credit/merchants/{c.merchant.uscc}/", {"before": before}))


def test_odd_replies_and_repair_statements_are_refused_plainly(client, c, record):
    af.login(client, c.merchant_staff)
    base = f"/credit/merchants/{c.merchant.uscc}/records"
    for text in ["\x00", "a\x00b", "  ", "x" * 5000]:
        assert _ok(client.post(f"{base}/{record.pk}/reply/", {"body": text})) == 400
        assert _ok(client.post(f"{base}/{record.pk}/repair/", {"statement": text})) == 400
        api = client.post(
            f"/api/v1/credit/records/{record.pk}/reply/",
            {"body": text},
            content_type="application/json",
        )
        assert _ok(api) == 400
        assert set(api.json()["error"]) >= {"code", "message"}
    for record_id in [HUGE, "0"]:
        assert _ok(client.post(f"{base}/{record_id}/reply/", {"body": "好"})) == 404
        assert _ok(client.post(f"{base}/{record_id}/repair/", {"statement": "已退款" * 5})) == 404
    assert not CreditReply.objects.exists()
    assert not RepairApplication.objects.exists()


def test_odd_decisions_and_listings_are_refused_plainly(client, c, record):
    af.login(client, c.regulator)
    for application_id in [HUGE, "0"]:
        response = client.post(
            f"/credit/repairs/{application_id}/decide/", {"decision": "approve", "reason": "好"}
        )
        assert _ok(response) == 404
        assert _ok(client.post(f"/credit/negative-list/entries/{application_id}/remove/")) == 404
    confirm = f"/credit/negative-list/merchants/{c.merchant.uscc}/confirm/"
    later = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    for data in [
        {"reason": "\x00", "review_on": later},
        {"reason": "多次违约", "review_on": "\x00"},
        {"reason": "多次违约", "review_on": "99999-01-01"},
        {"reason": "多次违约", "review_on": "0001-01-01"},
        {"reason": "x" * 5000, "review_on": later},
    ]:
        assert _ok(client.post(confirm, data)) in (400, 409)
    for uscc in ODD_USCC:
        response = client.post(
            f"/credit/negative-list/merchants/{uscc}/confirm/",
            {"reason": "多次违约", "review_on": later},
        )
        assert _ok(response) == _nul_is_400(uscc, 404)
    assert not NegativeListEntry.objects.exists()


def test_odd_feed_queries_are_400(client, c, record):
    af.login(client, c.regulator)
    for query in [{"cursor": "\x00"}, {"cursor": HUGE}, {"limit": HUGE}, {"limit": "\x00"}]:
        response = client.get("/api/v1/credit/records/", query)
        assert _ok(response) == 400
        assert response.json()["error"]["code"]
