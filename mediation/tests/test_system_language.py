"""The service's own messages in the rooms read in each reader's language: live on the
socket, on resume, and in the transcript; the stored body stays in the case's language."""

import pytest
from channels.db import database_sync_to_async
from django.utils import translation

from accounts.tests.factories import login
from cases.models import Message
from mediation import selectors
from mediation.models import SystemText
from mediation.services.chat import system_message_post
from mediation.tests.conftest import open_socket

db = database_sync_to_async

ZH = "调解定于明天上午十点在线进行。"
EN = "Mediation takes place online tomorrow at 10:00."


def _post(case, key="notice-1") -> Message:
    return system_message_post(case=case, text_zh=ZH, text_en=EN, key=key)


def _english(user) -> None:
    user.language = "en"
    user.save(update_fields=["language"])


@pytest.mark.django_db
def test_both_texts_are_kept_and_the_body_is_in_the_cases_language(case):
    message = _post(case)
    assert message.body == ZH  # a case conducted in Chinese
    kept = SystemText.objects.get(message=message)
    assert (kept.text_zh, kept.text_en) == (ZH, EN)
    # Idempotent: the same key posts once, and keeps one pair of texts.
    assert _post(case).pk == message.pk
    assert SystemText.objects.filter(message__case=case).filter(text_en=EN).count() == 1


@pytest.mark.django_db
def test_the_payload_is_in_the_readers_language(case):
    message = Message.objects.select_related("system_text").get(pk=_post(case).pk)
    with translation.override("en"):
        assert selectors.message_payload(message, reference=case.reference)["body"] == EN
    with translation.override("zh-hans"):
        assert selectors.message_payload(message, reference=case.reference)["body"] == ZH
    assert selectors.message_payload(message, reference="", language="en")["body"] == EN
    with translation.override("en"):
        page = selectors.messages_after(case=case, room="joint", after_seq=0)
    assert page[-1]["body"] == EN and "texts" not in page[-1]


@pytest.mark.django_db
def test_a_broadcast_carries_both_texts_and_each_reader_gets_theirs(case):
    message = _post(case)
    payload = selectors.message_payload(message, reference=case.reference, both_texts=True)
    assert payload["texts"] == {"zh-hans": ZH, "en": EN}
    english = selectors.payload_for_reader(payload, "en")
    chinese = selectors.payload_for_reader(payload, "zh-hans")
    assert (english["body"], chinese["body"]) == (EN, ZH)
    assert "texts" not in english and "texts" not in chinese
    # A person's message is passed on as written.
    person = {"body": "你好", "system": False}
    assert selectors.payload_for_reader(person, "en") == person


@pytest.mark.django_db
def test_an_older_service_message_without_both_texts_shows_its_body(case):
    message = _post(case)
    SystemText.objects.filter(message=message).delete()
    with translation.override("en"):
        page = selectors.messages_after(case=case, room="joint", after_seq=0)
    assert page[-1]["body"] == ZH


@pytest.mark.django_db
def test_the_transcript_gives_the_service_messages_in_the_readers_language(client, case, cast):
    _post(case)
    login(client, cast.consumer)
    url = f"/api/v1/cases/{case.reference}/transcript/"
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()
    chinese = client.get(url).json()
    assert english["messages"][-1]["body"] == EN
    assert chinese["messages"][-1]["body"] == ZH
    assert english["count"] == chinese["count"]
    assert english["sha256"] != chinese["sha256"]  # the hash is of what each was shown


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_each_socket_shows_the_notice_in_its_readers_language(case, cast):
    await db(_english)(cast.consumer)
    consumer = await open_socket(case.reference, cast.consumer)
    merchant = await open_socket(case.reference, cast.merchant_staff)
    try:
        await db(_post)(case)
        live_en = await consumer.next_of("message")
        live_zh = await merchant.next_of("message")
        assert (live_en["body"], live_zh["body"]) == (EN, ZH)
        assert live_en["system"] is True and "texts" not in live_en
        # On resume (what a page loads after hello), the same.
        await consumer.send({"type": "resume", "room": "joint", "after_seq": 0})
        resumed = []
        while (frame := await consumer.next_of("message", "resumed"))["type"] == "message":
            resumed.append(frame)
        assert resumed[-1]["body"] == EN
        # The handlers' notices of the acceptance and the mediation clock, too.
        assert len(resumed) == 3 and all(m["system"] for m in resumed)
        assert not any("调解" in m["body"] or "受理" in m["body"] for m in resumed), resumed
    finally:
        await consumer.close()
        await merchant.close()
