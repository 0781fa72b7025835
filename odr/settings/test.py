"""Test settings: fast hashing, the locmem SMS backend, eager Celery unless a test asks."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-key-not-a-secret-" + "x" * 40)
# Not the developer's .env: `make run` writes one (a secret key, the development signing
# key), and tests that expect no signing key, or their own, must not find it there.
os.environ.setdefault("ODR_SKIP_DOTENV", "1")

from odr.settings.base import *  # noqa: F403
from odr.settings.base import BASE_DIR, CACHES, CHANNEL_LAYERS, DATABASES, env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SMS_BACKEND = "locmem"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
MEDIA_ROOT = BASE_DIR / "var" / "test-media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
OTP_LOG_CODES = False
LANGUAGE_CODE = "zh-hans"
# One test database per test run (by process id), so that runs side by side on one
# machine never share or drop each other's database.
_RUN = os.getpid()
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, so that a daphne server started by a browser test sees the same data.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-db-{_RUN}.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{_RUN}"}
    # Tests open and close connections per thread on purpose; no pool between them.
    DATABASES["default"].get("OPTIONS", {}).pop("pool", None)
# On a shared Redis, each test process (and each pytest-xdist worker) has channel groups and
# cache keys of its own: the workers' databases reuse ids, so case 1 of one worker must not
# hear case 1 of another, nor share its rate-limit counts.
if "CONFIG" in CHANNEL_LAYERS["default"]:
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"odr-test-{_RUN}"
if "KEY_PREFIX" in CACHES["default"]:
    CACHES["default"]["KEY_PREFIX"] = f"odr-test-{_RUN}"
(BASE_DIR / "var" / "static").mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
CI = env.bool("CI", default=False)
