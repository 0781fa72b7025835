"""A notice reads in the reader's language of the moment (the inbox, the API), while the
SMS and email that went out stay in the recipient's language as they were sent."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from accounts.tests.factories import login
from cases.services.negotiation import offer_make
from notifications.models import Notification
from notifications.tests.conftest import submit

pytestmark = pytest.mark.django_db

RECEIVED_ZH = "您的投诉 {ref} 已收到"
RECEIVED_EN = "Your complaint {ref} was received"


def _notice(user, channel="inapp", **filters) -> Notification:
    return Notification.objects.get(recipient=user, channel=channel, **filters)


def _english(user) -> None:
    user.language = "en"
    user.save(update_fields=["language"])


def test_a_notice_sent_in_chinese_reads_in_english_to_a_reader_who_chose_english(client, world):
    case = submit(world)  # the consumer's language is Chinese: sent in Chinese
    notice = _notice(world.consumer)
    assert notice.language == "zh-hans"
    assert notice.subject == RECEIVED_ZH.format(ref=case.reference)
    sms = _notice(world.consumer, "sms")
    assert sms.body.startswith("【ODR 12315】您的投诉")

    _english(world.consumer)
    login(client, world.consumer)
    page = client.get("/notifications/").content.decode()
    assert f"<h2>{RECEIVED_EN.format(ref=case.reference)}</h2>" in page
    assert f"We received your complaint about {world.merchant.name}" in page
    assert "已收到" not in page and "商家应在" not in page
    # What was sent is unchanged: the record of the SMS, in the recipient's language then.
    sms.refresh_from_db()
    assert sms.body.startswith("【ODR 12315】您的投诉")


def test_a_chinese_reader_sees_chinese_and_the_cookie_choice_wins(client, world):
    world.consumer.language = "en"
    world.consumer.save(update_fields=["language"])
    case = submit(world)  # sent in English
    assert _notice(world.consumer, "sms").body.startswith(
        "[ODR 12315] " + RECEIVED_EN.format(ref=case.reference)
    )
    login(client, world.consumer)
    client.cookies["django_language"] = "zh-hans"
    page = client.get("/notifications/").content.decode()
    assert f"<h2>{RECEIVED_ZH.format(ref=case.reference)}</h2>" in page
    assert "was received" not in page


def test_values_are_formatted_for_the_reader(client, world):
    case = submit(world)
    valid_until = timezone.localdate() + dt.timedelta(days=7)
    offer_make(
        case=case,
        actor=world.staff,
        kind="refund",
        amount=1299,
        description="全额退款，七日内到账。",
        valid_until=valid_until,
    )
    notice = _notice(world.consumer, kind="offer.made")
    with translation.override("en"):
        assert notice.title == f"Offer received: {case.reference}"
        assert "made an offer on your complaint" in notice.text
        assert "refund of CNY 1,299.00" in notice.text
        assert f"{valid_until.day} {valid_until:%B} {valid_until.year}" in notice.text
    with translation.override("zh-hans"):
        assert notice.title == f"收到和解方案：{case.reference}"
        assert "退款 1,299.00 元" in notice.text
        assert f"{valid_until.year}年{valid_until.month}月{valid_until.day}日" in notice.text


def test_the_api_gives_the_notice_in_the_callers_language(client, world):
    case = submit(world)
    login(client, world.consumer)
    english = client.get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="en").json()
    (row,) = english["results"]
    assert row["subject"] == RECEIVED_EN.format(ref=case.reference)
    assert "must answer by" in row["body"]
    chinese = client.get("/api/v1/notifications/").json()
    (row,) = chinese["results"]
    assert row["subject"] == RECEIVED_ZH.format(ref=case.reference)
    assert "商家应在" in row["body"]


def test_a_notice_kept_without_its_values_shows_its_stored_text(client, world):
    """Rows written before the values were kept."""
    case = submit(world)
    notice = _notice(world.consumer)
    Notification.objects.filter(pk=notice.pk).update(params={})
    _english(world.consumer)
    login(client, world.consumer)
    page = client.get("/notifications/").content.decode()
    assert f"<h2>{RECEIVED_ZH.format(ref=case.reference)}</h2>" in page
    assert "was received" not in page


def test_a_template_asking_for_a_value_not_kept_falls_back_to_the_stored_text(world):
    case = submit(world)
    notice = _notice(world.consumer)
    params = dict(notice.params)
    params["zh-hans"] = {k: v for k, v in params["zh-hans"].items() if k != "due"}
    notice.params = params
    with translation.override("zh-hans"):
        # The stored text is in this language: shown as it was written.
        assert notice.text == notice.body and "—" not in notice.text
    with translation.override("en"):
        assert notice.title == RECEIVED_EN.format(ref=case.reference)


def test_the_values_are_kept_in_both_languages(world):
    case = submit(world)
    notice = _notice(world.consumer)
    assert set(notice.params) == {"zh-hans", "en"}
    assert notice.params["en"]["ref"] == case.reference
    assert notice.params["en"]["merchant"] == world.merchant.name
    assert notice.params["zh-hans"]["due"].endswith("日")
    # Email and SMS rows keep the values too, their text stays what was sent.
    sms = _notice(world.consumer, "sms")
    assert sms.params == notice.params
    with translation.override("en"):
        assert sms.text == sms.body
