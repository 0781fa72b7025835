"""Prints each SMS to standard output (development)."""

import sys

from django.conf import settings


class SmsBackend:
    def send(self, message) -> None:
        body = message.body
        if message.sensitive and not settings.OTP_LOG_CODES:
            body = "[redacted: contains a login code]"
        sys.stdout.write(f"SMS to {message.to}: {body}\n")
        sys.stdout.flush()
        message.provider_id = "console"
