"""Base settings: every value comes from the environment, with embedded defaults.

With no configuration the app runs on SQLite, the in-memory channel layer and eager
Celery. With ``DATABASE_URL`` and ``REDIS_URL`` it runs on PostgreSQL and Redis.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.management.utils import get_random_secret_key
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
_env_file = Path(env("ODR_ENV_FILE", default=str(BASE_DIR / ".env")))
if _env_file.exists() and not env.bool("ODR_SKIP_DOTENV", default=False):
    env.read_env(str(_env_file), overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# Without a configured key a fresh random one is used for this process only; `make run`
# writes a generated key into .env so sessions survive restarts.
SECRET_KEY = env("SECRET_KEY", default="") or get_random_secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# A form sent after its page expired: a page in the user's language (odr/views.py).
CSRF_FAILURE_VIEW = "odr.views.csrf_failure"

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "channels",
    "odr.apps.OdrConfig",
    "accounts",
    "cases",
    "notifications",
    "documents",
    "mediation",
    "credit",
    "arbitration",
    "supervision",
    "reports",
    "groups",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "odr.middleware.ContentSecurityPolicyMiddleware",
    "odr.middleware.RejectNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "odr.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    # Innermost, where Django's ASGI handler runs it on the event loop around the view's
    # thread: the request's group sends leave from the loop after the view (odr/outbox.py).
    "odr.outbox.OutboxMiddleware",
]

ROOT_URLCONF = "odr.urls"
ASGI_APPLICATION = "odr.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
                "accounts.context_processors.display",
            ],
            # How pages write dates, moments, amounts and divisions (odr/formatting.py).
            "builtins": ["odr.templatetags.formatting"],
        },
    },
]

# An empty DATABASE_URL (as in a copied .env.example) means the embedded SQLite.
DATABASE_URL = env("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "DB_POOL", default=True
):
    # Under ASGI every request runs in a thread of its own, so a persistent connection is
    # never reused and a new one costs milliseconds: a pool (psycopg_pool) instead.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DB_POOL_MAX_SIZE", default=20),
        "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite serves the embedded mode: wait for the write lock instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:landing"
LOGOUT_REDIRECT_URL = "home"

# Staff password lockout (django-axes): five failures lock the username for an hour.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "var" / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env.bool("STATIC_MANIFEST", default=True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Serve straight from the source folders when no collectstatic has run (tests, tools).
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=False)
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media/"

# --- Redis: clients are configured explicitly. redis-py 8 defaults (max_connections=100,
# socket_timeout=5) break the channel layer under load and on idle pub/sub sockets.
REDIS_URL = env("REDIS_URL", default="")
REDIS_MAX_CONNECTIONS = env.int("REDIS_MAX_CONNECTIONS", default=500)
REDIS_SOCKET_CONNECT_TIMEOUT = env.float("REDIS_SOCKET_CONNECT_TIMEOUT", default=3.0)
# Read timeout for request/response commands; pub/sub reads poll with their own timeout.
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=10.0)
REDIS_HEALTH_CHECK_INTERVAL = env.int("REDIS_HEALTH_CHECK_INTERVAL", default=15)

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "max_connections": REDIS_MAX_CONNECTIONS,
                        "socket_connect_timeout": REDIS_SOCKET_CONNECT_TIMEOUT,
                        "socket_timeout": REDIS_SOCKET_TIMEOUT,
                        "socket_keepalive": True,
                        "health_check_interval": REDIS_HEALTH_CHECK_INTERVAL,
                        "retry_on_timeout": True,
                    }
                ],
                "prefix": env("CHANNEL_LAYER_PREFIX", default="odr"),
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "odr.cache.SharedRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="odr"),
            "OPTIONS": {
                "max_connections": REDIS_MAX_CONNECTIONS,
                "socket_connect_timeout": REDIS_SOCKET_CONNECT_TIMEOUT,
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
                "health_check_interval": REDIS_HEALTH_CHECK_INTERVAL,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery: eager in the embedded mode, Redis otherwise. Late acknowledgement and
# requeue on a lost worker: a task killed mid-run is run again, never dropped.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="") or REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
# Keep a worker's database connection across tasks (Celery's Django fixup closes it after
# each task otherwise: a new PostgreSQL connection per task halves the sending rate).
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_POOL_LIMIT = env.int("CELERY_BROKER_POOL_LIMIT", default=10)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_connections": REDIS_MAX_CONNECTIONS,
    "socket_connect_timeout": REDIS_SOCKET_CONNECT_TIMEOUT,
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
    "socket_keepalive": True,
    "health_check_interval": REDIS_HEALTH_CHECK_INTERVAL,
    "visibility_timeout": 3600,
}
CELERY_BEAT_SCHEDULE: dict = {
    # Escalate expired negotiations, flag overdue decisions, remind before deadlines.
    "sweep-deadlines": {
        "task": "cases.sweep_deadlines",
        "schedule": env.int("DEADLINE_SWEEP_SECONDS", default=300),
    },
    # Login codes are worthless after a day; keep the table small.
    "purge-login-codes": {"task": "accounts.purge_login_codes", "schedule": 3600},
    # Flag reports whose decision or notice is overdue (reports/services/clocks.py).
    "sweep-report-deadlines": {
        "task": "reports.sweep_deadlines",
        "schedule": env.int("DEADLINE_SWEEP_SECONDS", default=300),
    },
}

# --- SMS: a backend chosen like EMAIL_BACKEND. Short names: console, locmem, file.
SMS_BACKEND = env("SMS_BACKEND", default="console")
SMS_FILE_PATH = env("SMS_FILE_PATH", default=str(BASE_DIR / "var" / "sms"))
# One-time login codes: 6 digits, 5 minutes, 5 tries; request limits per number and IP.
OTP_TTL_SECONDS = env.int("OTP_TTL_SECONDS", default=300)
OTP_MAX_ATTEMPTS = env.int("OTP_MAX_ATTEMPTS", default=5)
OTP_RESEND_SECONDS = env.int("OTP_RESEND_SECONDS", default=60)
OTP_MAX_PER_PHONE_PER_HOUR = env.int("OTP_MAX_PER_PHONE_PER_HOUR", default=5)
OTP_MAX_PER_IP_PER_HOUR = env.int("OTP_MAX_PER_IP_PER_HOUR", default=30)
OTP_LOG_CODES = env.bool("OTP_LOG_CODES", default=True)

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="ODR 12315 <noreply@localhost>")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "odr.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ODR 12315 API",
    "DESCRIPTION": "Online dispute resolution and 12315 consumer complaints.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from our own static files (drf-spectacular-sidecar): no CDN, CSP-friendly.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 12)
# Database sessions whose keys are checked before any query (odr/sessions.py).
SESSION_ENGINE = "odr.sessions"
LANGUAGE_COOKIE_NAME = "django_language"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "daphne": {"level": "WARNING"}},
}

# The product name shown in the header, and the organisation that runs the service.
ODR_SERVICE_NAME = _("ODR 12315")
ODR_ALLOW_DEMO_SEED = True
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout"
# The region prefix of case references (LY-2026-000123): the service's own region.
ODR_REGION_PREFIX = env("ODR_REGION_PREFIX", default="LY")
# Benchmark-only endpoints (bench/views.py); never on in production.
ODR_BENCH_ENDPOINTS = env.bool("ODR_BENCH_ENDPOINTS", default=False)

# --- Notifications (notifications/) -----------------------------------------------------
# Edited by the notifications work only.
# Twilio (SMS_BACKEND=twilio): the account SID, then either its auth token or an API key
# (SID and secret). The auth token is also what checks the signature of Twilio's status
# callbacks, so set it even when sending with an API key. Sender: a Messaging Service SID,
# or else a sender number.
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN", default="")
TWILIO_API_KEY_SID = env("TWILIO_API_KEY_SID", default="")
TWILIO_API_KEY_SECRET = env("TWILIO_API_KEY_SECRET", default="")
TWILIO_MESSAGING_SERVICE_SID = env("TWILIO_MESSAGING_SERVICE_SID", default="")
TWILIO_FROM_NUMBER = env("TWILIO_FROM_NUMBER", default="")
# Where the Twilio REST API is; empty means Twilio's own. Tests and benchmarks point it at a
# local fake (http://127.0.0.1:PORT).
TWILIO_API_BASE_URL = env("TWILIO_API_BASE_URL", default="")
TWILIO_HTTP_TIMEOUT = env.float("TWILIO_HTTP_TIMEOUT", default=10.0)
# This service's public address (https://odr.example.cn): links in emails, and the status
# callback URL given to Twilio. Empty: no links, no status callbacks.
NOTIFY_PUBLIC_BASE_URL = env("NOTIFY_PUBLIC_BASE_URL", default="")
# No SMS notices in these hours (login codes excepted); they wait for the end of the window.
NOTIFY_QUIET_HOURS_START = env("NOTIFY_QUIET_HOURS_START", default="22:00")
NOTIFY_QUIET_HOURS_END = env("NOTIFY_QUIET_HOURS_END", default="08:00")
NOTIFY_QUIET_HOURS_TIME_ZONE = env("NOTIFY_QUIET_HOURS_TIME_ZONE", default="Asia/Shanghai")
# Sending: tries per SMS or email, and the backoff between tries (doubling, capped).
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=6)
NOTIFY_RETRY_BACKOFF_SECONDS = env.float("NOTIFY_RETRY_BACKOFF_SECONDS", default=30.0)
NOTIFY_RETRY_BACKOFF_MAX_SECONDS = env.float("NOTIFY_RETRY_BACKOFF_MAX_SECONDS", default=3600.0)
# How long after an attempt whose outcome is unknown (worker lost, timeout) the next one
# may ask the provider whether it went out: longer than any request can still be in flight.
NOTIFY_SEND_SETTLE_SECONDS = env.float(
    "NOTIFY_SEND_SETTLE_SECONDS", default=max(30.0, 2 * TWILIO_HTTP_TIMEOUT + 10)
)
# The sweep queues again what is due but was not done this long after it was queued (a
# lost queue message, a broker that was down at commit time).
NOTIFY_REQUEUE_AFTER_SECONDS = env.int("NOTIFY_REQUEUE_AFTER_SECONDS", default=600)
NOTIFY_SWEEP_SECONDS = env.int("NOTIFY_SWEEP_SECONDS", default=60)
# How often the unread badge asks for the count by htmx polling, when its WebSocket
# (/ws/inbox/) is down.
NOTIFY_BADGE_POLL_SECONDS = env.int("NOTIFY_BADGE_POLL_SECONDS", default=10)
CELERY_BEAT_SCHEDULE["notifications-requeue-due"] = {
    "task": "notifications.requeue_due",
    "schedule": NOTIFY_SWEEP_SECONDS,
}

# --- Documents (documents/) -------------------------------------------------------------
# Edited by the documents work only.

# The organisation's signing key and certificate: a PKCS#12 file and its passphrase, or
# PEM files (key, certificate, chain). Without either no document is issued: the event
# handlers log a warning, and the sweep issues them once a key is set. For development
# and tests, `python manage.py odr_dev_pki` makes a throwaway root CA and signing key.
DOCUMENTS_SIGNING_PKCS12 = env("DOCUMENTS_SIGNING_PKCS12", default="")
DOCUMENTS_SIGNING_PASSPHRASE = env("DOCUMENTS_SIGNING_PASSPHRASE", default="")
DOCUMENTS_SIGNING_KEY = env("DOCUMENTS_SIGNING_KEY", default="")
DOCUMENTS_SIGNING_KEY_PASSPHRASE = env("DOCUMENTS_SIGNING_KEY_PASSPHRASE", default="")
DOCUMENTS_SIGNING_CERT = env("DOCUMENTS_SIGNING_CERT", default="")
DOCUMENTS_SIGNING_CHAIN = env.list("DOCUMENTS_SIGNING_CHAIN", default=[])
# The keys of the offices, mediation organisations and mediators, who sign their own
# documents (the platform's key above signs only the platform's own): one PKCS#12 file per
# signer in this folder, office-<division code>.p12, organisation-<id>.p12,
# person-<username>.p12, each with its passphrase in <name>.passphrase beside it or
# DOCUMENTS_SEALS_PASSPHRASE. A missing one leaves its documents waiting, not failed.
DOCUMENTS_SEALS_DIR = env("DOCUMENTS_SEALS_DIR", default="")
DOCUMENTS_SEALS_PASSPHRASE = env("DOCUMENTS_SEALS_PASSPHRASE", default="")
# Development and tests only (odr_dev_pki sets them; production refuses them): the root CA
# that issues a missing signer's key into DOCUMENTS_SEALS_DIR on demand.
DOCUMENTS_DEV_CA_CERT = env("DOCUMENTS_DEV_CA_CERT", default="")
DOCUMENTS_DEV_CA_KEY = env("DOCUMENTS_DEV_CA_KEY", default="")
# PEM files of the roots that /verify/ trusts; a signature chaining to none is "untrusted".
DOCUMENTS_TRUST_ROOTS = env.list("DOCUMENTS_TRUST_ROOTS", default=[])
# An RFC 3161 time-stamp authority: when set, signatures are PAdES B-T instead of B-B.
DOCUMENTS_TSA_URL = env("DOCUMENTS_TSA_URL", default="")
# Revocation checks (OCSP, CRL) on verification fetch from the network only when enabled.
DOCUMENTS_VERIFY_ALLOW_FETCHING = env.bool("DOCUMENTS_VERIFY_ALLOW_FETCHING", default=False)
# The issuing organisation, as printed on documents and drawn in the seal.
DOCUMENTS_ISSUER_NAME = env("DOCUMENTS_ISSUER_NAME", default="ODR 12315 在线消费纠纷解决平台")
DOCUMENTS_ISSUER_NAME_EN = env(
    "DOCUMENTS_ISSUER_NAME_EN", default="ODR 12315 Online Consumer Dispute Resolution"
)
# The public address of the service: the QR code on each document links to
# <DOCUMENTS_PUBLIC_BASE_URL>/verify/<number>/.
DOCUMENTS_PUBLIC_BASE_URL = env("DOCUMENTS_PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
# Rendering and signing in Celery: time limits per run (seconds), runs before giving up.
DOCUMENTS_RENDER_SOFT_TIME_LIMIT = env.int("DOCUMENTS_RENDER_SOFT_TIME_LIMIT", default=60)
DOCUMENTS_RENDER_TIME_LIMIT = env.int("DOCUMENTS_RENDER_TIME_LIMIT", default=90)
DOCUMENTS_MAX_ATTEMPTS = env.int("DOCUMENTS_MAX_ATTEMPTS", default=5)
# The beat sweep re-queues documents stuck in preparation and catches up on events whose
# documents were never prepared (for example while no signing key was configured).
DOCUMENTS_SWEEP_SECONDS = env.int("DOCUMENTS_SWEEP_SECONDS", default=300)
DOCUMENTS_CATCH_UP_DAYS = env.int("DOCUMENTS_CATCH_UP_DAYS", default=7)
CELERY_BEAT_SCHEDULE["documents-sweep"] = {
    "task": "documents.sweep",
    "schedule": DOCUMENTS_SWEEP_SECONDS,
}
# Where PDFs are stored: the default storage unless a backend is named here (for example
# storages.backends.s3.S3Storage with its options as JSON).
DOCUMENTS_STORAGE_BACKEND = env("DOCUMENTS_STORAGE_BACKEND", default="")
if DOCUMENTS_STORAGE_BACKEND:
    STORAGES["documents"] = {
        "BACKEND": DOCUMENTS_STORAGE_BACKEND,
        "OPTIONS": env.json("DOCUMENTS_STORAGE_OPTIONS", default={}),
    }
# Public verification: the largest PDF accepted, and uploads per minute per address.
DOCUMENTS_VERIFY_MAX_BYTES = env.int("DOCUMENTS_VERIFY_MAX_BYTES", default=10 * 1024 * 1024)
DOCUMENTS_VERIFY_PER_MINUTE = env.int("DOCUMENTS_VERIFY_PER_MINUTE", default=20)
# The parties' SMS confirmation of agreements: code lifetime, tries, wait before resending.
DOCUMENTS_CONFIRM_CODE_TTL_SECONDS = env.int("DOCUMENTS_CONFIRM_CODE_TTL_SECONDS", default=600)
DOCUMENTS_CONFIRM_MAX_ATTEMPTS = env.int("DOCUMENTS_CONFIRM_MAX_ATTEMPTS", default=5)
DOCUMENTS_CONFIRM_RESEND_SECONDS = env.int("DOCUMENTS_CONFIRM_RESEND_SECONDS", default=60)
# WeasyPrint logs each rendering step, and fontTools each subset, at INFO.
LOGGING["loggers"].update({"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}})

# --- Mediation (mediation/) -------------------------------------------------------------
# Edited by the mediation work only.
# Presence lives while a socket's heartbeats come; a row expires after three beats missed.
MEDIATION_HEARTBEAT_SECONDS = env.int("MEDIATION_HEARTBEAT_SECONDS", default=20)
# More than MEDIATION_RATE_MESSAGES messages in MEDIATION_RATE_SECONDS from one user is
# refused politely (429 / too_fast, with retry_after).
MEDIATION_RATE_MESSAGES = env.int("MEDIATION_RATE_MESSAGES", default=10)
MEDIATION_RATE_SECONDS = env.float("MEDIATION_RATE_SECONDS", default=10.0)
# Threads per server process for the sockets' database work (case, console and inbox
# sockets; Channels' default is the one thread that also serves the synchronous views).
# Keep it at most DB_POOL_MAX_SIZE, or sockets wait for a pooled connection.
MEDIATION_DB_THREADS = env.int("MEDIATION_DB_THREADS", default=16)
# A socket that only listens has its access checked again before a broadcast is passed
# on, when its last check is older than this (seconds; 0: before every broadcast).
MEDIATION_ACCESS_RECHECK_SECONDS = env.float("MEDIATION_ACCESS_RECHECK_SECONDS", default=2.0)
# The OpenAPI names of the room choices (the mediation rooms, and every room).
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {"MediationRoomEnum": "cases.rooms.MEDIATION_ROOMS", "RoomEnum": "cases.rooms.ROOMS"}
)

# --- Arbitration (arbitration/) -------------------------------------------------------
# Edited by the arbitration work only.
# Requests per token (or staff user) on /api/v1/arbitration/…: "<n>/<sec|min|hour|day>".
ARBITRATION_API_RATE = env("ARBITRATION_API_RATE", default="120/min")
# Webhook notices: the first retry after this many seconds, doubling per attempt, for at
# most ARBITRATION_WEBHOOK_RETRY_HOURS after the notice was made.
ARBITRATION_WEBHOOK_BACKOFF_SECONDS = env.int("ARBITRATION_WEBHOOK_BACKOFF_SECONDS", default=60)
ARBITRATION_WEBHOOK_RETRY_HOURS = env.int("ARBITRATION_WEBHOOK_RETRY_HOURS", default=24)
ARBITRATION_WEBHOOK_TIMEOUT_SECONDS = env.float("ARBITRATION_WEBHOOK_TIMEOUT_SECONDS", default=10)
# The address the notices' links point at (the API's public origin).
ARBITRATION_PUBLIC_BASE_URL = env("ARBITRATION_PUBLIC_BASE_URL", default="http://localhost:8000")
ARBITRATION_AWARD_MAX_BYTES = env.int("ARBITRATION_AWARD_MAX_BYTES", default=20 * 1024 * 1024)
# How often a referral file waiting for a signed document is tried again before giving up.
ARBITRATION_BUILD_MAX_ATTEMPTS = env.int("ARBITRATION_BUILD_MAX_ATTEMPTS", default=20)
ARBITRATION_SWEEP_SECONDS = env.int("ARBITRATION_SWEEP_SECONDS", default=60)
CELERY_BEAT_SCHEDULE["arbitration-requeue-due"] = {
    "task": "arbitration.requeue_due",
    "schedule": ARBITRATION_SWEEP_SECONDS,
}

# --- Credit (credit/) -------------------------------------------------------------------
# Edited by the credit work only.
# Push new credit records to an external credit system (empty: no push; the pull feed
# /api/v1/credit/records/ is always there). The body is signed with HMAC-SHA256 when a
# secret is set (X-ODR-Signature: sha256=<hex> over "<X-ODR-Timestamp>.<body>").
CREDIT_EXPORT_PUSH_URL = env("CREDIT_EXPORT_PUSH_URL", default="")
CREDIT_EXPORT_PUSH_SECRET = env("CREDIT_EXPORT_PUSH_SECRET", default="")
CREDIT_EXPORT_PUSH_TIMEOUT = env.float("CREDIT_EXPORT_PUSH_TIMEOUT", default=10.0)
# Tries per record, and the backoff between tries (doubling, capped).
CREDIT_EXPORT_PUSH_MAX_ATTEMPTS = env.int("CREDIT_EXPORT_PUSH_MAX_ATTEMPTS", default=10)
CREDIT_EXPORT_PUSH_BACKOFF_SECONDS = env.float("CREDIT_EXPORT_PUSH_BACKOFF_SECONDS", default=30.0)
CREDIT_EXPORT_PUSH_BACKOFF_MAX_SECONDS = env.float(
    "CREDIT_EXPORT_PUSH_BACKOFF_MAX_SECONDS", default=6 * 3600.0
)
CREDIT_EXPORT_SWEEP_SECONDS = env.int("CREDIT_EXPORT_SWEEP_SECONDS", default=300)
# Credit repair: days without a new negative record before a merchant may apply.
CREDIT_REPAIR_WAITING_DAYS = env.int("CREDIT_REPAIR_WAITING_DAYS", default=90)
# The negative list: how many unrepaired breaches in 12 months make a merchant eligible
# (besides grade D), and how far ahead a regulator may set the review date.
CREDIT_NEGATIVE_LIST_BREACHES = env.int("CREDIT_NEGATIVE_LIST_BREACHES", default=2)
CREDIT_NEGATIVE_LIST_MAX_REVIEW_DAYS = env.int("CREDIT_NEGATIVE_LIST_MAX_REVIEW_DAYS", default=365)
# Every merchant's index is recomputed this often (decay moves every score daily).
CREDIT_INDEX_RECOMPUTE_SECONDS = env.int("CREDIT_INDEX_RECOMPUTE_SECONDS", default=24 * 3600)
CELERY_BEAT_SCHEDULE["credit-requeue-outbox"] = {
    "task": "credit.requeue_outbox",
    "schedule": CREDIT_EXPORT_SWEEP_SECONDS,
}
CELERY_BEAT_SCHEDULE["credit-recompute-all"] = {
    "task": "credit.recompute_all",
    "schedule": CREDIT_INDEX_RECOMPUTE_SECONDS,
}

# --- Supervision (supervision/) ---------------------------------------------------------
# Edited by the supervision work only.
# Risk detection runs this often; it is idempotent (one alert per spike), so any period is
# safe. Monthly reports are built on the first of the month at this hour (Beijing time).
SUPERVISION_DETECT_SECONDS = env.int("SUPERVISION_DETECT_SECONDS", default=3600)
SUPERVISION_REPORT_HOUR = env.int("SUPERVISION_REPORT_HOUR", default=3)
CELERY_BEAT_SCHEDULE["supervision-detect-alerts"] = {
    "task": "supervision.detect_alerts",
    "schedule": SUPERVISION_DETECT_SECONDS,
}
CELERY_BEAT_SCHEDULE["supervision-monthly-reports"] = {
    "task": "supervision.monthly_reports",
    "schedule": crontab(minute=0, hour=SUPERVISION_REPORT_HOUR, day_of_month=1),
}
