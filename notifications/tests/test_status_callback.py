"""Twilio's status callbacks: signed ones are stored against the SID; anything else is
refused and changes nothing."""

import pytest

from notifications.models import Notification, TwilioMessage
from notifications.tasks import send_notification
from notifications.tests.conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, submit
from notifications.tests.fake_twilio import FakeTwilio

pytestmark = pytest.mark.django_db

PATH = "/notifications/twilio/status/"


@pytest.fixture
def sent(twilio, world) -> Notification:
    case = submit(world)
    sms = Notification.objects.get(case=case, recipient=world.consumer, channel="sms")
    send_notification.apply(args=[sms.pk])
    sms.refresh_from_db()
    return sms


def _params(sid: str, status: str, **extra) -> dict[str, str]:
    return {
        "AccountSid": ACCOUNT_SID,
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "To": "+8613900000000",
        "ApiVersion": "2010-04-01",
        **extra,
    }


def _post(client, params: dict, *, query: str = "", token: str = AUTH_TOKEN, signature=None):
    path = PATH + (f"?{query}" if query else "")
    if signature is None:
        signature = FakeTwilio.sign(token, PUBLIC_URL + path, params)
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)


def test_a_signed_status_is_stored_against_its_sid(client, sent):
    response = _post(client, _params(sent.provider_id, "delivered"), query=f"n={sent.pk}")
    assert response.status_code == 204
    stored = TwilioMessage.objects.get(sid=sent.provider_id)
    assert stored.status == "delivered"
    assert [h[0] for h in stored.history] == ["accepted", "delivered"]
    sent.refresh_from_db()
    assert sent.status == Notification.Status.DELIVERED and sent.delivered_at is not None
    assert sent.provider_status == "delivered"


def test_a_bad_signature_gets_403_and_changes_nothing(client, sent):
    before = list(TwilioMessage.objects.values())
    forged = _post(client, _params(sent.provider_id, "failed"), token="someone-elses-token")
    missing = client.post(PATH, _params(sent.provider_id, "failed"))
    tampered_signature = FakeTwilio.sign(
        AUTH_TOKEN, PUBLIC_URL + PATH, _params(sent.provider_id, "sent")
    )
    tampered = _post(client, _params(sent.provider_id, "failed"), signature=tampered_signature)
    assert (forged.status_code, missing.status_code, tampered.status_code) == (403, 403, 403)
    assert list(TwilioMessage.objects.values()) == before
    sent.refresh_from_db()
    assert sent.status == Notification.Status.SENT


def test_without_an_auth_token_no_callback_is_believed(client, settings, sent):
    settings.TWILIO_AUTH_TOKEN = ""
    assert _post(client, _params(sent.provider_id, "delivered")).status_code == 403
    assert TwilioMessage.objects.get(sid=sent.provider_id).status == "accepted"


def test_statuses_only_move_forward(client, sent):
    for status in ("sent", "delivered", "sent", "queued"):
        assert _post(client, _params(sent.provider_id, status)).status_code == 204
    stored = TwilioMessage.objects.get(sid=sent.provider_id)
    assert stored.status == "delivered"
    assert [h[0] for h in stored.history] == ["accepted", "sent", "delivered", "sent", "queued"]


def test_an_undelivered_message_fails_its_notice_with_the_error_code(client, sent):
    params = _params(sent.provider_id, "undelivered", ErrorCode="30003")
    assert _post(client, params).status_code == 204
    sent.refresh_from_db()
    assert sent.status == Notification.Status.FAILED
    assert sent.last_error == "Twilio reports undelivered (error 30003)"
    assert TwilioMessage.objects.get(sid=sent.provider_id).error_code == "30003"


@pytest.mark.parametrize("code", ["a\x00b", "３０００３", "30003; DROP", "1" * 11])
def test_an_error_code_that_is_not_a_number_is_dropped_not_a_server_error(client, sent, code):
    params = _params(sent.provider_id, "undelivered", ErrorCode=code)
    assert _post(client, params).status_code == 204
    stored = TwilioMessage.objects.get(sid=sent.provider_id)
    assert (stored.status, stored.error_code) == ("undelivered", "")
    sent.refresh_from_db()
    assert sent.status == Notification.Status.FAILED


def test_a_status_attaches_the_sid_when_the_send_answer_was_lost(client, twilio, world):
    """The worker died after Twilio took the message: only the callback knows its SID."""
    case = submit(world)
    sms = Notification.objects.get(case=case, recipient=world.consumer, channel="sms")
    Notification.objects.filter(pk=sms.pk).update(status=Notification.Status.SENDING)
    sid = "SM" + "ab" * 16
    assert _post(client, _params(sid, "sent"), query=f"n={sms.pk}").status_code == 204
    sms.refresh_from_db()
    assert sms.provider_id == sid and sms.status == Notification.Status.SENT
    # The task, run again, has nothing left to do.
    assert send_notification.apply(args=[sms.pk]).get() == "done"
    assert twilio.creates == []


def test_a_login_code_status_is_stored_without_a_notice(client, twilio):
    sid = "SM" + "cd" * 16
    assert _post(client, _params(sid, "delivered")).status_code == 204
    stored = TwilioMessage.objects.get(sid=sid)
    assert stored.status == "delivered" and stored.notification is None


def test_nonsense_is_refused(client, sent):
    assert _post(client, _params("not-a-sid", "delivered")).status_code == 400
    assert _post(client, _params(sent.provider_id, "exploded")).status_code == 400
    assert client.get(PATH).status_code == 405
