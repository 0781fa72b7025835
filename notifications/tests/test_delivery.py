"""Sending through the real twilio client to a local fake Twilio: the request Twilio gets,
which failures are retried, and a notice sent once however often its task runs."""

import base64
import datetime as dt
import logging
import re
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.utils import timezone

from accounts.services import otp_request
from notifications.models import Notification, TwilioMessage
from notifications.services.delivery import (
    email_message_id,
    notification_deliver,
    notification_retry,
    notifications_requeue_due,
)
from notifications.tasks import send_notification
from notifications.tests.conftest import (
    ACCOUNT_SID,
    API_KEY_SECRET,
    API_KEY_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    PUBLIC_URL,
    SERVICE_SID,
    submit,
)

pytestmark = pytest.mark.django_db

CHINA = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def sms(world) -> Notification:
    """The consumer's SMS that a new complaint produces, not yet sent."""
    case = submit(world)
    return Notification.objects.get(case=case, recipient=world.consumer, channel="sms")


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def test_the_request_carries_the_form_fields_auth_and_chinese_text(twilio, sms):
    assert send_notification.apply(args=[sms.pk]).get() == "sent"

    [request] = twilio.creates
    assert request.headers["Authorization"] == _basic(ACCOUNT_SID, AUTH_TOKEN)
    assert request.field("To") == sms.address
    assert request.field("Body") == sms.body
    assert request.field("Body").startswith("【ODR 12315】您的投诉")
    assert request.field("MessagingServiceSid") == SERVICE_SID
    assert request.field("From") is None
    assert request.field("StatusCallback") == (
        f"{PUBLIC_URL}/notifications/twilio/status/?n={sms.pk}"
    )
    assert request.field("SmartEncoded") == "false"
    assert request.headers["I-Twilio-Idempotency-Token"] == f"odr-notification-{sms.pk}"
    assert request.headers["Content-Type"].startswith("application/x-www-form-urlencoded")

    [message] = twilio.messages
    sms.refresh_from_db()
    assert sms.status == Notification.Status.SENT
    assert sms.provider_id == message.sid
    assert sms.attempts == 1 and sms.sent_at is not None and sms.last_error == ""
    stored = TwilioMessage.objects.get(sid=message.sid)
    assert stored.notification_id == sms.pk and stored.status == "accepted"


def test_a_sender_number_and_an_api_key_work_too(twilio, settings, sms):
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_FROM_NUMBER = FROM_NUMBER
    settings.TWILIO_API_KEY_SID = API_KEY_SID
    settings.TWILIO_API_KEY_SECRET = API_KEY_SECRET
    assert send_notification.apply(args=[sms.pk]).get() == "sent"
    [request] = twilio.creates
    assert request.headers["Authorization"] == _basic(API_KEY_SID, API_KEY_SECRET)
    assert request.field("From") == FROM_NUMBER
    assert request.field("MessagingServiceSid") is None


def test_wrong_credentials_fail_without_retry(twilio, settings, sms):
    settings.TWILIO_AUTH_TOKEN = "not-the-token"
    assert send_notification.apply(args=[sms.pk]).get() == "failed"
    assert twilio.unauthorised == 1 and twilio.messages == []
    sms.refresh_from_db()
    assert sms.status == Notification.Status.FAILED
    assert "401" in sms.last_error


def test_a_500_is_retried_and_the_retry_asks_first(twilio, sms):
    twilio.plan.append(500)
    assert send_notification.apply(args=[sms.pk]).get() == "retry"
    sms.refresh_from_db()
    # The outcome of a failed request is unknown until Twilio is asked.
    assert sms.status == Notification.Status.SENDING
    assert "Twilio answered 500" in sms.last_error
    assert sms.queued_for is not None
    assert twilio.messages == []

    assert send_notification.apply(args=[sms.pk]).get() == "sent"
    assert twilio.lookups == 1  # asked before sending again
    assert len(twilio.creates) == 2 and len(twilio.messages) == 1
    sms.refresh_from_db()
    assert sms.status == Notification.Status.SENT and sms.attempts == 2
    assert sms.provider_id == twilio.messages[0].sid


def test_a_worker_retry_is_scheduled_with_backoff(twilio, settings, monkeypatch, sms):
    settings.NOTIFY_SEND_SETTLE_SECONDS = 30
    settings.NOTIFY_RETRY_BACKOFF_SECONDS = 30
    settings.NOTIFY_RETRY_BACKOFF_MAX_SECONDS = 3600
    asked = []

    def retry(**options):
        asked.append(options)
        return Retry()

    monkeypatch.setattr(send_notification, "retry", retry)
    twilio.plan.extend([503, 503])
    for _ in range(2):
        with pytest.raises(Retry):
            send_notification.run(sms.pk)  # as a worker runs it (not eagerly)
        # The next run may ask at once: its wait is in the countdown.
        Notification.objects.filter(pk=sms.pk).update(
            claimed_at=timezone.now() - dt.timedelta(minutes=5)
        )
    first, second = (options["countdown"] for options in asked)
    assert 30 <= first <= 33 and 60 <= second <= 66  # doubling, with a little jitter


def test_a_400_is_not_retried(twilio, sms):
    twilio.plan.append((400, 21211, "The 'To' number is not a valid phone number."))
    assert send_notification.apply(args=[sms.pk]).get() == "failed"
    assert send_notification.apply(args=[sms.pk]).get() == "done"
    assert len(twilio.creates) == 1 and twilio.messages == []
    sms.refresh_from_db()
    assert sms.status == Notification.Status.FAILED and sms.failed_at is not None
    assert "21211" in sms.last_error


def test_a_dropped_connection_is_retried(twilio, sms):
    twilio.plan.append("drop")
    assert send_notification.apply(args=[sms.pk]).get() == "retry"
    sms.refresh_from_db()
    assert "network error" in sms.last_error
    assert send_notification.apply(args=[sms.pk]).get() == "sent"
    assert len(twilio.messages) == 1


def test_after_the_last_try_the_notice_is_failed_visibly(twilio, settings, sms, caplog):
    settings.NOTIFY_MAX_ATTEMPTS = 2
    twilio.plan.extend([500, 502])
    with caplog.at_level(logging.ERROR, logger="notifications.services.delivery"):
        assert send_notification.apply(args=[sms.pk]).get() == "retry"
        assert send_notification.apply(args=[sms.pk]).get() == "failed"
    sms.refresh_from_db()
    assert sms.status == Notification.Status.FAILED
    assert sms.last_error.startswith("gave up after 2 attempts; last: Twilio answered 502")
    assert any("FAILED" in r.getMessage() and str(sms.pk) in r.getMessage() for r in caplog.records)
    assert send_notification.apply(args=[sms.pk]).get() == "done"
    assert len(twilio.creates) == 2


def test_a_sending_task_run_twice_sends_once(twilio, sms):
    assert send_notification.apply(args=[sms.pk]).get() == "sent"
    assert send_notification.apply(args=[sms.pk]).get() == "done"
    assert len(twilio.creates) == 1 and len(twilio.messages) == 1


def test_an_answer_lost_after_twilio_took_the_message_is_not_sent_again(twilio, settings, sms):
    """The first attempt's request reaches Twilio, which creates the message; the answer
    never comes back (a timeout here; a killed worker in test_worker.py)."""
    settings.TWILIO_HTTP_TIMEOUT = 0.5
    twilio.hold_first = True
    twilio.hold_timeout = 3
    assert send_notification.apply(args=[sms.pk]).get() == "retry"
    assert len(twilio.messages) == 1
    sms.refresh_from_db()
    assert sms.status == Notification.Status.SENDING and sms.provider_id == ""

    assert send_notification.apply(args=[sms.pk]).get() == "found"
    assert len(twilio.creates) == 1 and len(twilio.messages) == 1
    sms.refresh_from_db()
    assert sms.status == Notification.Status.SENT
    assert sms.provider_id == twilio.messages[0].sid


def test_a_second_run_while_an_attempt_may_still_be_in_flight_waits(twilio, settings, sms):
    settings.NOTIFY_SEND_SETTLE_SECONDS = 60
    settings.TWILIO_HTTP_TIMEOUT = 0.5
    twilio.hold_first = True
    twilio.hold_timeout = 3
    assert notification_deliver(notification_id=sms.pk).code == "retry"
    outcome = notification_deliver(notification_id=sms.pk)
    assert outcome.code == "busy" and 0 < outcome.retry_in <= 60
    assert len(twilio.creates) == 1


def test_an_sms_due_in_quiet_hours_is_put_off_until_morning(twilio, settings, monkeypatch, sms):
    settings.NOTIFY_QUIET_HOURS_START = "22:00"
    settings.NOTIFY_QUIET_HOURS_END = "08:00"
    night = dt.datetime(2026, 11, 28, 2, 15, tzinfo=CHINA)
    monkeypatch.setattr(timezone, "now", lambda: night)
    outcome = notification_deliver(notification_id=sms.pk)
    morning = dt.datetime(2026, 11, 28, 8, 0, tzinfo=CHINA)
    assert outcome.code == "deferred"
    assert outcome.retry_in == (morning - night).total_seconds()
    sms.refresh_from_db()
    assert sms.not_before == morning and sms.status == Notification.Status.PENDING
    assert twilio.creates == []
    monkeypatch.setattr(timezone, "now", lambda: morning)
    assert notification_deliver(notification_id=sms.pk).code == "sent"
    assert len(twilio.creates) == 1


def test_login_codes_go_at_once_even_at_night(
    twilio, settings, monkeypatch, world, django_capture_on_commit_callbacks
):
    settings.NOTIFY_QUIET_HOURS_START = "22:00"
    settings.NOTIFY_QUIET_HOURS_END = "08:00"
    night = dt.datetime(2026, 11, 28, 2, 15, tzinfo=CHINA)
    monkeypatch.setattr(timezone, "now", lambda: night)
    with django_capture_on_commit_callbacks(execute=True):
        otp_request(phone=world.consumer.phone, ip="127.0.0.1")
    [request] = twilio.creates
    assert request.field("To") == world.consumer.phone
    assert re.search(r"\b\d{6}\b", request.field("Body"))
    # Not a notice: no notification row, no token; its status is still reported.
    assert request.field("StatusCallback") == f"{PUBLIC_URL}/notifications/twilio/status/"
    assert "I-Twilio-Idempotency-Token" not in request.headers
    assert not Notification.objects.filter(kind__startswith="otp").exists()


def test_email_goes_through_django_with_a_stable_message_id(world):
    case = submit(world)
    email = Notification.objects.get(case=case, recipient=world.consumer, channel="email")
    assert send_notification.apply(args=[email.pk]).get() == "sent"
    assert send_notification.apply(args=[email.pk]).get() == "done"
    [sent] = mail.outbox
    assert sent.to == ["zhangsan@example.cn"]
    assert sent.subject == email.subject and sent.body == email.body
    assert sent.extra_headers["Message-ID"] == email_message_id(email.pk)
    email.refresh_from_db()
    assert email.status == Notification.Status.SENT and email.provider_id == email_message_id(
        email.pk
    )


def test_the_sweep_requeues_what_was_left_behind(twilio, settings, sms):
    Notification.objects.filter(pk=sms.pk).update(queued_for=timezone.now() - dt.timedelta(hours=1))
    assert notifications_requeue_due() >= 1  # eagerly: sent at once
    sms.refresh_from_db()
    assert sms.status == Notification.Status.SENT
    assert notifications_requeue_due() == 0 or len(twilio.creates) == 1
    assert len(twilio.creates) == 1


def test_an_officer_can_send_a_failed_notice_again_and_it_asks_first(twilio, sms):
    twilio.plan.append((400, 21610, "Attempt to send to unsubscribed recipient"))
    assert send_notification.apply(args=[sms.pk]).get() == "failed"
    sms.refresh_from_db()
    assert notification_retry(notification=sms) is True
    sms.refresh_from_db()
    assert sms.status == Notification.Status.SENT
    assert twilio.lookups == 1 and len(twilio.messages) == 1


def test_the_status_callback_url_carries_the_notice(twilio, sms):
    send_notification.apply(args=[sms.pk])
    url = twilio.messages[0].status_callback
    assert parse_qs(urlsplit(url).query) == {"n": [str(sms.pk)]}
