"""Settings for the Celery workers that the delivery tests and bench/notify.py start.

The base settings, with the broker's visibility timeout (how long a message taken by a
worker that then vanished stays hidden before it is handed out again) and its restore
sweep from the environment: an hour in production, seconds in a test that kills a
worker and waits for the next one to take the message up.
"""

from odr.settings.base import *  # noqa: F403
from odr.settings.base import CELERY_BROKER_TRANSPORT_OPTIONS, env

CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,
    "visibility_timeout": env.int("WORKER_VISIBILITY_TIMEOUT", default=3600),
    "unacked_restore_interval": env.int("WORKER_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("WORKER_RESTORE_THROTTLE", default=10),
}
# Celery's Django fixup closes the database connection before and after every task unless
# this is set (a new PostgreSQL connection per task): the benchmark can show the cost.
CELERY_DB_REUSE_MAX = env.int("WORKER_DB_REUSE_MAX", default=0) or None
