"""Twilio as the SMS backend (``SMS_BACKEND = "twilio"``), through the real twilio client.

One client per process: built on first use from the settings, kept for the life of the
process (its HTTP session keeps connections to Twilio open), rebuilt if the settings
change (tests) and forgotten in a forked child, so that a Celery pool process never shares
a socket with its parent. Credentials are the account SID with either the auth token or
an API key (SID and secret); the sender is a Messaging Service or a number.

Besides sending, the backend can look up whether a message already went out
(``find_sent``): the delivery service asks before it sends again after an attempt whose
outcome it could not see (services/delivery.py says why that is what makes a message go
out once). Every create also carries ``I-Twilio-Idempotency-Token`` with a token derived
from the notification: Twilio names that header for deduplicating retried requests, and
if it honours it on message creation it is a second guard; nothing here depends on it.
"""

import datetime as dt
import logging
import os
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from notifications.backends import ProviderError, Receipt

logger = logging.getLogger(__name__)

IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
# How far back a look-up reads the recipient's messages, and the clock skew it allows.
LOOKUP_LIMIT = 50
LOOKUP_SKEW = dt.timedelta(minutes=5)

_extra_headers: ContextVar[dict[str, str] | None] = ContextVar("twilio_extra_headers", default=None)


class RoutedHttpClient(TwilioHttpClient):
    """The twilio library's own HTTP client, which can also be pointed at another base URL
    (a local fake Twilio in tests and benchmarks) and add headers to one call."""

    def __init__(self, *, base_url: str = "", timeout: float | None = None) -> None:
        super().__init__(
            pool_connections=True,
            timeout=timeout,
            logger=logging.getLogger("notifications.twilio.http"),
        )
        self.base_url = base_url.rstrip("/")
        if self.base_url and self.session is not None:
            # A local fake: straight there, whatever the proxy variables say.
            self.session.trust_env = False

    def request(
        self,
        method,
        url,
        params=None,
        data=None,
        headers=None,
        auth=None,
        timeout=None,
        allow_redirects=False,
    ):
        if self.base_url:
            url = _rebase(url, self.base_url)
        extra = _extra_headers.get()
        if extra:
            headers = {**(headers or {}), **extra}
        return super().request(
            method,
            url,
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )

    # The library logs every request and its query string at INFO; query strings hold
    # phone numbers. One line at DEBUG, without them.
    def log_request(self, kwargs) -> None:
        self.logger.debug("Twilio %s %s", kwargs["method"], kwargs["url"].split("?", 1)[0])

    def log_response(self, status_code, response) -> None:
        self.logger.debug("Twilio answered %s", status_code)


def _rebase(url: str, base_url: str) -> str:
    parts = urlsplit(url)
    if not parts.netloc.endswith("twilio.com"):
        return url
    base = urlsplit(base_url)
    return urlunsplit((base.scheme, base.netloc, base.path + parts.path, parts.query, ""))


@contextmanager
def _headers(headers: dict[str, str] | None) -> Iterator[None]:
    token = _extra_headers.set(headers)
    try:
        yield
    finally:
        _extra_headers.reset(token)


# --- One client per process --------------------------------------------------------------

_lock = threading.Lock()
_client: Client | None = None
_client_config: tuple | None = None


def _config() -> tuple:
    return (
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        settings.TWILIO_API_KEY_SID,
        settings.TWILIO_API_KEY_SECRET,
        settings.TWILIO_API_BASE_URL,
        settings.TWILIO_HTTP_TIMEOUT,
    )


def _build(config: tuple) -> Client:
    account_sid, auth_token, key_sid, key_secret, base_url, timeout = config
    if not account_sid:
        raise ImproperlyConfigured("SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID.")
    http_client = RoutedHttpClient(base_url=base_url, timeout=timeout)
    if key_sid and key_secret:
        return Client(key_sid, key_secret, account_sid, http_client=http_client)
    if auth_token:
        return Client(account_sid, auth_token, http_client=http_client)
    raise ImproperlyConfigured(
        "SMS_BACKEND=twilio needs TWILIO_AUTH_TOKEN, or TWILIO_API_KEY_SID and "
        "TWILIO_API_KEY_SECRET."
    )


def twilio_client() -> Client:
    """This process's client (built on first use, rebuilt if the settings changed)."""
    global _client, _client_config
    config = _config()
    with _lock:
        if _client is None or _client_config != config:
            _client = _build(config)
            _client_config = config
        return _client


def _forget_client_in_child() -> None:
    global _client, _client_config, _lock
    _client = None
    _client_config = None
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_client_in_child)


def status_callback_url(notification_id: int | None = None) -> str:
    """Where Twilio reports the message's status; the notification's id rides along, so
    a status can be matched to its notification even when the send's answer was lost."""
    base = settings.NOTIFY_PUBLIC_BASE_URL.rstrip("/")
    if not base:
        return ""
    url = base + reverse("notifications:twilio_status")
    return f"{url}?n={notification_id}" if notification_id else url


def _error(exc: TwilioRestException) -> ProviderError:
    status = int(exc.status or 0)
    retryable = status >= 500 or status == 429
    return ProviderError(
        f"Twilio answered {status} (code {exc.code}): {exc.msg}", retryable=retryable, status=status
    )


def _same_text(a: str | None, b: str) -> bool:
    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", text).split())

    return a is not None and norm(a) == norm(b)


class SmsBackend:
    """The ``odr.sms`` backend interface (``send``), plus ``find_sent`` for the sender."""

    def send(self, message) -> None:
        client = twilio_client()
        params: dict = {"to": message.to, "body": message.body, "smart_encoded": False}
        if settings.TWILIO_MESSAGING_SERVICE_SID:
            params["messaging_service_sid"] = settings.TWILIO_MESSAGING_SERVICE_SID
        elif settings.TWILIO_FROM_NUMBER:
            params["from_"] = settings.TWILIO_FROM_NUMBER
        else:
            raise ImproperlyConfigured(
                "SMS_BACKEND=twilio needs TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM_NUMBER."
            )
        callback = status_callback_url(message.meta.get("notification_id"))
        if callback:
            params["status_callback"] = callback
        token = message.meta.get("idempotency_token")
        with _headers({IDEMPOTENCY_HEADER: token} if token else None):
            try:
                created = client.messages.create(**params)
            except TwilioRestException as exc:
                raise _error(exc) from exc
            except requests.RequestException as exc:
                raise ProviderError(
                    f"network error talking to Twilio: {type(exc).__name__}", retryable=True
                ) from exc
        message.provider_id = created.sid
        message.meta["provider"] = "twilio"
        message.meta["provider_status"] = created.status or "queued"

    def find_sent(self, *, to: str, body: str, since: dt.datetime) -> Receipt | None:
        """The message with this text to this number created since ``since``, if any."""
        client = twilio_client()
        earliest = since - LOOKUP_SKEW
        try:
            for found in client.messages.stream(to=to, limit=LOOKUP_LIMIT):
                created = found.date_created
                if created is not None and created < earliest:
                    continue
                if _same_text(found.body, body):
                    return Receipt(found.sid, found.status or "queued", "twilio")
        except TwilioRestException as exc:
            raise _error(exc) from exc
        except requests.RequestException as exc:
            raise ProviderError(
                f"network error talking to Twilio: {type(exc).__name__}", retryable=True
            ) from exc
        return None
