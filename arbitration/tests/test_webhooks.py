"""Webhook notices: signed, retried with backoff on 5xx and network errors, logged."""

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from arbitration.models import WebhookAttempt, WebhookDelivery
from arbitration.services import webhooks
from arbitration.tests import factories as f

pytestmark = pytest.mark.django_db


class FakeReceiver:
    """A body's webhook endpoint on 127.0.0.1 that answers with the given statuses in turn
    and keeps what it received."""

    def __init__(self, statuses: list[int]):
        self.statuses = list(statuses)
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/odr/webhook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    with FakeReceiver([500, 500, 200]) as fake:
        yield fake


def _referral(c, capture, url):
    f.profile(c.body, webhook_url=url)
    return f.referred(c, capture)


def test_500_twice_then_200_is_delivered_once_with_one_key(
    c, receiver, django_capture_on_commit_callbacks, settings
):
    settings.ARBITRATION_WEBHOOK_BACKOFF_SECONDS = 60
    # Building the file queues the first attempt after commit (eager Celery: at once).
    referral = _referral(c, django_capture_on_commit_callbacks, receiver.url)
    delivery = WebhookDelivery.objects.get(referral=referral)
    assert len(receiver.received) == 1
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING
    first_retry = delivery.next_attempt_at
    t1 = delivery.log.get().at
    assert first_retry == t1 + dt.timedelta(seconds=60)

    # Not yet due: nothing is sent.
    assert (
        webhooks.delivery_attempt(
            delivery_id=delivery.pk, now=first_retry - dt.timedelta(seconds=1)
        ).code
        == "not_due"
    )
    assert len(receiver.received) == 1

    second = webhooks.delivery_attempt(delivery_id=delivery.pk, now=first_retry)
    assert second.code == "retry"
    assert second.retry_in == 120
    delivery.refresh_from_db()
    third = webhooks.delivery_attempt(delivery_id=delivery.pk, now=delivery.next_attempt_at)
    assert third.code == "delivered"
    # Once delivered, a late duplicate does nothing.
    assert webhooks.delivery_attempt(delivery_id=delivery.pk).code == "done"

    assert len(receiver.received) == 3
    keys = {r["headers"]["Idempotency-Key"] for r in receiver.received}
    assert keys == {str(delivery.key)}
    assert {r["body"] for r in receiver.received} == {receiver.received[0]["body"]}
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 3
    assert WebhookDelivery.objects.filter(referral=referral).count() == 1
    assert list(
        WebhookAttempt.objects.filter(delivery=delivery).values_list("status_code", flat=True)
    ) == [500, 500, 200]
    notice = json.loads(receiver.received[-1]["body"])
    assert notice["type"] == "referral.delivered"
    assert notice["referral"]["reference"] == referral.case.reference
    assert notice["referral"]["manifest_sha256"] == referral.manifest_sha256


def test_signature_verifies_with_the_documented_receiver_code(
    c, receiver, django_capture_on_commit_callbacks
):
    _referral(c, django_capture_on_commit_callbacks, receiver.url)
    got = receiver.received[0]
    header = got["headers"]["ODR-Signature"]
    timestamp = int(header.split(",")[0][2:])
    # The receiver code of docs/arbitration.md, run as published.
    namespace: dict = {}
    exec(_documented_receiver(), namespace)  # noqa: S102 (our own published snippet)
    verify = namespace["verify_odr_signature"]
    assert verify(f.SECRET, header, got["body"], now=timestamp + 10)
    assert not verify(f.SECRET, header, got["body"] + b" ", now=timestamp + 10)
    assert not verify("another secret", header, got["body"], now=timestamp + 10)
    assert not verify(f.SECRET, header, got["body"], now=timestamp + 3600)
    assert webhooks.verify(secret=f.SECRET, header=header, body=got["body"], now=timestamp)


def _documented_receiver() -> str:
    from pathlib import Path

    from django.conf import settings

    text = (Path(settings.BASE_DIR) / "docs" / "arbitration.md").read_text()
    start = text.index("```python\n") + len("```python\n")
    return text[start : text.index("```", start)]


def test_network_errors_are_retried_and_the_window_ends_in_failure(
    c, settings, django_capture_on_commit_callbacks
):
    settings.ARBITRATION_WEBHOOK_BACKOFF_SECONDS = 3600
    settings.ARBITRATION_WEBHOOK_RETRY_HOURS = 24
    # Nothing listens on port 9 of 127.0.0.1: the connection is refused.
    referral = _referral(c, django_capture_on_commit_callbacks, "http://127.0.0.1:9/hook")
    delivery = WebhookDelivery.objects.get(referral=referral)
    outcomes = []
    for _ in range(10):
        delivery.refresh_from_db()
        if delivery.status != WebhookDelivery.Status.PENDING:
            break
        outcomes.append(
            webhooks.delivery_attempt(delivery_id=delivery.pk, now=delivery.next_attempt_at).code
        )
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    # 1h, 2h, 4h, 8h after the first try; a 16h wait would end past 24 hours.
    assert delivery.attempts == 5
    assert outcomes == ["retry", "retry", "retry", "failed"]
    assert all(a.status_code is None and a.error for a in delivery.log.all())


def test_a_4xx_is_not_retried(c, django_capture_on_commit_callbacks):
    with FakeReceiver([410]) as fake:
        referral = _referral(c, django_capture_on_commit_callbacks, fake.url)
    delivery = WebhookDelivery.objects.get(referral=referral)
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == 1


def test_no_webhook_url_means_no_delivery(c, django_capture_on_commit_callbacks):
    referral = _referral(c, django_capture_on_commit_callbacks, "")
    assert not WebhookDelivery.objects.filter(referral=referral).exists()


def test_the_sweep_requeues_only_due_deliveries(c, receiver, django_capture_on_commit_callbacks):
    referral = _referral(c, django_capture_on_commit_callbacks, receiver.url)
    delivery = WebhookDelivery.objects.get(referral=referral)
    assert (
        webhooks.deliveries_requeue_due(now=delivery.next_attempt_at - dt.timedelta(seconds=1)) == 0
    )
    assert len(receiver.received) == 1
    assert webhooks.deliveries_requeue_due(now=timezone.now() + dt.timedelta(days=1)) == 1


def test_no_secret_means_no_unsigned_notice(c, django_capture_on_commit_callbacks):
    f.profile(c.body, webhook_url="http://127.0.0.1:9/", webhook_secret="")
    referral = f.referred(c, django_capture_on_commit_callbacks)
    assert not WebhookDelivery.objects.filter(referral=referral).exists()


def test_the_admin_makes_a_secret_for_a_webhook(c, client):
    from arbitration.models import BodyProfile

    body = f.cf.af.ArbitrationBodyFactory()
    f.cf.af.login(client, c.admin)
    response = client.post(
        "/admin/arbitration/bodyprofile/add/",
        {
            "body": body.pk,
            "categories": "[]",
            "divisions": "[]",
            "accepts_referrals": "on",
            "webhook_url": "https://arb.example.cn/hook",
            "webhook_secret": "",
        },
    )
    assert response.status_code == 302
    assert BodyProfile.objects.get(body=body).webhook_secret.startswith("whsec_")
