"""Sending SMS through a configurable backend, modelled on Django's EMAIL_BACKEND.

``SMS_BACKEND`` names a backend class by dotted path or by a short name: ``console``
(prints), ``locmem`` (keeps messages in ``odr.sms.outbox`` for tests), ``file`` (one file
per message in ``SMS_FILE_PATH``, for local tools and browser tests).
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string

SHORT_NAMES = {
    "console": "odr.sms.backends.console.SmsBackend",
    "locmem": "odr.sms.backends.locmem.SmsBackend",
    "file": "odr.sms.backends.filebased.SmsBackend",
    # A path, not an import: odr imports no app.
    "twilio": "notifications.backends.twilio.SmsBackend",
}

outbox: list["SmsMessage"] = []


@dataclass
class SmsMessage:
    to: str
    body: str
    # A message carrying a secret (a login code) is never written to logs in production.
    sensitive: bool = False
    provider_id: str = ""
    meta: dict = field(default_factory=dict)


def get_backend():
    path = settings.SMS_BACKEND
    return import_string(SHORT_NAMES.get(path, path))()


def send_sms(*, to: str, body: str, sensitive: bool = False) -> SmsMessage:
    message = SmsMessage(to=to, body=body, sensitive=sensitive)
    get_backend().send(message)
    return message
