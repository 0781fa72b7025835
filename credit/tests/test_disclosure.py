"""Public disclosure: per merchant, 12-month complaints, resolution rate, ODR status;
searchable by name, code and store address; consumers never identifiable."""

import datetime as dt

import pytest

from accounts.models import Merchant, MerchantStore
from accounts.tests import factories as af
from cases.tests import factories as cf
from credit.selectors import disclosure_search
from credit.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def shops():
    youpin = af.MerchantFactory(
        name="临沂优品电子商贸有限公司",
        uscc="91371300MA3C8TXK2D",
        odr_joined_on=dt.date(2025, 1, 1),
    )
    MerchantStore.objects.create(
        merchant=youpin, platform="淘宝", url="https://youpin-ly.taobao.com/"
    )
    fruit = af.MerchantFactory(name="临沂鲜果汇食品有限公司", uscc="91371311MA3D0PQ41B")
    return youpin, fruit


def _found(q: str) -> list[str]:
    return [m.name for m in disclosure_search(q=q)]


def test_search_by_part_of_the_name(shops):
    assert _found("优品") == ["临沂优品电子商贸有限公司"]
    assert sorted(_found("临沂")) == sorted(m.name for m in shops)


def test_search_by_code_and_by_its_start(shops):
    assert _found("91371300MA3C8TXK2D") == ["临沂优品电子商贸有限公司"]
    assert _found("91371300ma3c8txk2d") == ["临沂优品电子商贸有限公司"]
    assert _found("91371311") == ["临沂鲜果汇食品有限公司"]


def test_search_by_store_address(shops):
    assert _found("https://youpin-ly.taobao.com") == ["临沂优品电子商贸有限公司"]
    assert _found("youpin-ly") == ["临沂优品电子商贸有限公司"]
    assert _found("www.youpin-ly.taobao.com/") == ["临沂优品电子商贸有限公司"]


def test_nothing_for_nothing(shops):
    assert _found("") == []
    assert _found("   ") == []
    assert _found("不存在的公司") == []


def test_at_most_twenty_results():
    for n in range(25):
        af.MerchantFactory(name=f"临沂批量商户{n}有限公司")
    assert len(_found("批量商户")) == 20


def test_the_page_shows_the_figures(client, shops):
    youpin, fruit = shops
    f.make_record(youpin, "complaint", days_ago=3)
    f.make_record(youpin, "complaint", days_ago=30)
    f.make_record(youpin, "complaint", days_ago=500)  # outside the 12 months
    f.make_record(youpin, "resolved", days_ago=3)
    f.make_record(youpin, "unresolved", days_ago=30)
    page = client.get("/disclosure/", {"q": "临沂优品"})
    assert page.status_code == 200
    text = page.text
    assert 'data-merchant="91371300MA3C8TXK2D"' in text
    assert 'data-figure="complaints">2<' in text
    assert 'data-figure="resolution_rate">50.0%<' in text
    assert "Takes part in online dispute resolution" in text or "ODR" in text
    assert "/credit/merchants/91371300MA3C8TXK2D/" in text
    assert fruit.name not in text
    assert "<script>" not in text and "style=" not in text
    assert 'for="disclosure-q"' in text


def test_the_page_without_a_search_lists_the_negative_list(client):
    page = client.get("/disclosure/")
    assert page.status_code == 200
    assert 'id="disclosure-q"' in page.text


def test_disclosure_is_de_identified_for_real_cases(client):
    c = cf.cast()
    case = f.settled(c)
    f.step(case, c, "report_breach", "consumer")
    text = client.get("/disclosure/", {"q": c.merchant.name}).text
    assert c.merchant.name in text
    for secret in ("张三", "13800000001", "金雀山路", c.consumer.phone):
        assert secret not in text


def test_odd_input_never_breaks_the_page(client, shops):
    for q in ["%", "_", "'; drop table", "a" * 500, "\\", "京", "91371300MA3C8TXK2D" * 3]:
        assert client.get("/disclosure/", {"q": q}).status_code == 200
    assert Merchant.objects.count() == 2
