"""The Redis cache keeps one client per process: sockets and requests (each in an async
context of its own) reuse the same few connections instead of opening one each."""

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
from channels.db import database_sync_to_async
from django.core.cache import caches

from notifications.tests.harness import RedisServer
from odr.cache import SharedRedisCache

ROOT = Path(__file__).resolve().parents[2]


def _config(url: str, **options) -> dict:
    return {
        "default": {
            "BACKEND": "odr.cache.SharedRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"test-cache-{uuid.uuid4().hex[:8]}",
            "OPTIONS": options,
        }
    }


def test_backends_of_one_configuration_share_one_client(redis_url):
    first = SharedRedisCache(redis_url, {"KEY_PREFIX": "a"})
    second = SharedRedisCache(redis_url, {"KEY_PREFIX": "a"})
    other = SharedRedisCache(redis_url, {"OPTIONS": {"socket_timeout": 3}})
    assert first._cache is second._cache
    assert other._cache is not first._cache
    key = f"shared-{uuid.uuid4().hex}"
    first.set(key, "值", timeout=30)
    assert second.get(key) == "值"
    first.delete(key)


def test_one_redis_object_serves_every_operation_from_every_thread(redis_url):
    """Django's client builds a ``redis.Redis`` per operation; ours keeps the one."""
    from concurrent.futures import ThreadPoolExecutor

    backend = SharedRedisCache(redis_url, {"KEY_PREFIX": f"one-{uuid.uuid4().hex[:8]}"})
    client = backend._cache.get_client(write=True)
    with ThreadPoolExecutor(max_workers=8) as pool:
        seen = list(pool.map(lambda _n: backend._cache.get_client(write=True), range(32)))
    assert all(each is client for each in seen)
    assert isinstance(client, redis.Redis)
    backend.set("k", [1, 2], timeout=30)
    assert backend.get("k") == [1, 2] and backend._cache.get_client(write=False) is client
    backend.delete("k")


def test_reads_and_writes_each_get_the_client_of_their_own_server(redis_url):
    """With replicas, Django reads from a server other than the first: the one client kept
    per server wraps that server's pool."""
    base = redis_url.rsplit("/", 1)[0]
    backend = SharedRedisCache([f"{base}/0", f"{base}/1"], {"KEY_PREFIX": "replicas"})
    for _ in range(5):
        assert backend._cache.get_client(write=True).connection_pool.connection_kwargs["db"] == 0
        assert backend._cache.get_client(write=False).connection_pool.connection_kwargs["db"] == 1


def test_the_settings_use_it_when_redis_is_configured():
    """What odr/settings/base.py itself makes of REDIS_URL, read in a fresh process."""
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.CACHES['default']))"
    )
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        "DJANGO_SETTINGS_MODULE": "odr.settings.base",
        "ODR_SKIP_DOTENV": "1",
        "SECRET_KEY": "cache-settings-test-key-not-a-secret-0123456789",
        "REDIS_URL": "redis://127.0.0.1:6399/0",
        "CACHE_KEY_PREFIX": "odr-elsewhere",
    }
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    cache = json.loads(done.stdout.strip().splitlines()[-1])
    assert cache["BACKEND"] == "odr.cache.SharedRedisCache"
    assert cache["LOCATION"] == "redis://127.0.0.1:6399/0"
    assert cache["KEY_PREFIX"] == "odr-elsewhere"


@pytest.fixture
def private_redis():
    """A redis-server of this test's own, so that its connection count is this test's."""
    with RedisServer() as server:
        yield server.url


def _connections_received(url: str) -> int:
    client = redis.Redis.from_url(url)
    try:
        return client.info("stats")["total_connections_received"]
    finally:
        client.close()


@pytest.mark.asyncio
async def test_many_socket_calls_reuse_the_pools_connections(settings, private_redis):
    settings.CACHES = _config(private_redis, socket_timeout=4)

    def one_call(n: int) -> int:
        cache = caches["default"]
        cache.set(f"n{n}", n, timeout=30)
        return cache.get(f"n{n}")

    async def socket_or_request(n: int) -> int:
        return await database_sync_to_async(one_call)(n)

    before = _connections_received(private_redis)
    # Each in a task, so in an async context of its own, as each socket and each request
    # under ASGI is: Django gives each context a new cache backend, and its own RedisCache
    # then opened (and left open) a connection for each.
    for n in range(25):
        assert await asyncio.create_task(socket_or_request(n)) == n
    opened = _connections_received(private_redis) - before - 1  # less the counting one
    assert opened <= 2, opened
