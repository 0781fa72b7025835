"""Fixtures every test folder shares."""

import os
import socket
from urllib.parse import urlparse

import pytest

from odr import sms


def _fast_postgresql_flush() -> None:
    """Empty the tables after a transactional test with DELETE instead of TRUNCATE.

    pytest-django empties every table after each ``transaction=True`` test (Django's
    ``flush``). On PostgreSQL that is one TRUNCATE of some 130 tables, which gives each
    table and index a new file: about half a second per test, a seventh of the suite. The
    tables hold a few rows by then, and deleting them takes milliseconds. Triggers (the
    credit records refuse DELETE, as production must) and foreign-key checks are switched
    off for that one transaction (``session_replication_role``, which needs a superuser,
    as the CI database user is); anyone else gets Django's TRUNCATE."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or not tables or not _superuser(self.connection):
            return truncate(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        quote = self.quote_name
        return ["SET LOCAL session_replication_role = replica"] + [
            f"DELETE FROM {quote(table)}"  # noqa: S608 (names from introspection, quoted)
            for table in tables
        ]

    DatabaseOperations.sql_flush = sql_flush


def _superuser(connection) -> bool:
    known = getattr(connection, "_odr_superuser", None)
    if known is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('is_superuser') = 'on'")
            known = connection._odr_superuser = bool(cursor.fetchone()[0])
    return known


_fast_postgresql_flush()


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
