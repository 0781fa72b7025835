"""Notices pushed to a body's webhook: signed, retried, logged.

A notice is JSON, POSTed with these headers (docs/arbitration.md has receiver code):

    ODR-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>
    Idempotency-Key: <uuid, the same on every attempt of one notice>
    ODR-Event: referral.delivered

A 2xx answer is delivery. A network error, a 429 or a 5xx is tried again with
exponential backoff (``ARBITRATION_WEBHOOK_BACKOFF_SECONDS`` doubled per attempt) until
``ARBITRATION_WEBHOOK_RETRY_HOURS`` after the notice was made; any other answer ends it as
failed. Every attempt is a ``WebhookAttempt`` row, which regulators can read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import uuid
from dataclasses import dataclass

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from arbitration.models import Referral, WebhookAttempt, WebhookDelivery

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "ODR-Signature"
EVENT_HEADER = "ODR-Event"
KEY_HEADER = "Idempotency-Key"


def sign(*, secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(*, secret: str, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """The receiver's check, as docs/arbitration.md gives it (used by the tests)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret=secret, timestamp=timestamp, body=body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def _payload(referral: Referral, topic: str, key: uuid.UUID) -> dict:
    base = settings.ARBITRATION_PUBLIC_BASE_URL.rstrip("/")
    ref = referral.case.reference
    return {
        "id": str(key),
        "type": topic,
        "created_at": timezone.now().isoformat(),
        "referral": {
            "reference": ref,
            "status": referral.status,
            "delivered_at": referral.delivered_at.isoformat() if referral.delivered_at else None,
            "file_sha256": referral.file_sha256,
            "manifest_sha256": referral.manifest_sha256,
            "url": base + reverse("api-arbitration-referral", kwargs={"ref": ref}),
            "file_url": base + reverse("api-arbitration-referral-file", kwargs={"ref": ref}),
        },
    }


def delivery_create(*, referral: Referral, topic: str) -> WebhookDelivery | None:
    """Record a notice for the body (once per referral and topic) and send it after commit."""
    profile = getattr(referral.body, "arbitration_profile", None)
    if profile is None or not profile.webhook_url:
        return None
    if not profile.webhook_secret:
        logger.warning("arbitration: %s has a webhook URL but no secret; not sent", referral.body)
        return None
    key = uuid.uuid4()
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                referral=referral,
                body_id=referral.body_id,
                topic=topic,
                key=key,
                url=profile.webhook_url,
                payload=_payload(referral, topic, key),
                created_at=timezone.now(),
                next_attempt_at=timezone.now(),
            )
    except IntegrityError:
        return WebhookDelivery.objects.get(referral=referral, topic=topic)
    transaction.on_commit(lambda: _enqueue(delivery.pk))
    return delivery


def _enqueue(delivery_id: int) -> None:
    from arbitration.tasks import deliver_webhook

    deliver_webhook.delay(delivery_id)


@dataclass(frozen=True)
class Outcome:
    code: str  # delivered, retry, failed, not_due, done
    retry_in: int | None = None


def _backoff(attempts: int) -> int:
    return settings.ARBITRATION_WEBHOOK_BACKOFF_SECONDS * (2 ** max(attempts - 1, 0))


def delivery_attempt(*, delivery_id: int, now: dt.datetime | None = None) -> Outcome:
    """One attempt, if one is due: send, log, and decide what comes next."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=delivery_id)
            .select_related("body__arbitration_profile")
            .first()
        )
        if delivery is None:
            return Outcome("not_due")
        if delivery.status != WebhookDelivery.Status.PENDING:
            return Outcome("done")
        if delivery.next_attempt_at and delivery.next_attempt_at > now:
            return Outcome("not_due")
        number = delivery.attempts + 1
        # Claimed: a concurrent worker sees the row as not due until this attempt ends.
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            attempts=number, next_attempt_at=now + dt.timedelta(hours=1)
        )
    secret = delivery.body.arbitration_profile.webhook_secret
    body = json.dumps(delivery.payload, ensure_ascii=False, sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        SIGNATURE_HEADER: sign(secret=secret, timestamp=int(now.timestamp()), body=body),
        KEY_HEADER: str(delivery.key),
        EVENT_HEADER: delivery.topic,
        "User-Agent": "ODR-12315-webhooks/1",
    }
    status_code = None
    error = ""
    try:
        response = requests.post(
            delivery.url,
            data=body,
            headers=headers,
            timeout=settings.ARBITRATION_WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
        status_code = response.status_code
        response.close()
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
    WebhookAttempt.objects.create(
        delivery=delivery, number=number, at=now, status_code=status_code, error=error
    )
    if status_code is not None and 200 <= status_code < 300:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.DELIVERED, delivered_at=now, next_attempt_at=None
        )
        return Outcome("delivered")
    retryable = status_code is None or status_code == 429 or status_code >= 500
    delay = _backoff(number)
    window_end = delivery.created_at + dt.timedelta(hours=settings.ARBITRATION_WEBHOOK_RETRY_HOURS)
    if not retryable or now + dt.timedelta(seconds=delay) > window_end:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.FAILED, next_attempt_at=None
        )
        logger.warning("arbitration: webhook %s failed after %d attempts", delivery.key, number)
        return Outcome("failed")
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=now + dt.timedelta(seconds=delay)
    )
    return Outcome("retry", retry_in=delay)


def deliveries_requeue_due(*, now: dt.datetime | None = None) -> int:
    """The beat sweep: queue every pending notice whose next attempt is due."""
    now = now or timezone.now()
    due = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
        ).values_list("pk", flat=True)[:500]
    )
    for pk in due:
        _enqueue(pk)
    return len(due)
