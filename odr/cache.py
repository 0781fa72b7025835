"""The Redis cache with one client, and so one connection pool, per process.

Django keeps cache backends per async context (an asgiref ``Local``), and its
``RedisCache`` makes a client, with its connection pools, per backend. Under ASGI each
request and each socket runs in a context of its own, so each opened a connection to
Redis of its own (with redis-py's handshake: HELLO, CLIENT SETINFO) and left it open
until the garbage collector came by: 600 mediation sockets held 600 Redis connections.
Here the backends of one configuration share one client per process; redis-py pools are
thread-safe and reset themselves in a forked child (Celery's prefork pool).

Django's client also builds a new ``redis.Redis`` around its pool for every operation
(its constructor copies the response callbacks: a twentieth of a chat message's CPU
before this); a ``Redis`` is thread-safe, so ours keeps one per pool.
"""

from __future__ import annotations

import threading

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property

_clients: dict[tuple, object] = {}
_lock = threading.Lock()


class _SharedClient(RedisCacheClient):
    """Django's client, whose pools are made on first use without a lock: shared between
    threads, two first uses at once would each make one (and orphan a connection)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._pools_lock = threading.Lock()
        self._redis: dict[int, object] = {}

    def _get_connection_pool(self, write):
        with self._pools_lock:
            return super()._get_connection_pool(write)

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._redis.get(index)
        if client is None:
            with self._pools_lock:
                # The pool of this index (Django's own look-up would pick a read replica
                # again, at random).
                if index not in self._pools:
                    self._pools[index] = self._pool_class.from_url(
                        self._servers[index], **self._pool_options
                    )
                client = self._redis.setdefault(
                    index, self._client(connection_pool=self._pools[index])
                )
        return client


class SharedRedisCache(RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = _SharedClient

    @cached_property
    def _cache(self):
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        with _lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = self._class(self._servers, **self._options)
        return client
