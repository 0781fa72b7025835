"""The Redis cache keeps one client per process: sockets and requests (each in an async
context of its own) reuse the same few connections instead of opening one each."""

import asyncio
import uuid

import pytest
import redis
from channels.db import database_sync_to_async
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from notifications.tests.harness import RedisServer
from odr.cache import SharedRedisCache


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


def test_the_settings_use_it_when_redis_is_configured(settings, redis_url):
    settings.CACHES = _config(redis_url)
    assert isinstance(caches["default"], SharedRedisCache)
    assert isinstance(caches["default"], RedisCache)  # Django's, with its semantics


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
