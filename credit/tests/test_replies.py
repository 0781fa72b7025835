"""The right of reply: only the merchant's own staff, once per record, de-identified."""

import pytest

from accounts.tests import factories as af
from cases.tests import factories as cf
from credit.models import CreditReply
from credit.services.replies import reply_attach
from credit.tests import factories as f
from odr.errors import Conflict, NotAllowed

pytestmark = pytest.mark.django_db


@pytest.fixture
def c() -> cf.Cast:
    return cf.cast()


@pytest.fixture
def record(c):
    return f.make_record(c.merchant, "breach", days_ago=1)


def _url(record) -> str:
    return f"/credit/merchants/{record.merchant.uscc}/records/{record.pk}/reply/"


def test_merchant_staff_reply_and_everyone_sees_it(client, c, record):
    af.login(client, c.merchant_staff)
    page = client.get(f"/credit/merchants/{c.merchant.uscc}/")
    assert f'action="{_url(record)}"' in page.text
    response = client.post(_url(record), {"body": "我们已于2026-06-03退款，请见谅。"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"/credit/merchants/{c.merchant.uscc}/#record-{record.pk}")
    reply = CreditReply.objects.get(record=record)
    assert reply.body == "我们已于2026-06-03退款，请见谅。"
    assert reply.author == c.merchant_staff
    client.logout()
    text = client.get(f"/credit/merchants/{c.merchant.uscc}/").text
    assert "我们已于2026-06-03退款" in text
    assert f'action="{_url(record)}"' not in text


def test_the_reply_is_scrubbed_of_the_consumers_data(c, record):
    reply = reply_attach(
        record=record,
        actor=c.actor("merchant_staff"),
        body="张三（电话 138 0000 0001，订单JD20260101123456，邮箱 zs@example.cn）已退款",
    )
    assert "张三" not in reply.body and "张**" in reply.body
    for secret in ("138 0000 0001", "JD20260101123456", "zs@example.cn"):
        assert secret not in reply.body


def test_staff_of_another_merchant_may_not_reply(client, c, record):
    af.login(client, c.other_merchant_staff)
    assert client.post(_url(record), {"body": "这不是我们的"}).status_code == 403
    page = client.get(f"/credit/merchants/{c.merchant.uscc}/")
    assert f'action="{_url(record)}"' not in page.text
    with pytest.raises(NotAllowed):
        reply_attach(record=record, actor=c.actor("other_merchant_staff"), body="冒充")
    assert not CreditReply.objects.exists()


@pytest.mark.parametrize("who", ["consumer", "regulator", "mediator", "admin"])
def test_nobody_but_the_merchant_replies(client, c, record, who):
    af.login(client, c.actor(who))
    assert client.post(_url(record), {"body": "回复"}).status_code == 403
    api = client.post(
        f"/api/v1/credit/records/{record.pk}/reply/",
        {"body": "回复"},
        content_type="application/json",
    )
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "not_your_merchant"
    assert not CreditReply.objects.exists()


def test_an_anonymous_visitor_is_sent_to_log_in(client, record):
    response = client.post(_url(record), {"body": "回复"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post(
        f"/api/v1/credit/records/{record.pk}/reply/", {"body": "x"}, content_type="application/json"
    ).status_code in (401, 403)
    assert not CreditReply.objects.exists()


def test_a_record_under_another_merchants_address_is_404(client, c, record):
    af.login(client, c.merchant_staff)
    url = f"/credit/merchants/{c.other_merchant.uscc}/records/{record.pk}/reply/"
    assert client.post(url, {"body": "回复"}).status_code == 404
    assert (
        client.post(_url(record).replace(str(record.pk), "999999"), {"body": "x"}).status_code
        == 404
    )


def test_one_reply_per_record(client, c, record):
    reply_attach(record=record, actor=c.actor("merchant_staff"), body="第一次")
    with pytest.raises(Conflict):
        reply_attach(record=record, actor=c.actor("merchant_staff"), body="第二次")
    af.login(client, c.merchant_staff)
    api = client.post(
        f"/api/v1/credit/records/{record.pk}/reply/",
        {"body": "第三次"},
        content_type="application/json",
    )
    assert api.status_code == 409 and api.json()["error"]["code"] == "already_replied"
    assert CreditReply.objects.get().body == "第一次"


def test_an_empty_reply_shows_the_error_next_to_the_field(client, c, record):
    af.login(client, c.merchant_staff)
    response = client.post(_url(record), {"body": "   "})
    assert response.status_code == 400
    assert f'id="reply-{record.pk}-body-error"' in response.text
    assert not CreditReply.objects.exists()


def test_the_api_reply(client, c, record):
    af.login(client, c.merchant_staff)
    response = client.post(
        f"/api/v1/credit/records/{record.pk}/reply/",
        {"body": "已处理"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["body"] == "已处理"
    too_long = client.post(
        f"/api/v1/credit/records/{record.pk}/reply/",
        {"body": "长" * 1001},
        content_type="application/json",
    )
    assert too_long.status_code == 400
    assert (
        client.post(
            "/api/v1/credit/records/999999/reply/", {"body": "x"}, content_type="application/json"
        ).status_code
        == 404
    )


def test_an_error_on_a_record_of_an_older_page_is_shown_with_that_record(client, c):
    old = f.make_record(c.merchant, "breach", days_ago=300)
    for days in range(30):
        f.make_record(c.merchant, "complaint", days_ago=days)
    af.login(client, c.merchant_staff)
    assert f'id="record-{old.pk}"' not in client.get(f"/credit/merchants/{c.merchant.uscc}/").text
    response = client.post(_url(old), {"body": ""})
    assert response.status_code == 400
    assert f'id="reply-{old.pk}-body-error"' in response.text


@pytest.mark.parametrize(
    ("written", "leaked"),
    [
        ("已联系消费者，电话138.0000.0001", "0001"),
        ("电话 一三八零零零零零零零一 已回访", "一三八零"),
        ("已按山东省临沂市兰山区金雀山路1号2-301室地址寄回", "金雀山路1号"),
        ("订单 JD_2026_0101_1234 已退款 1299.00 元", "0101_1234"),
    ],
)
def test_a_reply_never_publishes_a_phone_address_or_order_however_written(
    client, c, written, leaked
):
    """Whatever separates the digits, Chinese numerals, a street address: none of it is
    published; a sum of money stays."""
    from credit.deidentify import scrub_text

    public = scrub_text(written)
    assert leaked not in public
    if "1299.00" in written:
        assert "1299.00" in public
