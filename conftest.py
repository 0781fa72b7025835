"""Fixtures every test folder shares."""

import os
import socket
from urllib.parse import urlparse

import pytest

from odr import sms


@pytest.fixture(autouse=True)
def _clean_sms_outbox():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def sms_outbox():
    return sms.outbox


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), 1):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_url() -> str:
    """The shared Redis; under CI=true its absence is a failure, elsewhere a skip."""
    url = os.environ.get("REDIS_URL", "")
    if url and _reachable(url):
        return url
    if os.environ.get("CI") == "true":
        pytest.fail(f"Redis is required under CI but REDIS_URL={url!r} is unreachable")
    pytest.skip("REDIS_URL is not set or unreachable")


@pytest.fixture
def on_postgres(settings) -> None:
    """Tests of PostgreSQL behaviour (row locks, concurrency); under CI=true they never skip."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL is required under CI but DATABASE_URL is not PostgreSQL")
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture(autouse=True)
def _close_the_sync_threads_connection():
    """After each test, close the connection of asgiref's thread-sensitive thread.

    Async tests run their ORM calls there; a call that does not close afterwards (plain
    ``sync_to_async``, as Django's async ORM methods use) leaves an idle connection open,
    and PostgreSQL then refuses to drop the test database ("being accessed by other
    users"): a teardown error whenever such a test happens to run last.
    """
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=30)
