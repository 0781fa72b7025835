"""Channel-layer group sends made by synchronous code, sent from the event loop.

After-commit callbacks tell connected sockets what changed (mediation rooms, the inbox
badge). They run in synchronous code: a view's thread, a socket's database thread, a
Celery task. From there, ``async_to_sync`` makes a round trip to the event loop for each
send, with the thread waiting while the loop is busy with every other connection.

So, where there is an event loop to send from, sends are collected instead and the loop
sends them, in order, once the synchronous work returns: in a request through
``OutboxMiddleware`` (a context variable, which asgiref carries into the view's thread)
and in a socket's database thread through ``collected()``. Elsewhere (Celery, commands,
the test client) they are sent at once. Delivery is a notification path, never the
record: what is sent was committed first, and a failed send is logged and dropped
(clients resume).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from asgiref.sync import async_to_sync, iscoroutinefunction
from channels.layers import get_channel_layer
from django.utils.decorators import sync_and_async_middleware

logger = logging.getLogger(__name__)

Item = tuple[str, dict]

_thread = threading.local()


class _Batch:
    """A request's sends. Closed when the request's flush begins: a view still running
    after that (its client went away and the request was cancelled) sends at once."""

    def __init__(self) -> None:
        self._items: list[Item] = []
        self._lock = threading.Lock()
        self._closed = False

    def add(self, items: list[Item]) -> bool:
        with self._lock:
            if self._closed:
                return False
            self._items.extend(items)
            return True

    def close(self) -> list[Item]:
        with self._lock:
            self._closed = True
            return list(self._items)


_request: ContextVar[_Batch | None] = ContextVar("odr_outbox", default=None)


@contextlib.contextmanager
def collected() -> Iterator[list[Item]]:
    """Within this block (in this thread) sends are collected, not sent; the caller sends
    them from its event loop with ``flush``."""
    previous = getattr(_thread, "items", None)
    _thread.items = items = []
    try:
        yield items
    finally:
        _thread.items = previous


async def flush(items: list[Item]) -> None:
    """Send what was collected, in order, from the event loop; failures are logged."""
    if not items:
        return
    layer = get_channel_layer()
    if layer is None:
        return
    for group, event in items:
        try:
            await layer.group_send(group, event)
        except Exception:
            logger.warning("group send to %s failed; clients will catch up on resume", group)


def group_send(group: str, event: dict) -> bool:
    """Send to a group from synchronous code (deferred to the event loop when there is
    one); False (logged) when the layer is missing or unreachable."""
    return group_send_many([(group, event)])


def group_send_many(items: list[Item]) -> bool:
    """Several sends, in order, at the cost of one: deferred as ``group_send`` is, or
    else one trip to the event loop for all of them."""
    collecting = getattr(_thread, "items", None)
    if collecting is not None:
        collecting.extend(items)
        return True
    batch = _request.get()
    if batch is not None and batch.add(items):
        return True
    layer = get_channel_layer()
    if layer is None:
        return False

    async def send_all() -> None:
        for group, event in items:
            await layer.group_send(group, event)

    try:
        async_to_sync(send_all)()
    except Exception:  # a notification path: the database already holds the truth
        logger.warning(
            "group send to %s failed; clients will catch up on resume",
            ", ".join(group for group, _event in items),
        )
        return False
    return True


@sync_and_async_middleware
def OutboxMiddleware(get_response: Callable):
    """Under ASGI: collect the request's group sends and send them from the event loop
    once the view is done, before the response goes out. Under WSGI it does nothing."""
    if not iscoroutinefunction(get_response):
        return get_response

    async def middleware(request):
        batch = _Batch()
        token = _request.set(batch)
        try:
            return await get_response(request)
        finally:
            _request.reset(token)
            # Shielded: a request cancelled now (its client left) still sends what its
            # committed work collected.
            await asyncio.shield(flush(batch.close()))

    return middleware
