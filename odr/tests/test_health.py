"""/healthz: 200 when database, channel layer and broker are up; 503 naming the one down."""

import shutil
import socket
import subprocess
import time

import pytest
import redis

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def own_redis():
    """A Redis of this test's own on a free port, so stopping it leaves the shared one alone."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is needed for this test")
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    client.close()
    yield proc, f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


def _pubsub_layer(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [{"address": url, "socket_connect_timeout": 0.5, "socket_timeout": 1}]
            },
        }
    }


def test_all_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["components"]) == {"database", "channel_layer", "broker"}
    assert all(c["status"] == "up" for c in body["components"].values())
    assert body["down"] == []


def test_redis_channel_layer_up_then_down(client, settings, own_redis):
    proc, url = own_redis
    settings.CHANNEL_LAYERS = _pubsub_layer(url)
    up = client.get("/healthz")
    assert up.status_code == 200
    assert up.json()["components"]["channel_layer"]["detail"] == "RedisPubSubChannelLayer"
    proc.terminate()
    proc.wait(timeout=10)
    down = client.get("/healthz")
    assert down.status_code == 503
    assert down.json()["down"] == ["channel_layer"]
    assert down.json()["components"]["database"]["status"] == "up"


def test_broker_down_is_named(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from odr.celery import app

    port = _free_port()  # nothing listens here
    previous = app.conf.broker_url
    app.conf.broker_url = f"redis://127.0.0.1:{port}/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = previous
    assert response.status_code == 503
    assert response.json()["down"] == ["broker"]


def test_real_broker_is_up(client, settings, redis_url):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from odr.celery import app

    previous = app.conf.broker_url
    app.conf.broker_url = redis_url
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = previous
    assert response.status_code == 200
    assert response.json()["components"]["broker"]["detail"] == "redis"


def test_database_down_is_named(tmp_path):
    from django.db.utils import ConnectionHandler

    from odr import health

    unreachable = ConnectionHandler(
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "no" / "db")}}
    )
    ok, detail = health.check_database(unreachable["default"])
    assert (ok, detail) == (False, "OperationalError")
    assert health.check_database() == (True, health.connection.vendor)
