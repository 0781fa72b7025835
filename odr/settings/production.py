"""Production settings: refuse to start without the secrets and services.

``python manage.py check --deploy --settings=odr.settings.production`` reports no issues
when SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and REDIS_URL are set.
"""

import os

from django.core.exceptions import ImproperlyConfigured

_REQUIRED = ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL")
_missing = [name for name in _REQUIRED if not os.environ.get(name)]
if _missing:
    raise ImproperlyConfigured(
        "Production settings need these environment variables: " + ", ".join(_missing)
    )

from odr.settings.base import *  # noqa: E402,F403
from odr.settings.base import env  # noqa: E402

DEBUG = False
if "*" in ALLOWED_HOSTS:  # noqa: F405
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the hosts; '*' is refused.")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
ODR_ALLOW_DEMO_SEED = False
if DOCUMENTS_DEV_CA_KEY:  # noqa: F405
    raise ImproperlyConfigured(
        "DOCUMENTS_DEV_CA_KEY is for development: production signers' keys are configured "
        "in DOCUMENTS_SEALS_DIR, never issued on demand."
    )
ODR_BENCH_ENDPOINTS = False
OTP_LOG_CODES = False

if SMS_BACKEND == "twilio":  # noqa: F405
    _twilio_missing = [
        name
        for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "NOTIFY_PUBLIC_BASE_URL")
        if not globals().get(name)
    ]
    if not (TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM_NUMBER):  # noqa: F405
        _twilio_missing.append("TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM_NUMBER")
    if _twilio_missing:
        raise ImproperlyConfigured(
            "SMS_BACKEND=twilio needs these environment variables: " + ", ".join(_twilio_missing)
        )
