"""Pushing new records to the configured endpoint (an external credit system).

The outbox row is written with the record, in the event's transaction; after the commit a
Celery task calls ``outbox_push`` with its id. A push claims the row with a lease (one
conditional UPDATE, so two workers never send the same row at once), POSTs the record as
JSON with an ``Idempotency-Key`` that is the same on every try (the receiver drops
repeats: delivery is at least once, the effect exactly once), signs the body with HMAC-
SHA256 when a secret is set, and records the outcome. Network errors, timeouts, 408, 429
and 5xx are tried again with a doubling backoff; any other answer is final. A record whose
consumer did not agree to publication is not sent (docs/credit.md, "Publication").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from credit.models import CreditOutbox, CreditRecord
from credit.selectors import record_export
from credit.services.publication import NOT_PUBLISHED

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class PushOutcome:
    code: str  # sent, retry, failed, skipped
    retry_in: float | None = None


def idempotency_key(record_id: int) -> str:
    return f"odr-credit-record-{record_id}"


def push_body(record: CreditRecord) -> bytes:
    return json.dumps(record_export(record), ensure_ascii=False, sort_keys=True).encode()


def push_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 over ``<timestamp>.<body>``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def _backoff(attempts: int) -> float:
    base = settings.CREDIT_EXPORT_PUSH_BACKOFF_SECONDS
    return min(settings.CREDIT_EXPORT_PUSH_BACKOFF_MAX_SECONDS, base * 2 ** max(attempts - 1, 0))


def _claim(outbox_id: int, now: dt.datetime) -> bool:
    lease = dt.timedelta(seconds=settings.CREDIT_EXPORT_PUSH_TIMEOUT + 30)
    return bool(
        CreditOutbox.objects.filter(
            Q(leased_until__isnull=True) | Q(leased_until__lt=now),
            pk=outbox_id,
            sent_at__isnull=True,
            gave_up_at__isnull=True,
            next_attempt_at__lte=now,
        ).update(leased_until=now + lease, attempts=F("attempts") + 1)
    )


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """(status, error): status None when no answer came (network error, timeout)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - scheme checked
    try:
        with urllib.request.urlopen(  # noqa: S310 - the configured http(s) endpoint
            request, timeout=settings.CREDIT_EXPORT_PUSH_TIMEOUT
        ) as response:
            response.read(65536)
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]


def outbox_push(*, outbox_id: int) -> PushOutcome:
    """One attempt to deliver one outbox row (safe to call any number of times)."""
    url = settings.CREDIT_EXPORT_PUSH_URL
    if not url or urlsplit(url).scheme not in ("http", "https"):
        return PushOutcome("skipped")
    now = timezone.now()
    if not _claim(outbox_id, now):
        return PushOutcome("skipped")  # sent, given up, not due, or another worker has it
    outbox = CreditOutbox.objects.select_related("record__merchant").get(pk=outbox_id)
    if not outbox.record.published:
        # The endpoint is outside: it gets a case's entries only where the consumer agreed
        # to publication. Given up for that reason, the push is due again if the consumer
        # agrees later (credit.services.publication).
        CreditOutbox.objects.filter(pk=outbox_id).update(
            leased_until=None, gave_up_at=now, last_error=NOT_PUBLISHED
        )
        return PushOutcome("skipped")
    body = push_body(outbox.record)
    timestamp = str(int(now.timestamp()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Idempotency-Key": idempotency_key(outbox.record_id),
        "X-ODR-Timestamp": timestamp,
        "User-Agent": "odr12315-credit-export/1",
    }
    if settings.CREDIT_EXPORT_PUSH_SECRET:
        headers["X-ODR-Signature"] = push_signature(
            secret=settings.CREDIT_EXPORT_PUSH_SECRET, timestamp=timestamp, body=body
        )
    status, error = _post(url, body, headers)
    done = timezone.now()
    update: dict = {"leased_until": None, "last_status": status, "last_error": error}
    # 409: the receiver already has this record (a retry after a lost answer).
    if status is not None and (200 <= status < 300 or status == 409):
        update.update(sent_at=done, last_error="")
        CreditOutbox.objects.filter(pk=outbox_id).update(**update)
        return PushOutcome("sent")
    retryable = status is None or status in RETRY_STATUSES
    if not retryable or outbox.attempts >= settings.CREDIT_EXPORT_PUSH_MAX_ATTEMPTS:
        update["gave_up_at"] = done
        CreditOutbox.objects.filter(pk=outbox_id).update(**update)
        logger.warning("credit push of record %s failed for good: %s", outbox.record_id, error)
        return PushOutcome("failed")
    wait = _backoff(outbox.attempts)
    update["next_attempt_at"] = done + dt.timedelta(seconds=wait)
    CreditOutbox.objects.filter(pk=outbox_id).update(**update)
    return PushOutcome("retry", retry_in=wait)


def outbox_due(*, now: dt.datetime | None = None, limit: int = 1000) -> list[int]:
    """Rows due for a try that no worker holds: lost queue messages, retries, a broker that
    was down when the event committed."""
    now = now or timezone.now()
    return list(
        CreditOutbox.objects.filter(
            Q(leased_until__isnull=True) | Q(leased_until__lt=now),
            sent_at__isnull=True,
            gave_up_at__isnull=True,
            next_attempt_at__lte=now,
        )
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
