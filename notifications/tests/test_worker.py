"""A real Celery worker on a private Redis, killed with SIGKILL while it sends: the next
worker finishes the job and the fake Twilio sees exactly one message.

Why exactly one, and not zero or two (services/delivery.py has the whole argument):
- not zero: the task is acknowledged late, so the message of a killed worker goes back to
  the queue (at once when only the pool process dies and the worker rejects it; after the
  broker's visibility timeout when the whole worker dies) and another run takes it up;
- not two: the killed run had committed its claim (``sending``) before calling Twilio, so
  the next run knows an attempt's outcome was lost, waits out the settle time and asks
  Twilio for the recipient's messages before sending; the fake, like Twilio, created the
  message as soon as it had the request, so the look-up finds it and nothing is sent.

The fake holds the first create request (after recording it) until the test has killed
the worker: the kill lands mid-send, every time. The test runs against the test database
(rows committed: transactional test) on SQLite or PostgreSQL; the worker gets its URL.
"""

import datetime as dt
import os
import shutil
from types import SimpleNamespace

import pytest
from celery import Celery
from django.db import connection

from accounts.tests import factories as af
from cases.services.intake import case_submit
from notifications import tasks
from notifications.models import Notification
from notifications.tests.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    SERVICE_SID,
    complaint,
)
from notifications.tests.fake_twilio import FakeTwilio
from notifications.tests.harness import (
    CeleryWorker,
    HarnessError,
    RedisServer,
    database_url,
    wait_for,
    worker_env,
)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

VISIBILITY_TIMEOUT = 3  # seconds before a dead worker's message is handed out again
SETTLE = 2  # seconds an unknown outcome is left before the next run asks Twilio


@pytest.fixture
def redis_server():
    if not shutil.which("redis-server"):
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is required under CI")
        pytest.skip("redis-server is not installed")
    with RedisServer() as server:
        yield server


@pytest.fixture
def slow_twilio():
    """The fake Twilio, holding the first create (up to 60 s) once it has recorded it."""
    with FakeTwilio(
        account_sid=ACCOUNT_SID, credentials={ACCOUNT_SID: AUTH_TOKEN}, hold_timeout=60
    ) as fake:
        fake.hold_first = True
        yield fake


@pytest.fixture
def workers(redis_server, slow_twilio, tmp_path):
    """Starts workers against the test database, the private Redis and the fake; stops
    every one of them at the end, by its own process group."""
    started: list[CeleryWorker] = []
    env = worker_env(
        database_url=database_url(connection.settings_dict),
        broker_url=redis_server.url,
        twilio_base_url=slow_twilio.url,
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        messaging_service_sid=SERVICE_SID,
        # The killed worker's request cannot still be in flight: its process is gone.
        NOTIFY_SEND_SETTLE_SECONDS=str(SETTLE),
        TWILIO_HTTP_TIMEOUT="30",
        WORKER_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        WORKER_RESTORE_INTERVAL="1",
        WORKER_RESTORE_THROTTLE="1",
    )

    def start(name: str) -> CeleryWorker:
        worker = CeleryWorker(env=env, name=name, log_dir=str(tmp_path)).start()
        started.append(worker)
        worker.wait_ready(timeout=60)
        return worker

    yield start
    for worker in started:
        worker.stop()
        print(f"--- {worker.name} log (tail) ---\n{worker.log()[-3000:]}")


@pytest.fixture
def through_redis(redis_server, monkeypatch):
    """The after-commit hand-off publishes to the private Redis, as in production."""
    # Not the current app: it would stay current in this thread after the test, and every
    # later .delay() in the run would go to this Redis, stopped by then, instead of eager.
    app = Celery("notifications-test", broker=redis_server.url, set_as_current=False)
    app.conf.broker_connection_retry_on_startup = True

    def delay(notification_id):
        app.send_task("notifications.send", args=[notification_id])

    monkeypatch.setattr(tasks.send_notification, "delay", delay)
    yield app
    app.close()


def _file_a_complaint() -> Notification:
    """A complaint whose only SMS is the consumer's 'received' notice."""
    merchant = af.MerchantFactory(odr_joined_on=dt.date(2020, 1, 1))  # no staff
    consumer = af.consumer(display_name="张三")  # no email address
    people = SimpleNamespace(consumer=consumer, merchant=merchant)
    case = case_submit(consumer=consumer, data=complaint(people))  # commits, then queues
    return Notification.objects.get(case=case, channel="sms")


def _status(pk: int) -> Notification:
    return Notification.objects.get(pk=pk)


def _queue_is_drained(redis_server) -> bool:
    with redis_server.client() as client:
        return client.llen("celery") == 0 and client.hlen("unacked") == 0


def test_a_worker_killed_mid_send_then_a_new_worker_sends_exactly_one(
    workers, through_redis, slow_twilio, redis_server
):
    first = workers("first")
    sms = _file_a_complaint()

    # The first worker has sent the request; the fake recorded it and holds the answer.
    assert slow_twilio.first_create_received.wait(30), first.log()[-3000:]
    first.kill()
    slow_twilio.release.set()
    killed = _status(sms.pk)
    assert killed.status == Notification.Status.SENDING and killed.provider_id == ""
    assert len(slow_twilio.messages) == 1  # Twilio has it; we never heard

    second = workers("second")
    done = wait_for(
        lambda: (n := _status(sms.pk)).status == Notification.Status.SENT and n,
        timeout=60,
        interval=0.2,
        what="the second worker to finish the notice",
    )
    assert len(slow_twilio.creates) == 1, [c.form for c in slow_twilio.creates]
    assert len(slow_twilio.messages) == 1
    assert done.provider_id == slow_twilio.messages[0].sid
    assert done.attempts == 2 and slow_twilio.lookups >= 1
    assert "not sending again" in second.log()
    wait_for(lambda: _queue_is_drained(redis_server), timeout=10, what="an empty queue")
    assert len(slow_twilio.creates) == 1


def test_a_pool_process_killed_mid_send_is_replaced_and_sends_exactly_one(
    workers, through_redis, slow_twilio, redis_server
):
    worker = workers("pool")
    sms = _file_a_complaint()
    assert slow_twilio.first_create_received.wait(30), worker.log()[-3000:]
    [child] = worker.pool_pids()
    os.kill(child, 9)  # the main process survives, rejects the message and forks anew
    slow_twilio.release.set()
    try:
        done = wait_for(
            lambda: (n := _status(sms.pk)).status == Notification.Status.SENT and n,
            timeout=60,
            interval=0.2,
            what="the new pool process to finish the notice",
        )
    except HarnessError:
        pytest.fail(f"not finished:\n{worker.log()[-4000:]}")
    assert len(slow_twilio.creates) == 1 and len(slow_twilio.messages) == 1
    assert done.provider_id == slow_twilio.messages[0].sid
    assert "WorkerLostError" in worker.log() or "exited with" in worker.log()
    wait_for(lambda: _queue_is_drained(redis_server), timeout=10, what="an empty queue")
