"""A merchant's credit file: the page and GET /api/v1/credit/merchants/{uscc}/."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from accounts.models import MerchantStore
from accounts.tests import factories as af
from cases.tests import factories as cf
from credit.models import CreditRecord
from credit.selectors import merchant_figures
from credit.tests import factories as f

pytestmark = pytest.mark.django_db

# Everything about the complainant that must never show on a public page.
SECRETS = ("张三", "13800000001", "+8613800000001", "金雀山路", "JD20260101123456")


def _assert_de_identified(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


@pytest.fixture
def merchant():
    return af.MerchantFactory(name="临沂鲜果汇食品有限公司", odr_joined_on=dt.date(2025, 1, 1))


def test_figures_count_the_last_12_months_only(merchant):
    for kind, days in [
        ("complaint", 1),
        ("complaint", 100),
        ("complaint", 400),  # outside the window
        ("accepted", 100),
        ("resolved", 1),
        ("unresolved", 100),
        ("unresolved", 400),
        ("breach", 10),
        ("performed_on_time", 20),
        ("performed_late", 30),
        ("refusal_or_absence", 40),
        ("adverse_award", 50),
        ("answer_missed", 60),
    ]:
        f.make_record(merchant, kind, days_ago=days)
    figures = merchant_figures(merchant_ids=[merchant.pk])[merchant.pk]
    assert figures.complaints == 2
    assert figures.accepted == 1
    assert (figures.resolved, figures.unresolved, figures.concluded) == (1, 1, 2)
    assert figures.resolution_rate == 0.5
    assert figures.breaches == 1 and figures.breaches_unrepaired == 1
    assert (figures.performed_on_time, figures.performed_late) == (1, 1)
    assert (figures.refusals_absences, figures.adverse_awards, figures.answer_missed) == (1, 1, 1)


def test_the_median_time_to_first_answer(merchant):
    for hours in (1, 5, 30, 48):
        f.make_record(merchant, "answered", days_ago=3, response_seconds=hours * 3600)
    f.make_record(merchant, "answered_late", days_ago=3, response_seconds=300 * 3600)
    f.make_record(merchant, "answered", days_ago=500, response_seconds=1000 * 3600)  # too old
    figures = merchant_figures(merchant_ids=[merchant.pk])[merchant.pk]
    assert figures.median_first_answer_hours == 30.0
    assert (figures.answered, figures.answered_late) == (4, 1)


def test_no_outcome_yet_means_no_rate(merchant):
    f.make_record(merchant, "complaint", days_ago=1)
    figures = merchant_figures(merchant_ids=[merchant.pk])[merchant.pk]
    assert figures.resolution_rate is None
    assert figures.median_first_answer_hours is None


def test_the_api_gives_figures_index_components_and_records(client, merchant):
    MerchantStore.objects.create(merchant=merchant, platform="淘宝", url="https://xgh.taobao.com/")
    f.make_record(merchant, "complaint", days_ago=2)
    f.make_record(merchant, "resolved", days_ago=2)
    breach = f.make_record(merchant, "breach", days_ago=0)
    body = client.get(f"/api/v1/credit/merchants/{merchant.uscc}/").json()
    assert body["merchant"]["uscc"] == merchant.uscc
    assert body["merchant"]["stores"] == [{"platform": "淘宝", "url": "https://xgh.taobao.com/"}]
    assert body["odr"]["enrolled"] is True and body["odr"]["joined_on"] == "2025-01-01"
    assert body["figures"]["complaints"] == 1
    assert body["figures"]["resolution_rate"] == 1.0
    assert body["figures"]["performance"]["breached"] == 1
    index = body["index"]
    assert index["not_a_credit_rating"] is True
    assert index["score"] == 90.0 and index["grade"] == "A"
    assert [c["key"] for c in index["components"]] == [
        "resolution",
        "refusals_absences",
        "performance",
        "awards",
    ]
    performance = index["components"][2]
    assert performance["points_deducted"] == 10.0
    assert performance["weighted_records"]["breach"] == 1.0
    assert "10" in performance["how"]
    assert body["records"][0]["id"] == breach.pk
    assert body["records"][0]["consumer"] == "张**"
    assert body["records"][0]["counts_in_index"] is True
    assert body["negative_list"] is None
    _assert_de_identified(str(body))


def test_the_api_pages_older_records(client, merchant):
    for days in range(60):
        f.make_record(merchant, "complaint", days_ago=days)
    ids, url, pages = [], f"/api/v1/credit/merchants/{merchant.uscc}/", 0
    while url:
        body = client.get(url).json()
        ids += [r["id"] for r in body["records"]]
        url, pages = body["older_records"], pages + 1
    assert pages == 3  # 25, 25, 10
    assert len(ids) == len(set(ids)) == 60
    occurred = [CreditRecord.objects.get(pk=pk).occurred_at for pk in ids]
    assert occurred == sorted(occurred, reverse=True)


def test_an_unknown_merchant_is_404_in_the_envelope(client):
    response = client.get("/api/v1/credit/merchants/91350100M000100Y43/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/credit/merchants/nonsense/").status_code == 404
    assert client.get("/credit/merchants/91350100M000100Y43/").status_code == 404


def test_the_page_shows_the_file_to_anyone(client, merchant):
    f.make_record(merchant, "complaint", days_ago=2)
    f.make_record(merchant, "unresolved", days_ago=2)
    page = client.get(f"/credit/merchants/{merchant.uscc}/")
    assert page.status_code == 200
    text = page.text
    assert merchant.name in text
    assert 'data-grade="A"' in text
    assert 'data-figure="complaints">1<' in text
    assert "张**" in text
    assert "<script>" not in text and "style=" not in text
    assert "unsafe-inline" not in page["Content-Security-Policy"]
    assert 'name="viewport"' in text
    _assert_de_identified(text)


def test_the_page_of_a_real_case_is_de_identified(client):
    c = cf.cast()
    case = f.settled(c)
    f.step(case, c, "report_breach", "consumer")
    text = client.get(f"/credit/merchants/{c.merchant.uscc}/").text
    assert case.reference in text
    _assert_de_identified(text)
    body = client.get(f"/api/v1/credit/merchants/{c.merchant.uscc}/").text
    _assert_de_identified(body)


def test_the_page_in_english(client, merchant):
    client.cookies["django_language"] = "en"
    text = client.get(f"/credit/merchants/{merchant.uscc}/").text
    assert "Complaint-handling index" in text
    assert "not an official credit rating" in text


@pytest.mark.parametrize(
    ("language", "says"),
    [("zh-hans", "等级 A 100.0 分（满分 100 分）"), ("en", "Grade A 100.0 out of 100")],
)
def test_the_grade_and_the_score_read_as_words_not_glued(client, merchant, language, says):
    client.cookies["django_language"] = language
    text = client.get(f"/credit/merchants/{merchant.uscc}/").text
    line = re.search(r'<section class="card" id="index">.*?<p>(.*?)</p>', text, re.S).group(1)
    assert " ".join(re.sub(r"<[^>]+>", " ", line).split()) == says
    assert "A100" not in re.sub(r"<[^>]+>", "", line)


def test_a_future_record_does_not_count_in_the_window(merchant):
    f.make_record(merchant, "complaint", at=timezone.now() + dt.timedelta(days=2))
    assert merchant_figures(merchant_ids=[merchant.pk])[merchant.pk].complaints == 0
